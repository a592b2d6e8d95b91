"""The colour of a garment in its packshot (the product on a plain, usually light
background), behind the ``GarmentColours`` port: the background is estimated from the
image's border and dropped, then the dominant colour of what is left is taken robustly
(k-means in CIELAB, the largest cluster with the clusters close to it, their median).

Lab distances are CIE76 ΔE: about 2 is a just-noticeable difference, so JPEG noise and a
light shadow on the backdrop stay under ``BACKGROUND_DELTA_E`` while a garment even a
little darker or more saturated than a white backdrop stands out. Folds that shade a
saturated red by ±12 % spread it over more than 12 ΔE, so clusters within
``MERGE_DELTA_E`` = 20 of the largest are merged (at 12 the measured red was 5 ΔE too
dark on synthetic packshots, at 20 about 1; tests/unit/test_garment_colour.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

WORK_SIDE = 256            # the image is analysed at most this large (area-averaged)
BORDER_FRACTION = 0.03     # the band of the border the background is estimated from
BACKGROUND_DELTA_E = 14.0  # farther than this from the background: garment
MERGE_DELTA_E = 20.0       # clusters this close to the largest count as its colour
MIN_GARMENT_FRACTION = 0.01  # less of the image than this: no garment found
CLUSTERS = 3


def _lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _hex(lab: np.ndarray) -> str:
    import cv2

    rgb = cv2.cvtColor(lab.reshape(1, 1, 3).astype(np.float32), cv2.COLOR_Lab2RGB)[0, 0]
    r, g, b = (round(float(np.clip(v, 0.0, 1.0)) * 255) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _small(rgb: np.ndarray) -> np.ndarray:
    import cv2

    height, width = rgb.shape[:2]
    scale = WORK_SIDE / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA)


def garment_mask(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the garment's pixels, the background's Lab colour). The background is the
    median of the border band; the garment is what differs from it by more than
    ``BACKGROUND_DELTA_E``, opened (specks dropped) and eroded once (the anti-aliased
    rim, half garment and half backdrop, does not vote)."""
    import cv2

    height, width = lab.shape[:2]
    band = max(2, round(min(height, width) * BORDER_FRACTION))
    border = np.concatenate([lab[:band].reshape(-1, 3), lab[-band:].reshape(-1, 3),
                             lab[:, :band].reshape(-1, 3), lab[:, -band:].reshape(-1, 3)])
    background = np.median(border, axis=0)
    distance = np.linalg.norm(lab - background, axis=2)
    mask = (distance > BACKGROUND_DELTA_E).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    eroded = cv2.erode(opened, kernel)
    # A thin garment (a strap, a scarf seen edge-on) may vanish when eroded: keep the rim.
    chosen = eroded if eroded.sum() >= 0.5 * opened.sum() else opened
    return chosen.astype(bool), background


def dominant_colour(rgb: Any) -> str | None:
    """The garment's colour in a packshot as '#rrggbb', or None when nothing in the image
    stands out from its background (a white shirt on white, a photo of the backdrop)."""
    import cv2

    lab = _lab(_small(np.asarray(rgb, dtype=np.uint8)[:, :, :3]))
    mask, _ = garment_mask(lab)
    pixels = lab[mask].astype(np.float32)
    if len(pixels) < max(CLUSTERS, MIN_GARMENT_FRACTION * mask.size):
        return None
    cv2.setRNGSeed(0)  # the same packshot gives the same colour
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5)
    _, labels, centres = cv2.kmeans(pixels, CLUSTERS, None, criteria, 3,
                                    cv2.KMEANS_PP_CENTERS)
    labels = labels.ravel()
    counts = np.bincount(labels, minlength=CLUSTERS)
    largest = int(np.argmax(counts))
    # Shading splits one fabric into near clusters; they are one colour, not rivals.
    near = np.linalg.norm(centres - centres[largest], axis=1) <= MERGE_DELTA_E
    members = pixels[near[labels]]
    return _hex(np.median(members, axis=0))


class PackshotColours:
    """The ``GarmentColours`` adapter (OpenCV; no model, nothing to load)."""

    def dominant_colour(self, rgb: Any) -> str | None:
        return dominant_colour(rgb)
