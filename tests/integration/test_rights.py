"""Rights use cases against a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.conftest import consent_doc, terms
from twinstudio.domain.consent import BiometricReleaseDocument, ConsentState
from twinstudio.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RightsRefused,
)
from twinstudio.domain.licence import LicenceState
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.policy import ProposedUse, ReasonCode
from twinstudio.domain.twin import TwinState
from twinstudio.services.audit import verify_audit
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.ports import WithdrawalResult
from twinstudio.services.rights import (
    ExpiryResult,
    active_biometric_release,
    check_use,
    expire_rights,
    grant_biometric_release,
    grant_consent,
    grant_licence,
    revoke_biometric_release,
    revoke_consent,
    revoke_licence,
    verify_consent,
    verify_licence,
)

USE = {"channel": "social", "territory": "FR", "date": "2026-07-01",
       "product_category": "outerwear", "alterations": ["hair_color"], "content_tags": []}
LICENCE_DATES = {"starts": "2026-05-01", "ends": "2026-12-31"}


class RecordingHook:
    """Stands in for the generation issue's hook: records what it was told."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict] = []
        self.fail = fail

    def __call__(self, uow, *, twin_id, licence_ids, reason):
        if self.fail:
            raise RuntimeError("job queue unavailable")
        self.calls.append({"twin_id": twin_id, "licence_ids": list(licence_ids),
                           "reason": reason})
        return WithdrawalResult(cancelled_jobs=[])


@pytest.fixture
def world(ctx):
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Nordvik")
    talent, twin = add_talent(ctx, name="Astrid Lund", language="sv")
    consent = grant_consent(ctx, talent_id=talent.id,
                            document=consent_doc(ctx.today(), language="sv"))
    set_twin_state(ctx, twin.id, TwinState.ACTIVE, reason="test", actor="operator")
    licence = grant_licence(ctx, twin_id=twin.id, brand_id=brand.id,
                            terms=terms(**LICENCE_DATES))
    return {"brand": brand, "talent": talent, "twin": twin, "consent": consent,
            "licence": licence}


def _audit_types(ctx) -> list[str]:
    with ctx.uow() as uow:
        return [e.type for e in uow.audit.all()]


def test_licence_is_signed_by_talent_and_brand_and_verifies(ctx, world):
    report = verify_licence(ctx, world["licence"].id)
    assert report.valid and {s["role"] for s in report.signatures} == {"talent", "brand"}
    assert verify_consent(ctx, world["consent"].id).valid
    assert check_use(ctx, world["licence"].id, ProposedUse.model_validate(USE)).allowed
    assert _audit_types(ctx) == ["BrandAdded", "TalentAdded", "ConsentGranted",
                                 "TwinActive", "LicenceGranted"]


def test_tampered_terms_fail_verification_and_decide_nothing(ctx, engine, world):
    lic = world["licence"]
    widened = lic.terms.model_copy(update={"territories": ["*"]}).model_dump_json()
    with engine.begin() as c:
        c.execute(text("UPDATE licences SET terms = :t WHERE id = :i"), {"t": widened,
                                                                        "i": lic.id})
    report = verify_licence(ctx, lic.id)
    assert not report.valid and not report.document_hash_ok
    decision = check_use(ctx, lic.id, ProposedUse.model_validate({**USE, "territory": "US"}))
    assert not decision.allowed
    assert decision.codes() == [ReasonCode.LICENCE_INTEGRITY_FAILED]


def test_swapped_signature_key_fails_verification(ctx, engine, world):
    other = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Impostor")
    with engine.begin() as c:
        c.execute(text("UPDATE licences SET brand_id = :b WHERE id = :i"),
                  {"b": other.id, "i": world["licence"].id})
    report = verify_licence(ctx, world["licence"].id)
    assert not report.valid and report.missing_signers == [f"brand:{other.id}"]


