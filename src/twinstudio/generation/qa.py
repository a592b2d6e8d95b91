"""Measurements for the QA gates (``services.quality`` decides with domain rules).

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


def _lines(points: dict[str, tuple[float, float, float]], shape: tuple[int, int]
           ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Shoulder and hip midpoints and the torso length, or None if not all are seen."""
    height, width = shape

    def seen(name: str) -> np.ndarray | None:
        x, y, v = points.get(name, (0.0, 0.0, 0.0))
        if v < MIN_VISIBILITY or not (0 <= x < width and 0 <= y < height - 2):
            return None
        return np.array([x, y])

    ends = [seen(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    if any(e is None for e in ends):
        return None
    ls, rs, lh, rh = ends
    shoulders, hips = (ls + rs) / 2, (lh + rh) / 2  # type: ignore[operator]
    torso = float(np.linalg.norm(hips - shoulders))
    return (shoulders, hips, torso) if torso >= 20 else None


def measure_body(points: dict[str, tuple[float, float, float]], mask: np.ndarray,
                 valid: np.ndarray | None = None) -> dict[str, float]:
    """Body measures of ``mask`` on lines placed by ``points`` (landmarks name -> x, y,
    visibility). ``valid`` marks the pixels the image really covers (an aligned crop
    covers less than its reference): a measure touching the rest is left out."""
    height, width = mask.shape
    placed = _lines(points, mask.shape)
    if placed is None:
        return {}
    shoulders, hips, torso = placed
    out: dict[str, float] = {}
    for name, share in LINES.items():
        widths = []
        for offset in np.linspace(-BAND, BAND, 5):
            f = share + offset
            y = round(float(shoulders[1] + f * (hips[1] - shoulders[1])))
            if not 0 <= y < height:
                continue
            centre = shoulders[0] + f * (hips[0] - shoulders[0])
            run = _run_at(mask, y, centre)
            if run is None:
                continue
            left, right = run
            if valid is not None and not (valid[y, max(left - 3, 0)]
                                          and valid[y, min(right + 3, width - 1)]):
                continue
            widths.append(float(right - left + 1))
        if len(widths) >= 3:
            out[name] = float(np.median(widths)) / torso
    # leg: from the hip line down to the soles (the lowest person row near the body)
    columns = np.abs(np.arange(width) - hips[0]) < 0.9 * torso
    rows = np.flatnonzero((mask & columns[None, :]).any(axis=1))
    if len(rows):
        sole = int(rows.max())
        cut = sole >= height - 2 or (valid is not None and not valid[min(sole + 3, height - 1),
                                                                     int(hips[0])])
        if not cut and sole > hips[1]:
            out["leg"] = (sole - float(hips[1])) / torso
    return out


SEARCH = 8  # pixels either side of the segmentation's edge where the image edge is sought


def _row_gradient(rgb: np.ndarray) -> np.ndarray:
    """Horizontal colour gradient magnitude (slightly smoothed), per pixel."""
    import cv2

    smooth = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), 1.0)
    return np.abs(cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)).sum(axis=2)


def _edge_near(gradient_row: np.ndarray, x: int) -> int:
    """The strongest edge within SEARCH pixels of ``x``."""
    low, high = max(x - SEARCH, 0), min(x + SEARCH + 1, len(gradient_row))
    return low + int(np.argmax(gradient_row[low:high]))


def _edge_following(gradient_row: np.ndarray, x: int) -> int:
    """Where the reference's edge at ``x`` is in this image: still at ``x`` (within a
    pixel) if a local maximum there is at least a quarter of the strongest edge nearby,
    so that a silhouette edge a new background made weaker is not mistaken for a moved
    one; otherwise the strongest edge nearby (the silhouette moved, e.g. a warp)."""
    low, high = max(x - SEARCH, 1), min(x + SEARCH + 1, len(gradient_row) - 1)
    strongest = float(gradient_row[low:high].max())
    for i in (x, x - 1, x + 1):
        if low <= i < high and gradient_row[i] >= gradient_row[i - 1] \
                and gradient_row[i] >= gradient_row[i + 1] \
                and gradient_row[i] >= 0.25 * strongest:
            return i
    return _edge_near(gradient_row, x)


