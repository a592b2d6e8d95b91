"""Prompts for the diffusion recipes, built only from the request's checked fields: the
garments' category, colour and name, the scene, the lighting, the season and the
audience segment. No free text from a brief reaches a prompt: names and seasons pass
``clean`` (letters, digits, spaces and a few marks; at most 60 characters), and every
other part comes from closed vocabularies."""

from __future__ import annotations

import re
from collections.abc import Sequence

from twinstudio.domain.garment import Garment, GarmentCategory
from twinstudio.domain.generation import LIGHTING, SCENES, GenerationRequest

MAX_PART = 60
_ALLOWED = re.compile(r"[^\w\s\-'&.]", re.UNICODE)

CATEGORY_WORDS = {
    GarmentCategory.TEE: "t-shirt", GarmentCategory.LONG_SLEEVE: "long-sleeve top",
    GarmentCategory.TANK: "tank top", GarmentCategory.SHIRT: "shirt",
    GarmentCategory.DRESS: "dress", GarmentCategory.SKIRT: "skirt",
    GarmentCategory.TROUSERS: "trousers", GarmentCategory.SHORTS: "shorts",
    GarmentCategory.JACKET: "jacket", GarmentCategory.COAT: "coat",
}
SCENE_WORDS = {
    "cyclorama": "on a seamless {colour} studio cyclorama",
    "gradient": "in front of a {colour} gradient backdrop",
    "set": "in a studio set with a {colour} wall",
}
LIGHTING_WORDS = {
    "studio": "three-point studio lighting", "soft": "soft diffused lighting",
    "high_key": "bright high-key lighting", "golden": "warm golden-hour light",
    "cool": "cool daylight",
}
# named colours for the words of a prompt (the nearest by RGB distance)
COLOUR_NAMES = {
    "black": (20, 20, 20), "charcoal": (60, 60, 64), "grey": (128, 128, 128),
    "silver": (192, 192, 196), "white": (245, 245, 245), "ivory": (250, 244, 225),
    "beige": (215, 195, 160), "sand": (216, 198, 168), "camel": (193, 154, 107),
    "brown": (110, 70, 40), "navy": (25, 35, 80), "blue": (40, 90, 200),
    "sky blue": (135, 190, 230), "teal": (0, 120, 120), "green": (40, 140, 60),
    "olive": (110, 110, 40), "sage": (169, 184, 160), "yellow": (240, 210, 40),
    "mustard": (200, 160, 40), "orange": (230, 120, 30), "red": (200, 30, 40),
    "burgundy": (110, 20, 40), "pink": (240, 150, 180), "blush": (226, 185, 180),
    "purple": (110, 50, 150), "lilac": (190, 160, 220),
}
NEGATIVE = ("deformed, distorted body, extra limbs, extra fingers, missing fingers, "
            "changed body shape, text, logo, watermark, signature, nudity, blurry, "
            "low quality")


def clean(text: str | None) -> str:
    """A name or season fit for a prompt: disallowed characters dropped, spaces
    collapsed, at most ``MAX_PART`` characters."""
    if not text:
        return ""
    kept = _ALLOWED.sub(" ", text)
    kept = "".join(c for c in kept if c.isprintable())
    return " ".join(kept.split())[:MAX_PART].strip()


def colour_name(hex_colour: str) -> str:
    rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return min(COLOUR_NAMES, key=lambda n: sum((a - b) ** 2 for a, b in
                                                zip(COLOUR_NAMES[n], rgb, strict=True)))


def garment_words(garment: Garment, colourway: int) -> str:
    colours = garment.colours()
    colour = colour_name(colours[colourway % len(colours)])
    name = clean(garment.name)
    words = f"{colour} {garment.fit.value} {CATEGORY_WORDS[garment.category]}"
    return f"{words} ({name})" if name else words


def build_prompt(request: GenerationRequest, garments: Sequence[Garment], *,
                 trigger: str | None = None) -> tuple[str, str]:
    """(prompt, negative prompt) for one variant. ``trigger``: the token a twin's LoRA
    was trained with (twin-training issue), cleaned like a name."""
    scene = SCENES[request.scene]
    person = f"photo of {clean(trigger)} person" if trigger else "photo of a fashion model"
    parts = [f"fashion campaign {person}, full figure, wearing "
             + " and ".join(garment_words(g, request.colourway) for g in garments),
             SCENE_WORDS[scene.kind].format(colour=colour_name(scene.colours[0])),
             LIGHTING_WORDS.get(LIGHTING[request.lighting].name, "studio lighting")]
    season = clean(request.season)
    if season:
        parts.append(f"{season} collection")
    if request.segment:
        parts.append(f"styled for {clean(request.segment.replace('_', ' '))}")
    parts.append("sharp focus, natural skin texture, professional photography")
    return ", ".join(parts), NEGATIVE
