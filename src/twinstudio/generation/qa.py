"""Measurements for the QA gates (``services.generation`` decides with domain rules).

Identity: the dlib embedding of the largest face. Body: silhouette widths at the
shoulder, bust, waist and hip lines, from MediaPipe's person segmentation, on lines placed
by its pose landmarks, each divided by the torso length (shoulder midpoint to hip
midpoint), which stays put under the alterations the gate looks for; and the leg length
(hip to ankle) over the same torso length, which catches leg lengthening. Measures
depend only on the person's shape, not on scale, position or colour, so a crop or a
colour change keeps them while a slimming or lengthening warp moves them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# where each width is read, as a share of the torso from the shoulder line down
LINES = {"shoulder": 0.10, "bust": 0.30, "waist": 0.62, "hip": 1.05}
BAND = 0.03     # rows around each line (share of torso) whose widths are averaged
MIN_VISIBILITY = 0.5


def _width_at(mask: np.ndarray, y: int, centre_x: float) -> float | None:
    row = mask[y]
    if not row.any():
        return None
    xs = np.flatnonzero(row)
    # runs of the row; take the one that holds (or is nearest to) the body's centre line
    breaks = np.flatnonzero(np.diff(xs) > 1)
    starts = np.r_[xs[0], xs[breaks + 1]]
    ends = np.r_[xs[breaks], xs[-1]]
    inside = (starts <= centre_x) & (centre_x <= ends)
    if inside.any():
        i = int(np.flatnonzero(inside)[0])
    else:
        i = int(np.argmin(np.minimum(abs(starts - centre_x), abs(ends - centre_x))))
    return float(ends[i] - starts[i] + 1)


def measure_body(points: dict[str, tuple[float, float, float]], mask: np.ndarray
                 ) -> dict[str, float]:
    """Body measures from landmarks (name -> x, y, visibility) and a person mask."""
    height, width = mask.shape

    def seen(name: str) -> np.ndarray | None:
        x, y, v = points.get(name, (0.0, 0.0, 0.0))
        if v < MIN_VISIBILITY or not (0 <= x < width and 0 <= y < height - 2):
            return None
        return np.array([x, y])

    ls, rs, lh, rh = (seen(n) for n in ("left_shoulder", "right_shoulder", "left_hip",
                                        "right_hip"))
    if ls is None or rs is None or lh is None or rh is None:
        return {}
    shoulders, hips = (ls + rs) / 2, (lh + rh) / 2
    torso = float(np.linalg.norm(hips - shoulders))
    if torso < 20:
        return {}
    out: dict[str, float] = {}
    for name, share in LINES.items():
        widths = []
        for offset in np.linspace(-BAND, BAND, 5):
            f = share + offset
            y = round(float(shoulders[1] + f * (hips[1] - shoulders[1])))
            if not 0 <= y < height:
                continue
            centre = shoulders[0] + f * (hips[0] - shoulders[0])
            w = _width_at(mask, y, centre)
            if w is not None:
                widths.append(w)
        if len(widths) >= 3:
            out[name] = float(np.median(widths)) / torso
    legs = []
    for side in ("left", "right"):
        hip, ankle = seen(f"{side}_hip"), seen(f"{side}_ankle")
        if hip is not None and ankle is not None:
            legs.append(float(np.linalg.norm(ankle - hip)) / torso)
    if len(legs) == 2:
        out["leg"] = float(np.mean(legs))
    return out


class PerceptionQuality:
    """QualityTools on the shipped models (dlib faces, MediaPipe pose + segmentation)."""

    def face_embedding(self, rgb: Any) -> tuple[Any | None, dict[str, Any]]:
        from twinstudio.perception.faces import detect_faces

        faces = detect_faces(rgb)
        if not faces:
            return None, {"faces": 0}
        face = faces[0]
        return face.embedding, {"faces": len(faces), "box": list(face.box),
                                "face_height": face.height}

    def body_measures(self, rgb: Any) -> dict[str, float]:
        from twinstudio.perception.pose import detect_pose

        pose, mask = detect_pose(rgb)
        if pose is None or mask is None:
            return {}
        return measure_body(pose.points, mask)
