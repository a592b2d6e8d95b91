"""The demo's campaign step, billing and provenance walk-through on a real store (SQLite
and PostgreSQL) with the fake backend: every image wears a full outfit from Nordvik's
catalogue, and the walk-through verifies copies of campaign images (nothing else is
marked: no placeholder frame)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import consent_doc
from tests.support.fakes import FIT, PROFILE, FakeBackend, FakeQuality, enrol_template
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.demo.billing import bill_demo
from twinstudio.demo.campaign import run_campaign_demo
from twinstudio.demo.provenance import LIVE, provenance_demo
from twinstudio.demo.world import DemoPerson, DemoWorld, EnrolmentSummary, licence_terms
from twinstudio.domain.asset import AssetState
from twinstudio.domain.garment import is_full_outfit
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.services.assets import list_assets
from twinstudio.services.bodies import set_twin_body
from twinstudio.services.campaigns import campaign_status
from twinstudio.services.jobs import run_worker
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.rights import grant_consent, grant_licence

NAMES = ["Astrid Lund", "Mateo Mensah", "Aiko Eze"]


class FakeExecutor:
    """One worker in this process with the fake backend and QA."""

    workers = 1

    def run(self, ctx, campaign_id, *, progress=None):  # type: ignore[no-untyped-def]
        run_worker(ctx, backend=FakeBackend(), quality=FakeQuality(), worker_id="w1",
                   campaign_id=campaign_id)
        return campaign_status(ctx, campaign_id)


@pytest.fixture
def demo(engine, tmp_path, clock):
    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings, engine=engine, clock=clock)
    nordvik = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Nordvik Outerwear",
                               country="SE")
    people, licences = [], {}
    for i, name in enumerate(NAMES):
        talent, twin = add_talent(ctx, name=name)
        consent = grant_consent(ctx, talent_id=talent.id, document=consent_doc(ctx.today()))
        set_twin_state(ctx, twin.id, TwinState.ACTIVE, reason="test", actor="test")
        set_twin_body(ctx, twin_id=twin.id, profile=PROFILE, fit=FIT, actor="test")
        enrol_template(ctx, talent.id, twin.id)
        licences[f"nordvik-{i}"] = grant_licence(ctx, twin_id=twin.id, brand_id=nordvik.id,
                                                 terms=licence_terms(ctx.today()))
        people.append(DemoPerson(talent, twin, consent))
    world = DemoWorld(people=people, agencies=[], brands=[nordvik], licences=licences,
                      grant_attempts=[], enrolment=EnrolmentSummary(
                          enrolled=len(people), total=len(people), reviewed=0,
                          reviewer="", reason="", refused=[], seconds=0.0))
    return ctx, world, tmp_path / "ws"


def test_the_demo_campaign_shows_every_twin_in_full_outfits(demo):
    ctx, world, workspace = demo
    result = run_campaign_demo(ctx, world, workspace, size=12, executor=FakeExecutor())

    assert result.status.jobs["succeeded"] == 12
    assert result.images_per_twin == {name: 4 for name in NAMES}
    with ctx.uow() as uow:
        jobs = uow.jobs.list(campaign_id=result.campaign_id)
        garments = {g.id: g for g in uow.garments.list()}
    looks = {j.request.garment_ids for j in jobs}
    for look in looks:
        assert is_full_outfit(garments[g].category for g in look), look
    assert len({g for look in looks for g in look}) >= 4
    assert result.contact_sheet.is_file()


def test_billing_and_the_provenance_walk_through_use_campaign_images(demo):
    ctx, world, workspace = demo
    campaign = run_campaign_demo(ctx, world, workspace, size=12, executor=FakeExecutor())
    with ctx.uow() as uow:
        made = {j.asset_id for j in uow.jobs.list(campaign_id=campaign.campaign_id)}

    published = {p.asset_id for p in campaign.approvals.published}
    talent_1 = world.licences["nordvik-1"].id
    # whose unpublished images are left (the approvals follow the random asset order)
    unpublished_of = {a.licence_id for a in list_assets(ctx)
                      if a.id not in published and a.state in LIVE}

    billing = bill_demo(ctx, world, workspace, campaign)
    provenance = provenance_demo(ctx, world, campaign, workspace)

    assert billing.events_posted == campaign.approvals.approved + len(
        campaign.approvals.published)
    assert billing.ledger.ok and billing.statement.pdf.is_file()
    verdicts = [(c.file, c.verdict) for c in provenance.copies]
    assert [v for _, v in verdicts] == ["licensed", "licensed", "licensed", "tampered",
                                        "unknown", "withdrawn"], verdicts
    named = {c.asset_id for c in provenance.copies if c.asset_id}
    assert named and named <= made  # every image verified is one the campaign made
    first = provenance.copies[0].asset_id
    assert first in {p.asset_id for p in campaign.approvals.published}
    # the revoked image is another twin's, withdrawn by the revocation: talent 1's when
    # talent 1 has an unpublished image left (a published one is flagged for takedown)
    assets = {a.id: a for a in list_assets(ctx)}
    revoked = assets[provenance.copies[-1].asset_id]
    assert revoked.licence_id != assets[first].licence_id
    if unpublished_of - {assets[first].licence_id}:
        assert revoked.state is AssetState.WITHDRAWN
    if talent_1 in unpublished_of:
        assert provenance.revoked_talent == NAMES[1]  # talent 1's licence, as the story says
    assert provenance.revoked_talent == next(
        p.talent.name for p in world.people if p.twin.id == revoked.twin_id)
    # nothing but the campaign's images was marked (no placeholder frames)
    assert {a.id for a in list_assets(ctx)} == made
    assert all(Path(f).is_file() for f in provenance.files)


def test_without_a_campaign_the_walk_through_verifies_nothing(demo):
    ctx, world, workspace = demo
    assert provenance_demo(ctx, world, None, workspace).copies == []
    assert bill_demo(ctx, world, workspace, None).events_posted == 0
