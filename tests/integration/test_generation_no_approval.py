"""A licence that needs no approval (``approval_required: false``), end to end on a real
store (SQLite and PostgreSQL) with the fake backend: the campaign's jobs succeed, each asset
is approved by the licence's terms (audited as such, its per-asset fee posted once), and a
job that fails after its image was made leaves no blob behind."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from tests.conftest import consent_doc, terms
from tests.support.fakes import FIT, PROFILE, FakeBackend, FakeQuality, enrol_template
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.asset import AssetState
from twinstudio.domain.errors import Conflict
from twinstudio.domain.generation import CampaignBrief, GenerationResult, JobState
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.services.assets import approve_asset, publish_asset, register_asset
from twinstudio.services.audit import verify_audit
from twinstudio.services.billing import check_ledger
from twinstudio.services.bodies import set_twin_body
from twinstudio.services.campaigns import campaign_status, create_campaign
from twinstudio.services.garments import add_garment
from twinstudio.services.jobs import run_worker
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.rights import grant_consent, grant_licence
from twinstudio.services.verification import verify_image

PER_ASSET = 2500
BY_TERMS = "licence_terms"  # who approved: the terms, not a person
_SHA = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def gctx(engine, tmp_path, clock):
    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    return bootstrap(settings, engine=engine, clock=clock)


@pytest.fixture
def world(gctx) -> dict[str, Any]:
    brand = add_organisation(gctx, kind=OrganisationKind.BRAND, name="Nordvik")
    agency = add_organisation(gctx, kind=OrganisationKind.AGENCY, name="Polar Models")
    talent, twin = add_talent(gctx, name="Astrid Lund", agency_id=agency.id)
    grant_consent(gctx, talent_id=talent.id, document=consent_doc(gctx.today()))
    set_twin_state(gctx, twin.id, TwinState.ACTIVE, reason="test", actor="test")
    set_twin_body(gctx, twin_id=twin.id, profile=PROFILE, fit=FIT, actor="test")
    enrol_template(gctx, talent.id, twin.id)
    licence = grant_licence(gctx, twin_id=twin.id, brand_id=brand.id, terms=terms(
        starts="2026-05-01", ends="2026-12-31", exclusive_categories=[], max_assets=50,
        approval_required=False,
        fees={"currency": "EUR", "per_asset": PER_ASSET, "per_publication": {"social": 500}}))
    parka = add_garment(gctx, brand_id=brand.id, name="Parka", category="coat",
                        fabric_color="#2f4f6f", actor="test")
    tee = add_garment(gctx, brand_id=brand.id, name="Tee", category="tee",
                      fabric_color="#c23b3b", actor="test")
    return {"brand": brand, "talent": talent, "twin": twin, "licence": licence,
            "looks": [[parka.id], [tee.id]]}


def _brief(world: dict[str, Any], **changes: Any) -> CampaignBrief:
    data: dict[str, Any] = {
        "name": "AW26", "looks": world["looks"], "poses": ["relaxed"],
        "formats": ["feed", "story"],
        "segments": [{"name": "nordic", "scene": "gradient_frost", "season": "AW26"}],
        "markets": [{"channel": "social", "territory": "SE"}]}
    data.update(changes)
    return CampaignBrief.model_validate(data)


def _run(ctx, backend=None) -> list[Any]:  # type: ignore[no-untyped-def]
    outcomes: list[Any] = []
    run_worker(ctx, backend=backend or FakeBackend(), quality=FakeQuality(), worker_id="w1",
               on_outcome=outcomes.append)
    return outcomes


def _blob_files(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    """The blobs in the workspace's content store, counted on disk."""
    return sorted(p.name for p in ctx.blobs.root.glob("??/*") if _SHA.match(p.name))


def _referenced_blobs(ctx) -> set[str]:  # type: ignore[no-untyped-def]
    """Every blob a row names: masters, conditioning images, publication renditions."""
    with ctx.uow() as uow:
        assets = uow.assets.list()
        named = {uow.marks.get(a.id).blob_sha256 for a in assets}
        for asset in assets:
            details = uow.asset_details.get(asset.id) or {}
            named |= set((details.get("reference") or {}).get("conditioning", {}).values())
            named |= {p["rendition_sha256"] for p in uow.asset_details.publications(asset.id)}
    return named


