"""Enrolment: a capture session becomes an active twin with an encrypted identity
template, or is refused with reasons. Capture checks and faces reach it through
ports (``CaptureChecks``, ``FaceTools``), wired in bootstrap; the interface layer (CLI,
API) calls it.

Rules: no biometric processing without a biometric release in force; a set needs at
least 3 usable photos with a front and a side or three-quarter view; every photo's face
must match the set's majority (``domain.identity``: dlib distance under 0.6),
and the face must not already be enrolled for another talent (a likeness belongs to one
person). The template (mean and per-photo embeddings) and the body keypoints are stored
encrypted; the twin becomes active in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from twinstudio.domain.capture import CaptureReport
from twinstudio.domain.errors import ConfigurationError, Conflict, RightsRefused
from twinstudio.domain.identity import mean_embedding, nearest_templates, outliers
from twinstudio.domain.policy import Reason
from twinstudio.domain.twin import TwinState
from twinstudio.services.biometrics import (
    RELEASE_MISSING,
    enrolled_face_templates,
    store_template,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import CaptureChecks, FaceTools
from twinstudio.services.rights import active_biometric_release

MIN_PHOTOS = 3


@dataclass
class PhotoCheck:
    """One photo of a capture set and what its capture check found."""

    photo: str
    report: CaptureReport

    @property
    def accepted(self) -> bool:
        return self.report.ok

    @property
    def view(self) -> str | None:
        return self.report.view

    @property
    def reasons(self) -> list[dict[str, str]]:
        return self.report.reasons

    def as_dict(self) -> dict[str, Any]:
        return {"photo": self.photo, "accepted": self.accepted, **self.report.as_dict()}


@dataclass
class EnrolmentResult:
    twin_id: str
    enrolled: bool
    photos: list[PhotoCheck] = field(default_factory=list)
    reasons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"twin_id": self.twin_id, "enrolled": self.enrolled,
                "photos": [p.as_dict() for p in self.photos], "reasons": self.reasons}


@dataclass(frozen=True)
class FaceMatchResult:
    """An enrolled twin whose template is within the identity threshold of a face."""

    twin_id: str
    distance: float
    box: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {"twin_id": self.twin_id, "distance": self.distance, "box": self.box}


def _captures(ctx: ServiceContext) -> CaptureChecks:
    if ctx.captures is None:
        raise ConfigurationError("capture checks need the perception extra (MediaPipe, dlib)")
    return ctx.captures


def _faces(ctx: ServiceContext) -> FaceTools:
    if ctx.faces is None:
        raise ConfigurationError("face matching needs the perception extra (dlib)")
    return ctx.faces


def enrol_twin(ctx: ServiceContext, *, talent_id: str, photos: list[tuple[str, bytes]],
               actor: str) -> EnrolmentResult:
    """Check a capture set and, when it passes, store the template and activate the twin."""
    with ctx.uow() as uow:
        twin = uow.twins.get_by_talent(talent_id)
        release = active_biometric_release(uow, talent_id)
    if release is None:  # nothing biometric happens before this check
        raise RightsRefused("enrolment refused", [Reason(
            code=RELEASE_MISSING, message=f"talent {talent_id} has no biometric release in "
                                          "force (BIPA written release, GDPR Art. 9)")])
    if twin.state is not TwinState.ENROLLING:
        raise Conflict(f"twin {twin.id} is {twin.state.value}; only an enrolling twin enrols")
    checks = _captures(ctx)
    result = EnrolmentResult(twin.id, False,
                             [PhotoCheck(name, checks.check(data)) for name, data in photos])

    def refuse(code: str, message: str) -> EnrolmentResult:
        result.reasons.append({"code": code, "message": message})
        return result

    usable = [p for p in result.photos if p.accepted]
    views = {p.view for p in usable}
    if len(usable) < MIN_PHOTOS:
        return refuse("too_few_photos", f"{len(usable)} usable photo(s); at least "
                                        f"{MIN_PHOTOS} are needed")
    if "front" not in views or not views & {"side", "three_quarter"}:
        seen = ", ".join(sorted(v or "-" for v in views))
        return refuse("views_missing", "the set needs a front and a side or three-quarter "
                                       f"view (usable: {seen})")
    with_face = [p for p in usable if p.report.embedding is not None]
    embeddings = [p.report.embedding for p in with_face]
    odd = [with_face[i].photo for i in outliers(embeddings)]  # type: ignore[arg-type]
    if odd:
        return refuse("identity_mismatch", "these photos do not show the same person as the "
                                           f"others: {', '.join(odd)}")
    mean = mean_embedding(embeddings)  # type: ignore[arg-type]
    if nearest_templates(mean, enrolled_face_templates(ctx), exclude=[twin.id]):
        return refuse("likeness_enrolled_elsewhere", "this face is already enrolled for "
                                                     "another talent")
    face_template = json.dumps({"mean": mean, "photos": {
        p.photo: list(p.report.embedding or ()) for p in with_face}}).encode()
    keypoints = json.dumps({p.photo: p.report.keypoints for p in usable
                            if p.report.keypoints}).encode()
    now = ctx.now()
    with ctx.uow() as uow:
        fresh = uow.twins.get(twin.id, for_update=True)
        if fresh.state is not TwinState.ENROLLING:
            raise Conflict(f"twin {twin.id} changed while enrolling")
        store_template(ctx, uow, twin_id=twin.id, kind="face", data=face_template,
                       actor=actor)
        store_template(ctx, uow, twin_id=twin.id, kind="body_keypoints", data=keypoints,
                       actor=actor)
        uow.twins.update(fresh.transition(TwinState.ACTIVE, now))
        uow.talents.touch(talent_id, now)
        uow.audit.append(actor=actor, type="TwinEnrolled", at=now, payload={
            "twin_id": twin.id, "photos": len(photos), "usable": len(usable),
            "views": sorted(v or "" for v in views)})
        uow.commit()
    result.enrolled = True
    return result


def faces_matching(faces: list[tuple[Any, list[int]]], templates: dict[str, list[float]]
                   ) -> list[FaceMatchResult]:
    """Every (face, enrolled twin) pair within the identity threshold, closest first."""
    found = [FaceMatchResult(m.twin_id, round(m.distance, 4), list(box))
             for embedding, box in faces for m in nearest_templates(embedding, templates)]
    return sorted(found, key=lambda m: m.distance)


def match(ctx: ServiceContext, image: bytes) -> list[FaceMatchResult]:
    """Enrolled twins whose face appears in ``image`` (any encoded image), closest first."""
    faces = _faces(ctx).embeddings_in_file(image)
    return faces_matching(faces, enrolled_face_templates(ctx)) if faces else []

