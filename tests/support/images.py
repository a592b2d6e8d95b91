"""Procedural test images (no photos of real people exist here, none are needed)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from twinstudio.demo.frames import placeholder_pixels


def scene(seed: int, width: int = 768, height: int = 1024) -> np.ndarray:
    """A studio-like frame: a backdrop colour, paper grain and random shapes."""
    return placeholder_pixels(seed, width, height)


def encode(rgb: np.ndarray, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, fmt, **options)
    return out.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
