"""Likeness reviews and notices through the REST API, on a real store (SQLite and
PostgreSQL): a look-alike's enrolment answers 202 with its review; compliance lists,
shows, sees the photos (audited, never cached) and decides; every other role is refused
whatever the id; a bad reason changes nothing; a decided review cannot be decided again;
after same_person the other twin's talent and agency (and nobody else) read a notice."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.support.likeness import Lookalikes, lookalikes, open_review
from tests.support.world import TENANT_ROLES, World, as_
from twinstudio.domain.accounts import Role

GOOD_REASON = "passports of both talents checked in person"




@pytest.fixture
def look(world) -> Lookalikes:
    return lookalikes(world)



def _state(world: World, twin_id: str) -> str:
    with world.ctx.uow() as uow:
        return uow.twins.get(twin_id).state.value


def test_a_lookalike_enrolment_answers_202_and_compliance_reads_the_review(world, api, look):
    enrolled = api.post(f"/api/v1/twins/{look.second_twin}/enrolment",
                        files=[("photos", (name, data, "image/png"))
                               for name, data in look.second_photos],
                        headers={"X-API-Key": world.b.keys[Role.AGENCY]})
    assert enrolled.status_code == 202, enrolled.text
    body = enrolled.json()
    assert body["status"] == "in_review" and body["enrolled"] is False
    review_id = body["review_id"]
    assert [(c["twin_id"], c["talent_id"]) for c in body["candidates"]] == [
        (look.first_twin, look.first_talent)]
    assert 0 <= body["candidates"][0]["distance"] < 0.6
    assert [r["code"] for r in body["reasons"]] == ["likeness_review"]

    for role in (Role.COMPLIANCE, Role.ADMIN):
        listed = api.get("/api/v1/reviews", headers=as_(world, role)).json()
        assert [r["id"] for r in listed["items"]] == [review_id] and listed["total"] == 1
    pending = api.get("/api/v1/reviews", params={"state": "pending"},
                      headers=as_(world, Role.COMPLIANCE)).json()
    assert pending["total"] == 1
    assert api.get("/api/v1/reviews", params={"state": "distinct"},
                   headers=as_(world, Role.COMPLIANCE)).json()["total"] == 0
    shown = api.get(f"/api/v1/reviews/{review_id}", headers=as_(world, Role.COMPLIANCE))
    assert shown.status_code == 200, shown.text
    review = shown.json()
    assert review["state"] == "pending" and review["twin_id"] == look.second_twin
    assert review["talent_id"] == look.second_talent and review["threshold"] == 0.6
    assert review["photos"] == sorted(name for name, _ in look.second_photos)
    assert review["decided_at"] is None and review["reason"] is None

    photos = api.get(f"/api/v1/reviews/{review_id}/photos",
                     headers=as_(world, Role.COMPLIANCE))
    assert photos.status_code == 200, photos.text
    assert photos.headers["cache-control"] == "no-store"
    got = photos.json()
    assert got["twin"]["twin_id"] == look.second_twin
    sent = dict(look.second_photos)
    assert {p["name"]: base64.b64decode(p["data"]) for p in got["twin"]["photos"]} == sent
    assert all(p["mime"] == "image/png" for p in got["twin"]["photos"])
    [candidate] = got["candidates"]
    assert candidate["twin_id"] == look.first_twin and len(candidate["photos"]) == 3
    small = api.get(f"/api/v1/reviews/{review_id}/photos", params={"max_side": 64},
                    headers=as_(world, Role.COMPLIANCE)).json()
    for photo in small["twin"]["photos"] + small["candidates"][0]["photos"]:
        assert photo["mime"] == "image/jpeg"
        with Image.open(io.BytesIO(base64.b64decode(photo["data"]))) as image:
            assert max(image.size) <= 64
    with world.ctx.uow() as uow:
        looks = [e for e in uow.audit.all() if e.type == "LikenessPhotosViewed"]
        compliance = uow.users.by_email(world.email(Role.COMPLIANCE))
    assert len(looks) == 2 and {e.actor for e in looks} == {f"user:{compliance.id}"}


def test_every_other_role_is_refused_whatever_the_id(world, api, look):
    review_id = open_review(world, look)
    keys = {**{role.value: world.key(role) for role in TENANT_ROLES},
            **{f"b-{role.value}": world.b.keys[role] for role in TENANT_ROLES},
            "the candidate's talent": look.first_key}
    for who, key in keys.items():
        for rid in (review_id, "lkr_doesnotexist"):
            for method, path, kwargs in (
                    ("get", "/api/v1/reviews", {}),
                    ("get", f"/api/v1/reviews/{rid}", {}),
                    ("get", f"/api/v1/reviews/{rid}/photos", {}),
                    ("post", f"/api/v1/reviews/{rid}/decision",
                     {"json": {"decision": "same_person", "reason": GOOD_REASON}})):
                response = api.request(method, path, headers={"X-API-Key": key}, **kwargs)
                where = f"{method} {path} as {who}"
                assert response.status_code == 403, (where, response.text)
                assert response.json()["error"]["type"] == "permission_denied", where
                assert review_id not in response.text, where
    assert _state(world, look.second_twin) == "in_review"
    with world.ctx.uow() as uow:
        assert not [e for e in uow.audit.all() if e.type == "LikenessPhotosViewed"]
    for path in ("/api/v1/reviews/lkr_doesnotexist", "/api/v1/reviews/lkr_doesnotexist/photos"):
        missing = api.get(path, headers=as_(world, Role.COMPLIANCE))
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    missing = api.post("/api/v1/reviews/lkr_doesnotexist/decision", headers=as_(
        world, Role.COMPLIANCE), json={"decision": "distinct", "reason": GOOD_REASON})
    assert missing.status_code == 404


def test_a_bad_reason_or_decision_is_refused_clearly_and_changes_nothing(world, api, look):
    review_id = open_review(world, look)
    url = f"/api/v1/reviews/{review_id}/decision"
    with world.ctx.uow() as uow:
        events_before = len(uow.audit.all())
    for reason in ("ok", "   short   ", ""):
        refused = api.post(url, json={"decision": "distinct", "reason": reason},
                           headers=as_(world, Role.COMPLIANCE))
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["type"] == "invalid_input"
        assert "a decision needs a written reason of at least 10 characters" in error["message"]
    wrong = api.post(url, json={"decision": "maybe", "reason": GOOD_REASON},
                     headers=as_(world, Role.COMPLIANCE))
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"].startswith("body.decision: Input should be")
    missing = api.post(url, json={"decision": "distinct"}, headers=as_(world, Role.COMPLIANCE))
    assert missing.status_code == 422 and "body.reason" in missing.json()["error"]["message"]
    review = api.get(f"/api/v1/reviews/{review_id}", headers=as_(world, Role.COMPLIANCE)).json()
    assert review["state"] == "pending" and review["reason"] is None
    assert _state(world, look.second_twin) == "in_review"
    with world.ctx.uow() as uow:
        assert len(uow.audit.all()) == events_before
        assert uow.lookalikes.of(look.second_twin) == []


def test_distinct_enrols_the_twin_and_deciding_twice_is_409(world, api, look):
    review_id = open_review(world, look)
    url = f"/api/v1/reviews/{review_id}/decision"
    decided = api.post(url, json={"decision": "distinct", "reason": GOOD_REASON},
                       headers=as_(world, Role.COMPLIANCE))
    assert decided.status_code == 200, decided.text
    body = decided.json()
    me = api.get("/api/v1/me", headers=as_(world, Role.COMPLIANCE)).json()
    assert body["twin_state"] == "active" and body["lookalikes"] == [look.first_twin]
    assert body["shredded"] is False and body["notices"] == []
    assert body["review"]["state"] == "distinct" and body["review"]["reason"] == GOOD_REASON
    assert body["review"]["decided_by"] == f"user:{me['user_id']}"
    twin = api.get(f"/api/v1/twins/{look.second_twin}",
                   headers={"X-API-Key": world.b.keys[Role.AGENCY]})
    assert twin.json()["state"] == "active" and twin.json()["biometric_key"] is True
    for decision in ("same_person", "distinct"):
        again = api.post(url, json={"decision": decision, "reason": "another look at it"},
                         headers=as_(world, Role.ADMIN))
        assert again.status_code == 409, again.text
        assert again.json()["error"]["type"] == "invalid_transition"
        assert "already decided (distinct)" in again.json()["error"]["message"]
    photos = api.get(f"/api/v1/reviews/{review_id}/photos", headers=as_(world, Role.COMPLIANCE))
    assert photos.status_code == 409 and "no longer shown" in photos.json()["error"]["message"]
    assert api.get("/api/v1/reviews", params={"state": "pending"},
                   headers=as_(world, Role.COMPLIANCE)).json()["total"] == 0


def test_same_person_tells_the_other_twins_talent_and_agency_and_nobody_else(
        world, api, look):
    review_id = open_review(world, look)
    decided = api.post(f"/api/v1/reviews/{review_id}/decision", json={
        "decision": "same_person", "reason": "the same model registered twice by another "
                                             "agency"}, headers=as_(world, Role.COMPLIANCE))
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["shredded"] is True and body["twin_state"] == "enrolling"
    assert len(body["notices"]) == 2
    twin = api.get(f"/api/v1/twins/{look.second_twin}",
                   headers={"X-API-Key": world.b.keys[Role.AGENCY]}).json()
    assert twin["state"] == "enrolling" and twin["templates"] == []

    talent = {"X-API-Key": look.first_key}
    [notice] = api.get("/api/v1/me/notices", headers=talent).json()["items"]
    assert notice["id"] in body["notices"] and notice["recipient_id"] == look.first_talent
    assert notice["kind"] == "likeness_same_person" and notice["read_at"] is None
    assert notice["subject"] == "Someone tried to enrol First Face's likeness"
    assert "registered twice" in notice["body"] and look.second_talent in notice["body"]
    assert notice["refs"]["twin_id"] == look.first_twin
    [agency] = api.get("/api/v1/me/notices", headers=as_(world, Role.AGENCY)).json()["items"]
    assert agency["recipient_id"] == world.a.agency and agency["id"] in body["notices"]
    others = [as_(world, r) for r in (Role.TALENT, Role.BRAND_ADMIN, Role.COMPLIANCE,
                                      Role.ADMIN)]
    others += [{"X-API-Key": world.b.keys[r]} for r in TENANT_ROLES]
    for headers in others:
        assert api.get("/api/v1/me/notices", headers=headers).json()["total"] == 0
        foreign = api.post(f"/api/v1/me/notices/{notice['id']}/read", headers=headers)
        assert foreign.status_code == 404, foreign.text
        assert foreign.json()["error"]["type"] == "not_found"

    read = api.post(f"/api/v1/me/notices/{notice['id']}/read", headers=talent)
    assert read.status_code == 200, read.text
    assert read.json()["read_at"] is not None
    again = api.post(f"/api/v1/me/notices/{notice['id']}/read", headers=talent)
    assert again.json()["read_at"] == read.json()["read_at"]
    assert api.get("/api/v1/me/notices", params={"unread": "true"},
                   headers=talent).json()["total"] == 0
    # the agency's copy is its own: still unread
    assert api.get("/api/v1/me/notices", params={"unread": "true"},
                   headers=as_(world, Role.AGENCY)).json()["total"] == 1
