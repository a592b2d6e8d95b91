"""The garment catalogue on a real store (SQLite and PostgreSQL): a product image
(packshot) is checked at the edge like a capture, stored content-addressed, and gives
the base colour when none is given; refused input leaves no garment and no blob."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tests.integration.test_generation import gctx
from tests.support.images import declared_png, delta_e, encode, packshot, scene
from twinstudio.domain.errors import Conflict, InvalidInput
from twinstudio.domain.parties import OrganisationKind
from twinstudio.services.garments import add_garment, list_garments
from twinstudio.services.parties import add_organisation

NAVY, RED = (20, 30, 70), (200, 20, 30)


__all__ = ["gctx"]  # the fixture, shared with the generation tests


@pytest.fixture
def brand(gctx):
    return add_organisation(gctx, kind=OrganisationKind.BRAND, name="Nordvik").id


def _blobs(gctx) -> list[str]:  # type: ignore[no-untyped-def]
    root = gctx.blobs.root
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _garment_events(gctx) -> list[dict]:  # type: ignore[no-untyped-def]
    with gctx.uow() as uow:
        return [e.payload for e in uow.audit.all() if e.type == "GarmentAdded"]


def test_a_packshot_is_stored_and_gives_the_base_colour(gctx, brand):
    image = packshot(NAVY)
    garment = add_garment(gctx, brand_id=brand, name="Oxford shirt", category="shirt",
                          image=image, actor="brand")
    sha = hashlib.sha256(image).hexdigest()
    assert garment.image_sha256 == sha and gctx.blobs.get(sha) == image
    assert garment.fabric.colour_source == "image"
    assert delta_e(garment.fabric.base_color, NAVY) < 3.0, garment.fabric.base_color
    assert garment.colours()[0] == garment.fabric.base_color  # what the studio renders
    (stored,) = list_garments(gctx, brand_id=brand)
    assert stored == garment
    (event,) = _garment_events(gctx)
    assert event["image_sha256"] == sha and event["colour_source"] == "image"
    assert event["base_color"] == garment.fabric.base_color


def test_a_red_garment_on_light_grey_is_measured_red(gctx, brand):
    garment = add_garment(gctx, brand_id=brand, name="Tee", category="tee",
                          image=packshot(RED, (225, 225, 225), fmt="PNG"), actor="brand")
    assert delta_e(garment.fabric.base_color, RED) < 3.0, garment.fabric.base_color


def test_a_fabric_colour_given_wins_over_the_image(gctx, brand):
    garment = add_garment(gctx, brand_id=brand, name="Oxford shirt", category="shirt",
                          fabric_color="#AA3344", image=packshot(NAVY), actor="brand")
    assert garment.fabric.base_color == "#aa3344"
    assert garment.fabric.colour_source == "given" and garment.image_sha256
    (event,) = _garment_events(gctx)
    assert event["colour_source"] == "given" and event["image_sha256"] == garment.image_sha256


def test_a_garment_without_an_image_keeps_a_given_colour_and_no_image(gctx, brand):
    garment = add_garment(gctx, brand_id=brand, name="Parka", category="coat",
                          fabric_color="#2f4f6f", actor="brand")
    assert garment.image_sha256 is None and garment.fabric.colour_source == "given"
    assert _blobs(gctx) == []


def test_neither_a_colour_nor_an_image_is_refused(gctx, brand):
    with pytest.raises(InvalidInput, match="fabric_color: give the garment's base colour"):
        add_garment(gctx, brand_id=brand, name="Parka", category="coat", actor="brand")
    assert list_garments(gctx) == []


@pytest.mark.parametrize(("data", "phrase"), [
    (b"a product description, not a picture\n" * 20, "not an image of an allowed type"),
    (encode(scene(2, 48, 48)), "48x48; at least 64 px a side"),
    (declared_png(8000, 8000), "64 megapixels; the limit is 16"),
    (declared_png(20000, 20000), "decompression bomb .*the limit is 50 megapixels"),
    (encode(scene(3, 320, 400))[:2000], "cannot be decoded"),
    (encode(np.full((200, 160, 3), 250, np.uint8)), "no garment stands out"),
], ids=["not-an-image", "too-small", "over-the-pixel-limit", "bomb", "truncated",
        "nothing-but-background"])
def test_a_bad_packshot_is_refused_and_leaves_nothing(gctx, brand, data, phrase):
    with pytest.raises(InvalidInput, match=f"product image.*{phrase}"):
        add_garment(gctx, brand_id=brand, name="Oxford shirt", category="shirt",
                    image=data, actor="brand")
    assert list_garments(gctx) == [] and _blobs(gctx) == [] and _garment_events(gctx) == []


def test_a_refused_garment_stores_no_image_even_when_the_image_is_good(gctx, brand):
    add_garment(gctx, brand_id=brand, name="Shirt", category="shirt", fabric_color="#000000",
                actor="brand")
    with pytest.raises(Conflict, match="already has a garment named 'Shirt'"):
        add_garment(gctx, brand_id=brand, name="Shirt", category="shirt",
                    image=packshot(NAVY), actor="brand")
    with pytest.raises(InvalidInput, match="category"):
        add_garment(gctx, brand_id=brand, name="Cape", category="cape",
                    image=packshot(NAVY), actor="brand")
    assert _blobs(gctx) == [] and len(list_garments(gctx)) == 1
