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
                rgb = np.asarray(probe.convert("RGB"))
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("image refused as a decompression bomb") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInput(f"image cannot be decoded ({str(error)[:120]})") from None
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise InvalidInput(f"image is smaller than {MIN_SIDE} px on a side")
    return np.ascontiguousarray(rgb), mime


def encode(rgb: np.ndarray, mime: str) -> bytes:
    """Masters keep the input's family: JPEG at quality 95, PNG lossless, WebP as PNG."""
    from PIL import Image

    out = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if mime == "image/jpeg":
        image.save(out, "JPEG", quality=95, subsampling=0)
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue()
