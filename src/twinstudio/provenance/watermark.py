"""Invisible watermark carrying an asset code.

Chosen by measurement (../shared/notes/watermarks-measured.md): blind-watermark's DWT-DCT-
SVD mark survives JPEG 50, WebP, resizing and screenshots, and recovers flat studio
backdrops where RivaGAN does not; it does not survive crops or rotations, which the
fingerprint's local-feature match covers. ``dwtsvd`` is that algorithm vectorised
(compatible with the library both ways; about 6x faster to embed). Brightness and
contrast can invert every bit,
so decoding also tries the inverted payload; a resized or mirrored copy is decoded again
at the generation size and unmirrored. The payload is protected (see ``codes``), so a
random image never decodes to a valid code except by a 2^-8 CRC accident, which the
fingerprint then has to confirm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from twinstudio.provenance import codes, dwtsvd

# Seeds of the mark's pseudo-random scrambling (public: security comes from the registry,
# not from hiding the mark).
PASSWORD_IMG = 20261
PASSWORD_WM = 7337


def embed(rgb: np.ndarray, code: int) -> np.ndarray:
    """The image with ``code`` embedded (uint8 RGB, same size)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("embed needs an RGB uint8 image")
    out = dwtsvd.embed(np.ascontiguousarray(rgb[:, :, ::-1]), codes.encode(code),
                       password_img=PASSWORD_IMG, password_wm=PASSWORD_WM)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)[:, :, ::-1].copy()


@dataclass
class WatermarkReading:
    code: int | None
    attempt: str | None  # which variant decoded: "as is", "inverted", "resized", ...
    attempts: int


def _extract(rgb: np.ndarray) -> list[int]:
    soft = dwtsvd.extract(np.ascontiguousarray(rgb[:, :, ::-1]), codes.PAYLOAD_BITS,
                          password_img=PASSWORD_IMG, password_wm=PASSWORD_WM)
    return [int(v > _threshold(soft)) for v in soft]


def _threshold(soft: np.ndarray) -> float:
    """Split the soft bits into two clusters (1-D k-means, as blind-watermark does): a
    brightness or contrast change shifts every soft value, a fixed 0.5 would not follow."""
    threshold = 0.5
    low, high = float(soft.min()), float(soft.max())
    for _ in range(100):
        threshold = (low + high) / 2
        ones, zeros = soft[soft > threshold], soft[soft <= threshold]
        if not len(ones) or not len(zeros):
            return 0.5
        low, high = float(zeros.mean()), float(ones.mean())
        if abs((low + high) / 2 - threshold) < 1e-6:
            break
    return (low + high) / 2


def read(rgb: np.ndarray, sizes: Iterable[tuple[int, int]] = ()) -> WatermarkReading:
    """Try to recover an asset code: as is (and inverted), then resized to each known
    generation size ``(width, height)`` with the same aspect ratio, then mirrored."""
    from PIL import Image

    variants: list[tuple[str, np.ndarray]] = [("as is", rgb)]
    h, w = rgb.shape[:2]
    for width, height in sizes:
        if (width, height) != (w, h) and abs(width / height - w / h) < 0.01:
            variants.append((f"resized to {width}x{height}", np.asarray(
                Image.fromarray(rgb).resize((width, height), Image.Resampling.LANCZOS))))
    variants.append(("mirrored", rgb[:, ::-1]))
    attempts = 0
    for name, variant in variants:
        if min(variant.shape[:2]) < 64:
            continue
        attempts += 1
        bits = _extract(variant)
        for label, candidate in ((name, bits), (f"{name}, inverted", [1 - b for b in bits])):
            code = codes.decode(candidate)
            if code is not None:
                return WatermarkReading(code, label, attempts)
    return WatermarkReading(None, None, attempts)