def test_revoking_consent_suspends_licences_and_withdraws_work(ctx, world):
    hook = RecordingHook()
    ctx.rights_withdrawn_hooks.append(hook)
    result = revoke_consent(ctx, world["consent"].id, reason="changed my mind")
    assert result.suspended_licences == [world["licence"].id]
    assert hook.calls == [{"twin_id": world["twin"].id, "licence_ids": [world["licence"].id],
                           "reason": "consent revoked: changed my mind"}]
    with ctx.uow() as uow:
        assert uow.licences.get(world["licence"].id).state is LicenceState.SUSPENDED
        assert uow.consents.get(world["consent"].id).state is ConsentState.REVOKED
    decision = check_use(ctx, world["licence"].id, ProposedUse.model_validate(USE))
    assert {ReasonCode.CONSENT_REVOKED, ReasonCode.LICENCE_SUSPENDED} <= set(decision.codes())
    assert _audit_types(ctx)[-2:] == ["ConsentRevoked", "LicenceSuspended"]
    with pytest.raises(Conflict):
        revoke_consent(ctx, world["consent"].id, reason="again")


def test_a_failing_hook_rolls_the_whole_revocation_back(ctx, world):
    ctx.rights_withdrawn_hooks.append(RecordingHook(fail=True))
    before = _audit_types(ctx)
    with pytest.raises(RuntimeError):
        revoke_consent(ctx, world["consent"].id, reason="x")
    with ctx.uow() as uow:
        assert uow.consents.get(world["consent"].id).state is ConsentState.ACTIVE
        assert uow.licences.get(world["licence"].id).state is LicenceState.ACTIVE
    assert _audit_types(ctx) == before


def test_revoking_a_licence_refuses_every_later_use(ctx, world):
    hook = RecordingHook()
    ctx.rights_withdrawn_hooks.append(hook)
    revoke_licence(ctx, world["licence"].id, reason="campaign cancelled",
                   actor=world["brand"].id)
    assert hook.calls[0]["licence_ids"] == [world["licence"].id]
    decision = check_use(ctx, world["licence"].id, ProposedUse.model_validate(USE))
    assert decision.codes() == [ReasonCode.LICENCE_REVOKED]
    with pytest.raises(Conflict):
        revoke_licence(ctx, world["licence"].id, reason="again", actor="x")


def test_expiry_sweep_expires_and_withdraws_once(ctx, clock, world):
    hook = RecordingHook()
    ctx.rights_withdrawn_hooks.append(hook)
    assert expire_rights(ctx) == ExpiryResult(consents=[], licences=[])
    clock.advance(days=214)  # 2027-01-01: the licence ended on 2026-12-31
    assert expire_rights(ctx) == ExpiryResult(consents=[], licences=[world["licence"].id])
    assert hook.calls[0]["reason"] == "licence expired"
    assert expire_rights(ctx) == ExpiryResult(consents=[], licences=[])
    decision = check_use(ctx, world["licence"].id, ProposedUse.model_validate(USE))
    assert ReasonCode.OUTSIDE_LICENCE_PERIOD in decision.codes()
    clock.advance(days=800)
    assert expire_rights(ctx).consents == [world["consent"].id]


def test_refused_grant_leaves_nothing_behind(ctx, world):
    rival = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Rival")
    before = _audit_types(ctx)
    with pytest.raises(RightsRefused) as refused:
        grant_licence(ctx, twin_id=world["twin"].id, brand_id=rival.id,
                      terms=terms(**LICENCE_DATES, representation="none", intended_uses=""))
    assert {r.code for r in refused.value.reasons} == {ReasonCode.EXCLUSIVITY_CONFLICT,
                                                        ReasonCode.INTENDED_USES_TOO_VAGUE}
    assert _audit_types(ctx) == before
    with ctx.uow() as uow:
        assert len(uow.licences.list(twin_id=world["twin"].id)) == 1


