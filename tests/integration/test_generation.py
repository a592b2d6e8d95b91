"""Generation on a real store (SQLite and PostgreSQL) with a fake backend and fake QA
measurements (no models): policy before pixels, quota under concurrency, leases and
crashed workers, revocation, approval and publication."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from tests.conftest import consent_doc, terms
from tests.support.fakes import (
    FIT,
    PROFILE,
    FakeBackend,
    FakeQuality,
)
from tests.support.fakes import enrol_template as _enrol_template
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.asset import AssetState
from twinstudio.domain.errors import Conflict, InvalidInput, RightsRefused
from twinstudio.domain.generation import CampaignBrief, Job, JobState
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.services.assets import approve_asset, publish_asset, reject_asset
from twinstudio.services.audit import verify_audit
from twinstudio.services.bodies import set_twin_body
from twinstudio.services.campaigns import campaign_status, create_campaign
from twinstudio.services.garments import add_garment
from twinstudio.services.jobs import claim_job, run_worker
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.rights import grant_consent, grant_licence, revoke_licence
from twinstudio.services.verification import verify_image


@pytest.fixture
def gctx(engine, tmp_path, clock):
    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    return bootstrap(settings, engine=engine, clock=clock)


@pytest.fixture
def world(gctx):
    brand = add_organisation(gctx, kind=OrganisationKind.BRAND, name="Nordvik")
    agency = add_organisation(gctx, kind=OrganisationKind.AGENCY, name="Polar Models")
    talent, twin = add_talent(gctx, name="Astrid Lund", agency_id=agency.id)
    grant_consent(gctx, talent_id=talent.id, document=consent_doc(gctx.today()))
    set_twin_state(gctx, twin.id, TwinState.ACTIVE, reason="test", actor="test")
    set_twin_body(gctx, twin_id=twin.id, profile=PROFILE, fit=FIT, actor="test")
    _enrol_template(gctx, talent.id, twin.id)
    licence = grant_licence(gctx, twin_id=twin.id, brand_id=brand.id,
                            terms=terms(starts="2026-05-01", ends="2026-12-31",
                                        exclusive_categories=[], max_assets=50))
    parka = add_garment(gctx, brand_id=brand.id, name="Parka", category="coat",
                        fabric_color="#2f4f6f", actor="test")
    tee = add_garment(gctx, brand_id=brand.id, name="Tee", category="tee",
                      fabric_color="#c23b3b", colorways=["#eeeeee"], actor="test")
    skirt = add_garment(gctx, brand_id=brand.id, name="Skirt", category="skirt",
                        fabric_color="#333333", actor="test")
    return {"brand": brand, "agency": agency, "talent": talent, "twin": twin,
            "licence": licence, "parka": parka, "tee": tee, "skirt": skirt}


def brief(world, **overrides: Any) -> CampaignBrief:
    data: dict[str, Any] = {
        "name": "AW26", "looks": [[world["parka"].id], [world["tee"].id]],
        "poses": ["relaxed"], "formats": ["feed", "story"],
        "segments": [{"name": "nordic", "scene": "gradient_frost", "season": "AW26"}],
        "markets": [{"channel": "social", "territory": "SE"}]}
    data.update(overrides)
    return CampaignBrief.model_validate(data)


def _run(ctx, backend=None, quality=None, **kw):
    outcomes: list[Any] = []
    run_worker(ctx, backend=backend or FakeBackend(), quality=quality or FakeQuality(),
               worker_id=kw.pop("worker_id", "w1"), on_outcome=outcomes.append, **kw)
    return outcomes


def test_a_variant_outside_the_licence_is_refused_with_reasons_and_never_rendered(gctx, world):
    # the skirt is 'bottoms' (not licensed); DE is not a licensed territory
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, looks=[[world["parka"].id], [world["skirt"].id]],
        markets=[{"channel": "social", "territory": "SE"}]))
    assert plan.queued == 2 and len(plan.refused) == 2
    for refusal in plan.refused:
        assert refusal.garments == [world["skirt"].id]
        assert [r.code for r in refusal.reasons] == ["category_not_licensed"]
    backend = FakeBackend()
    _run(gctx, backend)
    with gctx.uow() as uow:
        refused_keys = {r.key for r, _ in uow.campaigns.refusals(plan.campaign.id)}
        jobs = uow.jobs.list(campaign_id=plan.campaign.id)
    assert len(backend.made) == 2 and not refused_keys & set(backend.made)
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}
    elsewhere = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                                brief=brief(world, name="DE", markets=[
                                    {"channel": "social", "territory": "DE"}]))
    assert elsewhere.queued == 0
    assert {r.reasons[0].code for r in elsewhere.refused} == {"territory_not_licensed"}


def test_rights_that_change_after_planning_stop_the_job_before_rendering(gctx, world, clock):
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, use_date="2026-12-30"))
    assert plan.queued == 4
    clock.now = clock.now.replace(year=2027, month=1, day=2)  # the licence has ended
    backend = FakeBackend()
    outcomes = _run(gctx, backend)
    assert backend.made == []
    assert {o.state for o in outcomes} == {"cancelled"}
    assert "outside_licence_period" in {r["code"] for r in outcomes[0].reasons}


def test_the_quota_holds_with_two_concurrent_workers(gctx, world):
    with gctx.uow() as uow:  # a licence with room for 3 more assets
        lic = uow.licences.get(world["licence"].id, for_update=True)
        uow.licences.update(lic.model_copy(update={"assets_used": 47}))
        uow.commit()
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, formats=["feed", "story", "square", "banner", "product_page"]))
    assert plan.queued == 3  # reserved at planning: queued jobs count against the quota
    assert {r.reasons[0].code for r in plan.refused} == {"asset_quota_exhausted"}
    # a race the planner cannot see: jobs queued behind its back (e.g. another instance)
    with gctx.uow() as uow:
        for i, request in enumerate(r for r, _ in uow.campaigns.refusals(plan.campaign.id)):
            uow.jobs.add(Job(campaign_id=plan.campaign.id, key=f"race-{i}",
                             twin_id=world["twin"].id, licence_id=world["licence"].id,
                             request=request))
        uow.commit()
    threads = [threading.Thread(target=_run, args=(gctx, FakeBackend(0.05)),
                                kwargs={"worker_id": f"w{i}"}) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with gctx.uow() as uow:
        licence = uow.licences.get(world["licence"].id)
        usable = [a for a in uow.assets.list(licence_id=licence.id)
                  if a.state is AssetState.PENDING_APPROVAL]
        jobs = uow.jobs.list(campaign_id=plan.campaign.id)
    assert licence.assets_used == 50 and len(usable) == 3
    assert sum(j.state is JobState.SUCCEEDED for j in jobs) == 3
    assert all(j.state in (JobState.SUCCEEDED, JobState.CANCELLED, JobState.FAILED)
               for j in jobs)


def test_replanning_the_same_brief_never_queues_a_variant_twice(gctx, world):
    first = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                            brief=brief(world))
    again = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                            brief=brief(world))
    assert first.queued == 4 and again.queued == 0 and again.already_queued == 4


def test_bad_briefs_are_refused_and_store_nothing(gctx, world):
    with pytest.raises(ValueError, match="unknown scene"):
        brief(world, segments=[{"name": "x", "scene": "moon"}])
    with pytest.raises(ValueError, match="unknown format"):
        brief(world, formats=["poster"])
    other = add_organisation(gctx, kind=OrganisationKind.BRAND, name="Other")
    foreign = add_garment(gctx, brand_id=other.id, name="Coat", category="coat",
                          fabric_color="#000000", actor="test")
    with pytest.raises(InvalidInput, match="not in this brand's catalogue"):
        create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                        brief=brief(world, looks=[[foreign.id]]))
    with gctx.uow() as uow:
        assert uow.campaigns.list() == [] and uow.jobs.list() == []


def test_a_failing_render_is_retried_then_fails_with_its_error(gctx, world):
    class Broken(FakeBackend):
        def generate(self, inputs):
            raise RuntimeError("renderer crashed")

    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=brief(world, formats=["feed"], looks=[[world["parka"].id]]))
    outcomes = _run(gctx, Broken())
    assert [o.state for o in outcomes] == ["retry"] * 3
    with gctx.uow() as uow:
        (job,) = uow.jobs.list()
    assert job.state is JobState.FAILED and job.attempts == 3
    assert "renderer crashed" in job.last_error


def test_an_image_failing_qa_is_kept_out_of_approval_and_does_not_use_the_quota(gctx, world):
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=brief(world, formats=["feed", "story"]))
    slimmer = _run(gctx, quality=FakeQuality(body_change=-0.05), max_jobs=1)
    assert slimmer[0].asset_state == "qa_failed"
    assert "waist -5.0%" in slimmer[0].qa.body.reason
    stranger = np.full(128, 0.3)  # 2.8 from the template: someone else
    other_face = _run(gctx, quality=FakeQuality(embedding=stranger), max_jobs=1)
    assert other_face[0].asset_state == "qa_failed"
    assert not other_face[0].qa.identity.passed
    good = _run(gctx)
    assert [o.asset_state for o in good] == ["pending_approval"] * 2
    with gctx.uow() as uow:
        assert uow.licences.get(world["licence"].id).assets_used == 2  # 4 made, 2 usable
        failed = [a for a in uow.assets.list() if a.state is AssetState.QA_FAILED]
    assert len(failed) == 2 and all(a.state_reason for a in failed)
    with pytest.raises(Conflict):
        approve_asset(gctx, failed[0].id, party_id=world["talent"].id, actor="talent")


def test_revocation_cancels_queued_jobs_and_withdraws_unpublished_assets(gctx, world, clock):
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                           brief=brief(world, formats=["feed", "story", "square"]))
    _run(gctx, max_jobs=3)
    with gctx.uow() as uow:
        made = [a for a in uow.assets.list() if a.state is AssetState.PENDING_APPROVAL]
    approve_asset(gctx, made[0].id, party_id=world["talent"].id, actor="talent")
    published = publish_asset(gctx, made[0].id, channel="social", territory="SE",
                              day=clock.now.date(), actor="brand")
    revoke_licence(gctx, world["licence"].id, reason="campaign cancelled", actor="brand")
    status = campaign_status(gctx, plan.campaign.id)
    assert status.jobs["cancelled"] == 3 and status.jobs["queued"] == 0
    with gctx.uow() as uow:
        states = {a.id: a.state for a in uow.assets.list()}
        (publication,) = uow.asset_details.publications(made[0].id)
    assert states[made[0].id] is AssetState.PUBLISHED
    assert publication["takedown_requested_at"] is not None
    assert {states[a.id] for a in made[1:]} == {AssetState.WITHDRAWN}
    assert verify_image(gctx, published.image).verdict == "withdrawn"
    assert _run(gctx) == []  # nothing left to claim
    assert verify_audit(gctx).ok


def test_approval_belongs_to_the_talent_or_agency_and_publication_is_checked(gctx, world,
                                                                             clock):
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=brief(world, formats=["feed", "story"], looks=[[world["tee"].id]],
                                markets=[{"channel": "social", "territory": "FR"}]))
    _run(gctx)
    with gctx.uow() as uow:
        first, second = uow.assets.list()
    with pytest.raises(RightsRefused) as refused:
        approve_asset(gctx, first.id, party_id=world["brand"].id, actor="brand")
    assert refused.value.reasons[0].code == "not_the_approver"
    with pytest.raises(Conflict, match="only an approved asset"):
        publish_asset(gctx, first.id, channel="social", territory="FR", day=clock.now.date(),
                      actor="brand")
    approve_asset(gctx, first.id, party_id=world["agency"].id, actor="agency")
    reject_asset(gctx, second.id, party_id=world["talent"].id, reason="eyes look odd",
                 actor="talent")
    with pytest.raises(RightsRefused) as outside:
        publish_asset(gctx, first.id, channel="ooh", territory="US", day=clock.now.date(),
                      actor="brand")
    assert {r.code for r in outside.value.reasons} >= {"territory_not_licensed"}
    result = publish_asset(gctx, first.id, channel="social", territory="FR",
                           day=clock.now.date(), actor="brand")
    assert result.labels == ["AI-generated"] and result.asset.state is AssetState.PUBLISHED
    with pytest.raises(Conflict, match="already published"):
        publish_asset(gctx, first.id, channel="social", territory="FR", day=clock.now.date(),
                      actor="brand")
    with gctx.uow() as uow:
        events = [t.event["type"] for t in uow.ledger.transactions(
            licence_id=world["licence"].id)]
    assert events.count("asset_approved") == 1 and events.count("asset_published") == 1


def _claim_and_hang(settings_json: str, url: str | None, schema: str | None,
                    now: str) -> None:
    """A worker process that takes a job and is killed while rendering."""
    import json
    from datetime import datetime

    from twinstudio.store.database import create_db_engine

    settings = Settings.model_validate(json.loads(settings_json))
    engine = create_db_engine(url, schema=schema) if url else None
    fixed = datetime.fromisoformat(now)
    ctx = bootstrap(settings, engine=engine, migrate_schema=False, clock=lambda: fixed)
    run_worker(ctx, backend=FakeBackend(delay=600), quality=FakeQuality(), worker_id="doomed",
               lease_seconds=1.0)


def _schema_of(engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as c:
        return c.execute(text("select current_schema()")).scalar()


def test_a_worker_killed_mid_job_leaves_no_duplicate_or_missing_asset(gctx, world, engine,
                                                                      tmp_path):
    import json

    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                           brief=brief(world, formats=["feed", "story"]))
    settings = Settings(workspace=tmp_path / "ws")
    url = engine.url.render_as_string(hide_password=False)
    spawn = mp.get_context("spawn")
    worker = spawn.Process(target=_claim_and_hang, args=(json.dumps({
        **settings.model_dump(mode="json"),
        "master_key": settings.master_key.get_secret_value()}), url, _schema_of(engine),
        gctx.now().isoformat()))
    worker.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until it holds a job
        with gctx.uow() as uow:
            running = uow.jobs.list(states=("running",))
        if running:
            break
        time.sleep(0.2)
    assert running, "the worker never claimed a job"
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    # the worker's lease (1 s on the shared test clock) runs out
    gctx.clock.now = gctx.clock.now + timedelta(seconds=5)  # type: ignore[attr-defined]
    outcomes = _run(gctx)
    status = campaign_status(gctx, plan.campaign.id)
    with gctx.uow() as uow:
        jobs = uow.jobs.list(campaign_id=plan.campaign.id)
        assets = uow.assets.list()
    assert status.jobs["succeeded"] == 4 and len(outcomes) == 4
    assert len(assets) == 4 and len({j.asset_id for j in jobs}) == 4
    killed = next(j for j in jobs if j.id == running[0].id)
    assert killed.attempts == 2  # the killed attempt counted, the takeover succeeded
    assert claim_job(gctx, worker_id="late") is None


def test_a_worker_that_lost_its_lease_while_rendering_stores_no_second_asset(gctx, world):
    """w1 renders past its lease; w2 takes the job and completes it; when w1 comes back
    to store, its asset is refused (the lease check at storage), so the job has exactly
    one asset and one mark."""
    from twinstudio.services.jobs import run_job

    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=brief(world, formats=["feed"], looks=[[world["tee"].id]]))
    job = claim_job(gctx, worker_id="w1", lease_seconds=1.0)
    assert job is not None

    class SlowThenOvertaken(FakeBackend):
        def generate(self, inputs):  # type: ignore[no-untyped-def]
            result = super().generate(inputs)
            gctx.clock.now = gctx.clock.now + timedelta(seconds=5)  # type: ignore[attr-defined]
            taken = claim_job(gctx, worker_id="w2")
            assert taken is not None and taken.id == job.id
            done = run_job(gctx, taken, backend=FakeBackend(), quality=FakeQuality(),
                           worker_id="w2")
            assert done.state == "succeeded"
            return result

    with pytest.raises(Conflict, match="no longer held by w1"):
        run_job(gctx, job, backend=SlowThenOvertaken(), quality=FakeQuality(),
                worker_id="w1")
    with gctx.uow() as uow:
        final = uow.jobs.get(job.id)
        assets = uow.assets.list()
        marks = uow.marks.count()
    assert final.state is JobState.SUCCEEDED and [a.id for a in assets] == [final.asset_id]
    assert marks == 1  # w1's mark was rolled back with its asset


def test_every_unknown_name_of_a_brief_is_named_and_nothing_is_planned(gctx, world):
    with pytest.raises(InvalidInput) as refused:
        create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
            world, twins=[world["twin"].id, "twn_nobody"],
            looks=[[world["parka"].id, "gar_nothing"], ["gar_none"]]))
    assert [p.field for p in refused.value.problems] == ["looks.0.1", "looks.1.0"]
    with pytest.raises(InvalidInput) as refused:
        create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                        brief=brief(world, twins=[world["twin"].id, "twn_nobody"]))
    assert [str(p) for p in refused.value.problems] == ["twins.1: twin 'twn_nobody' not found"]
    with gctx.uow() as uow:
        assert uow.campaigns.list() == [] and uow.jobs.list() == []


def test_the_plan_counts_every_variant_once(gctx, world):
    # a second twin of the brand without a body twin: its variants are refused
    talent, bodiless = add_talent(gctx, name="Mira Holm")
    grant_consent(gctx, talent_id=talent.id, document=consent_doc(gctx.today()))
    set_twin_state(gctx, bodiless.id, TwinState.ACTIVE, reason="test", actor="test")
    grant_licence(gctx, twin_id=bodiless.id, brand_id=world["brand"].id,
                  terms=terms(starts="2026-05-01", ends="2026-12-31",
                              exclusive_categories=[], max_assets=50))
    twins = [world["twin"].id, bodiless.id]
    first = create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, twins=twins, looks=[[world["parka"].id]], formats=["feed"]))
    assert (first.variants, first.queued, len(first.refused)) == (2, 1, 1)
    again = create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, name="AW26 again", twins=twins, looks=[[world["parka"].id]],
        poses=["relaxed", "contrapposto", "walking"], formats=["feed"], max_assets=1))
    assert again.variants == 6
    assert (again.queued, again.already_queued, len(again.refused), again.beyond_cap) \
        == (1, 1, 3, 1)
    assert again.as_dict()["variants"] == 6


def test_a_publication_is_billed_per_channel_and_territory(gctx, world, clock):
    # the licence prices social at 5000 and covers SE and FR: two publications, two fees
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, formats=["feed"], looks=[[world["tee"].id]],
        markets=[{"channel": "social", "territory": "FR"},
                 {"channel": "social", "territory": "SE"}]))
    _run(gctx)
    with gctx.uow() as uow:
        (asset,) = uow.assets.list()
    approve_asset(gctx, asset.id, party_id=world["talent"].id, actor="talent")
    for territory in ("FR", "SE"):
        publish_asset(gctx, asset.id, channel="social", territory=territory,
                      day=clock.now.date(), actor="brand")
    with gctx.uow() as uow:
        published = [t for t in uow.ledger.transactions(licence_id=world["licence"].id)
                     if t.event["type"] == "asset_published"]
    assert sorted(t.event["territory"] for t in published) == ["FR", "SE"]
    assert [t.gross for t in published] == [5000, 5000]
