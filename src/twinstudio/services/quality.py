"""The QA gates: a generated (or edited) image against the twin's identity template and
its body twin. The perception adapters measure (``QualityTools``); the rules decide
(``domain.identity`` for the face, ``domain.generation.compare_body`` for the body).

Results are typed (``QaResult``); they are stored with the asset as JSON
(``as_dict``) and read back with ``from_dict``, key for key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from twinstudio.domain.errors import Conflict
from twinstudio.domain.generation import BODY_TOLERANCE, compare_body
from twinstudio.domain.identity import IDENTITY_THRESHOLD, face_distance
from twinstudio.domain.twin import TwinState
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import QualityTools

MIN_BODY_MEASURES = 4


@dataclass
class IdentityGateResult:
    passed: bool
    reason: str | None = None
    distance: float | None = None
    threshold: float | None = None
    info: dict[str, Any] = field(default_factory=dict)  # what the face measurement saw

    def as_dict(self) -> dict[str, Any]:
        if self.distance is None:
            return {"passed": self.passed, "reason": self.reason, **self.info}
        out = {"passed": self.passed, "distance": self.distance, "threshold": self.threshold,
               **self.info}
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdentityGateResult:
        known = {"passed", "reason", "distance", "threshold"}
        return cls(passed=bool(data.get("passed")), reason=data.get("reason"),
                   distance=data.get("distance"), threshold=data.get("threshold"),
                   info={k: v for k, v in data.items() if k not in known})


@dataclass
class BodyGateResult:
    passed: bool
    checked: bool
    reason: str | None = None
    tolerance: float | None = None
    measured: dict[str, float] = field(default_factory=dict)
    reference: dict[str, float] = field(default_factory=dict)
    failures: list[dict[str, Any]] | None = None
    info: dict[str, Any] = field(default_factory=dict)  # alignment and edge details

    def as_dict(self) -> dict[str, Any]:
        if not self.checked:
            return {"passed": self.passed, "checked": False, "reason": self.reason,
                    "measured": self.measured, "reference": self.reference, **self.info}
        out: dict[str, Any] = {"passed": self.passed, "checked": True,
                               "tolerance": self.tolerance, "measured": self.measured,
                               "reference": self.reference, **self.info}
        if self.failures is not None:
            out["failures"] = self.failures
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BodyGateResult:
        known = {"passed", "checked", "reason", "tolerance", "measured", "reference",
                 "failures"}
        return cls(passed=bool(data.get("passed")), checked=bool(data.get("checked")),
                   reason=data.get("reason"), tolerance=data.get("tolerance"),
                   measured=data.get("measured") or {}, reference=data.get("reference") or {},
                   failures=data.get("failures"),
                   info={k: v for k, v in data.items() if k not in known})


@dataclass
class QaResult:
    """Both gates; ``edit_of`` names the original when the image is an edit."""

    identity: IdentityGateResult
    body: BodyGateResult
    passed: bool
    edit_of: str | None = None
    # best of N: every candidate's scores (seed, passed, distance, worst body change,
    # reasons) and the index of the one kept; None for a single image
    candidates: list[dict[str, Any]] | None = None
    chosen: int | None = None

    @classmethod
    def of(cls, identity: IdentityGateResult, body: BodyGateResult) -> QaResult:
        return cls(identity, body, identity.passed and body.passed)

    @property
    def reasons(self) -> list[str]:
        """Why the image failed, one line per failed gate."""
        return [g.reason for g in (self.identity, self.body) if not g.passed and g.reason]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"identity": self.identity.as_dict(), "body": self.body.as_dict(),
                               "passed": self.passed}
        if self.edit_of is not None:
            out["edit_of"] = self.edit_of
        if self.candidates is not None:
            out["candidates"], out["chosen"] = self.candidates, self.chosen
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QaResult:
        return cls(IdentityGateResult.from_dict(data.get("identity") or {}),
                   BodyGateResult.from_dict(data.get("body") or {}),
                   bool(data.get("passed")), data.get("edit_of"),
                   data.get("candidates"), data.get("chosen"))

    def score(self) -> dict[str, Any]:
        """This image's scores, as a best-of-N lists them."""
        worst = max((abs(f["change"]) for f in self.body.failures or []
                     if f.get("change") is not None), default=None)
        if worst is None and self.body.checked:
            changes = [abs(self.body.measured[k] - v) / v for k, v in
                       self.body.reference.items() if k in self.body.measured and v]
            worst = round(max(changes), 4) if changes else None
        return {"passed": self.passed, "identity_distance": self.identity.distance,
                "body_checked": self.body.checked, "body_worst_change": worst,
                "reasons": self.reasons}


