"""The portal's likeness reviews and notices in headless Chromium (Debian's chromium,
Playwright's Python package), over a real store (SQLite and PostgreSQL).

Compliance finds the review in the queue, compares the photos side by side, is told why
a short reason is refused, and decides; the page with the photos is never cached. After a
same_person decision the other twin's talent and agency read a notice on their home page
and mark it read; nobody else sees it. Screenshots go to tests/e2e/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_web import _login, _shot, needs_chromium
from tests.e2e.test_web import browser as browser
from tests.support.likeness import FIRST_EMAIL, Lookalikes, lookalikes, open_review
from tests.support.web import loaded_width, serve
from tests.support.world import World, build_world, world_context
from twinstudio.bootstrap import build_site
from twinstudio.domain.accounts import Role

pytestmark = needs_chromium


@pytest.fixture
def site(engine, tmp_path, clock) -> Iterator[tuple[str, World, Lookalikes, str]]:
    world = build_world(world_context(engine, tmp_path, clock))
    look = lookalikes(world)
    review_id = open_review(world, look)
    with serve(build_site(world.ctx)) as base:
        yield base, world, look, review_id


def _review_state(world: World, review_id: str) -> str:
    with world.ctx.uow() as uow:
        return uow.reviews.get(review_id).state.value


def test_compliance_compares_the_photos_and_decides_in_the_form(site, browser, engine):
    base, world, look, review_id = site
    backend = engine.dialect.name
    page = _login(browser, base, world.email(Role.COMPLIANCE))
    page.click("nav >> text=Likeness reviews")
    assert page.url.endswith("/reviews")
    row = page.locator(f"tr#{review_id}")
    assert "Second Face" in row.inner_text() and "First Face" in row.inner_text()
    assert look.first_twin in row.inner_text() and "distance 0." in row.inner_text()
    _shot(page, "compliance-review-queue", backend)

    response = page.request.get(f"{base}/reviews/{review_id}")
    assert response.headers["cache-control"] == "no-store"
    row.locator("a:has-text('Review')").click()
    page.wait_for_load_state()
    subject = page.locator("section.side.subject")
    candidate = page.locator("section.side.candidate")
    assert "Second Face" in subject.inner_text() and "First Face" in candidate.inner_text()
    for side in (subject, candidate):
        images = side.locator(".thumbs img")
        assert images.count() == 3
        for i in range(3):
            src = images.nth(i).get_attribute("src") or ""
            assert src.startswith("data:image/jpeg;base64,")
            assert loaded_width(images.nth(i)) > 0
    assert "distance 0." in candidate.inner_text().lower()
    _shot(page, "compliance-review", backend)

    forged = page.request.post(f"{base}/reviews/{review_id}/decision", form={
        "decision": "distinct", "reason": "passports checked in person", "csrf_token": "no"})
    assert forged.status == 403 and _review_state(world, review_id) == "pending"

    page.check("input[value=distinct]")
    page.fill("textarea[name=reason]", "ok")
    page.click("#record")
    page.wait_for_load_state()
    assert "A decision needs a written reason of at least 10 characters" in page.content()
    assert page.locator("textarea[name=reason]").input_value() == "ok"
    assert page.locator("input[value=distinct]").is_checked()
    assert _review_state(world, review_id) == "pending"
    _shot(page, "compliance-review-short-reason", backend)

    page.fill("textarea[name=reason]", "Passports of both talents checked in person")
    page.click("#record")
    page.wait_for_load_state()
    assert page.url.endswith(f"/reviews/{review_id}?decided=1")
    outcome = page.locator("#outcome").text_content() or ""
    assert "Different people" in outcome and "Passports of both talents" in outcome
    assert "compliance" in outcome  # who decided, by name
    assert page.locator(".thumbs img").count() == 0  # a decided review shows no photos
    _shot(page, "compliance-review-decided", backend)
    assert _review_state(world, review_id) == "distinct"
    with world.ctx.uow() as uow:
        assert uow.twins.get(look.second_twin).state.value == "active"

    page.click("nav >> text=Likeness reviews")
    assert "Nothing waits" in page.content()
    assert "different people" in page.locator(f"tr#{review_id}").inner_text().lower()
    # other roles may not open the queue or a review
    talent = _login(browser, base, FIRST_EMAIL)
    for path in ("/reviews", f"/reviews/{review_id}"):
        assert talent.request.get(f"{base}{path}").status == 403
    assert "Likeness reviews" not in talent.locator("nav").inner_text()


def test_the_other_twins_talent_and_agency_read_the_notice_and_mark_it_read(
        site, browser, engine):
    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.likeness import decide_review

    base, world, look, review_id = site
    backend = engine.dialect.name
    decide_review(world.ctx, review_id, decision=ReviewDecision.SAME_PERSON,
                  reason="the same model registered twice by another agency",
                  actor="user:compliance")
    page = _login(browser, base, FIRST_EMAIL)
    assert page.url.endswith("/my/twin")
    notices = page.locator("#notices")
    assert "Someone tried to enrol First Face's likeness" in notices.inner_text()
    assert "registered twice by another agency" in notices.inner_text()
    assert "1 new" in notices.inner_text()
    _shot(page, "talent-notice", backend)
    notices.locator("button:has-text('Mark read')").click()
    page.wait_for_load_state()
    assert page.url.split("#")[0].endswith("/my/twin")
    assert page.locator("#notices button:has-text('Mark read')").count() == 0
    assert "read " in page.locator("#notices .notice-item").inner_text()
    assert "new" not in page.locator("#notices h2").inner_text()
    _shot(page, "talent-notice-read", backend)

    agency = _login(browser, base, world.email(Role.AGENCY))
    assert agency.url.endswith("/talents")
    assert "First Face's likeness" in agency.locator("#notices").inner_text()
    assert agency.locator("#notices button:has-text('Mark read')").count() == 1
    _shot(agency, "agency-notice", backend)
    for email in (world.email(Role.TALENT), world.b.emails[Role.AGENCY]):
        other = _login(browser, base, email)
        assert other.locator("#notices").count() == 0, email
    # the agency may not mark the talent's own copy, nor post without its token
    with world.ctx.uow() as uow:
        [talents_copy] = uow.notices.list_for([look.first_talent])
        [agencys_copy] = uow.notices.list_for([world.a.agency])
    token = agency.locator("#notices input[name=csrf_token]").get_attribute("value")
    foreign = agency.request.post(f"{base}/notices/{talents_copy.id}/read",
                                  form={"csrf_token": token or "", "back": "/talents"})
    assert foreign.status == 404
    forged = agency.request.post(f"{base}/notices/{agencys_copy.id}/read",
                                 form={"csrf_token": "no", "back": "/talents"})
    assert forged.status == 403
    with world.ctx.uow() as uow:
        assert uow.notices.list_for([world.a.agency])[0].read_at is None

    compliance = _login(browser, base, world.email(Role.COMPLIANCE))
    compliance.goto(f"{base}/reviews/{review_id}")
    outcome = compliance.locator("#outcome").text_content() or ""
    assert "Same person" in outcome and "biometric data destroyed" in outcome
    assert "First Face (" in outcome and "(and her agency, if any) was sent a notice" in outcome
    _shot(compliance, "compliance-review-same-person", backend)
