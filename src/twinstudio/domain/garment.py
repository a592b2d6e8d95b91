"""Garments a brand shows on twins: category, fit, length, fabric, colourways (pure data).

A garment is drawn as a textured shell over the body (``body3d.garments``): tops, trousers
and jackets follow the body at the fit's ease; dresses and skirts hang from the waist or
hips as a flared surface. No cloth simulation.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from twinstudio.domain.common import new_id, validate_hex_colour


class GarmentCategory(StrEnum):
    TEE = "tee"
    LONG_SLEEVE = "long_sleeve_top"
    TANK = "tank"
    SHIRT = "shirt"
    DRESS = "dress"
    SKIRT = "skirt"
    TROUSERS = "trousers"
    SHORTS = "shorts"
    JACKET = "jacket"
    COAT = "coat"


# The licence's product category each garment falls under.
PRODUCT_CATEGORY = {
    GarmentCategory.TEE: "tops", GarmentCategory.LONG_SLEEVE: "tops",
    GarmentCategory.TANK: "tops", GarmentCategory.SHIRT: "tops",
    GarmentCategory.DRESS: "dresses", GarmentCategory.SKIRT: "bottoms",
    GarmentCategory.TROUSERS: "bottoms", GarmentCategory.SHORTS: "bottoms",
    GarmentCategory.JACKET: "outerwear", GarmentCategory.COAT: "outerwear",
}


class Fit(StrEnum):
    SLIM = "slim"
    REGULAR = "regular"
    LOOSE = "loose"


# Ease between body and garment, in centimetres, by fit.
EASE_CM = {Fit.SLIM: 0.5, Fit.REGULAR: 1.3, Fit.LOOSE: 2.6}


class Length(StrEnum):
    CROPPED = "cropped"
    REGULAR = "regular"
    LONG = "long"


class Fabric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_color: str
    pattern_sha256: str | None = None  # a tiling pattern image in the blob store
    pattern_size_cm: float = Field(default=12.0, gt=0.5, le=200)
    roughness: float = Field(default=0.85, ge=0.0, le=1.0)

    @field_validator("base_color")
    @classmethod
    def _colour(cls, value: str) -> str:
        return validate_hex_colour(value, "base_color")


class Garment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=lambda: new_id("gar"))
    brand_id: str | None = None
    name: str = Field(min_length=1, max_length=120)
    category: GarmentCategory
    fit: Fit = Fit.REGULAR
    length: Length = Length.REGULAR
    fabric: Fabric
    colorways: list[str] = Field(default_factory=list)

    @field_validator("colorways")
    @classmethod
    def _colorways(cls, values: list[str]) -> list[str]:
        return [validate_hex_colour(v, "colorways") for v in values]

    @property
    def product_category(self) -> str:
        return PRODUCT_CATEGORY[self.category]

    def colours(self) -> list[str]:
        """The base colour first, then the colourways."""
        return [self.fabric.base_color, *[c for c in self.colorways
                                           if c != self.fabric.base_color]]
