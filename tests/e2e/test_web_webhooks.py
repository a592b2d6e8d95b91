"""Webhooks in the portal, in headless Chromium, over a real store (SQLite and
PostgreSQL): a brand's admin registers an endpoint (the secret is shown once, on the
answer page), the site's delivery loop sends the brand's events to a local receiver, the
delivery log shows each one and a replay sends it again with the same webhook-id; a
brand editor reads the log but cannot register; a forged form changes nothing.
Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.test_web import _login, _shot, csp_violations, needs_chromium
from tests.e2e.test_web import browser as browser
from tests.support.web import serve
from tests.support.webhooks import Receiver
from tests.support.world import World, build_world, world_context
from twinstudio.bootstrap import build_site
from twinstudio.domain.accounts import Role
from twinstudio.domain.webhooks import verify
from twinstudio.services.assets import approve_asset

pytestmark = needs_chromium


@pytest.fixture
def site(engine, tmp_path, clock) -> Iterator[tuple[str, World, Receiver]]:
    world = build_world(world_context(engine, tmp_path, clock))
    receiver = Receiver()
    with serve(build_site(world.ctx)) as base:  # with its webhook delivery loop
        yield base, world, receiver
    receiver.close()


def _endpoints(world: World) -> list:  # type: ignore[type-arg]
    with world.ctx.uow() as uow:
        return uow.webhooks.endpoints(organisation_id=world.a.brand)


def test_a_brand_admin_registers_reads_the_log_and_replays(site, browser, engine):
    base, world, receiver = site
    page = _login(browser, base, world.email(Role.BRAND_ADMIN))
    page.click("nav >> text=Webhooks")
    assert page.url.endswith("/webhooks")
    assert world.b.webhook not in page.content()
    forged = page.request.post(f"{base}/webhooks", form={
        "csrf_token": "forged", "url": receiver.url, "events": "asset.approved"})
    assert forged.status == 403 and len(_endpoints(world)) == 1
    page.fill("#register input[name=url]", receiver.url)
    page.fill("#register input[name=description]", "DAM ingest")
    page.check("#register input[value='asset.approved']")
    page.check("#register input[value='licence.revoked']")
    page.click("#register button.primary")
    page.wait_for_load_state()
    secret = page.locator("#secret").inner_text()
    assert secret.startswith("whsec_")
    (new,) = [e for e in _endpoints(world) if e.url == receiver.url]
    assert new.events == ["asset.approved", "licence.revoked"]
    page.goto(f"{base}/webhooks")
    assert secret not in page.content()  # shown once

    approve_asset(world.ctx, world.a.assets[0], party_id=world.a.talent, actor="test")
    (first,) = receiver.wait_for(1)
    verify(secret, first.headers, first.body, now=int(first.headers["webhook-timestamp"]))
    deadline = time.monotonic() + 10
    page.reload()
    while "delivered" not in page.locator(f"section#{new.id}").inner_text().lower():
        assert time.monotonic() < deadline, page.locator(f"section#{new.id}").inner_text()
        time.sleep(0.2)
        page.reload()
    _shot(page, "brand-webhooks", engine.dialect.name)
    page.click(f"section#{new.id} button:text('Replay')")
    page.wait_for_load_state()
    assert "is due again" in page.locator("#replayed").inner_text()
    second = receiver.wait_for(2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert csp_violations(page) == []

    editor = _login(browser, base, world.email(Role.BRAND_EDITOR))
    editor.goto(f"{base}/webhooks")
    assert new.id in editor.content() and editor.locator("#register").count() == 0
    refused = editor.request.post(f"{base}/webhooks/{new.id}/disable",
                                  form={"csrf_token": "forged"})
    assert refused.status == 403
