"""Perceptual fingerprints that survive stripped metadata (adapter over ``pdqhash`` and
OpenCV ORB).

PDQ (Meta; 256 bits) matches resized and recompressed copies; the mirrored image's hash is
stored too. Measured on this kind of machine: different images were never closer than 68
bits over 90 300 pairs, so a distance <= 31 is a match (../shared/notes). ORB features
with a RANSAC similarity fit match crops and small rotations, which change PDQ entirely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PDQ_MATCH_DISTANCE = 31
ORB_FEATURES = 256
ORB_MIN_INLIERS = 24
ORB_MIN_INLIER_RATIO = 0.35
MIN_SCALE, MAX_SCALE = 0.25, 1.6   # query frame to asset frame (both normalised)
MAX_ROTATION_DEGREES = 15.0


# PDQ reduces every image to 64x64 before its DCT; hashing a copy whose long side was
# first brought to this size (area average) takes 3 ms instead of 20 at 768x1024, and the
# registry and lookups both do it, so their hashes stay comparable.
PDQ_LONG_SIDE = 512


def _pdq_input(rgb: np.ndarray) -> np.ndarray:
    import cv2

    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    scale = PDQ_LONG_SIDE / max(rgb.shape[:2])
    if scale >= 1.0:
        return rgb
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def pdq(rgb: np.ndarray) -> tuple[bytes, int]:
    """(32-byte PDQ hash, quality 0..100) of an RGB image."""
    import pdqhash

    vector, quality = pdqhash.compute(_pdq_input(rgb))
    return np.packbits(vector.astype(np.uint8)).tobytes(), int(quality)


def pdq_pair(rgb: np.ndarray) -> tuple[bytes, bytes, int]:
    """Hashes of the image and of its mirror, and the image's PDQ quality."""
    straight, quality = pdq(rgb)
    mirrored, _ = pdq(rgb[:, ::-1])
    return straight, mirrored, quality


# PDQ's dihedral hashes, in the reference implementation's order: original, rotated 90,
# 180, 270, flipped in x, in y, on the plus and on the minus diagonal. The y flip is the
# left-right mirror in numpy's row-major layout (checked against the mirrored image).
_MIRROR = 5


def pdq_registered(rgb: np.ndarray) -> tuple[bytes, bytes, int]:
    """What the registry stores: the image's hash, the hash of its mirror as PDQ derives it
    from the same transform (one pass instead of two; within about 20 bits of hashing the
    mirrored pixels) and the quality. Lookups still hash the query and
    its mirrored pixels exactly (``pdq_pair``), so a mirrored copy meets the straight hash."""
    import pdqhash

    vectors, quality = pdqhash.compute_dihedral(_pdq_input(rgb))
    straight, mirrored = (np.packbits(vectors[i].astype(np.uint8)).tobytes()
                          for i in (0, _MIRROR))
    return straight, mirrored, int(quality)


def hamming(a: bytes, b: bytes) -> int:
    return int(np.unpackbits(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())


@dataclass
class LocalFeatures:
    points: np.ndarray        # (n, 2) float32 keypoint positions in the *normalised* frame
    descriptors: np.ndarray   # (n, 32) uint8 ORB descriptors
    size: tuple[int, int]     # (width, height) of the normalised frame

    def to_bytes(self) -> bytes:
        n = np.array([len(self.points), self.size[0], self.size[1]], np.int32)
        return n.tobytes() + self.points.astype(np.float32).tobytes() + \
            self.descriptors.astype(np.uint8).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> LocalFeatures:
        n, w, h = np.frombuffer(data[:12], np.int32)
        points = np.frombuffer(data[12:12 + 8 * n], np.float32).reshape(n, 2)
        descriptors = np.frombuffer(data[12 + 8 * n:12 + 8 * n + 32 * n], np.uint8).reshape(n, 32)
        return cls(points, descriptors, (int(w), int(h)))


def _gray_normalised(rgb: np.ndarray, long_side: int = 768) -> np.ndarray:
    import cv2

    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    scale = long_side / max(gray.shape)
    if abs(scale - 1) > 1e-3:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


def local_features(rgb: np.ndarray, n: int = ORB_FEATURES) -> LocalFeatures:
    """ORB keypoints and descriptors, computed at a fixed resolution."""
    import cv2

    gray = _gray_normalised(rgb)
    orb = cv2.ORB_create(nfeatures=n, scaleFactor=1.2, nlevels=8, fastThreshold=10)
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    if descriptors is None:
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8),
                             (gray.shape[1], gray.shape[0]))
    points = np.array([k.pt for k in keypoints], np.float32)
    return LocalFeatures(points, descriptors, (gray.shape[1], gray.shape[0]))


@dataclass
class LocalMatch:
    inliers: int
    matches: int

    @property
    def ok(self) -> bool:
        return self.inliers >= ORB_MIN_INLIERS and \
            self.inliers >= ORB_MIN_INLIER_RATIO * max(self.matches, 1)


def match_local(query: LocalFeatures, reference: LocalFeatures) -> LocalMatch:
    """Ratio-tested ORB matches, then a RANSAC similarity (scale, rotation, shift) fit:
    a crop or small rotation of the reference keeps many geometrically consistent inliers,
    an unrelated image does not."""
    import cv2

    if len(query.descriptors) < 8 or len(reference.descriptors) < 8:
        return LocalMatch(0, 0)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(query.descriptors, reference.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < 8:
        return LocalMatch(0, len(good))
    src = np.float32([query.points[m.queryIdx] for m in good])
    dst = np.float32([reference.points[m.trainIdx] for m in good])
    model, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                                 ransacReprojThreshold=4.0, maxIters=2000)
    if model is None or inliers is None:
        return LocalMatch(0, len(good))
    # A re-published copy is a crop, a resize or a small rotation of the asset, never a
    # mirror-free large rotation or an extreme zoom: implausible fits are random ones.
    scale = float(np.hypot(model[0, 0], model[1, 0]))
    angle = float(np.degrees(np.arctan2(model[1, 0], model[0, 0])))
    if not (MIN_SCALE <= scale <= MAX_SCALE) or abs(angle) > MAX_ROTATION_DEGREES:
        return LocalMatch(0, len(good))
    return LocalMatch(int(inliers.sum()), len(good))
