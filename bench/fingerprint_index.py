"""How does fingerprint lookup scale? Prints figures; asserts nothing.

    .venv/bin/python bench/fingerprint_index.py              # 100 000 assets
    .venv/bin/python bench/fingerprint_index.py --assets 20000

Builds a FingerprintIndex of N assets: a few real procedural frames (so true matches
exist) among synthetic fingerprints (random PDQ hashes; ORB features taken from other
procedural frames and shuffled, so buckets fill as real descriptors would). Prints build
time, memory, and per-lookup milliseconds for PDQ (a recompressed copy) and for the
local-feature path (a 50 % crop: LSH candidates, then RANSAC on the best five).
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.images import scene

from twinstudio.provenance.fingerprint import (
    LocalFeatures,
    local_features,
    match_local,
    pdq_pair,
)
from twinstudio.provenance.index import FingerprintIndex


def jpeg_copy(rgb: np.ndarray, quality: int = 70) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return np.asarray(Image.open(out).convert("RGB"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    real = [scene(i) for i in range(20)]
    pool = np.concatenate([local_features(scene(10_000 + i)).descriptors for i in range(40)])
    rows = []
    for i, rgb in enumerate(real):
        straight, mirrored, _ = pdq_pair(rgb)
        rows.append((f"real{i}", straight, mirrored, local_features(rgb)))
    points = rng.uniform(0, 768, (256, 2)).astype(np.float32)
    for i in range(args.assets - len(real)):
        picks = pool[rng.integers(0, len(pool), 256)]
        rows.append((f"syn{i}", rng.bytes(32), rng.bytes(32),
                     LocalFeatures(points, picks, (576, 768))))
    started = time.perf_counter()
    index = FingerprintIndex.build(rows)
    build = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"index of {len(index)} assets built in {build:.1f} s; peak RSS {rss:.0f} MB")

    pdq_ms, local_ms, found_pdq, found_local = [], [], 0, 0
    for i, rgb in enumerate(real):
        copy = jpeg_copy(rgb)
        t = time.perf_counter()
        straight, mirrored, _ = pdq_pair(copy)
        hit = index.nearest_pdq(straight, mirrored)
        pdq_ms.append((time.perf_counter() - t) * 1000)
        found_pdq += bool(hit and hit[0] == f"real{i}")
        h, w = rgb.shape[:2]
        crop = np.ascontiguousarray(rgb[h // 6:h - h // 6, w // 6:w - w // 6])
        t = time.perf_counter()
        query = local_features(crop)
        best = None
        for position in index.candidates(query):
            result = match_local(query, index.features[position])
            if result.ok and (best is None or result.inliers > best[1]):
                best = (position, result.inliers)
        local_ms.append((time.perf_counter() - t) * 1000)
        found_local += bool(best and index.asset_ids[best[0]] == f"real{i}")
    print(f"PDQ lookup (hash + scan):     median {np.median(pdq_ms):7.1f} ms, "
          f"found {found_pdq}/{len(real)}")
    print(f"local-feature lookup (crop):  median {np.median(local_ms):7.1f} ms, "
          f"found {found_local}/{len(real)}")


if __name__ == "__main__":
    main()
