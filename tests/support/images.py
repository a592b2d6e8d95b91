"""Procedural test images (no photos of real people exist here, none are needed)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw


def scene(seed: int, width: int = 768, height: int = 1024) -> np.ndarray:
    """A studio-like frame: a backdrop colour, paper grain and random shapes."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), tuple(int(x) for x in rng.integers(150, 240, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, s = rng.integers(0, width), rng.integers(0, height), int(rng.integers(10, 160))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + s, y + int(s * 1.5)], fill=colour)
        else:
            draw.rectangle([x, y, x + s, y + s // 2], fill=colour)
    pixels = np.asarray(image).astype(float) + rng.normal(0, 4, (height, width, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def encode(rgb: np.ndarray, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, fmt, **options)
    return out.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
