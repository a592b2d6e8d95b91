"""Licences through the REST API are a two-party act (SQLite and PostgreSQL): a brand's
``POST /licences`` records a proposal, never a licence; the talent or their agency
accepts (signing) or refuses it; a brand cannot reach another agency's twin unless the
talent lists it as open to offers, and such a twin answers exactly as an absent one."""

from __future__ import annotations

import copy
from typing import Any

from tests.support.world import World
from twinstudio.domain.accounts import Role

ABSENT_TWIN = "twn_0123456789abcdef01234567"
TERMS: dict[str, Any] = {
    "channels": ["ecommerce", "social"], "territories": ["SE", "FR"],
    "starts": "2026-06-01", "ends": "2026-12-31", "product_categories": ["outerwear"],
    "permitted_alterations": ["background"], "prohibited_content": ["nudity"],
    "exclusive_categories": ["outerwear"], "approval_required": True, "max_assets": 50,
    "intended_uses": "E-commerce product pages and social posts for the AW26 outerwear line",
    "representation": "counsel", "fees": {"currency": "EUR", "per_asset": 2500}}




def _as(world: World, role: Role, tenant: str = "a") -> dict[str, str]:
    keys = getattr(world, tenant).keys if role in getattr(world, tenant).keys else world.keys
    return {"X-API-Key": keys[role]}


def _propose(api, world, twin: str, brand: str, tenant: str = "a", **terms: Any):  # type: ignore[no-untyped-def]
    return api.post("/api/v1/licences", headers=_as(world, Role.BRAND_ADMIN, tenant), json={
        "twin_id": twin, "brand_id": brand, "terms": {**copy.deepcopy(TERMS), **terms}})


def _licences_of(world: World, twin: str) -> list[tuple[str, str]]:
    with world.ctx.uow() as uow:
        return [(lic.brand_id, lic.id) for lic in uow.licences.list(twin_id=twin)]


