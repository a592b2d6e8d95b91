"""Images at the edge are decoded as a viewer shows them, or refused with a reason."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from twinstudio.domain.errors import InvalidInput
from twinstudio.provenance.images import decode


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (200, 100), (10, 20, 30))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert decode(out.getvalue())[0].shape == (200, 100, 3)


def test_sixteen_bit_grey_is_scaled_not_clipped():
    grey = Image.fromarray((np.ones((100, 200)) * 32768).astype(np.uint16))
    assert abs(float(decode(_png(grey))[0].mean()) - 127.5) < 1.0


def test_transparency_is_refused_not_flattened_silently():
    with pytest.raises(InvalidInput, match="transparent"):
        decode(_png(Image.new("RGBA", (64, 64), (1, 2, 3, 0))))
    opaque = decode(_png(Image.new("RGBA", (64, 64), (1, 2, 3, 255))))[0]
    assert opaque[0, 0].tolist() == [1, 2, 3]
