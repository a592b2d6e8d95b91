"""Does verification find our assets after what the internet does to images? Prints
figures; asserts nothing.

    .venv/bin/python bench/provenance.py                      # 50 assets, 1000 unrelated
    .venv/bin/python bench/provenance.py --assets 10 --unrelated 100   # a quick look

For each of the issue's transforms (metadata stripped in every case: the transformed pixels
are re-encoded without the C2PA manifest) it prints the share of assets that ``verify``
resolves to the right asset, then the false matches over unrelated images (an unrelated
image must resolve to no asset), and milliseconds per asset for marking (watermark),
fingerprinting and signing, and per verify lookup. Images are procedural studio-like
frames (backdrop, paper grain, shapes): no photos of people exist on these machines.
Runs verification on all cores (about 20 minutes on 2 cores for the defaults).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import consent_doc, terms
from tests.support.images import scene

from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.provenance import mark_asset
from twinstudio.services.rights import grant_consent, grant_licence
from twinstudio.services.verification import verify_image

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def jpeg(rgb: np.ndarray, quality: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()


def resize(rgb: np.ndarray, factor: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).resize((int(w * factor), int(h * factor)),
                                                  Image.Resampling.LANCZOS))


def centre_crop(rgb: np.ndarray, area: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    side = area ** 0.5
    ch, cw = int(h * side), int(w * side)
    y, x = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(rgb[y:y + ch, x:x + cw])


def rotate(rgb: np.ndarray, degrees: float) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(rgb, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


def clip(values: np.ndarray) -> np.ndarray:
    return np.clip(values, 0, 255).astype(np.uint8)


def webp(rgb: np.ndarray, quality: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "WEBP", quality=quality)
    return out.getvalue()


TRANSFORMS = {
    "none": lambda a: png(a),
    "jpeg 90": lambda a: jpeg(a, 90),
    "jpeg 75": lambda a: jpeg(a, 75),
    "jpeg 50": lambda a: jpeg(a, 50),
    "resize 0.5 (kept small)": lambda a: jpeg(resize(a, 0.5), 90),
    "resize 0.5 and back": lambda a: jpeg(resize(resize(a, 0.5), 2.0), 90),
    "crop 80 % of area": lambda a: jpeg(centre_crop(a, 0.8), 90),
    "crop 50 % of area": lambda a: jpeg(centre_crop(a, 0.5), 90),
    "rotate 2 degrees": lambda a: jpeg(rotate(a, 2.0), 90),
    "brightness +20 %": lambda a: jpeg(clip(a.astype(float) * 1.2), 90),
    "contrast 0.8": lambda a: jpeg(clip((a.astype(float) - 128) * 0.8 + 128), 90),
    "noise sigma 5": lambda a: jpeg(clip(a + np.random.default_rng(0).normal(0, 5, a.shape)),
                                    90),
    "mirror": lambda a: jpeg(np.ascontiguousarray(a[:, ::-1]), 90),
    "webp 80": lambda a: webp(a, 80),
    "screenshot (0.75 + jpeg 80)": lambda a: jpeg(resize(a, 0.75), 80),
}

_ctx = None


def _worker_init(workspace: str, url: str) -> None:
    global _ctx
    _ctx = bootstrap(Settings(workspace=Path(workspace), database_url=url),
                     clock=lambda: NOW, migrate_schema=False)


def _verify(args: tuple[str, str, bytes]) -> tuple[str, str, str | None, float]:
    label, expected, data = args
    started = time.perf_counter()
    result = verify_image(_ctx, data)
    return label, expected, result.asset_id, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--unrelated", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="twinstudio-provenance-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    settings = Settings(workspace=workdir, database_url=url)
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings, clock=lambda: NOW)
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Bench")
    talent, twin = add_talent(ctx, name="Bench Talent")
    grant_consent(ctx, talent_id=talent.id, document=consent_doc(NOW.date()))
    set_twin_state(ctx, twin.id, TwinState.ACTIVE, reason="bench", actor="bench")
    licence = grant_licence(ctx, twin_id=twin.id, brand_id=brand.id,
                            terms=terms(starts="2026-05-01", ends="2026-12-31",
                                        max_assets=args.assets))
    marked, timings = [], {"watermark": [], "fingerprint": [], "sign": []}
    encode = []
    for i in range(args.assets):
        result = mark_asset(ctx, licence_id=licence.id, image=png(scene(i)), source="studio")
        marked.append((result.asset.id, np.asarray(Image.open(io.BytesIO(result.image))
                                                   .convert("RGB"))))
        for key in timings:
            timings[key].append(result.timings_ms[key])
        encode.append(result.timings_ms["encode"])
    print(f"marked {len(marked)} assets at 768x1024 (median ms): "
          + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in timings.items())
          + f"; together {sum(statistics.median(v) for v in timings.values()):.0f} "
          f"(bench/generate.py sets this against the studio render); encoding the master "
          f"{statistics.median(encode):.0f}")

    jobs = [(name, asset_id, fn(rgb)) for name, fn in TRANSFORMS.items()
            for asset_id, rgb in marked]
    jobs += [("unrelated", "", jpeg(scene(100_000 + i), 85)) for i in range(args.unrelated)]
    workers = os.cpu_count() or 1
    resolved: dict[str, list[bool]] = {name: [] for name in TRANSFORMS}
    false_matches, lookups, unrelated_lookups = 0, [], []
    with ProcessPoolExecutor(workers, initializer=_worker_init,
                             initargs=(str(workdir), url)) as pool:
        for label, expected, got, ms in pool.map(_verify, jobs, chunksize=4):
            if label == "unrelated":
                unrelated_lookups.append(ms)
                false_matches += got is not None
            else:
                lookups.append(ms)
                resolved[label].append(got == expected)
    print(f"{'transform (metadata stripped)':32s} resolved to the right asset")
    for name, hits in resolved.items():
        print(f"  {name:30s} {100 * sum(hits) / len(hits):6.1f} %  ({sum(hits)}/{len(hits)})")
    print(f"false matches over {args.unrelated} unrelated images: {false_matches}")
    print(f"verify lookup of a copy: median {statistics.median(lookups):.0f} ms, "
          f"p95 {np.percentile(lookups, 95):.0f} ms (registry of {len(marked)}); of an "
          f"unrelated image (no signal resolves it, so its faces are also looked for): "
          f"median {statistics.median(unrelated_lookups):.0f} ms")


if __name__ == "__main__":
    main()