def rank_key(qa: QaResult) -> tuple[bool, float, float]:
    """Best first: passing before failing, then the nearest face to the twin's template,
    then the smallest body change (a missing measure ranks last)."""
    score = qa.score()
    distance = score["identity_distance"]
    worst = score["body_worst_change"]
    return (not qa.passed, float("inf") if distance is None else float(distance),
            float("inf") if worst is None else float(worst))


def best_of(results: list[QaResult], seeds: list[int]) -> QaResult:
    """The best candidate's gates, with every candidate's scores and the chosen index."""
    chosen = min(range(len(results)), key=lambda i: rank_key(results[i]))
    best = results[chosen]
    return QaResult(best.identity, best.body, best.passed, best.edit_of,
                    candidates=[{"seed": seed, **qa.score()}
                                for seed, qa in zip(seeds, results, strict=True)],
                    chosen=chosen)


def identity_gate(ctx: ServiceContext, quality: QualityTools, twin_id: str,
                  rgb: Any) -> IdentityGateResult:
    """The face in ``rgb`` against the twin's enrolled template (the identity rule). The
    twin's own template must be under the threshold; the nearest other enrolled twin and
    the margin to it are recorded (``nearest_other``, ``margin``), and so is whether the
    face is as close to a look-alike (``lookalike_closer``), for the reviewer to see."""
    from twinstudio.services.biometrics import (
        FACE,
        enrolled_face_templates,
        lookalike_pairs,
        read_templates,
    )

    with ctx.uow() as uow:
        state = uow.twins.get(twin_id).state
    if state is TwinState.IN_REVIEW:  # its template waits for a compliance decision
        return IdentityGateResult(False, "the twin's enrolment waits for a likeness review; "
                                         "its template is not usable yet")
    try:
        templates = [json.loads(data) for _, data in read_templates(ctx, twin_id, [FACE])]
    except Conflict as error:
        return IdentityGateResult(False, f"identity template unavailable: {error}")
    if not templates:
        return IdentityGateResult(False, "the twin has no enrolled face template")
    embedding, info = quality.face_embedding(rgb)
    if embedding is None:
        return IdentityGateResult(False, "no face found in the image", info=info)
    d = face_distance(embedding, templates[0]["mean"])
    passed = d < IDENTITY_THRESHOLD  # the rule of domain.identity, on the distance reported
    others = {k: v for k, v in enrolled_face_templates(ctx).items() if k != twin_id}
    if others:
        nearest, other_d = min(((k, face_distance(embedding, v)) for k, v in others.items()),
                               key=lambda item: item[1])
        alike = {frozenset(p) for p in lookalike_pairs(ctx)}
        info = {**info, "nearest_other": nearest, "nearest_other_distance": round(other_d, 4),
                "margin": round(other_d - d, 4),
                "lookalike_closer": frozenset((twin_id, nearest)) in alike and other_d <= d}
    return IdentityGateResult(
        passed, None if passed else f"face distance {d:.3f} to the twin's template is not "
                                    f"under {IDENTITY_THRESHOLD}",
        distance=round(d, 4), threshold=IDENTITY_THRESHOLD, info=info)


def body_gate(quality: QualityTools, reference_rgb: Any, rgb: Any, *,
              tolerance: float = BODY_TOLERANCE, same_scene: bool = True) -> BodyGateResult:
    """The body in ``rgb`` against ``reference_rgb`` (the body twin rendered with the same
    pose and camera, or the original of an edit). Measures the image lost (cropped out)
    are not failures, but at least four must be compared or the body cannot be checked."""
    reference, measured, info = quality.compare_bodies(reference_rgb, rgb,
                                                       same_scene=same_scene)
    compared = {k: v for k, v in reference.items() if k in measured}
    if len(compared) < MIN_BODY_MEASURES:
        # the measurement's own reason, when it gives one, is the one people read
        reason = info.get("reason", f"only {len(compared)} body measures could be compared "
                                    f"(need {MIN_BODY_MEASURES}): is the whole person in "
                                    "the image?")
        return BodyGateResult(False, False, reason, measured=measured, reference=reference,
                              info={k: v for k, v in info.items() if k != "reason"})
    failures = compare_body(measured, compared, tolerance=tolerance)
    return BodyGateResult(
        not failures, True,
        "body differs from the body twin: " + ", ".join(
            f"{f['measure']} {f['change']:+.1%}" for f in failures) if failures else None,
        tolerance=tolerance, measured={k: round(v, 4) for k, v in measured.items()},
        reference={k: round(v, 4) for k, v in reference.items()},
        failures=failures or None, info={k: v for k, v in info.items() if k != "reason"})
