"""Pure provenance rules: asset codes, disclosure labels, verdicts, the manifest."""

from __future__ import annotations

import random
from datetime import date

import pytest

from tests.conftest import terms
from tests.unit.factories import make_world
from twinstudio.domain.asset import Asset, AssetState
from twinstudio.domain.licence import LicenceState
from twinstudio.domain.provenance import (
    AI_LABEL,
    RETOUCHED_FR,
    Verdict,
    decide_verdict,
    disclosure_labels,
    manifest_for,
    worst,
)
from twinstudio.provenance import codes


def test_asset_codes_round_trip_and_correct_one_error_per_byte():
    rng = random.Random(5)
    for _ in range(200):
        code = rng.getrandbits(32)
        bits = codes.encode(code)
        assert len(bits) == codes.PAYLOAD_BITS and codes.decode(bits) == code
        for byte in range(10):
            bits[byte * 8 + rng.randrange(8)] ^= 1
        assert codes.decode(bits) == code


def test_constant_payloads_are_not_codes():
    assert codes.decode([0] * 80) is None and codes.decode([1] * 80) is None


def test_random_bits_rarely_decode_and_then_only_to_an_unregistered_code():
    # Per random word: (144/256)^10 of words pass the Hamming decoder, 1/256 of those pass
    # the CRC: 1.25e-5. Over 20 000 words that is 0.25 expected; a broken code shows
    # hundreds. A false code must also be registered (N / 2^32) before verify trusts it.
    rng = random.Random(7)
    hits = sum(codes.decode([rng.randrange(2) for _ in range(80)]) is not None
               for _ in range(20000))
    assert hits <= 3


def test_disclosure_labels_follow_territory_channel_and_retouching():
    assert disclosure_labels(channel="social", territory="FR", retouched=False,
                             body_alteration_applied=False) == [AI_LABEL]
    assert disclosure_labels(channel="social", territory="US", retouched=False,
                             body_alteration_applied=False) == []
    assert disclosure_labels(channel="social", territory="US", retouched=False,
                             body_alteration_applied=False, always_label=True) == [AI_LABEL]
    assert disclosure_labels(channel="print", territory="FR", retouched=False,
                             body_alteration_applied=True) == [AI_LABEL, RETOUCHED_FR]
    assert disclosure_labels(channel="print", territory="SE", retouched=True,
                             body_alteration_applied=True) == [AI_LABEL]


@pytest.fixture
def asset_and_licence():
    licence, _, _ = make_world(terms())
    asset = Asset(twin_id=licence.twin_id, licence_id=licence.id, brand_id=licence.brand_id,
                  source="diffusion", alterations=["background"], state=AssetState.APPROVED)
    return asset, licence


def test_verdicts(asset_and_licence):
    asset, licence = asset_and_licence
    today = date(2026, 6, 1)
    base = {"today": today, "credential_present": True, "credential_valid": True}
    assert decide_verdict(asset=asset, licence=licence, **base) is Verdict.LICENSED
    assert decide_verdict(asset=asset, licence=licence, today=today, credential_present=True,
                          credential_valid=False) is Verdict.TAMPERED
    assert decide_verdict(asset=asset, licence=licence, today=today, credential_present=False,
                          credential_valid=False) is Verdict.LICENSED  # stripped metadata
    revoked = licence.model_copy(update={"state": LicenceState.REVOKED})
    assert decide_verdict(asset=asset, licence=revoked, **base) is Verdict.WITHDRAWN
    withdrawn = asset.transition(AssetState.WITHDRAWN)
    assert decide_verdict(asset=withdrawn, licence=licence, **base) is Verdict.WITHDRAWN
    assert decide_verdict(asset=asset, licence=licence, today=date(2027, 1, 1),
                          credential_present=True, credential_valid=True) \
        is Verdict.LICENCE_EXPIRED
    assert decide_verdict(asset=None, licence=None, **base) is Verdict.UNKNOWN
    assert decide_verdict(asset=None, licence=None, face_match=True, **base) \
        is Verdict.UNLICENSED_LIKENESS


def test_an_asset_that_was_never_approved_is_not_licensed(asset_and_licence):
    approved, licence = asset_and_licence
    base = {"today": date(2026, 6, 1), "credential_present": True, "credential_valid": True}
    for state in (AssetState.GENERATED, AssetState.PENDING_APPROVAL):
        asset = approved.model_copy(update={"state": state})
        assert decide_verdict(asset=asset, licence=licence, **base) is Verdict.NOT_APPROVED
        # what overrides approval still does: a revoked licence, an ended one, tampering
        revoked = licence.model_copy(update={"state": LicenceState.REVOKED})
        assert decide_verdict(asset=asset, licence=revoked, **base) is Verdict.WITHDRAWN
        assert decide_verdict(asset=asset, licence=licence, today=date(2027, 1, 1),
                              credential_present=False, credential_valid=False) \
            is Verdict.LICENCE_EXPIRED
    published = approved.transition(AssetState.PUBLISHED)
    assert decide_verdict(asset=published, licence=licence, **base) is Verdict.LICENSED
    # two signals naming a licensed and an unapproved asset: the unapproved one stands
    assert worst([Verdict.LICENSED, Verdict.NOT_APPROVED]) is Verdict.NOT_APPROVED
    assert worst([Verdict.NOT_APPROVED, Verdict.WITHDRAWN]) is Verdict.WITHDRAWN


def test_manifest_names_the_rights_and_forbids_training_without_personal_data(
        asset_and_licence):
    asset, licence = asset_and_licence
    manifest = manifest_for(asset, licence, generator="twinstudio", version="0", asset_code=7)
    by_label = {a["label"]: a["data"] for a in manifest["assertions"]}
    created = by_label["c2pa.actions.v2"]["actions"][0]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
    ours = by_label["com.twinstudio.asset"]
    assert ours["licence_id"] == licence.id and ours["consent_ref"] == licence.consent_id
    assert ours["applied_alterations"] == ["background"] and ours["expires"] == "2026-12-31"
    assert "name" not in ours and ours["asset_code"] == "00000007"
    training = by_label["cawg.training-mining"]["entries"]
    assert all(v == {"use": "notAllowed"} for v in training.values())
    assert training.keys() >= {"cawg.ai_training", "cawg.ai_generative_training"}
