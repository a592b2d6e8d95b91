"""Garments a brand shows on twins: category, fit, length, fabric, colourways (pure data).

A garment is drawn as a textured shell over the body (``body3d.garments``): tops and
trousers follow the body at the fit's ease; dresses, skirts, coats and jackets hang from
the waist as a flared surface. No cloth simulation. A look is a full outfit when it
covers the upper and the lower body (``is_full_outfit``): no one shown in underwear.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from twinstudio.domain.common import new_id, validate_hex_colour
from twinstudio.domain.text import Name


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


# What each category covers, for the outfit rule: the upper body, the lower body or both.
UPPER_BODY = frozenset({GarmentCategory.TEE, GarmentCategory.LONG_SLEEVE, GarmentCategory.TANK,
                        GarmentCategory.SHIRT, GarmentCategory.JACKET, GarmentCategory.COAT})
LOWER_BODY = frozenset({GarmentCategory.SKIRT, GarmentCategory.TROUSERS,
                        GarmentCategory.SHORTS})
WHOLE_BODY = frozenset({GarmentCategory.DRESS})


def outfit_gaps(categories: Iterable[GarmentCategory | str]) -> list[str]:
    """What a look leaves uncovered: ``"upper_body"`` and/or ``"lower_body"`` (empty: a
    full outfit). A dress covers both; a coat or jacket over bare legs does not."""
    worn = {GarmentCategory(c) for c in categories}
    if worn & WHOLE_BODY:
        return []
    return [part for part, covering in (("upper_body", UPPER_BODY),
                                        ("lower_body", LOWER_BODY)) if not worn & covering]


def is_full_outfit(categories: Iterable[GarmentCategory | str]) -> bool:
    """A look that shows no one in underwear: a dress, or something on the upper body
    (a top, shirt, jacket or coat) with something on the lower body (trousers, a skirt,
    shorts)."""
    return not outfit_gaps(categories)


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


# Where a fabric's base colour came from: given by the brand, or measured in the
# garment's product image (``image``: the dominant colour of the garment in its packshot).
ColourSource = Literal["given", "image"]


class Fabric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_color: str
    colour_source: ColourSource = "given"  # documents stored before it read as "given"
    pattern_sha256: str | None = None  # a tiling pattern image in the blob store
    pattern_size_cm: float = Field(default=12.0, gt=0.5, le=200)
    roughness: float = Field(default=0.85, ge=0.0, le=1.0)

    @field_validator("base_color")
    @classmethod
    def _colour(cls, value: str) -> str:
        return validate_hex_colour(value, "base_color")


MAX_COLORWAYS = 50  # what the 400-character colorways field of a form holds


class Garment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=lambda: new_id("gar"))
    brand_id: str | None = None
    name: Name = Field(min_length=1, max_length=120)
    category: GarmentCategory
    fit: Fit = Fit.REGULAR
    length: Length = Length.REGULAR
    fabric: Fabric
    colorways: list[str] = Field(default_factory=list, max_length=MAX_COLORWAYS)
    image_sha256: str | None = None  # the product image (packshot) in the blob store

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
