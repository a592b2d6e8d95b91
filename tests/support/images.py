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


def packshot(colour: tuple[int, int, int], background: tuple[int, int, int] = (255, 255, 255),
             size: tuple[int, int] = (600, 800), *, seed: int = 0, fmt: str = "JPEG",
             crop_bottom: bool = False) -> bytes:
    """A product photo: a shirt of ``colour`` on a plain ``background``, with folds that
    shade the fabric by ±12 %, sensor noise and a soft shadow on the backdrop under it.
    ``crop_bottom``: the garment runs off the bottom edge (a tight crop)."""
    from PIL import ImageDraw, ImageFilter

    width, height = size
    hem = 1.1 if crop_bottom else 0.9
    outline = [(0.3, 0.15), (0.7, 0.15), (0.95, 0.35), (0.82, 0.45), (0.72, 0.38),
               (0.72, hem), (0.28, hem), (0.28, 0.38), (0.18, 0.45), (0.05, 0.35)]
    shape = Image.new("L", size, 0)
    ImageDraw.Draw(shape).polygon([(x * width, y * height) for x, y in outline], fill=255)
    cloth = np.asarray(shape) > 0
    rng = np.random.default_rng(seed)
    pixels = np.empty((height, width, 3), np.float64)
    pixels[:] = background
    folds = 1 + 0.12 * np.sin(np.arange(width) / 23.0)
    shaded = np.array(colour, np.float64)[None, None, :] * folds[None, :, None]
    pixels[cloth] = np.broadcast_to(shaded, pixels.shape)[cloth]
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).ellipse((0.25 * width, 0.86 * height, 0.8 * width,
                                    0.95 * height), fill=60)
    dark = np.asarray(shadow.filter(ImageFilter.GaussianBlur(15)), np.float64) / 255
    pixels[~cloth] *= 1 - 0.25 * dark[~cloth][:, None]
    pixels += rng.normal(0, 3, pixels.shape)
    return encode(np.clip(pixels, 0, 255).astype(np.uint8), fmt,
                  **({"quality": 85} if fmt == "JPEG" else {}))


def declared_png(width: int, height: int) -> bytes:
    """A PNG of a few kilobytes that declares ``width``×``height`` pixels: what a
    decompression bomb looks like before it is decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\x00" * (width + 1) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw)
            + chunk(b"IEND", b""))


def zero_png(side: int = 7000) -> bytes:
    """A complete all-zero ``side`` x ``side`` PNG (grey): about 47 KB for 7000 px, 49
    megapixels when decoded (issue 19's pixel bomb under the 50 MP limit)."""
    out = io.BytesIO()
    Image.new("L", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def delta_e(hex_colour: str, rgb: tuple[int, int, int]) -> float:
    """CIE76 colour difference between '#rrggbb' and an RGB triple (about 2: just
    noticeable)."""
    import cv2

    def lab(triple: tuple[int, ...]) -> np.ndarray:
        pixel = np.array([[triple]], np.float32) / 255
        return cv2.cvtColor(pixel, cv2.COLOR_RGB2Lab)[0, 0]

    given = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return float(np.linalg.norm(lab(given) - lab(rgb)))
