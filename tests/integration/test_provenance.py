"""Provenance end to end on a real store (SQLite and PostgreSQL): mark, verify, and the
verdicts the issue names (licensed, not_approved, tampered, withdrawn, licence_expired,
unknown)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import consent_doc, terms
from tests.support.images import decode, encode, scene
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.demo.provenance import jpeg_app11
from twinstudio.domain.errors import Conflict, InvalidInput, RightsRefused
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.services.assets import approve_asset, register_asset
from twinstudio.services.audit import verify_audit
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.provenance import mark_asset
from twinstudio.services.rights import grant_consent, grant_licence, revoke_licence
from twinstudio.services.verification import verify_image


@pytest.fixture
def pctx(engine, tmp_path, clock):
    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    return bootstrap(settings, engine=engine, clock=clock)


@pytest.fixture
def licence(pctx):
    brand = add_organisation(pctx, kind=OrganisationKind.BRAND, name="Nordvik")
    talent, twin = add_talent(pctx, name="Astrid Lund")
    grant_consent(pctx, talent_id=talent.id, document=consent_doc(pctx.today()))
    set_twin_state(pctx, twin.id, TwinState.ACTIVE, reason="test", actor="test")
    return grant_licence(pctx, twin_id=twin.id, brand_id=brand.id,
                         terms=terms(starts="2026-05-01", ends="2026-12-31", max_assets=2))


@pytest.fixture
def marked(pctx, licence):
    """A marked asset that the talent approved (the licence requires approval)."""
    result = register_asset(pctx, licence_id=licence.id, image=encode(scene(1), quality=92),
                            source="studio", alterations=["background"])
    result.asset = approve_asset(pctx, result.asset.id, party_id=licence.talent_id,
                                 actor="talent")
    return result


def test_an_asset_awaiting_approval_is_not_licensed_and_gets_no_rendition(pctx, licence):
    from datetime import date

    from twinstudio.services.provenance import publication_rendition

    pending = register_asset(pctx, licence_id=licence.id, image=encode(scene(2), quality=92),
                             source="studio")
    assert pending.asset.state == "pending_approval"
    result = verify_image(pctx, pending.image)
    assert (result.verdict, result.asset_id) == ("not_approved", pending.asset.id)
    assert result.asset_state == "pending_approval" and "pending" in result.explanation
    # marked without being submitted (as a generation job does before its QA gates)
    made = mark_asset(pctx, licence_id=licence.id, image=encode(scene(3), quality=92),
                      source="studio")
    assert verify_image(pctx, made.image).verdict == "not_approved"
    for asset_id in (pending.asset.id, made.asset.id):
        with pytest.raises(Conflict, match="only an approved asset"):
            publication_rendition(pctx, asset_id, channel="social", territory="FR",
                                  day=date(2026, 7, 1), product_category="outerwear")
    with pctx.uow() as uow:
        events = [e.type for e in uow.audit.all()]
    assert "AssetRenditionMade" not in events


def test_a_marked_image_verifies_as_licensed_by_every_signal(pctx, marked):
    result = verify_image(pctx, marked.image)
    assert result.verdict == "licensed" and result.asset_id == marked.asset.id
    signals = result.signals
    assert signals.c2pa.valid and signals.c2pa.trusted
    assert signals.c2pa.digital_source_type.endswith("/algorithmicMedia")
    assert signals.watermark.asset_id == marked.asset.id
    assert signals.fingerprint.asset_id == marked.asset.id
    assert result.signals_agree


def test_stripped_and_recompressed_copies_still_resolve(pctx, marked):
    pixels = decode(marked.image)
    stripped = encode(pixels, quality=60)  # re-encoding drops the C2PA manifest
    result = verify_image(pctx, stripped)
    assert not result.signals.c2pa.present
    assert result.verdict == "licensed" and result.asset_id == marked.asset.id
    assert result.signals.watermark.asset_id == marked.asset.id
    h, w = pixels.shape[:2]
    crop = pixels[int(h * 0.15):int(h * 0.85), int(w * 0.15):int(w * 0.85)]  # ~50 % of area
    cropped = verify_image(pctx, encode(np.ascontiguousarray(crop), quality=85))
    assert cropped.asset_id == marked.asset.id
    assert cropped.signals.fingerprint.method == "local_features"
    rotation = cv2.getRotationMatrix2D((w / 2, h / 2), 2, 1)
    rotated = cv2.warpAffine(pixels, rotation, (w, h), borderMode=cv2.BORDER_REFLECT)
    assert verify_image(pctx, encode(rotated, quality=85)).asset_id == marked.asset.id


def test_a_tampered_pixel_region_turns_licensed_into_tampered(pctx, marked):
    # Paint over a region (a face swap would do the same), re-encode, and put the original
    # credential back: the manifest still verifies as signed, the pixels do not match it.
    pixels = decode(marked.image).copy()
    pixels[300:420, 300:460] = (128, 60, 60)
    manifest = jpeg_app11(marked.image)
    assert manifest
    repainted = encode(pixels, quality=95)
    forged = repainted[:2] + manifest + repainted[2:]
    result = verify_image(pctx, forged)
    assert result.signals.c2pa.present and not result.signals.c2pa.valid
    assert "assertion.dataHash.mismatch" in result.signals.c2pa.failures
    assert result.verdict == "tampered"
    assert result.asset_id == marked.asset.id  # the credential and the marks still say so


def test_after_revocation_the_same_file_is_withdrawn(pctx, licence, marked):
    result = revoke_licence(pctx, licence.id, reason="campaign cancelled", actor="brand")
    assert result.withdrawn_assets == [marked.asset.id] and result.cancelled_jobs == []
    assert verify_image(pctx, marked.image).verdict == "withdrawn"


def test_after_its_end_date_the_same_file_is_licence_expired(pctx, clock, marked):
    clock.advance(days=214)  # 2027-01-01
    assert verify_image(pctx, marked.image).verdict == "licence_expired"


def test_an_unrelated_image_is_unknown(pctx, marked):
    result = verify_image(pctx, encode(scene(999), quality=90))
    assert result.verdict == "unknown" and result.asset_id is None
    assert not result.signals.watermark.found
    assert not result.signals.fingerprint.found


def test_marking_is_refused_outside_the_licence_and_counts_the_quota(pctx, licence, marked):
    with pytest.raises(RightsRefused) as refused:
        mark_asset(pctx, licence_id=licence.id, image=encode(scene(2)), source="studio",
                   alterations=["body_shape"])
    assert [r.code for r in refused.value.reasons] == ["alteration_not_permitted"]
    mark_asset(pctx, licence_id=licence.id, image=encode(scene(3)), source="diffusion")
    with pytest.raises(RightsRefused) as exhausted:  # max_assets = 2
        mark_asset(pctx, licence_id=licence.id, image=encode(scene(4)), source="studio")
    assert [r.code for r in exhausted.value.reasons] == ["asset_quota_exhausted"]
    with pctx.uow() as uow:
        assert len(uow.assets.list(licence_id=licence.id)) == 2
    assert verify_audit(pctx).ok


def test_marking_is_refused_under_a_revoked_licence_or_for_a_twin_not_active(pctx, licence,
                                                                              clock):
    set_twin_state(pctx, licence.twin_id, TwinState.SUSPENDED, reason="paused", actor="test")
    with pytest.raises(RightsRefused) as inactive:
        mark_asset(pctx, licence_id=licence.id, image=encode(scene(5)), source="studio")
    assert [(r.code, r.message) for r in inactive.value.reasons] == [
        ("twin_not_active", "twin is suspended")]
    set_twin_state(pctx, licence.twin_id, TwinState.ACTIVE, reason="back", actor="test")
    clock.now = clock.now.replace(year=2027, month=1, day=5)  # after the licence's end
    with pytest.raises(RightsRefused) as ended:
        mark_asset(pctx, licence_id=licence.id, image=encode(scene(6)), source="studio")
    assert [r.code for r in ended.value.reasons] == ["outside_licence_period"]
    clock.now = clock.now.replace(year=2026, month=6, day=1)
    revoke_licence(pctx, licence.id, reason="season over", actor="brand")
    with pytest.raises(RightsRefused) as revoked:
        mark_asset(pctx, licence_id=licence.id, image=encode(scene(7)), source="studio")
    assert [(r.code, r.message) for r in revoked.value.reasons] == [
        ("licence_revoked", "licence is revoked")]
    with pctx.uow() as uow:
        assert uow.assets.list(licence_id=licence.id) == []  # nothing half-stored


def test_bad_images_are_refused_at_the_edge(pctx, licence):
    bomb = io.BytesIO()
    Image.new("L", (12000, 9000)).save(bomb, "PNG")  # 108 MP, a few hundred KB
    for data, fragment in ((b"just text, named .jpg", "allowed type"),
                           (encode(scene(5))[:5000], "cannot be decoded"),
                           (bomb.getvalue(), "bomb|megapixels")):
        with pytest.raises(InvalidInput, match=fragment):
            mark_asset(pctx, licence_id=licence.id, image=data, source="studio")
    with pctx.uow() as uow:
        assert uow.assets.list() == []


def test_publication_rendition_is_labelled_signed_with_its_master_and_verifies(pctx, marked):
    from datetime import date

    from twinstudio.services.provenance import publication_rendition

    rendition = publication_rendition(pctx, marked.asset.id, channel="social", territory="FR",
                                      day=date(2026, 7, 1), product_category="outerwear")
    assert rendition.labels == ["AI-generated"]
    master, labelled = decode(marked.image), decode(rendition.image)
    assert np.abs(master[:600].astype(int) - labelled[:600]).mean() < 2  # top untouched
    assert np.abs(master[-60:, :200].astype(int) - labelled[-60:, :200]).mean() > 20
    result = verify_image(pctx, rendition.image)
    assert result.verdict == "licensed" and result.asset_id == marked.asset.id
    assert result.signals.c2pa.has_parent
    with pytest.raises(RightsRefused) as refused:
        publication_rendition(pctx, marked.asset.id, channel="ooh", territory="US",
                              day=date(2026, 7, 1), product_category="outerwear")
    assert {r.code for r in refused.value.reasons} == {"territory_not_licensed"}
