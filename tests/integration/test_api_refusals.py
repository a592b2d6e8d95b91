"""Refusals tell the asking party only what it may see (two tenants, through the API, on
SQLite and PostgreSQL): a refusal keeps its code, but the id, dates, scope and rate of
another party's licence or consent are withheld from a party that cannot see them, while
that party's side, compliance and the operator still read them in full; and another
tenant's ids answer exactly as ids that do not exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.conftest import ISSUE_TERMS, terms
from tests.support.world import World, as_
from twinstudio.domain.accounts import Role
from twinstudio.services.rights import grant_licence, revoke_consent

ABSENT_TWIN = "twn_0123456789abcdef01234567"
ABSENT_CONSENT = "cns_0123456789abcdef01234567"





def _licence_body(world: World, **term_changes: Any) -> dict[str, Any]:
    return {"twin_id": world.a.twin, "brand_id": world.a.brand,
            "terms": {**ISSUE_TERMS, "exclusive_categories": [], **term_changes}}


def _reasons(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.text
    assert response.json()["error"]["type"] == "rights_refused"
    return response.json()["error"]["reasons"]


def test_an_exclusivity_refusal_withholds_the_other_brands_licence(world, api):
    # brand B holds outerwear of twin A exclusively in the first half of 2027
    other = grant_licence(world.ctx, twin_id=world.a.twin, brand_id=world.b.brand,
                          terms=terms(starts="2027-01-01", ends="2027-06-30",
                                      exclusive_categories=["outerwear"]))
    body = _licence_body(world, starts="2027-02-01", ends="2027-03-31")
    (asked,) = _reasons(api.post("/api/v1/licences", json=body,
                                 headers=as_(world, Role.BRAND_ADMIN)))
    assert asked["code"] == "exclusivity_conflict"
    assert "outerwear" in asked["message"] and "another brand" in asked["message"]
    for secret in (other.id, "2027-01-01", "2027-06-30", world.b.brand):
        assert secret not in asked["message"]
    # the operator (admin, who sees every licence) reads it in full
    (full,) = _reasons(api.post("/api/v1/licences", json=body,
                                headers=as_(world, Role.ADMIN)))
    assert full["code"] == "exclusivity_conflict"
    assert other.id in full["message"] and "2027-01-01 to 2027-06-30" in full["message"]


def test_a_consent_refusal_withholds_the_talents_consent_period_and_rate(world, api):
    with world.ctx.uow() as uow:
        consent = uow.consents.get(world.a.consent)
    doc = consent.document
    body = _licence_body(world, starts="2026-06-01", ends="2030-12-31",
                         fees={"currency": "EUR", "per_asset": 1000})
    asked = _reasons(api.post("/api/v1/licences", json=body,
                              headers=as_(world, Role.BRAND_ADMIN)))
    assert {r["code"] for r in asked} == {"consent_scope_exceeded",
                                          "fee_below_consented_rate"}
    shown = " ".join(r["message"] for r in asked)
    for secret in (consent.id, doc.starts.isoformat(), doc.ends.isoformat(),
                   str(doc.rate_of_pay.amount)):
        assert secret not in shown, secret
    assert "2030-12-31" in shown  # the asker's own terms are its to see
    full = _reasons(api.post("/api/v1/licences", json=body, headers=as_(world, Role.ADMIN)))
    told = " ".join(r["message"] for r in full)
    assert f"{doc.starts} to {doc.ends}" in told and str(doc.rate_of_pay.amount) in told


def test_another_twins_consent_answers_exactly_like_an_absent_one(world, api):
    headers = as_(world, Role.BRAND_ADMIN)
    body = _licence_body(world, product_categories=["tops"])
    foreign = api.post("/api/v1/licences", json={**body, "consent_id": world.b.consent},
                       headers=headers)
    absent = api.post("/api/v1/licences", json={**body, "consent_id": ABSENT_CONSENT},
                      headers=headers)
    assert foreign.status_code == absent.status_code == 404
    assert foreign.text.replace(world.b.consent, ABSENT_CONSENT) == absent.text


def test_a_campaign_naming_another_tenants_twin_answers_exactly_like_an_absent_twin(
        world, api):
    headers = as_(world, Role.BRAND_ADMIN)

    def plan(twin_id: str):  # type: ignore[no-untyped-def]
        return api.post("/api/v1/campaigns", headers=headers, json={
            "name": "Probe", "twins": [twin_id], "looks": [[world.a.garments[0]]],
            "poses": ["relaxed"], "formats": ["feed"], "scenes": ["gradient_frost"],
            "markets": [{"channel": "social", "territory": "SE"}]})

    foreign, absent = plan(world.b.twin), plan(ABSENT_TWIN)
    assert foreign.status_code == absent.status_code == 422, foreign.text
    assert foreign.text.replace(world.b.twin, ABSENT_TWIN) == absent.text
    with world.ctx.uow() as uow:  # nothing was planned for brand A
        assert [c.id for c in uow.campaigns.list(brand_id=world.a.brand)] == [world.a.campaign]
    assert plan(world.a.twin).status_code == 201  # its own licensed twin, as before
    # a twin whose licence the brand held (and sees) is refused with a reason, as before
    api.post(f"/api/v1/licences/{world.a.licence}/revoke", headers=headers,
             json={"reason": "campaign over"}).raise_for_status()
    ended = plan(world.a.twin)
    assert ended.status_code == 201
    assert {r["code"] for v in ended.json()["refused"] for r in v["reasons"]} == {
        "no_licence_for_twin"}


def test_a_policy_check_shows_the_consents_details_to_the_talents_side_only(world, api):
    revoke_consent(world.ctx, world.a.consent, reason="changed my mind", actor="talent")
    check = {"licence_id": world.a.licence, "use": {
        "channel": "social", "territory": "SE", "date": "2026-06-02",
        "product_category": "outerwear"}}
    seen = {}
    for role in (Role.BRAND_EDITOR, Role.TALENT, Role.AGENCY, Role.COMPLIANCE):
        response = api.post("/api/v1/policy/check", json=check, headers=as_(world, role))
        assert response.status_code == 200, response.text
        seen[role] = {r["code"]: r["message"] for r in response.json()["reasons"]}
    assert {"consent_revoked", "licence_suspended"} <= set(seen[Role.BRAND_EDITOR])
    assert world.a.consent not in seen[Role.BRAND_EDITOR]["consent_revoked"]
    assert world.a.licence in seen[Role.BRAND_EDITOR]["licence_suspended"]  # its own
    for role in (Role.TALENT, Role.AGENCY, Role.COMPLIANCE):
        assert world.a.consent in seen[role]["consent_revoked"], role


def test_stored_campaign_refusals_are_redacted_for_the_brand_not_for_compliance(
        world, api, engine):
    with world.ctx.uow() as uow:
        consent = uow.consents.get(world.a.consent)
    edited = consent.document.model_copy(update={"purpose": "Anything at all, forever"})
    with engine.begin() as c:  # an edit in the database: the consent decides nothing now
        c.execute(text("UPDATE consents SET document = :d WHERE id = :i"),
                  {"d": edited.model_dump_json(), "i": consent.id})
    planned = api.post("/api/v1/campaigns", headers=as_(world, Role.BRAND_ADMIN), json={
        "name": "After the edit", "twins": [world.a.twin], "looks": [[world.a.garments[0]]],
        "poses": ["relaxed"], "formats": ["feed"], "scenes": ["gradient_frost"],
        "markets": [{"channel": "social", "territory": "SE"}]})
    assert planned.status_code == 201, planned.text
    campaign_id = planned.json()["campaign_id"]
    told = [r for v in planned.json()["refused"] for r in v["reasons"]]
    assert {r["code"] for r in told} == {"consent_integrity_failed"}
    assert all(consent.id not in r["message"] for r in told)
    for role, full in ((Role.BRAND_EDITOR, False), (Role.COMPLIANCE, True)):
        shown = api.get(f"/api/v1/campaigns/{campaign_id}", headers=as_(world, role)).json()
        messages = [r["message"] for v in shown["refusals"] for r in v["reasons"]]
        assert messages and all((consent.id in m) is full for m in messages), (role, messages)
