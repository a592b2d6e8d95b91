"""Render visible disclosure labels into a published rendition (Pillow; DejaVu Sans from
matplotlib so the accented label renders). The label sits in a dark band at the bottom
left, sized to the image, legible on any backdrop."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _font(size: int):  # type: ignore[no-untyped-def]
    from matplotlib import get_data_path
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"),
                              size)


def render_labels(rgb: np.ndarray, labels: list[str]) -> np.ndarray:
    """A copy of ``rgb`` with ``labels`` drawn in; unchanged copy when there are none."""
    from PIL import Image, ImageDraw

    if not labels:
        return rgb.copy()
    image = Image.fromarray(rgb).convert("RGBA")
    width, height = image.size
    size = max(12, int(min(width, height) * 0.028))
    font = _font(size)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    margin = size // 2
    text = "  ·  ".join(labels)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    box_w, box_h = right - left + 2 * margin, bottom - top + 2 * margin
    x0, y0 = margin, height - box_h - margin
    draw.rounded_rectangle([x0, y0, x0 + box_w, y0 + box_h], radius=margin,
                           fill=(0, 0, 0, 170))
    draw.text((x0 + margin - left, y0 + margin - top), text, font=font,
              fill=(255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(image, overlay).convert("RGB")).copy()
