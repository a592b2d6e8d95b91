"""Tenant isolation, walked over EVERY route of the OpenAPI document (not a hand-picked
list): with every role of tenant A and the global roles, against tenant B's objects.

A route without an ``x-isolation`` rule fails the test, so a new route cannot slip in
unchecked. For each route and role: a foreign object answers 404 (never 403, never its
data); a role that may not act answers 403 on what it can see; lists never carry a
foreign id; and after the whole walk tenant B's objects are exactly as they were.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.images import encode, scene
from tests.support.world import GLOBAL_ROLES, TENANT_ROLES, World
from twinstudio.bootstrap import build_api
from twinstudio.domain.accounts import Role, may

ROLES = (*TENANT_ROLES, *GLOBAL_ROLES)
# Which kinds of tenant A's objects each tenant role sees (compliance and admin: all).
SEES = {
    Role.TALENT: {"talent", "twin", "consent", "release", "licence", "asset", "proposal",
                  "training", "adapter"},
    Role.AGENCY: {"talent", "twin", "consent", "release", "licence", "asset", "agency",
                  "proposal", "training", "adapter"},
    Role.BRAND_EDITOR: {"licence", "asset", "brand", "garment", "campaign", "proposal",
                        "webhook", "delivery"},
    Role.BRAND_ADMIN: {"licence", "asset", "brand", "garment", "campaign", "proposal",
                       "webhook", "delivery"},
}
PNG = encode(scene(5, 64, 64), "PNG")



def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in doc["paths"].items()
            for method, op in item.items()]


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_binary(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "binary" or "contentMediaType" in schema


def _request(doc, op, path_ids: dict[str, str], body_ids: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments for TestClient.request: the route's own example body (with ids
    put in), or for a multipart form one small PNG per file field and each other field's
    documented example (ids put in)."""
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = _resolve(doc, content["application/json"]["schema"])
        assert schema.get("examples") or schema.get("required") in (None, []), (
            f"{op['operationId']}: give the body schema an example")
        body = copy.deepcopy(schema["examples"][0]) if schema.get("examples") else {}
        body.update(body_ids)
        return {"json": body}
    if "multipart/form-data" in content:
        schema = _resolve(doc, content["multipart/form-data"]["schema"])
        files, data = [], {}
        for name, prop in schema["properties"].items():
            options = [prop, *prop.get("anyOf", [])]
            if any(_is_binary(o) or _is_binary(o.get("items", {})) for o in options):
                files.append((name, ("probe.png", PNG, "image/png")))
            elif prop.get("examples"):
                data[name] = prop["examples"][0]
        data.update(body_ids)
        return {"files": files, "data": data}
    return {}


def _fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path.replace("{period}", "2026-06")


def _snapshot(world: World) -> dict[str, Any]:
    """Everything of tenant B that a write could change."""
    b = world.b
    with world.ctx.uow() as uow:
        return {
            "twin": uow.twins.get(b.twin).state,
            "consents": [(c.id, c.state, c.revoked_at) for c in uow.consents.list_for_twin(b.twin)],
            "releases": [(r.id, r.state) for r in uow.releases.list_for_talent(b.talent)],
            "licences": [(lic.id, lic.state, lic.assets_used)
                         for lic in uow.licences.list(twin_id=b.twin)],
            "brand_licences": [lic.id for lic in uow.licences.list(brand_id=b.brand)],
            "twin_offers": uow.twins.get(b.twin).open_to_offers,
            "proposals": [(p.id, p.state, p.decided_at) for p in
                          uow.proposals.list(twin_id=b.twin) + uow.proposals.list(
                              brand_id=b.brand)],
            "assets": [(a.id, a.state) for a in uow.assets.list(twin_id=b.twin)],
            "talents": sorted(t.id for t in uow.talents.list() if t.agency_id == b.agency),
            "templates": uow.biometrics.templates(b.twin),
            "garments": [g.model_dump() for g in uow.garments.list(brand_id=b.brand)],
            "campaigns": [c.id for c in uow.campaigns.list(brand_id=b.brand)],
            "jobs": [(j.id, j.state, j.attempts, j.asset_id)
                     for j in uow.jobs.list(campaign_id=b.campaign)],
            "webhooks": [(e.id, e.active, uow.webhooks.secret_of(e.id))
                         for e in uow.webhooks.endpoints(organisation_id=b.brand)],
            "deliveries": [(d.id, d.state, d.attempts, d.next_attempt_at)
                           for d in uow.webhooks.deliveries(organisation_id=b.brand)],
            "trainings": [(j.id, j.state) for j in uow.training.jobs(twin_id=b.twin)],
            "adapters": [(a.id, a.state, uow.training.weights(a.id))
                         for a in uow.training.adapters(twin_id=b.twin)],
            "training_withdrawn": [c.training_withdrawn_at
                                   for c in uow.consents.list_for_twin(b.twin)],
        }


