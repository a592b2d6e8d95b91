"""The demo campaign's catalogue and brief (pure: no workspace): every look is a full
outfit, the looks use at least four garments and both kinds of bottoms, Nordvik's
licences cover every garment's category, and the puffer's swatch is a quilt."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest
from PIL import Image

from twinstudio.demo.campaign import nordvik_brief
from twinstudio.demo.catalogue import CATALOGUE, brief_looks, quilted_swatch
from twinstudio.demo.world import licence_terms
from twinstudio.domain.garment import Fabric, Garment, GarmentCategory, is_full_outfit


@pytest.fixture
def garments() -> dict[str, Garment]:
    return {item.key: Garment(name=item.name, category=item.category, fit=item.fit,
                              length=item.length, fabric=Fabric(base_color=item.colour),
                              colorways=item.colorways) for item in CATALOGUE}


def test_every_look_of_the_demo_brief_is_a_full_outfit(garments):
    by_id = {g.id: g for g in garments.values()}
    brief = nordvik_brief(garments, twins=["twn_1"])
    looks = [[by_id[g] for g in look] for look in brief.looks]
    assert len(looks) >= 4
    for look in looks:
        assert is_full_outfit(g.category for g in look), [g.name for g in look]
    worn = {g.id for look in looks for g in look}
    assert len(worn) >= 4
    categories = {by_id[g].category for g in worn}
    assert {GarmentCategory.TROUSERS, GarmentCategory.SKIRT} <= categories
    assert categories & {GarmentCategory.COAT, GarmentCategory.JACKET}


def test_a_look_that_leaves_the_legs_bare_is_refused(garments):
    with pytest.raises(ValueError, match="lower_body"):
        brief_looks(garments, [("parka",)])
    with pytest.raises(ValueError, match="upper_body"):
        brief_looks(garments, [("skirt",)])


def test_nordviks_licences_cover_every_garment_of_the_catalogue(garments):
    licensed = set(licence_terms(date(2026, 6, 1)).product_categories)
    assert {g.product_category for g in garments.values()} <= licensed


def test_the_puffer_swatch_is_quilted_channels_in_its_colour():
    pixels = np.asarray(Image.open(io.BytesIO(quilted_swatch("#9fb4c2"))).convert("RGB"))
    rows = pixels.astype(float).mean(axis=(1, 2))
    middle = len(rows) // 2
    assert rows[0] < 0.7 * rows[middle] and rows[-1] < 0.7 * rows[middle]  # stitched edges
    brightest = pixels[int(rows.argmax())].astype(float).mean(axis=0)
    assert np.allclose(brightest, [0x9F, 0xB4, 0xC2], rtol=0.08)  # the garment's colour
    assert pixels.std(axis=1).mean() < 6  # the channels run across: no vertical pattern
