"""Input hygiene at the API's edge (issue 19, findings 5 and 10), on SQLite and PostgreSQL:
JSON bodies get a JSON limit (not the image limit), lists are bounded by the schemas, an
error never echoes the input, names and free text refuse control, bidirectional and
invisible characters, and a body that is not UTF-8 JSON is invalid input like any other.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.support.text import BAD_IN_NAMES, GOOD_NAMES
from tests.support.world import as_
from twinstudio.bootstrap import build_site
from twinstudio.domain.accounts import Role
from twinstudio.store import tables as t


def _use(**overrides) -> dict:
    return {"channel": "social", "territory": "FR", "date": "2026-07-01",
            "product_category": "outerwear", "alterations": [], "content_tags": [],
            **overrides}


def test_a_json_body_over_the_json_limit_is_refused_413_with_its_code(world, api):
    body = json.dumps({"licence_id": world.a.licence,
                       "use": _use(alterations=["x" * 1000] * 2200)}).encode()
    assert 2 * 1024 * 1024 <= len(body) < 64 * 1024 * 1024  # under the image limit
    response = api.post("/api/v1/policy/check", content=body,
                        headers={**as_(world, Role.BRAND_EDITOR),
                                 "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["type"] == "too_large" and "1 MB" in error["message"]
    assert [r["code"] for r in error["reasons"]] == ["json_too_large"]

    def chunks():  # no Content-Length: refused while it streams
        for _ in range(4):
            yield b" " * (512 * 1024)

    streamed = api.post("/api/v1/talents", content=chunks(),
                        headers={**as_(world, Role.AGENCY), "Content-Type": "application/json"})
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["error"]["reasons"][0]["code"] == "json_too_large"


def test_a_web_form_over_the_form_limit_is_refused_413(world):
    site = TestClient(build_site(world.ctx), raise_server_exceptions=False)
    response = site.post("/login", data={"email": "a@example.com", "password": "x" * 100,
                                         "next": "/" * 70_000})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["reasons"][0]["code"] == "form_too_large"
    small = site.post("/login", data={"email": "a@example.com", "password": "wrong one!"})
    assert small.status_code != 413


@pytest.mark.parametrize("route,body,field", [
    ("/api/v1/policy/check", lambda w: {"licence_id": w.a.licence,
                                        "use": _use(alterations=["crop"] * 13)},
     "body.use.alterations"),
    ("/api/v1/licences", lambda w: {"twin_id": w.a.twin, "brand_id": w.a.brand, "terms": {
        "channels": ["social"] * 7, "territories": ["SE"], "starts": "2026-06-01",
        "ends": "2026-09-30", "product_categories": ["tops"], "max_assets": 1,
        "intended_uses": "x", "representation": "counsel", "fees": {"currency": "EUR"}}},
     "body.terms.channels"),
    ("/api/v1/campaigns", lambda w: {"name": "big", "looks": [[w.a.garments[0]]] * 501,
                                     "poses": ["relaxed"], "formats": ["feed"],
                                     "scenes": ["cyclorama_white"],
                                     "markets": [{"channel": "social", "territory": "SE"}]},
     "body.looks"),
])
def test_a_list_over_its_bound_is_refused_422_naming_the_field(world, api, route, body, field):
    response = api.post(route, json=body(world), headers=as_(world, Role.BRAND_ADMIN))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_input"
    assert error["reasons"][0]["code"] == "too_long"
    assert error["reasons"][0]["message"].startswith(f"{field}: ")


def test_a_422_for_a_large_wrong_input_is_small_and_quotes_only_an_excerpt(world, api):
    huge = "9" * 900_000
    for body in ({"licence_id": world.a.licence, "use": _use(date=huge)},
                 {"licence_id": world.a.licence, "use": _use(channel=[1] * 200_000)},
                 {"licence_id": world.a.licence, "use": {**_use(), huge: 1}}):
        response = api.post("/api/v1/policy/check", json=body,
                            headers=as_(world, Role.BRAND_EDITOR))
        assert response.status_code == 422, response.text[:300]
        assert len(response.content) < 4096, response.text[:300]
        assert "9" * 200 not in response.text
    many = api.post("/api/v1/policy/check", headers=as_(world, Role.BRAND_EDITOR),
                    json={"licence_id": world.a.licence,
                          "use": {f"extra_{i}": 1 for i in range(100)}})
    error = many.json()["error"]
    assert many.status_code == 422 and len(error["reasons"]) == 20
    assert "(104 problems; the first 20 are listed)" in error["message"], error["message"]


def test_a_body_that_is_not_utf8_json_is_invalid_input_422(world, api):
    headers = {**as_(world, Role.AGENCY), "Content-Type": "application/json"}
    for body in ('{"name": "Ana L\xf6fgren"}'.encode("latin-1"), b'{"name": "\xc3\x28"}'):
        response = api.post("/api/v1/talents", content=body, headers=headers)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["type"] == "invalid_input"
        assert [r["code"] for r in error["reasons"]] == ["json_invalid"]
        assert "UTF-8" in error["message"]
    malformed = api.post("/api/v1/talents", content=b'{"name": ', headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["error"]["reasons"][0]["code"] == "json_invalid"
    nested = api.post("/api/v1/talents", content=b"[" * 100_000, headers=headers)
    assert nested.status_code == 422, nested.text
    assert nested.json()["error"]["reasons"][0]["code"] == "json_invalid"


def test_names_with_control_bidi_or_invisible_characters_are_refused_422(world, api):
    headers = as_(world, Role.AGENCY)
    before = api.get("/api/v1/talents", headers=headers).json()["total"]
    for kind, name in BAD_IN_NAMES.items():
        response = api.post("/api/v1/talents", json={"name": name}, headers=headers)
        assert response.status_code == 422, (kind, response.text)
        reasons = response.json()["error"]["reasons"]
        assert [(r["code"], r["message"].split(":")[0]) for r in reasons] == [
            ("invalid_text", "body.name")], (kind, reasons)
        assert name not in response.text
    assert api.get("/api/v1/talents", headers=headers).json()["total"] == before
    for name in GOOD_NAMES:
        response = api.post("/api/v1/talents", json={"name": name}, headers=headers)
        assert response.status_code == 201, (name, response.text)
        assert response.json()["name"] == name


def test_free_text_shown_to_others_refuses_bidi_and_escapes_but_keeps_line_breaks(world, api):
    talent = as_(world, Role.TALENT)
    asset = world.a.assets[0]  # pending the talent's approval
    for reason in ("not me \u202eeno", "\x1b[2Jgone", "lone\rreturn", "nul\x00"):
        refused = api.post(f"/api/v1/assets/{asset}/reject", json={"reason": reason},
                           headers=talent)
        assert refused.status_code == 422, (reason, refused.text)
        assert refused.json()["error"]["reasons"][0]["code"] == "invalid_text"
        revoked = api.post(f"/api/v1/consents/{world.a.consent}/revoke",
                           json={"reason": reason}, headers=talent)
        assert revoked.status_code == 422, (reason, revoked.text)
    assert api.get(f"/api/v1/consents/{world.a.consent}",
                   headers=talent).json()["state"] == "active"
    brief = {"name": "AW26\u202e", "looks": [[world.a.garments[0]]], "poses": ["relaxed"],
             "formats": ["feed"], "scenes": ["cyclorama_white"],
             "markets": [{"channel": "social", "territory": "SE"}]}
    campaign = api.post("/api/v1/campaigns", json=brief, headers=as_(world, Role.BRAND_ADMIN))
    assert campaign.status_code == 422, campaign.text
    assert campaign.json()["error"]["reasons"][0]["code"] == "invalid_text"
    rejected = api.post(f"/api/v1/assets/{asset}/reject", headers=talent,
                        json={"reason": "The hair colour is not mine.\r\n\tAnd the pose."})
    assert rejected.status_code == 200, rejected.text


def test_a_garment_name_from_the_upload_form_is_refused_422(world, api):
    response = api.post("/api/v1/garments", headers=as_(world, Role.BRAND_ADMIN),
                        data={"name": "Parka\u202e", "category": "coat",
                              "fabric_color": "#2f4f6f"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["reasons"][0]["code"] == "invalid_text"


def test_a_name_stored_before_the_rule_is_still_read(world, api, engine):
    with engine.begin() as connection:
        connection.execute(update(t.talents).where(t.talents.c.id == world.a.talent)
                           .values(name="Talent\u202ea"))
    response = api.get(f"/api/v1/talents/{world.a.talent}", headers=as_(world, Role.AGENCY))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Talent\u202ea"
