"""Enrolment: a capture session becomes an active twin with an encrypted identity
template, or is refused with reasons. Orchestrates perception (capture checks, faces)
and the biometric services; the interface layer (CLI, API) calls it.

Rules: no biometric processing without a biometric release in force; a set needs at
least 3 usable photos with a front and a side or three-quarter view; every photo's face
must match the set's majority (dlib distance under 0.6, the model's trained threshold),
and the face must not already be enrolled for another talent (a likeness belongs to one
person). The template (mean and per-photo embeddings) and the body keypoints are stored
encrypted; the twin becomes active in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twinstudio.domain.errors import Conflict, RightsRefused
from twinstudio.domain.policy import Reason
from twinstudio.domain.twin import TwinState
from twinstudio.perception.capture import CaptureReport, check_capture
from twinstudio.perception.faces import IDENTITY_THRESHOLD, detect_faces, distance
from twinstudio.services.biometrics import (
    RELEASE_MISSING,
    enrolled_face_templates,
    store_template,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.rights import active_biometric_release

MIN_PHOTOS = 3


@dataclass
class EnrolmentResult:
    twin_id: str
    enrolled: bool
    photos: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"twin_id": self.twin_id, "enrolled": self.enrolled, "photos": self.photos,
                "reasons": self.reasons}


def enrolled_templates(ctx: ServiceContext) -> dict[str, np.ndarray]:
    """Mean face embedding of every twin with a readable template."""
    return {twin_id: np.array(mean) for twin_id, mean in enrolled_face_templates(ctx).items()}


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
    result = EnrolmentResult(twin.id, False)
    reports: list[tuple[str, CaptureReport]] = []
    for name, data in photos:
        report = check_capture(data)
        reports.append((name, report))
        result.photos.append({"photo": name, "accepted": report.ok, **report.as_dict()})

    def refuse(code: str, message: str) -> EnrolmentResult:
        result.reasons.append({"code": code, "message": message})
        return result

    usable = [(n, r) for n, r in reports if r.ok]
    views = {r.view for _, r in usable}
    if len(usable) < MIN_PHOTOS:
        return refuse("too_few_photos", f"{len(usable)} usable photo(s); at least "
                                        f"{MIN_PHOTOS} are needed")
    if "front" not in views or not views & {"side", "three_quarter"}:
        seen = ", ".join(sorted(v or "-" for v in views))
        return refuse("views_missing", "the set needs a front and a side or three-quarter "
                                       f"view (usable: {seen})")
    with_face = [(n, r) for n, r in usable if r.face is not None]
    embeddings = [r.face.embedding for _, r in with_face]  # type: ignore[union-attr]
    close = [[distance(a, b) < IDENTITY_THRESHOLD for b in embeddings] for a in embeddings]
    majority = [sum(row) - 1 >= (len(embeddings) - 1) / 2 for row in close]
    outliers = [n for (n, _), keep in zip(with_face, majority, strict=True) if not keep]
    if outliers:
        return refuse("identity_mismatch", "these photos do not show the same person as the "
                                           f"others: {', '.join(outliers)}")
    mean = np.mean(embeddings, axis=0)
    for other, template in enrolled_templates(ctx).items():
        if other != twin.id and distance(mean, template) < IDENTITY_THRESHOLD:
            return refuse("likeness_enrolled_elsewhere", "this face is already enrolled for "
                                                         "another talent")
    face_template = json.dumps({"mean": mean.tolist(), "photos": {
        n: r.face.embedding.tolist() for n, r in with_face}}).encode()  # type: ignore[union-attr]
    keypoints = json.dumps({n: r.pose.points for n, r in usable if r.pose}).encode()
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


def match(ctx: ServiceContext, image: bytes) -> list[dict[str, Any]]:
    """Enrolled twins whose face appears in ``image``, closest first."""
    from twinstudio.provenance.images import decode

    rgb, _ = decode(image)
    faces = detect_faces(rgb)
    templates = enrolled_templates(ctx)
    found = []
    for face in faces:
        for twin_id, template in templates.items():
            d = distance(face.embedding, template)
            if d < IDENTITY_THRESHOLD:
                found.append({"twin_id": twin_id, "distance": round(d, 4), "box": face.box})
    return sorted(found, key=lambda m: m["distance"])
