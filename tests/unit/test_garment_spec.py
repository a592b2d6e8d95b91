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