def _events(world: World, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with world.ctx.uow() as uow:
        return [(e.actor, e.payload) for e in uow.audit.all() if e.type == kind]


def test_a_brand_admin_cannot_license_a_twin_of_another_agency(world, api):
    before = _licences_of(world, world.b.twin)
    knitwear = {"product_categories": ["knitwear"], "exclusive_categories": ["knitwear"]}
    taken = _propose(api, world, world.b.twin, world.a.brand, **knitwear)
    absent = _propose(api, world, ABSENT_TWIN, world.a.brand, **knitwear)

    # no licence, no proposal, and the same answer as for a twin that does not exist
    assert taken.status_code == absent.status_code == 404, taken.text
    assert taken.json() == {"error": {
        **absent.json()["error"],
        "message": absent.json()["error"]["message"].replace(ABSENT_TWIN, world.b.twin)}}
    assert taken.json()["error"]["type"] == "not_found"
    assert _licences_of(world, world.b.twin) == before
    with world.ctx.uow() as uow:
        assert [p.brand_id for p in uow.proposals.list(twin_id=world.b.twin)] == [world.b.brand]
    # the talent's own brand is not blocked by an exclusivity nobody on their side signed
    own = _propose(api, world, world.b.twin, world.b.brand, tenant="b", **knitwear)
    assert own.status_code == 202, own.text
    accepted = api.post(f"/api/v1/licence-proposals/{own.json()['id']}/accept",
                        headers=_as(world, Role.TALENT, "b"))
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["state"] == "active"
    assert accepted.json()["terms"]["exclusive_categories"] == ["knitwear"]


def test_a_proposal_is_a_licence_only_after_the_talents_side_accepts(world, api):
    licences_before = _licences_of(world, world.a.twin)
    proposed = _propose(api, world, world.a.twin, world.a.brand, channels=["social"])

    assert proposed.status_code == 202, proposed.text
    proposal = proposed.json()
    assert proposal["state"] == "proposed" and proposal["licence_id"] is None
    assert proposed.headers["location"] == f"/api/v1/licence-proposals/{proposal['id']}"
    assert _licences_of(world, world.a.twin) == licences_before
    listed = api.get("/api/v1/licences", headers=_as(world, Role.BRAND_ADMIN)).json()
    assert [lic["id"] for lic in listed["items"]] == [world.a.licence]
    for role in (Role.TALENT, Role.AGENCY, Role.BRAND_EDITOR, Role.BRAND_ADMIN):
        waiting = api.get("/api/v1/licence-proposals", params={"state": "proposed"},
                          headers=_as(world, role)).json()
        assert proposal["id"] in [p["id"] for p in waiting["items"]], role
    for role in (Role.TALENT, Role.AGENCY, Role.BRAND_ADMIN):  # another tenant: absent
        other = api.get(f"/api/v1/licence-proposals/{proposal['id']}",
                        headers=_as(world, role, "b"))
        assert other.status_code == 404, role
    brand_accepts = api.post(f"/api/v1/licence-proposals/{proposal['id']}/accept",
                             headers=_as(world, Role.BRAND_ADMIN))
    assert brand_accepts.status_code == 403  # the brand cannot sign for the talent
    assert brand_accepts.json()["error"]["type"] == "permission_denied"

    accepted = api.post(f"/api/v1/licence-proposals/{proposal['id']}/accept",
                        headers=_as(world, Role.AGENCY))

    assert accepted.status_code == 201, accepted.text
    licence = accepted.json()
    assert accepted.headers["location"] == f"/api/v1/licences/{licence['id']}"
    assert (licence["twin_id"], licence["brand_id"], licence["state"]) == (
        world.a.twin, world.a.brand, "active")
    seen = api.get(f"/api/v1/licences/{licence['id']}/verification",
                   headers=_as(world, Role.BRAND_ADMIN)).json()
    assert seen["valid"] and {s["role"] for s in seen["signatures"]} == {"talent", "brand"}
    now = api.get(f"/api/v1/licence-proposals/{proposal['id']}",
                  headers=_as(world, Role.BRAND_EDITOR)).json()
    assert (now["state"], now["licence_id"]) == ("accepted", licence["id"])
    (actor, payload), = [e for e in _events(world, "LicenceProposalAccepted")
                         if e[1]["proposal_id"] == proposal["id"]]
    assert actor.startswith("user:") and payload["on_behalf_of"] == world.a.talent
    again = api.post(f"/api/v1/licence-proposals/{proposal['id']}/accept",
                     headers=_as(world, Role.TALENT))
    assert again.status_code == 409


def test_the_talent_refuses_with_a_reason_code_the_brand_reads(world, api):
    url = f"/api/v1/licence-proposals/{world.a.proposal}/refuse"
    talent = _as(world, Role.TALENT)
    assert api.post(url, json={"code": "too_ugly"}, headers=talent).status_code == 422
    no_note = api.post(url, json={"code": "other"}, headers=talent)
    assert no_note.status_code == 422
    assert no_note.json()["error"]["type"] == "refusal_note_missing"
    assert api.post(url, json={"code": "fees_too_low"},
                    headers=_as(world, Role.BRAND_ADMIN)).status_code == 403

    refused = api.post(url, json={"code": "fees_too_low", "note": "4000 EUR per asset"},
                       headers=talent)

    assert refused.status_code == 200, refused.text
    seen = api.get(f"/api/v1/licence-proposals/{world.a.proposal}",
                   headers=_as(world, Role.BRAND_ADMIN)).json()
    assert (seen["state"], seen["refusal_code"], seen["refusal_note"]) == (
        "refused", "fees_too_low", "4000 EUR per asset")
    assert api.post(url, json={"code": "other", "note": "again"},
                    headers=talent).status_code == 409
    assert api.post(f"/api/v1/licence-proposals/{world.a.proposal}/accept",
                    headers=talent).status_code == 409
    (_, payload), = _events(world, "LicenceProposalRefused")
    assert payload["code"] == "fees_too_low" and "on_behalf_of" not in payload


def test_the_brand_withdraws_its_own_proposal(world, api):
    url = f"/api/v1/licence-proposals/{world.a.proposal}/withdraw"
    assert api.post(url, headers=_as(world, Role.BRAND_EDITOR)).status_code == 403
    assert api.post(url, headers=_as(world, Role.TALENT)).status_code == 403
    withdrawn = api.post(url, headers=_as(world, Role.BRAND_ADMIN))
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert api.post(f"/api/v1/licence-proposals/{world.a.proposal}/accept",
                    headers=_as(world, Role.TALENT)).status_code == 409


def test_a_twin_open_to_offers_takes_proposals_from_brands_without_a_licence(world, api):
    assert _propose(api, world, world.b.twin, world.a.brand).status_code == 404
    assert api.put(f"/api/v1/twins/{world.b.twin}/offers", json={"open": True},
                   headers=_as(world, Role.AGENCY)).status_code == 404  # not A's to open
    opened = api.put(f"/api/v1/twins/{world.b.twin}/offers", json={"open": True},
                     headers=_as(world, Role.TALENT, "b"))
    assert opened.status_code == 200 and opened.json()["open_to_offers"] is True

    proposed = _propose(api, world, world.b.twin, world.a.brand, exclusive_categories=[])

    assert proposed.status_code == 202, proposed.text
    assert api.get(f"/api/v1/twins/{world.b.twin}",
                   headers=_as(world, Role.BRAND_ADMIN)).status_code == 404  # still unseen
    waiting = api.get("/api/v1/licence-proposals", params={"twin_id": world.b.twin},
                      headers=_as(world, Role.AGENCY, "b")).json()
    assert proposed.json()["id"] in [p["id"] for p in waiting["items"]]
    accepted = api.post(f"/api/v1/licence-proposals/{proposed.json()['id']}/accept",
                        headers=_as(world, Role.AGENCY, "b"))
    assert accepted.status_code == 201, accepted.text
    closed = api.put(f"/api/v1/twins/{world.b.twin}/offers", json={"open": False},
                     headers=_as(world, Role.AGENCY, "b"))
    assert closed.json()["open_to_offers"] is False
    # brand A has a licence of the twin now: a relation; it may propose again
    assert _propose(api, world, world.b.twin, world.a.brand, exclusive_categories=[],
                    max_assets=9).status_code == 202


def test_an_unanswered_proposal_expires(world, api, clock):
    clock.advance(days=14)
    seen = api.get(f"/api/v1/licence-proposals/{world.a.proposal}",
                   headers=_as(world, Role.TALENT)).json()
    assert seen["state"] == "expired"
    late = api.post(f"/api/v1/licence-proposals/{world.a.proposal}/accept",
                    headers=_as(world, Role.TALENT))
    assert late.status_code == 409 and late.json()["error"]["type"] == "proposal_expired"
    assert _licences_of(world, world.a.twin) == [(world.a.brand, world.a.licence)]
