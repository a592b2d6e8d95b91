"""Nordvik's AW26 catalogue as the demo campaign shows it: outerwear, a knit top and the
bottoms worn with them, and the looks of the brief, every one a full outfit (a coat or
jacket over trousers, a top with trousers or a skirt): no image shows a model in
underwear (``domain.garment.is_full_outfit``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from twinstudio.domain.garment import Garment, is_full_outfit, outfit_gaps
from twinstudio.services.context import ServiceContext
from twinstudio.services.garments import add_garment


@dataclass(frozen=True)
class CatalogueItem:
    key: str
    name: str
    category: str
    colour: str
    colorways: list[str] = field(default_factory=list)
    fit: str = "regular"
    length: str = "regular"
    quilted: bool = False           # a quilted fabric swatch (a puffer's channels)


CATALOGUE = [
    CatalogueItem("parka", "Fjell parka", "coat", "#2f4f6f", ["#7a2e2e"], fit="loose"),
    # a swatch carries its own colour: the puffer has no colourway
    CatalogueItem("puffer", "Isbre puffer jacket", "jacket", "#9fb4c2", fit="loose",
                  quilted=True),
    CatalogueItem("merino", "Merino long-sleeve top", "long_sleeve_top", "#b5651d",
                  ["#4f6d8f"], fit="slim"),
    CatalogueItem("trousers", "Wide wool trousers", "trousers", "#3b3b3f", fit="loose"),
    CatalogueItem("cords", "Straight cord trousers", "trousers", "#7a5c3e", ["#2e3b2f"]),
    CatalogueItem("skirt", "Fjord wool midi skirt", "skirt", "#4a4a52", ["#6b2f3a"]),
]

# The brief's looks, by catalogue key; the hero garment first (a publication's product
# category is its first garment's).
LOOKS = [("parka", "trousers"), ("puffer", "cords"), ("merino", "skirt"),
         ("merino", "cords"), ("puffer", "trousers")]

QUILT_CM = 9.0  # the height of one quilted channel


def add_catalogue(ctx: ServiceContext, brand_id: str, *, actor: str) -> dict[str, Garment]:
    """Add the catalogue to ``brand_id``'s garments; by catalogue key."""
    return {item.key: add_garment(
        ctx, brand_id=brand_id, name=item.name, category=item.category,
        fabric_color=item.colour, colorways=item.colorways, fit=item.fit,
        length=item.length, pattern=quilted_swatch(item.colour) if item.quilted else None,
        pattern_size_cm=QUILT_CM, actor=actor) for item in CATALOGUE}


def brief_looks(garments: dict[str, Garment],
                looks: list[tuple[str, ...]] | None = None) -> list[list[str]]:
    """The looks as garment ids; a look that is not a full outfit is an error."""
    out = []
    for look in LOOKS if looks is None else looks:
        worn = [garments[key] for key in look]
        if not is_full_outfit(g.category for g in worn):
            gaps = ", ".join(outfit_gaps(g.category for g in worn))
            raise ValueError(f"the look {' + '.join(look)} leaves the {gaps} bare")
        out.append([g.id for g in worn])
    return out


def quilted_swatch(colour: str, size: int = 128) -> bytes:
    """A fabric swatch of one quilted channel (PNG): padded across, stitched at its edges,
    with a soft sheen; it tiles vertically every ``QUILT_CM``."""
    import io

    import numpy as np
    from PIL import Image

    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float32)
    v = (np.arange(size, dtype=np.float32) + 0.5) / size
    puff = np.sin(np.pi * v) ** 0.25                     # 0 at the stitches, 1 mid-channel
    shade = 0.5 + 0.5 * puff + 0.05 * np.exp(-((v - 0.38) / 0.08) ** 2)  # sheen
    rng = np.random.default_rng(3)
    grain = 1 + 0.015 * rng.standard_normal((size, size)).astype(np.float32)
    pixels = rgb[None, None] * (shade[:, None] * grain)[..., None]
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "PNG")
    return out.getvalue()