def test_grant_refused_without_consent_and_for_unknown_parties(ctx):
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="B")
    agency = add_organisation(ctx, kind=OrganisationKind.AGENCY, name="A")
    _, twin = add_talent(ctx, name="No Consent")
    with pytest.raises(RightsRefused) as refused:
        grant_licence(ctx, twin_id=twin.id, brand_id=brand.id, terms=terms(**LICENCE_DATES))
    assert [r.code for r in refused.value.reasons] == [ReasonCode.CONSENT_SCOPE_EXCEEDED]
    with pytest.raises(NotFound):
        grant_licence(ctx, twin_id=twin.id, brand_id=agency.id, terms=terms(**LICENCE_DATES))
    with pytest.raises(NotFound):
        grant_licence(ctx, twin_id="twn_missing", brand_id=brand.id,
                      terms=terms(**LICENCE_DATES))


def test_consent_must_be_in_the_talents_language(ctx):
    talent, _ = add_talent(ctx, name="Camille", language="fr")
    with pytest.raises(InvalidInput, match="language"):
        grant_consent(ctx, talent_id=talent.id, document=consent_doc(ctx.today(), language="en"))
    with ctx.uow() as uow:
        assert uow.consents.list() == []


def test_talent_with_unknown_agency_is_refused_and_leaves_no_key(ctx, tmp_path):
    with pytest.raises(NotFound):
        add_talent(ctx, name="Orphan", agency_id="agy_0000000000000000")
    keys = tmp_path / "ws" / "keys"
    assert not keys.exists() or list(keys.iterdir()) == []
    with ctx.uow() as uow:
        assert uow.talents.list() == []


def test_twin_life_cycle_and_withdrawal_on_suspension(ctx, world):
    hook = RecordingHook()
    ctx.rights_withdrawn_hooks.append(hook)
    set_twin_state(ctx, world["twin"].id, TwinState.SUSPENDED, reason="talent request",
                   actor=world["talent"].id)
    assert hook.calls and hook.calls[0]["reason"] == "twin suspended"
    decision = check_use(ctx, world["licence"].id, ProposedUse.model_validate(USE))
    assert decision.codes() == [ReasonCode.TWIN_NOT_ACTIVE]
    set_twin_state(ctx, world["twin"].id, TwinState.SHREDDED, reason="deleted", actor="op")
    with pytest.raises(InvalidTransition):
        set_twin_state(ctx, world["twin"].id, TwinState.ACTIVE, reason="back", actor="op")


def test_biometric_release_grant_and_revoke(ctx, clock, world):
    doc = BiometricReleaseDocument(purpose="Face template for identity checks of outputs",
                                   retention_days=365, written_release=True,
                                   explicit_consent=True, language="sv")
    release = grant_biometric_release(ctx, talent_id=world["talent"].id, document=doc)
    with ctx.uow() as uow:
        assert active_biometric_release(uow, world["talent"].id) == release
    assert release.retain_until(clock.now) == clock.now + timedelta(days=365)
    revoke_biometric_release(ctx, release.id)
    with ctx.uow() as uow:
        assert active_biometric_release(uow, world["talent"].id) is None
    assert verify_audit(ctx).ok


def test_tampered_consent_decides_nothing(ctx, engine, world):
    consent = world["consent"]
    narrower = consent.document.model_copy(update={"purpose": "Anything at all, forever"})
    with engine.begin() as c:
        c.execute(text("UPDATE consents SET document = :d WHERE id = :i"),
                  {"d": narrower.model_dump_json(), "i": consent.id})
    assert not verify_consent(ctx, consent.id).valid
    decision = check_use(ctx, world["licence"].id, ProposedUse.model_validate(USE))
    assert decision.codes() == [ReasonCode.CONSENT_INTEGRITY_FAILED]


def test_unreadable_stored_terms_are_an_integrity_error(ctx, engine, world):
    from twinstudio.domain.errors import IntegrityError

    with engine.begin() as c:
        c.execute(text("UPDATE licences SET terms = 'not json' WHERE id = :i"),
                  {"i": world["licence"].id})
    with pytest.raises(IntegrityError, match="corrupt"):
        check_use(ctx, world["licence"].id, ProposedUse.model_validate(USE))
