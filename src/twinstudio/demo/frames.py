"""Placeholder frames: studio-like images that depict no person, standing in for renders
where only marking, verifying or billing matters (the tests' images), and the demo's
"unrelated image" that ``verify`` finds nothing of ours in. The demo's assets are its
campaign's renders."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def placeholder_pixels(seed: int, width: int = 768, height: int = 1024) -> np.ndarray:
    """A studio-like placeholder frame (backdrop, paper grain, shapes; RGB uint8 array).
    No person is depicted. The tests use the same frames."""
    import numpy as np
    from PIL import Image, ImageDraw

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


def placeholder_frame(seed: int) -> bytes:
    """``placeholder_pixels`` as a JPEG."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(placeholder_pixels(seed)).save(out, "JPEG", quality=92)
    return out.getvalue()