def paired_widths(reference: np.ndarray, reference_mask: np.ndarray,
                  points: dict[str, tuple[float, float, float]], image: np.ndarray,
                  valid: np.ndarray, *, same_scene: bool = True
                  ) -> tuple[dict[str, float], dict[str, float]]:
    """Widths at the body lines in ``reference`` and in ``image`` (aligned onto it).

    The reference's segmentation says roughly where the silhouette's edges are; in each
    image the edge is then placed at the strongest colour edge within a few pixels, so
    both widths are read on the same lines with pixel precision, and a segmentation that
    merges an arm in one image but not the other cannot change the answer.

    ``same_scene``: both images have the same background (an edit of an asset): the
    strongest edge near the reference's edge is taken, which finds a silhouette a warp
    moved by a few pixels. Otherwise (the body twin rendered on the neutral backdrop
    against the image in its scene) an edge still where the reference has it is kept
    even when the new background made it weaker."""
    height, width = reference_mask.shape
    placed = _lines(points, reference_mask.shape)
    if placed is None:
        return {}, {}
    shoulders, hips, torso = placed
    g_ref, g_img = _row_gradient(reference), _row_gradient(image)
    ref_out: dict[str, float] = {}
    img_out: dict[str, float] = {}
    for name, share in LINES.items():
        pairs = []
        for offset in np.linspace(-BAND, BAND, 5):
            f = share + offset
            y = round(float(shoulders[1] + f * (hips[1] - shoulders[1])))
            if not 0 <= y < height:
                continue
            run = _run_at(reference_mask, y, shoulders[0] + f * (hips[0] - shoulders[0]))
            if run is None:
                continue
            left, right = run
            if not (valid[y, max(left - SEARCH - 2, 0)]
                    and valid[y, min(right + SEARCH + 2, width - 1)]):
                continue
            l0, r0 = _edge_near(g_ref[y], left), _edge_near(g_ref[y], right)
            find = _edge_near if same_scene else _edge_following
            l1, r1 = find(g_img[y], l0), find(g_img[y], r0)
            pairs.append((r0 - l0 + 1, r1 - l1 + 1))
        if len(pairs) >= 3:
            ref_out[name] = float(np.median([p[0] for p in pairs])) / torso
            img_out[name] = float(np.median([p[1] for p in pairs])) / torso
    return ref_out, img_out


def align(reference: np.ndarray, image: np.ndarray) -> np.ndarray | None:
    """The similarity transform (2x3) that maps ``image`` onto ``reference`` (ORB
    features, RANSAC): undoes crops, scaling and small rotations, not local warps."""
    import cv2

    orb = cv2.ORB_create(nfeatures=4000)
    grey = [cv2.cvtColor(np.ascontiguousarray(i), cv2.COLOR_RGB2GRAY) for i in (reference,
                                                                                  image)]
    k0, d0 = orb.detectAndCompute(grey[0], None)
    k1, d1 = orb.detectAndCompute(grey[1], None)
    if d0 is None or d1 is None or len(k0) < 10 or len(k1) < 10:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(d1, d0, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < 0.8 * rest[0].distance]
    if len(good) < 12:
        return None
    source = np.float32([k1[m.queryIdx].pt for m in good])
    target = np.float32([k0[m.trainIdx].pt for m in good])
    matrix, inliers = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC,
                                                  ransacReprojThreshold=2.0)
    if matrix is None or int(inliers.sum()) < 10:
        return None
    return matrix


def _run_at(mask: np.ndarray, y: int, centre_x: float) -> tuple[int, int] | None:
    row = mask[y]
    if not row.any():
        return None
    xs = np.flatnonzero(row)
    breaks = np.flatnonzero(np.diff(xs) > 1)
    starts = np.r_[xs[0], xs[breaks + 1]]
    ends = np.r_[xs[breaks], xs[-1]]
    inside = (starts <= centre_x) & (centre_x <= ends)
    if inside.any():
        i = int(np.flatnonzero(inside)[0])
    else:
        i = int(np.argmin(np.minimum(abs(starts - centre_x), abs(ends - centre_x))))
    return int(starts[i]), int(ends[i])


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

    def compare_bodies(self, reference: Any, image: Any, *, same_scene: bool = True
                       ) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
        """Body measures of ``reference`` and of ``image`` on the same lines: ``image`` is
        aligned onto ``reference`` first (crops and scaling undone), lines come from the
        reference's landmarks, silhouettes from each image's own segmentation."""
        import cv2

        from twinstudio.perception.pose import detect_pose

        reference = np.ascontiguousarray(reference, dtype=np.uint8)
        pose, mask = detect_pose(reference)
        if pose is None or mask is None:
            return {}, {}, {"reason": "no person found in the reference"}
        matrix = align(reference, np.asarray(image, dtype=np.uint8))
        if matrix is None:
            return measure_body(pose.points, mask), {}, {
                "reason": "the image could not be aligned with the reference"}
        height, width = mask.shape
        aligned = cv2.warpAffine(np.ascontiguousarray(image, dtype=np.uint8), matrix,
                                 (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
        valid = cv2.warpAffine(np.ones(np.asarray(image).shape[:2], np.uint8), matrix,
                               (width, height), flags=cv2.INTER_NEAREST) > 0
        other, other_mask = detect_pose(aligned)
        if other is None or other_mask is None:
            return measure_body(pose.points, mask), {}, {"reason": "no person found in the "
                                                                   "image"}
        scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
        info = {"alignment": {"scale": round(1 / scale, 4),
                              "shift_px": [round(float(matrix[0, 2]), 1),
                                           round(float(matrix[1, 2]), 1)]}}
        ref_widths, img_widths = paired_widths(reference, mask, pose.points, aligned, valid,
                                               same_scene=same_scene)
        ref = {**measure_body(pose.points, mask, valid), **ref_widths}
        img = {**measure_body(pose.points, other_mask & valid, valid), **img_widths}
        for name in LINES:  # widths only where both could be read
            if name not in ref_widths:
                ref.pop(name, None)
                img.pop(name, None)
        return ref, img, info
