"""Webhooks from a live ``twinstudio serve`` to a receiver on 127.0.0.1: signed, retried
after a 500 and a timeout, only to the tenant concerned, refused for private addresses
the allow-list does not name, and not lost when the server is killed mid-delivery (the
outbox is read again by the next server once the lease runs out)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support.served import build_world_workspace, serve
from tests.support.webhooks import Receiver
from tests.support.world import World
from twinstudio.domain.accounts import Role
from twinstudio.domain.webhooks import DeliveryState, verify

pytestmark = [pytest.mark.xdist_group("served")]
ENV = {"TWINSTUDIO_WEBHOOK_ALLOW": "127.0.0.1", "TWINSTUDIO_WEBHOOK_RETRY_SECONDS": "1,1,1",
       "TWINSTUDIO_WEBHOOK_TIMEOUT_SECONDS": "2", "TWINSTUDIO_WEBHOOK_LEASE_SECONDS": "3"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("hooks") / "ws"
    world = build_world_workspace(folder)
    receiver = Receiver(hang_seconds=6)
    yield folder, world, receiver
    receiver.close()


def _key(world: World, role: Role, tenant: str = "a") -> dict[str, str]:
    keys = (world.a if tenant == "a" else world.b).keys
    return {"X-API-Key": keys[role] if role in keys else world.keys[role]}


def _register(url: str, world: World, tenant: str, target: str, events: list[str]
              ) -> dict:  # type: ignore[type-arg]
    answer = httpx.post(f"{url}/api/v1/webhooks", headers=_key(world, Role.BRAND_ADMIN, tenant),
                        json={"url": target, "events": events}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _to(receiver: Receiver, tag: str, count: int, timeout: float = 30) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [r for r in receiver.received if r.path.endswith(f"?to={tag}")]
        if len(got) >= count:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{tag}: {len(got)} of {count} arrived")


def test_signed_retried_after_500_and_timeout_and_only_to_its_tenant(live):
    folder, world, receiver = live
    with serve(folder, env=ENV) as served:
        mine = _register(served.url, world, "a", f"{receiver.url}?to=a", ["asset.approved"])
        other = _register(served.url, world, "b", f"{receiver.url}?to=b", ["asset.approved"])
        private = httpx.post(f"{served.url}/api/v1/webhooks", timeout=10,
                             headers=_key(world, Role.BRAND_ADMIN),
                             json={"url": "http://10.0.0.5/hook", "events": ["asset.approved"]})
        assert private.status_code == 422
        assert private.json()["error"]["reasons"][0]["code"] == "webhook_target_forbidden"
        receiver.script.extend([500, "hang"])
        approved = httpx.post(f"{served.url}/api/v1/assets/{world.a.assets[0]}/approve",
                              headers=_key(world, Role.TALENT), timeout=10)
        assert approved.status_code == 200, approved.text
        got = _to(receiver, "a", 3)
        assert len({r.headers["webhook-id"] for r in got}) == 1
        for request in got:
            verify(mine["secret"], request.headers, request.body,
                   now=int(time.time()))
        log = httpx.get(f"{served.url}/api/v1/webhooks/{mine['id']}/deliveries",
                        headers=_key(world, Role.BRAND_ADMIN), timeout=10).json()
        (delivery,) = log["items"]
        detail = httpx.get(f"{served.url}/api/v1/webhook-deliveries/{delivery['id']}",
                           headers=_key(world, Role.BRAND_ADMIN), timeout=10).json()
        assert detail["state"] == "delivered"
        assert [a["status"] for a in detail["attempt_log"]] == [500, None, 200]
        assert detail["body"]["data"]["asset_id"] == world.a.assets[0]
        # tenant B's endpoint heard nothing, and tenant B cannot read A's log
        assert not [r for r in receiver.received if r.path.endswith("?to=b")]
        hidden = httpx.get(f"{served.url}/api/v1/webhooks/{mine['id']}/deliveries",
                           headers=_key(world, Role.BRAND_ADMIN, "b"), timeout=10)
        assert hidden.status_code == 404
        assert other["organisation_id"] == world.b.brand


def test_a_server_killed_mid_delivery_leaves_the_message_to_the_next(live):
    folder, world, receiver = live
    receiver.script.append("hang")  # the first attempt never gets its answer
    with serve(folder, env=ENV) as served:
        endpoint = _register(served.url, world, "a", f"{receiver.url}?to=kill",
                             ["licence.revoked"])
        revoked = httpx.post(f"{served.url}/api/v1/licences/{world.a.licence}/revoke",
                             headers=_key(world, Role.BRAND_ADMIN), timeout=10,
                             json={"reason": "season over"})
        assert revoked.status_code == 200, revoked.text
        first = _to(receiver, "kill", 1)
        os.killpg(served.process.pid, signal.SIGKILL)  # mid-delivery: no attempt recorded
        served.process.wait(10)
    with world.ctx.uow() as uow:
        (pending,) = uow.webhooks.deliveries(endpoint_id=endpoint["id"])
    assert pending.state is DeliveryState.PENDING and pending.attempts == 0
    with serve(folder, env=ENV):
        again = _to(receiver, "kill", 2, timeout=40)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with world.ctx.uow() as uow:
                (done,) = uow.webhooks.deliveries(endpoint_id=endpoint["id"])
            if done.state is DeliveryState.DELIVERED:
                break
            time.sleep(0.2)
    assert again[1].headers["webhook-id"] == first[0].headers["webhook-id"]
    assert done.state is DeliveryState.DELIVERED and done.attempts == 1
    verify(endpoint["secret"], again[1].headers, again[1].body, now=int(time.time()))
    assert Path(folder).is_dir()
