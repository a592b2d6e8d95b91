"""Licence proposals in the portal, in headless Chromium (Debian's chromium, Playwright's
Python package), over a real store (SQLite and PostgreSQL).

The talent sees a brand's proposal on their home page and the proposals page, and accepts
it by signing: only then is there a licence, which the brand then sees. The agency
refuses another one with a reason the brand reads; the brand withdraws a third; the
talent opens their twin to offers. Forms without their CSRF token change nothing.
Screenshots go to tests/e2e/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import terms
from tests.e2e.test_web import _login, _shot, needs_chromium
from tests.e2e.test_web import browser as browser
from tests.support.web import serve
from tests.support.world import World, build_world, world_context
from twinstudio.bootstrap import build_site
from twinstudio.domain.accounts import Role
from twinstudio.services.proposals import propose_licence

pytestmark = needs_chromium


@pytest.fixture
def site(engine, tmp_path, clock) -> Iterator[tuple[str, World, list[str]]]:
    world = build_world(world_context(engine, tmp_path, clock))
    more = [propose_licence(world.ctx, twin_id=world.a.twin, brand_id=world.a.brand,
                            actor="test", terms=terms(starts="2026-07-01", ends="2026-09-30",
                                                      exclusive_categories=[],
                                                      max_assets=max_assets)).id
            for max_assets in (20, 30)]
    with serve(build_site(world.ctx)) as base:
        yield base, world, more


def _state(world: World, proposal_id: str) -> str:
    with world.ctx.uow() as uow:
        return uow.proposals.get(proposal_id).state.value


def _licences(world: World) -> list[str]:
    with world.ctx.uow() as uow:
        return [lic.id for lic in uow.licences.list(twin_id=world.a.twin)]


def test_the_talent_accepts_a_proposal_by_signing_and_only_then_is_it_a_licence(site,
                                                                                 browser,
                                                                                 engine):
    base, world, _ = site
    backend = engine.dialect.name
    page = _login(browser, base, world.email(Role.TALENT))
    assert page.url.endswith("/my/twin")
    assert "3 licence proposals from brands wait" in page.locator("#proposals-waiting").inner_text()
    page.click("nav >> text=Proposals")
    assert page.url.endswith("/proposals")
    card = page.locator(f"section.proposal#{world.a.proposal}")
    assert "Brand a" in card.inner_text() and "proposes to license" in card.inner_text()
    assert world.b.proposal not in page.content()
    _shot(page, "talent-proposals", backend)

    forged = page.request.post(f"{base}/proposals/{world.a.proposal}/accept",
                               form={"csrf_token": "forged"})
    assert forged.status == 403 and _state(world, world.a.proposal) == "proposed"
    foreign = page.request.post(f"{base}/proposals/{world.b.proposal}/accept", form={
        "csrf_token": page.locator("input[name=csrf_token]").first.input_value()})
    assert foreign.status == 404 and _state(world, world.b.proposal) == "proposed"
    licences_before = _licences(world)

    card.locator("button:has-text('Accept and sign')").click()
    page.wait_for_load_state()

    assert _state(world, world.a.proposal) == "accepted"
    (licence,) = set(_licences(world)) - set(licences_before)
    assert licence in page.locator("#accepted").inner_text()
    assert page.locator(f"table.answered tr#{world.a.proposal} .badge.accepted").count() == 1
    _shot(page, "talent-proposal-accepted", backend)

    page.locator("#offers button:has-text('Open to offers')").click()
    page.wait_for_load_state()
    assert "Close to offers" in page.locator(f"#offers-{world.a.twin}").inner_text()
    with world.ctx.uow() as uow:
        assert uow.twins.get(world.a.twin).open_to_offers

    brand = _login(browser, base, world.email(Role.BRAND_ADMIN))
    assert licence in brand.content()  # the brand's licences page


def test_the_agency_refuses_with_a_reason_and_the_brand_withdraws_another(site, browser,
                                                                          engine):
    base, world, (refused, withdrawn) = site
    backend = engine.dialect.name
    agency = _login(browser, base, world.email(Role.AGENCY))
    agency.click("nav >> text=Proposals")
    card = agency.locator(f"section.proposal#{refused}")
    card.locator("select[name=code]").select_option("fees_too_low")
    card.locator("input[name=note]").fill("the rate for print is 4000 EUR")
    card.locator("button:has-text('Refuse')").click()
    agency.wait_for_load_state()
    assert _state(world, refused) == "refused"
    assert refused in agency.locator("#refused").inner_text()
    _shot(agency, "agency-proposal-refused", backend)

    brand = _login(browser, base, world.email(Role.BRAND_ADMIN))
    brand.click("nav >> text=Proposals")
    row = brand.locator(f"table.answered tr#{refused}")
    assert "the fees are too low: the rate for print is 4000 EUR" in row.inner_text()
    assert brand.locator("button:has-text('Accept and sign')").count() == 0  # not theirs
    brand.locator(f"section.proposal#{withdrawn} button:has-text('Withdraw')").click()
    brand.wait_for_load_state()
    assert _state(world, withdrawn) == "withdrawn"
    _shot(brand, "brand-proposals", backend)
    assert _state(world, world.a.proposal) == "proposed"
