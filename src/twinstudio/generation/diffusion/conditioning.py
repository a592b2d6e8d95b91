"""Conditioning images from the body twin, in the exact camera of the studio render:
the OpenPose-18 skeleton (the standard colours and limb order of the OpenPose body
model, as ControlNet's openpose models were trained on), a depth map (near bright, far
dark, as MiDaS-style depth ControlNets expect), the person mask, a mask per garment and
the studio render itself (the img2img start).

The skeleton is drawn from the projected COCO-17 keypoints of the body model: OpenPose's
neck (joint 1) is the middle of the shoulders; a joint outside the frame is left out,
with its limbs, as OpenPose leaves out what it does not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# OpenPose-18 body joints, in order, from COCO-17 names ("neck": mid-shoulders)
OPENPOSE18 = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist",
              "left_shoulder", "left_elbow", "left_wrist", "right_hip", "right_knee",
              "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye",
              "right_ear", "left_ear")
# limbs as pairs of joint indices (OpenPose's limbSeq, 0-based), drawn in this order
LIMBS = ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
         (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))
# the standard colours (RGB): joint i and limb i share colour i
COLOURS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0),
           (85, 255, 0), (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255),
           (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255), (170, 0, 255),
           (255, 0, 255), (255, 0, 170), (255, 0, 85))
MULTIPLE = 16   # SDXL's VAE (8) and UNet (2 downsamplings) and FLUX's 2x2 patches (16)


def pipeline_size(width: int, height: int, *, max_side: int | None = None,
                  multiple: int = MULTIPLE) -> tuple[int, int]:
    """The size a pipeline runs at for a format: scaled so that the long side is at most
    ``max_side`` (None: the format's own size), each side rounded down to ``multiple``."""
    scale = min(1.0, max_side / max(width, height)) if max_side else 1.0
    w = max(multiple, int(width * scale) // multiple * multiple)
    h = max(multiple, int(height * scale) // multiple * multiple)
    return w, h


def openpose18(keypoints: dict[str, tuple[float, float, bool]], width: int, height: int
               ) -> list[tuple[float, float] | None]:
    """The 18 OpenPose joints in pixels of a (width x height) image, None where the joint
    is outside it (or missing)."""
    def inside(name: str) -> tuple[float, float] | None:
        if name not in keypoints:
            return None
        x, y, _ = keypoints[name]
        return (x, y) if 0 <= x < width and 0 <= y < height else None

    joints = []
    for name in OPENPOSE18:
        if name == "neck":
            left, right = inside("left_shoulder"), inside("right_shoulder")
            joints.append(((left[0] + right[0]) / 2, (left[1] + right[1]) / 2)
                          if left and right else None)
        else:
            joints.append(inside(name))
    return joints


def skeleton_image(keypoints: dict[str, tuple[float, float, bool]], width: int,
                   height: int, *, scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """The OpenPose-18 skeleton on black, (height, width, 3) uint8, for keypoints given in
    another frame (``scale``: this frame's size over that one's, in x and y). Limbs are
    ellipses at 60 % of their colour, joints full-colour discs on top (controlnet_aux's
    drawing), their thickness growing with the image (4 px at 512)."""
    import cv2

    canvas = np.zeros((height, width, 3), np.uint8)
    scaled = {k: (x * scale[0], y * scale[1], v) for k, (x, y, v) in keypoints.items()}
    joints = openpose18(scaled, width, height)
    stick = max(2, round(4 * min(width, height) / 512))
    for (a, b), colour in zip(LIMBS, COLOURS, strict=False):
        if joints[a] is None or joints[b] is None:
            continue
        (xa, ya), (xb, yb) = joints[a], joints[b]  # type: ignore[misc]
        length = float(np.hypot(xa - xb, ya - yb))
        angle = float(np.degrees(np.arctan2(ya - yb, xa - xb)))
        polygon = cv2.ellipse2Poly((round((xa + xb) / 2), round((ya + yb) / 2)),
                                   (int(length / 2), stick), round(angle), 0, 360, 1)
        cv2.fillConvexPoly(canvas, polygon, [int(c * 0.6) for c in colour])
    for joint, colour in zip(joints, COLOURS, strict=True):
        if joint is not None:
            cv2.circle(canvas, (round(joint[0]), round(joint[1])), stick,
                       list(colour), thickness=-1)
    return canvas


def depth_image(depth: np.ndarray, person: np.ndarray | None = None) -> np.ndarray:
    """Metric depth (0 where nothing was drawn) as an 8-bit RGB map, near bright and far
    dark (inverse-depth ordering, like MiDaS). With the ``person`` mask the person's own
    relief gets most of the range (nearest point white, farthest 55 %), and what lies
    behind fades from 50 % to 10 %; nothing drawn is black."""
    valid = depth > 0
    out = np.zeros(depth.shape, np.float32)
    if not valid.any():
        return np.zeros((*depth.shape, 3), np.uint8)
    body = valid & person if person is not None else valid
    if not body.any():
        body = valid
    # percentiles: the mask's edge pixels may see the backdrop behind
    near, far = (float(v) for v in np.percentile(depth[body], [0.5, 98]))
    out[body] = 1.0 - 0.45 * np.clip((depth[body] - near) / max(far - near, 1e-6), 0, 1)
    rest = valid & ~body
    if rest.any():
        start, end = min(float(depth[rest].min()), far), float(depth[rest].max())
        out[rest] = 0.5 - 0.4 * np.clip((depth[rest] - start) / max(end - start, 1e-6), 0, 1)
    grey = np.clip(np.round(out * 255), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def resize(image: np.ndarray, width: int, height: int, *, nearest: bool = False
           ) -> np.ndarray:
    import cv2

    if image.shape[1] == width and image.shape[0] == height:
        return image
    if image.dtype == bool:
        return cv2.resize(image.astype(np.uint8), (width, height),
                          interpolation=cv2.INTER_NEAREST).astype(bool)
    interpolation = cv2.INTER_NEAREST if nearest else (
        cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_CUBIC)
    return cv2.resize(image, (width, height), interpolation=interpolation)


@dataclass
class Conditioning:
    """Every conditioning image at the pipeline's size (``width`` x ``height``)."""

    width: int
    height: int
    pose: np.ndarray                  # (H, W, 3) uint8 skeleton
    depth: np.ndarray                 # (H, W, 3) uint8
    person: np.ndarray                # (H, W) bool
    garments: dict[str, np.ndarray] = field(default_factory=dict)  # garment id -> bool
    studio: np.ndarray | None = None  # (H, W, 3) uint8 the studio render in its scene

    @property
    def garment_union(self) -> np.ndarray:
        union = np.zeros((self.height, self.width), bool)
        for mask in self.garments.values():
            union |= mask
        return union

    def images(self) -> dict[str, np.ndarray]:
        """What is kept with the asset: RGB images and masks as 8-bit grey."""
        out: dict[str, Any] = {"pose": self.pose, "depth": self.depth,
                               "person_mask": _grey(self.person)}
        for garment_id, mask in self.garments.items():
            out[f"garment_mask.{garment_id}"] = _grey(mask)
        if self.studio is not None:
            out["studio"] = self.studio
        return out


def _grey(mask: np.ndarray) -> np.ndarray:
    return np.repeat((mask.astype(np.uint8) * 255)[..., None], 3, axis=2)


def conditioning_from(studio_image: np.ndarray, conditioning: dict[str, Any],
                      garment_ids: list[str], *, width: int, height: int) -> Conditioning:
    """The conditioning images of a studio render (its ``GenerationResult``'s image and
    conditioning), at ``width`` x ``height`` (the pipeline's size for the format)."""
    source_h, source_w = studio_image.shape[:2]
    scale = (width / source_w, height / source_h)
    owners = conditioning.get("garments")
    garments = {}
    for owner, garment_id in enumerate(garment_ids):
        mask = (owners == owner + 1) if owners is not None else np.zeros(
            (source_h, source_w), bool)
        garments[garment_id] = resize(mask, width, height)
    return Conditioning(
        width=width, height=height,
        pose=skeleton_image(conditioning["pose"], width, height, scale=scale),
        depth=resize(depth_image(conditioning["depth"], conditioning["mask"].astype(bool)),
                     width, height),
        person=resize(conditioning["mask"].astype(bool), width, height),
        garments=garments, studio=resize(studio_image, width, height))