def test_a_campaign_under_a_licence_without_approval_ends_with_approved_paid_assets(
        gctx, world, clock):
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                           brief=_brief(world))
    assert plan.queued == 4
    outcomes = _run(gctx)
    assert [o.state for o in outcomes] == ["succeeded"] * 4, [o.reasons for o in outcomes]
    assert [o.asset_state for o in outcomes] == ["approved"] * 4
    status = campaign_status(gctx, plan.campaign.id)
    assert status.jobs["succeeded"] == 4 and status.failures == []
    assert status.assets == {"approved": 4}
    with gctx.uow() as uow:
        assets = uow.assets.list()
        events = uow.audit.all()
        txns = uow.ledger.transactions(licence_id=world["licence"].id)
        assert uow.licences.get(world["licence"].id).assets_used == 4
    assert {a.state for a in assets} == {AssetState.APPROVED}
    assert all("licence's terms" in (a.state_reason or "") for a in assets)
    # audited as approved by the licence's terms, never by a person; paid once each
    approvals = [e for e in events if e.type == "AssetApproved"]
    assert sorted(e.payload["asset_id"] for e in approvals) == sorted(a.id for a in assets)
    assert {e.payload["by"] for e in approvals} == {BY_TERMS}
    paid = [t for t in txns if t.event["type"] == "asset_approved"]
    assert sorted(t.event["asset_id"] for t in paid) == sorted(a.id for a in assets)
    assert {t.gross for t in paid} == {PER_ASSET}
    posted = {e.payload["event_key"] for e in events if e.type == "LedgerPosted"}
    assert {t.event_key for t in paid} <= posted
    assert check_ledger(gctx).ok and verify_audit(gctx).ok
    # nobody approves it again (no second fee); it can be published at once
    with pytest.raises(Conflict):
        approve_asset(gctx, assets[0].id, party_id=world["talent"].id, actor="talent")
    published = publish_asset(gctx, assets[0].id, channel="social", territory="SE",
                              day=clock.now.date(), actor="brand")
    assert published.asset.state is AssetState.PUBLISHED
    assert verify_image(gctx, published.image).verdict == "licensed"
    assert set(_blob_files(gctx)) == _referenced_blobs(gctx)  # no orphan


def test_an_image_registered_under_such_a_licence_is_approved_by_its_terms(gctx, world):
    from tests.support.images import encode, scene

    marked = register_asset(gctx, licence_id=world["licence"].id, source="studio",
                            image=encode(scene(3, 320, 400), quality=90), actor="operator")
    assert marked.asset.state is AssetState.APPROVED
    with gctx.uow() as uow:
        approvals = [e for e in uow.audit.all() if e.type == "AssetApproved"]
        paid = [t for t in uow.ledger.transactions(licence_id=world["licence"].id)
                if t.event["type"] == "asset_approved"]
    assert [(e.payload["asset_id"], e.payload["by"]) for e in approvals] == [
        (marked.asset.id, BY_TERMS)]
    assert [t.event["asset_id"] for t in paid] == [marked.asset.id]


class CancelledWhileRendering(FakeBackend):
    """Makes the image (and conditioning images to keep), but the job is cancelled
    meanwhile (say, by an operator): storing the asset must then fail, leaving nothing."""

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.ctx = ctx

    def generate(self, inputs):  # type: ignore[no-untyped-def]
        made = super().generate(inputs)
        with self.ctx.uow() as uow:
            job = uow.jobs.by_key(inputs.request.key)
            uow.jobs.update(job.transition(JobState.CANCELLED, now=self.ctx.now(),
                                           lease_owner=None, lease_expires_at=None,
                                           last_error="cancelled: by the operator"))
            uow.commit()
        depth = np.full((64, 64, 3), inputs.request.seed % 251, dtype=np.uint8)
        return GenerationResult(image=made.image, reference=made.reference, conditioning={},
                                source="studio", timings={},
                                conditioning_images={"depth": depth, "mask": 255 - depth})


def test_a_job_that_fails_after_its_image_was_made_leaves_no_blob(gctx, world):
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=_brief(world, looks=world["looks"][:1], formats=["feed"]))
    before = _blob_files(gctx)
    outcomes = _run(gctx, CancelledWhileRendering(gctx))
    assert [o.state for o in outcomes] == ["lost"]
    with gctx.uow() as uow:
        (job,) = uow.jobs.list()
        assert uow.assets.list() == []
    assert job.state is JobState.CANCELLED and job.asset_id is None
    assert _blob_files(gctx) == before  # neither the master nor its conditioning images
    # the same job made again by a healthy run stores its blobs as usual
    assert _run(gctx) == []  # (cancelled: nothing left to claim)
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=_brief(world, name="again", looks=world["looks"][1:],
                                 formats=["feed"]))
    assert [o.asset_state for o in _run(gctx)] == ["approved"]
    assert set(_blob_files(gctx)) == _referenced_blobs(gctx) != set(before)
