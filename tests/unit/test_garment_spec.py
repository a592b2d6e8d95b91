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
