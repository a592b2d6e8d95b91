"""The generation part of the REST API on a real store (SQLite and PostgreSQL), with the
fake backend and fake QA measurements injected: the garment catalogue, campaigns planned
from a brief (refusals with reason codes, bad briefs answered 422 naming the field), a run
started in the background (202) and followed to the end, jobs, approval by the talent,
publication with its labels, and edits through the body gate."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from tests.support.fakes import FakeBackend, FakeQuality
from tests.support.images import declared_png, delta_e, encode, packshot, scene
from tests.support.world import World, as_
from twinstudio.bootstrap import build_api, thread_runner
from twinstudio.domain.accounts import Role


class Tools:
    """What the app gets: a runner over the fakes, and QA measurements a test can change."""

    def __init__(self) -> None:
        self.backend = FakeBackend()
        self.quality = FakeQuality()
        self.runner = thread_runner(lambda: (self.backend, self.quality))


@pytest.fixture
def tools() -> Tools:
    return Tools()


@pytest.fixture
def api(world, tools):
    app = build_api(world.ctx, runner=tools.runner, quality=lambda: tools.quality)
    return TestClient(app, raise_server_exceptions=False)



def brief(world: World, **changes):  # type: ignore[no-untyped-def]
    body = {"name": "AW26 capsule", "twins": [world.a.twin],
            "looks": [[world.a.garments[0]], [world.a.garments[1]]], "poses": ["relaxed"],
            "formats": ["feed", "square"], "scenes": ["gradient_frost"],
            "markets": [{"channel": "social", "territory": "SE"}], "max_assets": 4}
    body.update(changes)
    return body


def run_to_end(api, world, tools, campaign_id: str):  # type: ignore[no-untyped-def]
    started = api.post(f"/api/v1/campaigns/{campaign_id}/run",
                       headers=as_(world, Role.BRAND_EDITOR))
    assert started.status_code == 202, started.text
    assert tools.runner.wait(campaign_id, timeout=120)
    return api.get(f"/api/v1/campaigns/{campaign_id}",
                   headers=as_(world, Role.BRAND_EDITOR)).json()


def test_a_brand_adds_garments_with_a_pattern_and_sees_only_its_catalogue(world, api):
    pattern = encode(scene(4, 64, 64), "PNG")
    added = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_EDITOR),
                     data={"name": "Fjell parka", "category": "coat",
                           "fabric_color": "#2f4f6f", "colorways": "#7a2e2e, #dddddd"},
                     files={"pattern": ("weave.png", pattern, "image/png")})
    assert added.status_code == 201, added.text
    garment = added.json()
    assert garment["brand_id"] == world.a.brand and garment["product_category"] == "outerwear"
    assert garment["pattern_sha256"] and garment["colorways"] == ["#7a2e2e", "#dddddd"]
    listed = api.get("/api/v1/garments", headers=as_(world, Role.BRAND_ADMIN)).json()
    assert listed["total"] == 3 and garment["id"] in {g["id"] for g in listed["items"]}
    assert not {g["id"] for g in listed["items"]} & set(world.b.garments)
    everything = api.get("/api/v1/garments", headers=as_(world, Role.COMPLIANCE)).json()
    assert everything["total"] == 5
    assert api.get("/api/v1/garments", headers=as_(world, Role.TALENT)).json()["total"] == 0
    again = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_EDITOR), data={
        "name": "Fjell parka", "category": "coat", "fabric_color": "#000000"})
    assert again.status_code == 409 and again.json()["error"]["type"] == "conflict"
    bad = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_EDITOR),
                   data={"name": "Odd", "category": "coat", "fabric_color": "#000000"},
                   files={"pattern": ("weave.png", b"not a picture" * 10, "image/png")})
    assert bad.status_code == 422 and "not an image" in bad.json()["error"]["message"]
    colour = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_EDITOR),
                      data={"name": "Odd", "category": "cape", "fabric_color": "red"})
    assert colour.status_code == 422
    assert "category" in colour.json()["error"]["message"]
    talent = api.post("/api/v1/garments", headers=as_(world, Role.TALENT), data={
        "name": "Mine", "category": "coat", "fabric_color": "#000000"})
    assert talent.status_code == 403
    admin = api.post("/api/v1/garments", headers=as_(world, Role.ADMIN), data={
        "name": "Anywhere", "category": "coat", "fabric_color": "#000000"})
    assert admin.status_code == 422 and "brand_id" in admin.json()["error"]["message"]


def test_a_garment_added_with_a_packshot_takes_its_colour_from_it(world, api):
    image = packshot((20, 30, 70))
    added = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_EDITOR),
                     data={"name": "Oxford shirt", "category": "shirt"},
                     files={"image": ("packshot.jpg", image, "image/jpeg")})
    assert added.status_code == 201, added.text
    garment = added.json()
    assert garment["image_sha256"] == hashlib.sha256(image).hexdigest()
    assert garment["colour_source"] == "image"
    assert delta_e(garment["base_color"], (20, 30, 70)) < 3.0, garment["base_color"]
    read = api.get(f"/api/v1/garments/{garment['id']}", headers=as_(world, Role.BRAND_ADMIN))
    assert read.json() == garment
    given = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_EDITOR),
                     data={"name": "Red shirt", "category": "shirt", "fabric_color": "#aa3344"},
                     files={"image": ("packshot.jpg", image, "image/jpeg")})
    assert given.status_code == 201, given.text
    assert given.json()["base_color"] == "#aa3344" and given.json()["colour_source"] == "given"
    plain = api.get(f"/api/v1/garments/{world.a.garments[0]}",
                    headers=as_(world, Role.BRAND_ADMIN)).json()
    assert plain["image_sha256"] is None and plain["colour_source"] == "given"


@pytest.mark.parametrize(("data", "phrase"), [
    (None, "give the garment's base colour"),
    (b"a product description, not a picture\n" * 20, "not an image"),
    (declared_png(20000, 20000), "decompression bomb"),
    (declared_png(8000, 8000), "64 megapixels; the limit is 16"),
    (encode(scene(2, 48, 48)), "at least 64 px a side"),
], ids=["neither-colour-nor-image", "not-an-image", "bomb", "over-the-pixel-limit",
        "too-small"])
def test_a_bad_packshot_answers_422_and_adds_nothing(world, api, data, phrase):
    files = {"image": ("packshot.png", data, "image/png")} if data is not None else None
    response = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_EDITOR),
                        data={"name": "Oxford shirt", "category": "shirt"}, files=files)
    assert response.status_code == 422, response.text
    assert phrase in response.json()["error"]["message"], response.json()
    listed = api.get("/api/v1/garments", headers=as_(world, Role.BRAND_ADMIN)).json()
    assert "Oxford shirt" not in {g["name"] for g in listed["items"]}


def jobs_all(api, world: World, campaign_id: str) -> list:  # type: ignore[no-untyped-def,type-arg]
    return api.get(f"/api/v1/campaigns/{campaign_id}/jobs",
                   headers=as_(world, Role.BRAND_EDITOR)).json()["items"]


def test_a_campaign_plan_lists_refusals_with_reason_codes_and_runs_to_the_end(world, api,
                                                                            tools):
    plan = api.post("/api/v1/campaigns", json=brief(world),
                    headers=as_(world, Role.BRAND_EDITOR))
    assert plan.status_code == 201, plan.text
    body = plan.json()
    assert body["queued"] == 2 and len(body["refused"]) == 2
    for refusal in body["refused"]:  # the skirt is 'bottoms', not licensed
        assert refusal["garment_ids"] == [world.a.garments[1]]
        assert [r["code"] for r in refusal["reasons"]] == ["category_not_licensed"]
    campaign_id = body["campaign_id"]
    status = api.get(f"/api/v1/campaigns/{campaign_id}", headers=as_(world, Role.BRAND_ADMIN))
    assert status.status_code == 200
    assert status.json()["jobs"]["queued"] == 2 and not status.json()["done"]
    assert status.json()["refusal_codes"] == {"category_not_licensed": 2}

    done = run_to_end(api, world, tools, campaign_id)
    assert done["done"] and done["jobs"]["succeeded"] == 2
    assert done["assets"] == {"pending_approval": 2} and not done["running"]
    assert len(tools.backend.made) == 2
    jobs = api.get(f"/api/v1/campaigns/{campaign_id}/jobs", params={"limit": 1},
                   headers=as_(world, Role.BRAND_EDITOR)).json()
    assert jobs["total"] == 2 and len(jobs["items"]) == 1
    job = jobs["items"][0]
    assert job["state"] == "succeeded" and job["attempts"] == 1 and job["asset_id"]
    assert job["last_error"] is None and job["format"] in ("feed", "square")
    # the brand's webhook outbox: each asset waiting for approval, and the run's end once
    # (the workers end the last two jobs at about the same time; one of them tells)
    with world.ctx.uow() as uow:
        told = [(d.event_type, uow.webhooks.message(d.message_id).data)
                for d in uow.webhooks.deliveries(endpoint_id=world.a.webhook)]
    completed = [data for kind, data in told if kind == "campaign.completed"
                 and data["campaign_id"] == campaign_id]
    assert completed == [{"campaign_id": campaign_id, "brand_id": world.a.brand,
                          "name": "AW26 capsule", "jobs": {"succeeded": 2}}]
    waiting = {data["asset_id"] for kind, data in told if kind == "asset.pending_approval"}
    assert {j["asset_id"] for j in jobs_all(api, world, campaign_id)} <= waiting
    again = api.post(f"/api/v1/campaigns/{campaign_id}/run",
                     headers=as_(world, Role.BRAND_EDITOR))
    assert again.status_code == 202 and again.json()["queued"] == 0
    listed = api.get("/api/v1/campaigns", headers=as_(world, Role.BRAND_EDITOR)).json()
    assert {c["id"] for c in listed["items"]} == {campaign_id, world.a.campaign}


def test_a_market_outside_the_licence_refuses_every_variant_and_queues_nothing(world, api):
    plan = api.post("/api/v1/campaigns", headers=as_(world, Role.BRAND_ADMIN), json=brief(
        world, looks=[[world.a.garments[0]]],
        markets=[{"channel": "social", "territory": "DE"}]))
    assert plan.status_code == 201, plan.text
    assert plan.json()["queued"] == 0
    codes = {r["code"] for v in plan.json()["refused"] for r in v["reasons"]}
    assert codes == {"territory_not_licensed"}
    other = api.post("/api/v1/campaigns", headers=as_(world, Role.BRAND_ADMIN), json=brief(
        world, name="Other twin", twins=[world.b.twin], looks=[[world.a.garments[0]]]))
    assert other.status_code == 422  # another tenant's twin: as if it did not exist
    assert other.json()["error"]["reasons"][0]["code"] == "not_found"


@pytest.mark.parametrize("changes,field", [
    ({"formats": ["poster"]}, "body.formats"),
    ({"looks": []}, "body.looks"),
    ({"scenes": ["moon"]}, "body.scenes"),
    ({"markets": [{"channel": "radio", "territory": "SE"}]}, "body.markets.0.channel"),
    ({"max_assets": 0}, "body.max_assets"),
    ({"colour": "red"}, "body.colour"),
])
def test_a_bad_brief_answers_422_naming_the_field(world, api, changes, field):
    response = api.post("/api/v1/campaigns", json=brief(world, **changes),
                        headers=as_(world, Role.BRAND_EDITOR))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_input"
    assert any(r["message"].startswith(field) for r in error["reasons"]), error


def test_a_garment_of_another_brand_is_refused_and_nothing_is_stored(world, api):
    response = api.post("/api/v1/campaigns", headers=as_(world, Role.BRAND_EDITOR),
                        json=brief(world, looks=[[world.b.garments[0]]]))
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "not in this brand's catalogue" in message
    # answered word for word as an id that exists nowhere: nothing tells B's garment apart
    ghost = "gar_" + "0" * 24
    unknown = api.post("/api/v1/campaigns", headers=as_(world, Role.BRAND_EDITOR),
                       json=brief(world, looks=[[ghost]]))
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"] == message.replace(world.b.garments[0], ghost)
    listed = api.get("/api/v1/campaigns", headers=as_(world, Role.BRAND_EDITOR)).json()
    assert listed["total"] == 1


def test_the_talent_side_sees_assets_not_campaigns(world, api):
    for role in (Role.TALENT, Role.AGENCY):
        assert api.get("/api/v1/campaigns", headers=as_(world, role)).json()["total"] == 0
        hidden = api.get(f"/api/v1/campaigns/{world.a.campaign}", headers=as_(world, role))
        assert hidden.status_code == 404
        jobs = api.get(f"/api/v1/campaigns/{world.a.campaign}/jobs", headers=as_(world, role))
        assert jobs.status_code == 404
    compliance = api.post(f"/api/v1/campaigns/{world.a.campaign}/run",
                          headers=as_(world, Role.COMPLIANCE))
    assert compliance.status_code == 403


def test_a_generated_asset_is_approved_by_the_talent_and_published_with_labels(world, api,
                                                                             tools):
    done = run_to_end(api, world, tools, world.a.campaign)
    assert done["assets"] == {"pending_approval": 2}
    jobs = api.get(f"/api/v1/campaigns/{world.a.campaign}/jobs",
                   headers=as_(world, Role.BRAND_EDITOR)).json()["items"]
    asset_id = jobs[0]["asset_id"]
    pending = api.get("/api/v1/assets", params={"state": "pending_approval"},
                      headers=as_(world, Role.TALENT)).json()
    assert asset_id in {a["id"] for a in pending["items"]}
    early = api.post(f"/api/v1/assets/{asset_id}/publish", headers=as_(world, Role.BRAND_ADMIN),
                     json={"channel": "social", "territory": "SE", "date": "2026-06-02"})
    assert early.status_code == 409
    approved = api.post(f"/api/v1/assets/{asset_id}/approve", headers=as_(world, Role.TALENT))
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    refused = api.post(f"/api/v1/assets/{asset_id}/publish", headers=as_(world, Role.BRAND_ADMIN),
                       json={"channel": "social", "territory": "US", "date": "2026-06-02"})
    assert refused.status_code == 403
    assert "territory_not_licensed" in {r["code"] for r in refused.json()["error"]["reasons"]}
    published = api.post(f"/api/v1/assets/{asset_id}/publish",
                         headers=as_(world, Role.BRAND_ADMIN),
                         json={"channel": "social", "territory": "SE", "date": "2026-06-02"})
    assert published.status_code == 200, published.text
    assert published.json()["asset"]["state"] == "published"
    assert published.json()["labels"]
    status = api.get(f"/api/v1/campaigns/{world.a.campaign}",
                     headers=as_(world, Role.BRAND_EDITOR)).json()
    assert status["assets"] == {"pending_approval": 1, "published": 1}


def test_an_edit_with_a_body_change_is_refused_unless_the_licence_permits_it(world, api,
                                                                            tools):
    run_to_end(api, world, tools, world.a.campaign)
    jobs = api.get(f"/api/v1/campaigns/{world.a.campaign}/jobs",
                   headers=as_(world, Role.BRAND_EDITOR)).json()["items"]
    asset_id = jobs[0]["asset_id"]
    retouched = encode(scene(9, 384, 480), "PNG")
    same = api.post(f"/api/v1/assets/{asset_id}/edit", headers=as_(world, Role.BRAND_EDITOR),
                    files={"image": ("retouched.png", retouched, "image/png")})
    assert same.status_code == 201, same.text
    edit = same.json()
    assert not edit["body_changed"] and edit["asset"]["parent_id"] == asset_id
    assert edit["asset"]["state"] == "pending_approval"
    tools.quality.body_change = -0.05  # a 5 % waist slimming
    slimmed = api.post(f"/api/v1/assets/{asset_id}/edit", headers=as_(world, Role.BRAND_EDITOR),
                       files={"image": ("slim.png", retouched, "image/png")})
    assert slimmed.status_code == 403, slimmed.text
    assert [r["code"] for r in slimmed.json()["error"]["reasons"]] == [
        "alteration_not_permitted"]
    talent = api.post(f"/api/v1/assets/{asset_id}/edit", headers=as_(world, Role.TALENT),
                      files={"image": ("x.png", retouched, "image/png")})
    assert talent.status_code == 403
    wrong = api.post(f"/api/v1/assets/{asset_id}/edit", headers=as_(world, Role.BRAND_EDITOR),
                     files={"image": ("x.png", b"GIF89a not really", "image/png")})
    assert wrong.status_code == 422
