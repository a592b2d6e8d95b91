"""Images at the edge: sniff the type from the bytes, refuse bombs and oversize input,
decode to RGB. Every refusal is an InvalidInput with the reason and a code
(``domain.budgets``: too_many_bytes, too_many_pixels, decompression_bomb, not_an_image,
undecodable, too_small, transparent).

The pixels an image declares are judged before it is decoded (``max_pixels``). With
``max_side`` the image is decoded reduced, the full-resolution RGB array never made: a
JPEG through libjpeg's DCT scaling (``draft``: 1/2, 1/4 or 1/8 of the size, decoded
directly), any other format reduced in its own mode (``Image.reduce`` by a whole factor,
then a Lanczos resize) before it becomes RGB: such an image is decoded once in its own
mode (at most ``max_pixels``), never made a full-size RGB array nor analysed at that
size. Verification and enrolment analyse images at ``budgets.ANALYSIS_SIDE``."""

from __future__ import annotations

import io
import warnings

import numpy as np

from twinstudio.domain import budgets
from twinstudio.domain.budgets import MAX_BYTES, MAX_PIXELS, MIN_SIDE
from twinstudio.domain.errors import InvalidInput

__all__ = ["MAX_BYTES", "MAX_PIXELS", "MIN_SIDE", "decode", "encode", "sniff"]

_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff(data: bytes) -> str:
    """The MIME type from the bytes themselves (never from a file name)."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise InvalidInput("not an image of an allowed type (JPEG, PNG or WebP, judged by its "
                       "bytes)", code=budgets.NOT_AN_IMAGE)


def decode(data: bytes, *, max_side: int | None = None, max_pixels: int = MAX_PIXELS
           ) -> tuple[np.ndarray, str]:
    """(RGB uint8 array, mime). Refuses >60 MB, more declared pixels than ``max_pixels``
    (50 MP unless a budget says less), decompression bombs, truncation. With
    ``max_side`` the array is at most that many pixels on its longer side (decoded
    reduced, see the module's docstring)."""
    from PIL import Image

    if len(data) > MAX_BYTES:
        raise InvalidInput(f"image is {len(data) // (1024 * 1024)} MB; the limit is "
                           f"{MAX_BYTES // (1024 * 1024)} MB", code=budgets.TOO_MANY_BYTES)
    mime = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if budgets.pixels_over(width, height, max_pixels):
                    raise InvalidInput(f"image has {width * height / 1e6:.0f} megapixels; the "
                                       f"limit is {max_pixels / 1e6:.0f}",
                                       code=budgets.TOO_MANY_PIXELS)
                rgb = _to_rgb(_loaded(probe, max_side))
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise InvalidInput(_bomb_message(str(bomb)), code=budgets.DECOMPRESSION_BOMB) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInput(f"image cannot be decoded ({str(error)[:120]})",
                           code=budgets.UNDECODABLE) from None
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise InvalidInput(f"image is smaller than {MIN_SIDE} px on a side",
                           code=budgets.TOO_SMALL)
    return np.ascontiguousarray(rgb), mime


_REDUCIBLE = ("L", "LA", "RGB", "RGBA", "RGBX", "I", "F")


def _loaded(image, max_side: int | None):  # type: ignore[no-untyped-def]
    """The image loaded, at most ``max_side`` on its longer side when given: a JPEG
    decoded at a DCT scale (never larger than needed, never smaller than the target),
    anything else reduced by a whole factor in its own mode, then resized exactly."""
    from PIL import Image

    target = budgets.reduced_size(*image.size, max_side)
    if target == image.size:
        image.load()
        return image
    if image.format == "JPEG":
        image.draft(image.mode if image.mode in ("RGB", "L") else None, target)
    image.load()
    factor = min(image.size[0] // target[0], image.size[1] // target[1])
    if factor >= 2 and image.mode in _REDUCIBLE:
        image = image.reduce(factor)
    if image.size != target:
        resample = (Image.Resampling.NEAREST if image.mode in ("1", "P")
                    else Image.Resampling.LANCZOS)
        image = image.resize(target, resample)
    return image


def _bomb_message(pillow: str) -> str:
    """The refusal of a decompression bomb, naming what it declares and the limit."""
    import re

    declared = re.search(r"\((\d+) pixels\)", pillow)
    size = (f"it declares {int(declared.group(1)) / 1e6:.0f} megapixels; "
            if declared else "")
    return (f"image refused as a decompression bomb ({size}the limit is "
            f"{MAX_PIXELS / 1e6:.0f} megapixels)")


def _to_rgb(image) -> np.ndarray:  # type: ignore[no-untyped-def]
    """RGB uint8 as a viewer shows the image: EXIF orientation applied, 16-bit scaled
    down (not clipped). Transparency is refused rather than silently flattened."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        alpha = np.asarray(image.convert("RGBA"))[:, :, 3]
        if alpha.min() < 255:
            raise InvalidInput("image has transparent pixels; flatten it onto its intended "
                               "background first", code=budgets.TRANSPARENT)
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        grey = np.asarray(image).astype(np.int64)
        peak = 65535 if image.mode.startswith("I;16") or grey.max() > 255 else 255
        grey8 = np.clip(grey * 255 // peak, 0, 255).astype(np.uint8)
        return np.repeat(grey8[:, :, None], 3, axis=2)
    return np.asarray(image.convert("RGB"))


def encode(rgb: np.ndarray, mime: str) -> bytes:
    """Masters keep the input's family: JPEG at quality 95, PNG lossless, WebP as PNG.

    PNG is written at zlib level 1 with OpenCV: 55 ms for a 864x864 studio frame against
    267 ms for Pillow's default level 6, for files 7 % larger (measured; signing a master
    is mostly encoding it)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if mime == "image/jpeg":
        from PIL import Image

        out = io.BytesIO()
        Image.fromarray(rgb).save(out, "JPEG", quality=95, subsampling=0)
        return out.getvalue()
    import cv2

    ok, buffer = cv2.imencode(".png", np.ascontiguousarray(rgb[:, :, ::-1]),
                              [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buffer.tobytes()
