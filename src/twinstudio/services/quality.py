"""The QA gates: a generated (or edited) image against the twin's identity template and
its body twin. The perception adapters measure (``QualityTools``); the rules decide."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from twinstudio.domain.errors import Conflict
from twinstudio.domain.generation import BODY_TOLERANCE, IDENTITY_THRESHOLD, compare_body
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import QualityTools


def identity_gate(ctx: ServiceContext, quality: QualityTools, twin_id: str,
                  rgb: Any) -> dict[str, Any]:
    """The face in ``rgb`` against the twin's enrolled template (dlib distance < 0.6)."""
    from twinstudio.services.biometrics import read_templates

    try:
        templates = [json.loads(data) for kind, data in read_templates(ctx, twin_id)
                     if kind == "face"]
    except Conflict as error:
        return {"passed": False, "reason": f"identity template unavailable: {error}"}
    if not templates:
        return {"passed": False, "reason": "the twin has no enrolled face template"}
    embedding, info = quality.face_embedding(rgb)
    if embedding is None:
        return {"passed": False, "reason": "no face found in the image", **info}
    d = float(np.linalg.norm(np.asarray(embedding) - np.asarray(templates[0]["mean"])))
    passed = d < IDENTITY_THRESHOLD
    return {"passed": passed, "distance": round(d, 4), "threshold": IDENTITY_THRESHOLD,
            **info, **({} if passed else {"reason": f"face distance {d:.3f} to the twin's "
                                                    f"template is not under "
                                                    f"{IDENTITY_THRESHOLD}"})}


MIN_BODY_MEASURES = 4


def body_gate(quality: QualityTools, reference_rgb: Any, rgb: Any, *,
              tolerance: float = BODY_TOLERANCE, same_scene: bool = True) -> dict[str, Any]:
    """The body in ``rgb`` against ``reference_rgb`` (the body twin rendered with the same
    pose and camera, or the original of an edit). Measures the image lost (cropped out)
    are not failures, but at least four must be compared or the body cannot be checked."""
    reference, measured, info = quality.compare_bodies(reference_rgb, rgb,
                                                       same_scene=same_scene)
    compared = {k: v for k, v in reference.items() if k in measured}
    if len(compared) < MIN_BODY_MEASURES:
        why = info.get("reason", "is the whole person in the image?")
        return {"passed": False, "checked": False,
                "reason": f"only {len(compared)} body measures could be compared (need "
                          f"{MIN_BODY_MEASURES}): {why}",
                "measured": measured, "reference": reference, **info}
    failures = compare_body(measured, compared, tolerance=tolerance)
    result: dict[str, Any] = {"passed": not failures, "checked": True,
                              "tolerance": tolerance,
                              "measured": {k: round(v, 4) for k, v in measured.items()},
                              "reference": {k: round(v, 4) for k, v in reference.items()},
                              **info}
    if failures:
        result["failures"] = failures
        result["reason"] = "body differs from the body twin: " + ", ".join(
            f"{f['measure']} {f['change']:+.1%}" for f in failures)
    return result
