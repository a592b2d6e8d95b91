"""The asset-code watermark (luma and chroma, second-level Haar band): it reads back
after what sharing does to an image, stays invisible, and an unmarked image carries none.
Brightness and contrast changes defeat it on some images (bench/provenance.py): the PDQ
fingerprint resolves those copies."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.support.images import scene
from twinstudio.provenance import watermark

CODE = 0x5EED1234


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return np.asarray(Image.open(out).convert("RGB"))


def _webp(rgb: np.ndarray) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "WEBP", quality=80)
    return np.asarray(Image.open(out).convert("RGB"))


def _half(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).resize((w // 2, h // 2), Image.Resampling.LANCZOS))


TRANSFORMS = {
    "none": lambda a: a,
    "jpeg 50": lambda a: _jpeg(a, 50),
    "webp 80": _webp,
    "resize 0.5": _half,
    "mirror": lambda a: a[:, ::-1].copy(),
    "noise 5": lambda a: np.clip(a + np.random.default_rng(0).normal(0, 5, a.shape), 0,
                                 255).astype(np.uint8),
    "screenshot": lambda a: _jpeg(np.asarray(Image.fromarray(a).resize(
        (a.shape[1] * 3 // 4, a.shape[0] * 3 // 4), Image.Resampling.LANCZOS)), 80),
}


@pytest.fixture(scope="module")
def marked():
    original = scene(11, 768, 1024)
    return original, watermark.embed(original, CODE)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_the_code_reads_back_after(marked, name):
    _, image = marked
    reading = watermark.read(TRANSFORMS[name](image), sizes=[(768, 1024)])
    assert reading.code == CODE, reading


def test_the_mark_is_invisible(marked):
    original, image = marked
    assert image.shape == original.shape and image.dtype == np.uint8
    mse = np.mean((image.astype(float) - original) ** 2)
    assert mse > 0 and 10 * np.log10(255 ** 2 / mse) > 40  # PSNR in dB


def test_an_unmarked_image_carries_no_code(marked):
    original, _ = marked
    assert watermark.read(original, sizes=[(768, 1024)]).code is None


def test_only_rgb_bytes_are_marked():
    with pytest.raises(ValueError):
        watermark.embed(np.zeros((512, 512), np.uint8), CODE)
