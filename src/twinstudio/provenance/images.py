"""Images at the edge: sniff the type from the bytes, refuse bombs and oversize input,
decode to RGB. Every refusal is an InvalidInput with the reason."""

from __future__ import annotations

import io
import warnings

import numpy as np

from twinstudio.domain.errors import InvalidInput

MAX_BYTES = 60 * 1024 * 1024
MAX_PIXELS = 50_000_000
MIN_SIDE = 16

_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff(data: bytes) -> str:
    """The MIME type from the bytes themselves (never from a file name)."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise InvalidInput("not an image of an allowed type (JPEG, PNG or WebP, judged by its "
                       "bytes)")


def decode(data: bytes) -> tuple[np.ndarray, str]:
    """(RGB uint8 array, mime). Refuses >60 MB, >50 MP, decompression bombs, truncation."""
    from PIL import Image

    if len(data) > MAX_BYTES:
        raise InvalidInput(f"image is {len(data) // (1024 * 1024)} MB; the limit is "
                           f"{MAX_BYTES // (1024 * 1024)} MB")
    mime = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise InvalidInput(f"image has {width * height / 1e6:.0f} megapixels; the "
                                       f"limit is {MAX_PIXELS / 1e6:.0f}")
                probe.load()
                rgb = _to_rgb(probe)
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise InvalidInput(_bomb_message(str(bomb))) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInput(f"image cannot be decoded ({str(error)[:120]})") from None
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise InvalidInput(f"image is smaller than {MIN_SIDE} px on a side")
    return np.ascontiguousarray(rgb), mime


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
                               "background first")
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
