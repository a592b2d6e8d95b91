"""The brand's campaign flow in headless Chromium, with the fake backend and fake QA
injected (no models): a brand admin adds a garment with a pattern, plans a small campaign
in the form (its refusals are shown with their reasons), runs it and watches the progress
to the end; the talent approves an image in their own browser; the brand publishes it and
sees the labels of the rendition. Screenshots of every page go to tests/e2e/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_web import _login, _shot, csp_violations, needs_chromium
from tests.e2e.test_web import browser as browser
from tests.support.fakes import FakeBackend, FakeQuality
from tests.support.images import delta_e, encode, packshot, scene
from tests.support.web import loaded_width, serve
from tests.support.world import World, build_world, world_context
from twinstudio.bootstrap import build_site, thread_runner
from twinstudio.domain.accounts import Role

pytestmark = needs_chromium


@pytest.fixture
def site(engine, tmp_path, clock) -> Iterator[tuple[str, World]]:
    world = build_world(world_context(engine, tmp_path, clock))
    quality = FakeQuality()
    # a visible pace: each image takes 0.4 s, so the page shows the run in progress
    runner = thread_runner(lambda: (FakeBackend(delay=0.4), quality))
    with serve(build_site(world.ctx, runner=runner, quality=lambda: quality)) as base:
        yield base, world


def test_a_brand_adds_a_garment_runs_a_campaign_and_publishes_an_approved_image(
        site, browser, engine, tmp_path):
    base, world = site
    backend = engine.dialect.name
    pattern = tmp_path / "weave.png"
    pattern.write_bytes(encode(scene(7, 96, 96), "PNG"))

    brand = _login(browser, base, world.email(Role.BRAND_ADMIN))
    brand.click("nav >> text=Catalogue")
    assert brand.locator("table.garments tr").count() == 3  # header + the world's two
    brand.fill("input[name=name]", "Fjell parka")
    brand.select_option("select[name=category]", "coat")
    brand.fill("input[name=colorways]", "#7a2e2e")
    brand.set_input_files("input[name=pattern]", str(pattern))
    brand.click("button:has-text('Add to the catalogue')")
    brand.wait_for_load_state()
    assert "was added to the catalogue" in brand.content()
    assert brand.locator("table.garments >> text=Fjell parka").is_visible()
    _shot(brand, "brand-catalogue", backend)

    brand.click("nav >> text=Campaigns")
    _shot(brand, "brand-campaigns", backend)
    brand.click("text=New campaign")
    brand.fill("input[name=name]", "AW26 capsule")
    brand.check("label.choice:has-text('Fjell parka') input")
    brand.check("label.choice:has-text('Skirt a') input")  # bottoms: not licensed
    brand.check("input[name=formats][value=square]")
    brand.check("input[name=scenes][value=gradient_frost]")
    brand.check("input[name=markets][value='social/SE']")
    brand.fill("input[name=max_assets]", "4")
    _shot(brand, "brand-campaign-new", backend)
    brand.click("button:has-text('Plan the campaign')")
    brand.wait_for_load_state()
    assert "Campaign planned: 2 images queued, 2 variants refused" in brand.content()
    assert brand.locator("ul.refusals code:has-text('category_not_licensed')").count() == 2
    _shot(brand, "brand-campaign-planned", backend)

    brand.click("button#run")
    brand.wait_for_selector("#progress .live", timeout=10_000)
    _shot(brand, "brand-campaign-running", backend)
    brand.wait_for_selector("figure.asset >> nth=1", timeout=60_000)  # reloaded when done
    assert "2 of 2" in brand.locator("#progress").inner_text()
    assert csp_violations(brand) == []  # the polling script is the site's own (portal.js)
    assert brand.locator(".badge.qa-pass").count() == 2
    assert loaded_width(brand.locator("figure.asset img").first) > 0
    assert brand.locator("form.publish").count() == 0  # nothing approved yet
    _shot(brand, "brand-campaign-done", backend)
    campaign_url = brand.url.split("?")[0]

    talent = _login(browser, base, world.email(Role.TALENT))
    talent.goto(f"{base}/assets?state=pending_approval")
    assert talent.locator("figure.asset").count() == 3  # 2 generated + the world's one
    assert talent.locator("figure.asset .badge.qa-pass").count() == 2
    _shot(talent, "talent-approvals-generated", backend)
    talent.locator("figure.asset:has(.badge.qa-pass) button:has-text('Approve')").first.click()
    talent.wait_for_load_state()
    assert "was recorded" in talent.content()

    brand.goto(campaign_url)
    form = brand.locator("form.publish")
    assert form.count() == 1
    form.locator("select[name=channel]").select_option("social")
    form.locator("select[name=territory]").select_option("FR")
    form.locator("button:has-text('Publish')").click()
    brand.wait_for_load_state()
    assert "was published" in brand.content()
    published = brand.locator(".publication")
    assert published.count() == 1 and "social/FR" in published.inner_text()
    assert published.locator(".tag.label").count() >= 1
    _shot(brand, "brand-campaign-published", backend)
    with world.ctx.uow() as uow:
        states = sorted(a.state.value for a in uow.assets.list(twin_id=world.a.twin)
                        if a.id not in world.a.assets)
    assert states == ["pending_approval", "published"]


def test_a_bad_brief_in_the_form_is_explained_and_nothing_is_planned(site, browser, engine):
    base, world = site
    brand = _login(browser, base, world.email(Role.BRAND_EDITOR))
    brand.goto(f"{base}/campaigns/new")
    brand.fill("input[name=name]", "Empty")
    brand.uncheck("input[name=formats][value=feed]")
    brand.click("button:has-text('Plan the campaign')")
    brand.wait_for_load_state()
    text = brand.locator(".alert").inner_text()
    assert "looks" in text and "formats" in text and "markets" in text
    _shot(brand, "brand-campaign-bad-brief", engine.dialect.name)
    with world.ctx.uow() as uow:
        assert len(uow.campaigns.list(brand_id=world.a.brand)) == 1


def test_a_brand_adds_a_garment_whose_colour_is_taken_from_its_packshot(site, browser,
                                                                          engine, tmp_path):
    base, world = site
    image = tmp_path / "packshot.jpg"
    image.write_bytes(packshot((20, 30, 70)))
    brand = _login(browser, base, world.email(Role.BRAND_EDITOR))
    brand.click("nav >> text=Catalogue")
    brand.fill("input[name=name]", "Oxford shirt")
    brand.select_option("select[name=category]", "shirt")
    brand.set_input_files("input[name=image]", str(image))
    brand.check("input[name=colour_from_image]")
    brand.click("button:has-text('Add to the catalogue')")
    brand.wait_for_load_state()
    assert "was added to the catalogue" in brand.content()
    row = brand.locator("table.garments tr:has-text('Oxford shirt')")
    assert row.locator(".tag:has-text('packshot')").count() == 1
    _shot(brand, "brand-catalogue-packshot", engine.dialect.name)
    with world.ctx.uow() as uow:
        (garment,) = [g for g in uow.garments.list(brand_id=world.a.brand)
                      if g.name == "Oxford shirt"]
    assert garment.fabric.colour_source == "image" and garment.image_sha256
    assert delta_e(garment.fabric.base_color, (20, 30, 70)) < 3.0
    swatch = row.locator(".swatch").first.get_attribute("title")
    assert swatch == garment.fabric.base_color
