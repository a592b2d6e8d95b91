"""The anny body model, built once per process (adapter over ``anny`` and PyTorch).

anny reads ``ANNY_CACHE_DIR`` when it is imported and NVIDIA Warp reads ``WARP_CACHE_PATH``
when it compiles its CPU kernels, so both are set here before the first import. The first
build of a configuration writes its cache (about a minute, ~0.5 GB); later builds take
under a second. Units are metres, Z is up, the body faces -Y, +X is the subject's left.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

_lock = threading.Lock()
DEFAULT_CACHE = Path(os.environ.get("TWINSTUDIO_CACHE_DIR", Path.cwd() / ".cache"))

# The parameters the measurement fit moves; gender and age stay as given.
FIT_PHENOTYPES = ["muscle", "weight", "height", "proportions", "cupsize"]
FIT_LOCAL_CHANGES = ["upperlegs-height-incr", "measure-bust-circ-incr",
                     "measure-underbust-circ-incr", "measure-waist-circ-incr",
                     "measure-hips-circ-incr", "torso-scale-vert-incr",
                     "measure-shoulder-dist-incr"]


def configure_cache(cache_dir: Path | None = None) -> Path:
    """Point anny's and Warp's caches at ``cache_dir`` (before they are imported)."""
    root = Path(cache_dir or DEFAULT_CACHE)
    os.environ.setdefault("ANNY_CACHE_DIR", str(root / "anny"))
    os.environ.setdefault("WARP_CACHE_PATH", str(root / "warp"))
    return root


@functools.cache
def body_model() -> Any:
    """The anny model with every phenotype and the fit's local changes (cached)."""
    configure_cache()
    with _lock:
        import torch

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        import warp

        warp.config.log_level = warp.LOG_WARNING  # no banner on every CLI run
        import anny

        return anny.Anny(phenotypes="all", local_changes=FIT_LOCAL_CHANGES)


@functools.cache
def keypoint_regressor() -> Any:
    """anny's COCO keypoint regressor (17 COCO + 6 foot points from posed vertices)."""
    import anny

    return anny.KeypointsRegressor.coco(body_model())