def test_every_route_has_an_isolation_rule_and_no_role_crosses_tenants(world):
    app = build_api(world.ctx)
    client = TestClient(app, raise_server_exceptions=False)
    doc = app.openapi()
    operations = _operations(doc)
    assert len(operations) >= 28
    missing = [f"{m.upper()} {p}" for p, m, op in operations if "x-isolation" not in op]
    assert not missing, f"routes without an isolation rule: {missing}"
    before = _snapshot(world)
    foreign_ids = world.b.ids()
    walked = 0
    for path, method, op in operations:
        rule = op["x-isolation"]
        for role in ROLES:
            headers = {"X-API-Key": world.key(role)}
            everything = role in GLOBAL_ROLES
            action = rule.get("action") or rule.get("role") or "read"
            where = f"{method.upper()} {path} as {role.value}"
            if "object" in rule:
                kind, param = rule["object"], rule["param"]
                writes = action != "read"
                if role is Role.ADMIN and writes:
                    continue  # admin may change anything: nothing to prove on B here
                url = _fill(path, {param: world.b.of(kind)})
                response = client.request(method, url, headers=headers,
                                          **_request(doc, op, {}, {}))
                walked += 1
                if everything:
                    assert response.status_code != 404, where
                    if writes:  # compliance reads all, changes nothing
                        assert response.status_code == 403, (where, response.text)
                else:
                    assert response.status_code == 404, (where, response.text)
                    assert response.json()["error"]["type"] == "not_found"
                    _no_foreign(response, foreign_ids - {world.b.of(kind)}, where)
                if method == "get" and action == "read":  # own object
                    own = client.get(_fill(path, {param: world.a.of(kind)}), headers=headers)
                    visible = everything or kind in SEES[role]
                    assert response.status_code != 500, where
                    assert (own.status_code == 200) == visible, (where, own.text)
            elif "body" in rule:
                if role is Role.ADMIN:
                    continue
                body_ids = {name: (world.a.of(kind) if kind.endswith("_any")
                                   else world.b.of(kind)) for name, kind in rule["body"].items()}
                response = client.request(method, _fill(path, {}), headers=headers,
                                          **_request(doc, op, {}, body_ids))
                walked += 1
                if everything:
                    expected = 403 if not may(_principal(role), action) else None
                    if expected:
                        assert response.status_code == expected, (where, response.text)
                else:
                    assert response.status_code == 404, (where, response.text)
                    _no_foreign(response, foreign_ids - set(body_ids.values()), where)
            elif "list" in rule:
                response = client.get(_fill(path, {}), headers=headers)
                walked += 1
                assert response.status_code == 200, (where, response.text)
                if not everything:
                    _no_foreign(response, foreign_ids, where)
                    # filtering by a foreign id shows nothing of it either
                    for name in ("twin_id", "brand_id", "licence_id"):
                        if any(p["name"] == name for p in op.get("parameters", [])):
                            kind = name.removesuffix("_id")
                            probe = client.get(_fill(path, {}), headers=headers,
                                               params={name: world.b.of(kind)})
                            assert probe.status_code == 200, where
                            assert probe.json()["total"] == 0, where
                else:
                    assert response.json()["total"] > 0, where
            elif "role" in rule:
                response = client.request(method, _fill(path, {}), headers=headers,
                                          **_request(doc, op, {}, {}))
                walked += 1
                allowed = may(_principal(role), rule["role"])
                assert (response.status_code == 403) == (not allowed), (where, response.text)
                assert response.status_code < 500, (where, response.text)
                if not everything:
                    _no_foreign(response, foreign_ids, where)
            else:
                pytest.fail(f"{method.upper()} {path}: unknown isolation rule {rule}")
    assert walked > 100
    assert _snapshot(world) == before, "tenant B was changed by another tenant"


def test_every_route_refuses_a_request_without_an_api_key(world):
    app = build_api(world.ctx)
    client = TestClient(app, raise_server_exceptions=False)
    doc = app.openapi()
    for path, method, op in _operations(doc):
        url = _fill(path, {p: world.a.of(op["x-isolation"].get("object", "talent"))
                           for p in ("talent_id", "twin_id", "consent_id", "release_id",
                                     "licence_id", "asset_id", "brand_id", "garment_id",
                                     "campaign_id", "webhook_id", "delivery_id")})
        for headers in ({}, {"X-API-Key": "tsk_000000000000_forged"}):
            response = client.request(method, url, headers=headers)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["type"] == "unauthenticated"


def _principal(role: Role):  # type: ignore[no-untyped-def]
    from twinstudio.domain.accounts import Principal

    return Principal(user_id="u", email="x@example.com", name="x", role=role)


def _no_foreign(response, foreign: set[str], where: str) -> None:  # type: ignore[no-untyped-def]
    text = response.text
    leaked = sorted(i for i in foreign if i in text)
    assert not leaked, f"{where} leaked {leaked}: {text[:300]}"
