"""Webhooks on SQLite and PostgreSQL: the outbox is written by each change in its own
transaction and only for the organisations concerned; delivery signs, retries on a
schedule, logs every attempt, survives a dead worker (leases) and never calls a private
address the allow-list does not name. Plus the Idempotency-Key middleware."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from tests.support.images import encode, scene
from tests.support.webhooks import PUBLIC, Receiver, offline_resolver
from tests.support.world import World, as_
from twinstudio.domain.accounts import Role
from twinstudio.domain.errors import Conflict, InvalidInput
from twinstudio.domain.network import AllowList
from twinstudio.domain.webhooks import DeliveryState, verify
from twinstudio.net.outbound import GuardedSender
from twinstudio.services.assets import approve_asset, register_asset
from twinstudio.services.billing import close_period
from twinstudio.services.proposals import accept_proposal
from twinstudio.services.rights import revoke_consent, revoke_licence
from twinstudio.services.webhooks import (
    DeliveryRoundResult,
    _deliver_one,
    deliver_due,
    delivery_detail,
    register_endpoint,
    replay_delivery,
)

EVERY = ["campaign.completed", "asset.pending_approval", "asset.approved", "asset.rejected",
         "asset.published", "licence.granted", "licence.revoked", "consent.revoked",
         "statement.ready"]


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver(hang_seconds=3.0)
    yield r
    r.close()


def _endpoint(world: World, org: str, url: str, events: list[str] | None = None):  # type: ignore[no-untyped-def]
    return register_endpoint(world.ctx, organisation_id=org, url=url,
                             events=events or EVERY, actor="test")


def _messages(world: World, endpoint_id: str) -> list[dict]:  # type: ignore[type-arg]
    with world.ctx.uow() as uow:
        return [{"type": d.event_type, "state": d.state, "delivery": d.id,
                 **uow.webhooks.message(d.message_id).data}
                for d in reversed(uow.webhooks.deliveries(endpoint_id=endpoint_id))]


def _drain(world: World, worker: str = "w1", rounds: int = 5) -> DeliveryRoundResult:
    total = DeliveryRoundResult()
    for _ in range(rounds):
        done = deliver_due(world.ctx, worker_id=worker)
        total.delivered += done.delivered
        total.retrying += done.retrying
        total.failed += done.failed
        if not done.attempted:
            break
    return total


def test_each_change_tells_only_the_organisations_it_concerns(world: World, clock):
    a, b, ctx = world.a, world.b, world.ctx
    brand_a = _endpoint(world, a.brand, "https://hooks.example.com/brand-a").endpoint
    agency_a = _endpoint(world, a.agency, "https://hooks.example.com/agency-a").endpoint
    brand_b = _endpoint(world, b.brand, "https://hooks.example.com/brand-b").endpoint
    approve_asset(ctx, a.assets[0], party_id=a.talent, actor="test")
    clock.advance(seconds=1)  # the log lists deliveries by time
    accepted = accept_proposal(ctx, a.proposal, actor="test")
    clock.advance(seconds=1)
    pending = register_asset(ctx, licence_id=a.licence, source="studio",
                             image=encode(scene(31, 320, 400), quality=90))
    clock.advance(seconds=1)
    close_period(ctx, "2026-05")
    clock.advance(seconds=1)
    revoke_licence(ctx, accepted.licence.id, reason="campaign cancelled", actor="test")
    clock.advance(seconds=1)
    revoke_consent(ctx, a.consent, reason="I withdraw", actor="test")

    brand = _messages(world, brand_a.id)
    agency = _messages(world, agency_a.id)
    # the last change wrote two messages in one transaction (same time: either order)
    assert [m["type"] for m in brand[:5]] == [
        "asset.approved", "licence.granted", "asset.pending_approval", "statement.ready",
        "licence.revoked"]
    assert sorted(m["type"] for m in brand[5:]) == ["campaign.completed", "consent.revoked"]
    assert [m["type"] for m in agency] == [
        "asset.approved", "licence.granted", "asset.pending_approval", "statement.ready",
        "licence.revoked", "consent.revoked"]
    by_type = {m["type"]: m for m in brand}
    assert brand[0]["asset_id"] == a.assets[0] and brand[0]["state"] == "approved"
    assert brand[2]["asset_id"] == pending.asset.id
    assert brand[3]["statement"] == f"/api/v1/brands/{a.brand}/statements/2026-05"
    assert agency[3]["statement"] == f"/api/v1/talents/{a.talent}/statements/2026-05"
    completed = by_type["campaign.completed"]
    assert completed["campaign_id"] == a.campaign and completed["jobs"] == {"cancelled": 2}
    # the agency reads the talent's reason; the brand only that its licence was suspended
    assert agency[-1]["reason"] == "I withdraw"
    revoked = by_type["consent.revoked"]
    assert "reason" not in revoked and revoked["suspended_licences"] == [a.licence]
    # tenant B's endpoint heard nothing of tenant A, though it subscribes to everything
    assert _messages(world, brand_b.id) == [
        m for m in _messages(world, brand_b.id) if m["type"] == "statement.ready"]
    assert all(a.brand not in json.dumps(m) and a.talent not in json.dumps(m)
               for m in _messages(world, brand_b.id))


def test_a_change_that_fails_writes_no_message(world: World):
    endpoint = _endpoint(world, world.a.brand, "https://hooks.example.com/a").endpoint
    revoke_licence(world.ctx, world.a.licence, reason="ended", actor="test")
    with pytest.raises(Conflict, match="already revoked"):
        revoke_licence(world.ctx, world.a.licence, reason="again", actor="test")
    assert [m["type"] for m in _messages(world, endpoint.id)] == [
        "licence.revoked", "campaign.completed"]


def test_delivery_is_signed_retried_after_500_and_timeout_and_logged(world: World, clock,
                                                                     receiver):
    world.ctx.webhook_schedule = (5, 5, 5)
    created = _endpoint(world, world.a.brand, receiver.url, ["licence.revoked"])
    receiver.script.extend([500, "hang"])  # the sender waits 2 s; the receiver hangs 3 s
    revoke_licence(world.ctx, world.a.licence, reason="ended", actor="test")
    first = deliver_due(world.ctx, worker_id="w1")
    assert first.retrying and not first.delivered
    assert deliver_due(world.ctx, worker_id="w1").attempted == 0  # not due for 5 s
    clock.advance(seconds=5)
    assert deliver_due(world.ctx, worker_id="w1").retrying  # timed out
    clock.advance(seconds=5)
    third = deliver_due(world.ctx, worker_id="w1")
    assert len(third.delivered) == 1
    detail = delivery_detail(world.ctx, third.delivered[0])
    assert detail.delivery.state is DeliveryState.DELIVERED
    assert [a.status for a in detail.attempts] == [500, None, 200]
    assert detail.attempts[1].error == "no answer within 2 s"
    assert detail.attempts[1].latency_ms >= 2000
    got = receiver.wait_for(3)
    assert {r.headers["webhook-id"] for r in got} == {detail.message.id}
    for request in got:  # each attempt signed with its own timestamp
        verify(created.secret, request.headers, request.body,
               now=int(request.headers["webhook-timestamp"]))
    body = json.loads(got[-1].body)
    assert body["type"] == "licence.revoked"
    assert body["data"]["licence_id"] == world.a.licence and body["data"]["reason"] == "ended"
    with pytest.raises(ValueError, match="no signature matches"):
        verify(created.secret, got[0].headers, got[0].body + b" ", now=int(
            got[0].headers["webhook-timestamp"]))


def test_a_delivery_fails_after_its_schedule_and_a_replay_sends_it_again(world: World, clock,
                                                                         receiver):
    world.ctx.webhook_schedule = (1,)
    endpoint = _endpoint(world, world.a.brand, receiver.url, ["licence.revoked"]).endpoint
    receiver.script.extend([503, 500])
    revoke_licence(world.ctx, world.a.licence, reason="ended", actor="test")
    (ours,) = [m["delivery"] for m in _messages(world, endpoint.id)]
    with pytest.raises(Conflict) as pending:
        replay_delivery(world.ctx, ours, actor="test")  # not sent yet: it is pending
    assert pending.value.code == "delivery_pending"
    deliver_due(world.ctx, worker_id="w1")
    clock.advance(seconds=1)
    assert ours in deliver_due(world.ctx, worker_id="w1").failed
    failed = [ours]
    replay_delivery(world.ctx, failed[0], actor="test")
    assert deliver_due(world.ctx, worker_id="w1").delivered == failed
    detail = delivery_detail(world.ctx, failed[0])
    assert [a.status for a in detail.attempts] == [503, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.wait_for(3)}) == 1


def test_a_slow_round_does_not_send_what_its_lost_lease_gave_another(world: World, clock,
                                                                      receiver):
    """A worker holds each delivery from that attempt's start: when an endpoint hangs past
    the lease and another worker takes the round's deliveries meanwhile, the first worker
    sends none of the rest (only the hung one can arrive twice: at least once)."""
    _endpoint(world, world.a.brand, receiver.url, ["licence.revoked"])
    _endpoint(world, world.a.brand, receiver.url + "/second", ["licence.revoked"])
    revoke_licence(world.ctx, world.a.licence, reason="ended", actor="test")
    real = world.ctx.webhook_sender
    by_w1: list[str] = []
    taken: list[str] = []

    class Hanging:
        def target_problem(self, url: str) -> str | None:
            return real.target_problem(url)  # type: ignore[union-attr]

        def send(self, url: str, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
            by_w1.append(url)
            if len(by_w1) == 1:  # the first endpoint hangs past the lease; w2 runs meanwhile
                clock.advance(seconds=61)
                world.ctx.webhook_sender = real
                w2 = deliver_due(world.ctx, worker_id="w2")
                taken.extend(w2.delivered + w2.retrying + w2.failed)
                world.ctx.webhook_sender = self
            return real.send(url, headers, body)  # type: ignore[union-attr]

    world.ctx.webhook_sender = Hanging()  # type: ignore[assignment]
    try:
        slow = deliver_due(world.ctx, worker_id="w1", lease_seconds=60)
    finally:
        world.ctx.webhook_sender = real
    assert len(by_w1) == 1 and slow.delivered == [] and len(taken) >= 2
    assert sorted(slow.lost_lease) == sorted(taken)
    for delivery_id in taken:  # w2's attempts are the ones on record, one each
        assert len(delivery_detail(world.ctx, delivery_id).attempts) == 1
    # our two endpoints each got the message once, from w2 (the hung attempt was the
    # world's own endpoint's, or one of ours: then that one alone arrives twice)
    ours = sorted(r.path for r in receiver.received)
    assert ours in (["/hooks", "/hooks/second"], ["/hooks", "/hooks", "/hooks/second"],
                    ["/hooks", "/hooks/second", "/hooks/second"])


def test_a_worker_that_dies_mid_delivery_leaves_it_to_another(world: World, clock, receiver):
    endpoint = _endpoint(world, world.a.brand, receiver.url, ["licence.revoked"]).endpoint
    revoke_licence(world.ctx, world.a.licence, reason="ended", actor="test")
    with world.ctx.uow() as uow:  # worker 1 claims, then dies before it sends
        claimed = uow.webhooks.claim_due(now=clock(), worker_id="dead", limit=50,
                                         lease_until=clock() + timedelta(seconds=60))
        uow.commit()
    ours = [d for d in claimed if d.endpoint_id == endpoint.id]
    assert len(ours) == 1
    assert ours[0].id not in deliver_due(world.ctx, worker_id="w2").delivered  # leased
    assert receiver.received == []
    clock.advance(seconds=61)
    assert deliver_due(world.ctx, worker_id="w2").delivered == [ours[0].id]
    # the dead worker wakes up and tries to record its attempt: its lease is gone
    late = DeliveryRoundResult()
    _deliver_one(world.ctx, world.ctx.webhook_sender, ours[0], worker_id="dead",  # type: ignore[arg-type]
                 schedule=(5,), result=late)
    assert late.lost_lease == [ours[0].id]
    detail = delivery_detail(world.ctx, ours[0].id)
    assert detail.delivery.state is DeliveryState.DELIVERED and len(detail.attempts) == 1


@pytest.mark.parametrize("url, code", [
    ("http://10.1.2.3/hook", "webhook_target_forbidden"),
    ("http://169.254.169.254/latest/meta-data", "webhook_target_forbidden"),
    ("http://[::1]:8080/hook", "webhook_target_forbidden"),
    ("http://[::ffff:10.0.0.1]/hook", "webhook_target_forbidden"),
    ("https://db.internal/hook", "webhook_target_forbidden"),
    ("http://100.64.0.9/hook", "webhook_target_forbidden"),
    ("https://nowhere.invalid/hook", "webhook_target_forbidden"),
    ("ftp://hooks.example.com/x", "webhook_url_invalid"),
    ("https://user:pw@hooks.example.com/x", "webhook_url_invalid"),
])
def test_private_and_malformed_targets_are_refused(world: World, url, code):
    with pytest.raises(InvalidInput) as refused:
        _endpoint(world, world.a.brand, url)
    assert [p.code for p in refused.value.problems] == [code]
    with world.ctx.uow() as uow:
        assert len(uow.webhooks.endpoints(organisation_id=world.a.brand)) == 1  # the world's


def test_loopback_needs_the_allow_list_and_dns_is_checked_again_at_delivery(world: World):
    world.ctx.webhook_sender = GuardedSender(resolver=offline_resolver, timeout=1)
    with pytest.raises(InvalidInput, match=r"127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback"):
        _endpoint(world, world.a.brand, "http://127.0.0.1:8080/hook")
    answers = {"hooks.example.com": [PUBLIC]}
    world.ctx.webhook_sender = GuardedSender(
        AllowList(), timeout=1,
        resolver=lambda host, port: answers.get(host) or offline_resolver(host, port))
    endpoint = _endpoint(world, world.a.brand, "https://hooks.example.com/h",
                         ["licence.revoked"]).endpoint
    answers["hooks.example.com"] = [PUBLIC, *offline_resolver("10.0.0.7", 443)]  # rebinding
    revoke_licence(world.ctx, world.a.licence, reason="ended", actor="test")
    deliver_due(world.ctx, worker_id="w1")
    (ours,) = [m for m in _messages(world, endpoint.id)]
    detail = delivery_detail(world.ctx, ours["delivery"])
    assert detail.attempts[0].status is None
    assert detail.attempts[0].error.startswith("refused: hooks.example.com resolves to "
                                               "10.0.0.7, a private address")


# ------------------------------------------------------------------ API


def test_api_registers_for_the_own_organisation_and_shows_the_secret_once(world: World, api,
                                                                          receiver):
    body = {"url": receiver.url, "events": ["asset.approved"]}
    refused = api.post("/api/v1/webhooks", headers=as_(world, Role.BRAND_EDITOR), json=body)
    assert refused.status_code == 403
    created = api.post("/api/v1/webhooks", headers=as_(world, Role.BRAND_ADMIN), json=body)
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["organisation_id"] == world.a.brand
    assert endpoint["secret"].startswith("whsec_")
    read = api.get(f"/api/v1/webhooks/{endpoint['id']}",
                   headers=as_(world, Role.BRAND_EDITOR)).json()
    assert "secret" not in read and read["events"] == ["asset.approved"]
    unknown = api.post("/api/v1/webhooks", headers=as_(world, Role.AGENCY),
                       json={"url": receiver.url, "events": ["asset.deleted"]})
    assert unknown.status_code == 422
    assert [r["code"] for r in unknown.json()["error"]["reasons"]] == ["unknown_event"]
    private = api.post("/api/v1/webhooks", headers=as_(world, Role.AGENCY),
                       json={"url": "http://192.168.1.20/x", "events": ["asset.approved"]})
    assert private.status_code == 422
    assert [r["code"] for r in private.json()["error"]["reasons"]] == [
        "webhook_target_forbidden"]
    agency = api.post("/api/v1/webhooks", headers=as_(world, Role.AGENCY), json=body).json()
    assert agency["organisation_id"] == world.a.agency
    rotated = api.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret",
                       headers=as_(world, Role.BRAND_ADMIN)).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    approve_asset(world.ctx, world.a.assets[0], party_id=world.a.talent, actor="test")
    _drain(world)
    signed = receiver.wait_for(2)
    verified = 0
    for request in signed:
        for secret in (rotated["secret"], agency["secret"]):
            try:
                verify(secret, request.headers, request.body,
                       now=int(request.headers["webhook-timestamp"]))
                verified += 1
            except ValueError:
                pass
    assert verified == 2  # the brand's (new secret) and the agency's
    deliveries = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries",
                         headers=as_(world, Role.BRAND_ADMIN)).json()
    assert deliveries["total"] == 1 and deliveries["items"][0]["state"] == "delivered"
    detail = api.get(f"/api/v1/webhook-deliveries/{deliveries['items'][0]['id']}",
                     headers=as_(world, Role.BRAND_EDITOR)).json()
    assert detail["body"]["type"] == "asset.approved"
    assert [a["status"] for a in detail["attempt_log"]] == [200]
    replayed = api.post(f"/api/v1/webhook-deliveries/{detail['id']}/replay",
                        headers=as_(world, Role.BRAND_ADMIN))
    assert replayed.status_code == 200 and replayed.json()["state"] == "pending"
    disabled = api.post(f"/api/v1/webhooks/{endpoint['id']}/disable",
                        headers=as_(world, Role.BRAND_ADMIN)).json()
    assert disabled["active"] is False
    _drain(world)
    after = api.get(f"/api/v1/webhook-deliveries/{detail['id']}",
                    headers=as_(world, Role.BRAND_ADMIN)).json()
    assert after["state"] == "failed"
    assert after["attempt_log"][-1]["error"] == "the endpoint was disabled"


def test_idempotency_key_makes_one_object_and_refuses_reuse(world: World, api):
    headers = {**as_(world, Role.AGENCY), "Idempotency-Key": "create-astrid-1"}
    first = api.post("/api/v1/talents", headers=headers, json={"name": "Astrid Lund"})
    again = api.post("/api/v1/talents", headers=headers, json={"name": "Astrid Lund"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    with world.ctx.uow() as uow:
        assert [t.name for t in uow.talents.list()].count("Astrid Lund") == 1
    other = api.post("/api/v1/talents", headers=headers, json={"name": "Bea Lund"})
    assert other.status_code == 422
    assert other.json()["error"]["type"] == "idempotency_key_reused"
    # another API key with the same Idempotency-Key is another request
    admin = api.post("/api/v1/talents", json={"name": "Astrid Lund"}, headers={
        **as_(world, Role.ADMIN), "Idempotency-Key": "create-astrid-1"})
    assert admin.status_code == 201 and admin.json()["id"] != first.json()["id"]
    bad = api.post("/api/v1/talents", json={"name": "C"}, headers={
        **as_(world, Role.AGENCY), "Idempotency-Key": "x" * 256})
    assert bad.status_code == 422
    # while the first request runs, a retry is told to wait
    scope = hashlib.sha256(world.key(Role.AGENCY).encode()).hexdigest()
    body = b'{"name": "D"}'
    fingerprint = hashlib.sha256(b"POST\n/api/v1/talents\n\n" + body).hexdigest()
    with world.ctx.uow() as uow:
        uow.idempotency.claim(scope, "running-1", fingerprint, world.ctx.now())
        uow.commit()
    busy = api.post("/api/v1/talents", content=body, headers={
        **as_(world, Role.AGENCY), "Idempotency-Key": "running-1",
        "Content-Type": "application/json"})
    assert busy.status_code == 409 and busy.headers["retry-after"] == "1"
    assert busy.json()["error"]["type"] == "idempotency_key_in_flight"


def test_a_refused_create_is_replayed_and_a_server_error_is_not_kept(world: World, api):
    headers = {**as_(world, Role.BRAND_EDITOR), "Idempotency-Key": "k-403"}
    first = api.post("/api/v1/talents", headers=headers, json={"name": "E"})
    assert first.status_code == 403
    assert api.post("/api/v1/talents", headers=headers, json={"name": "E"}).headers[
        "idempotent-replayed"] == "true"
    scope = hashlib.sha256(world.key(Role.BRAND_EDITOR).encode()).hexdigest()
    with world.ctx.uow() as uow:
        assert uow.idempotency.claim(scope, "k-403", "x", world.ctx.now())["status"] == 403
