"""Twin training in the portal, in headless Chromium, over a real store (SQLite and
PostgreSQL): the talent opens their LoRA page from "My twin", sees the adapter version
(base model, steps, date, hash), downloads its signed export, sees why a new training is
refused (no consent to train), deletes the version; the agency reaches the same page from
its talents; a brand's user gets a 404 for it; a forged form changes nothing.
Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_web import _login, _shot, csp_violations, needs_chromium
from tests.e2e.test_web import browser as browser
from tests.support.web import serve
from tests.support.world import World, build_world, world_context
from twinstudio.bootstrap import build_site
from twinstudio.domain.accounts import Role
from twinstudio.domain.training import AdapterState
from twinstudio.services.adapters import get_adapter, verify_export

pytestmark = needs_chromium


@pytest.fixture
def site(engine, tmp_path, clock) -> Iterator[tuple[str, World]]:
    world = build_world(world_context(engine, tmp_path, clock))
    with serve(build_site(world.ctx, background=[])) as base:
        yield base, world


def test_the_talent_sees_exports_and_deletes_their_adapter(site, browser, engine):
    base, world = site
    page = _login(browser, base, world.email(Role.TALENT))
    page.goto(f"{base}/my/twin")
    assert "1 active adapter version of my likeness: world-base v1" in \
        page.locator("#training").inner_text()
    page.click("#training >> text=Train, export or delete")
    assert page.url.endswith(f"/twins/{world.a.twin}/training")
    row = page.locator(f"tr#{world.a.adapter}").inner_text()
    assert "world-base" in row and "v1" in row and "2 · 16 · 64" in row
    assert "training_consent_missing" in page.locator("#train").inner_text()
    assert world.b.adapter not in page.content()
    _shot(page, "talent-twin-training", engine.dialect.name)
    with page.expect_download() as download:
        page.click(f"tr#{world.a.adapter} >> text=Export")
    manifest = verify_export(world.ctx, Path(download.value.path()).read_bytes())
    assert manifest["owner"]["talent_id"] == world.a.talent
    forged = page.request.post(f"{base}/adapters/{world.a.adapter}/delete",
                               form={"csrf_token": "forged"})
    assert forged.status == 403
    assert get_adapter(world.ctx, world.a.adapter).state is AdapterState.ACTIVE
    page.click(f"tr#{world.a.adapter} button:text('Delete')")
    page.wait_for_load_state()
    assert "weights are erased" in page.locator("#deleted").inner_text()
    assert "deleted" in page.locator(f"tr#{world.a.adapter}").inner_text().lower()
    assert get_adapter(world.ctx, world.a.adapter).state is AdapterState.DELETED
    assert csp_violations(page) == []


def test_the_agency_reaches_it_and_a_brand_does_not(site, browser):
    base, world = site
    agency = _login(browser, base, world.email(Role.AGENCY))
    agency.goto(f"{base}/talents")
    agency.click("text=training")
    assert agency.url.endswith(f"/twins/{world.a.twin}/training")
    assert world.a.adapter in agency.content()
    brand = _login(browser, base, world.email(Role.BRAND_ADMIN))
    answer = brand.goto(f"{base}/twins/{world.a.twin}/training")
    assert answer is not None and answer.status == 404
    export = brand.request.get(f"{base}/adapters/{world.a.adapter}/export")
    assert export.status == 404
