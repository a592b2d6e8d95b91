"""Image edits that a retoucher might make, for the body-fidelity gate's tests and bench:
a waist slimming warp, a leg lengthening, a crop and a colour change."""

from __future__ import annotations

import numpy as np


def slim_waist(rgb: np.ndarray, *, waist_y: float, centre_x: float, torso: float,
               amount: float = 0.05) -> np.ndarray:
    """Pull the columns towards ``centre_x`` by ``amount`` at the waist line, fading out
    over about a third of the torso above and below (a liquify-style warp)."""
    import cv2

    height, width = rgb.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    weight = np.exp(-0.5 * ((ys - waist_y) / (0.18 * torso)) ** 2)
    scale = 1.0 - amount * weight          # output x = centre + (x - centre) * scale
    map_x = centre_x + (xs - centre_x) / scale
    return cv2.remap(rgb, map_x, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def lengthen_legs(rgb: np.ndarray, *, hip_y: float, amount: float = 0.05) -> np.ndarray:
    """Stretch everything below the hip line by ``amount`` (the canvas grows)."""
    import cv2

    width = rgb.shape[1]
    top = rgb[:int(hip_y)]
    bottom = rgb[int(hip_y):]
    stretched = cv2.resize(bottom, (width, round(bottom.shape[0] * (1 + amount))),
                           interpolation=cv2.INTER_LINEAR)
    return np.vstack([top, stretched])


def crop(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    left, top, right, bottom = box
    return np.ascontiguousarray(rgb[top:bottom, left:right])


def recolour(rgb: np.ndarray) -> np.ndarray:
    """A grade: warmer, a little brighter and more saturated."""
    out = rgb.astype(np.float32)
    grey = out.mean(axis=2, keepdims=True)
    out = grey + 1.25 * (out - grey)
    out *= np.array([1.08, 1.02, 0.9], np.float32)
    return np.clip(out + 6, 0, 255).astype(np.uint8)
