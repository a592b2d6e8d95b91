"""Garment descriptions (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from twinstudio.domain.garment import Fabric, Garment, GarmentCategory


def test_garments_map_to_licence_categories_and_validate_colours():
    dress = Garment(name="Midi", category="dress", fabric=Fabric(base_color="#AA3344"),
                    colorways=["#112233", "#aa3344"])
    assert dress.product_category == "dresses"
    assert dress.colours() == ["#aa3344", "#112233"]  # base first, no duplicate
    assert Garment(name="Coat", category=GarmentCategory.COAT,
                   fabric=Fabric(base_color="#000000")).product_category == "outerwear"
    with pytest.raises(ValidationError, match="colour"):
        Fabric(base_color="red")
    with pytest.raises(ValidationError):
        Garment(name="x", category="cape", fabric=Fabric(base_color="#000000"))


@pytest.mark.parametrize(("look", "gaps"), [
    (["dress"], []),
    (["long_sleeve_top", "trousers"], []),
    (["tee", "skirt"], []),
    (["coat", "trousers"], []),
    (["tank", "shorts"], []),
    (["jacket", "long_sleeve_top", "skirt"], []),
    (["coat", "dress"], []),
    (["coat"], ["lower_body"]),           # a coat over bare legs shows underwear
    (["jacket"], ["lower_body"]),
    (["long_sleeve_top"], ["lower_body"]),
    (["trousers"], ["upper_body"]),
    (["skirt", "shorts"], ["upper_body"]),
])
def test_a_full_outfit_covers_the_upper_and_the_lower_body(look, gaps):
    from twinstudio.domain.garment import is_full_outfit, outfit_gaps

    assert outfit_gaps(look) == gaps
    assert is_full_outfit(look) is (not gaps)
    assert is_full_outfit(GarmentCategory(c) for c in look) is (not gaps)  # any iterable


def test_a_garment_stored_before_packshots_reads_with_no_image_and_a_given_colour():
    old = ('{"id": "gar_0123456789abcdef01234567", "brand_id": "org_1", "name": "Parka", '
           '"category": "coat", "fit": "regular", "length": "regular", "colorways": [], '
           '"fabric": {"base_color": "#2f4f6f", "pattern_sha256": null, '
           '"pattern_size_cm": 12.0, "roughness": 0.85}}')
    garment = Garment.model_validate_json(old)
    assert garment.image_sha256 is None and garment.fabric.colour_source == "given"
    with pytest.raises(ValidationError, match="colour_source"):
        Fabric(base_color="#000000", colour_source="guessed")


def test_a_colour_measured_in_the_packshot_is_the_one_a_render_starts_from():
    garment = Garment(name="Shirt", category="shirt", image_sha256="ab" * 32,
                      fabric=Fabric(base_color="#141d44", colour_source="image"),
                      colorways=["#eeeeee"])
    assert garment.colours() == ["#141d44", "#eeeeee"]  # colourway 0 is the measured one
    again = Garment.model_validate_json(garment.model_dump_json())
    assert again == garment
