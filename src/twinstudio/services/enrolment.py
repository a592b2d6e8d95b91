"""Enrolment: a capture session becomes an active twin with an encrypted identity
template, goes to a likeness review, or is refused with reasons. Capture checks and faces
reach it through ports (``CaptureChecks``, ``FaceTools``), wired in bootstrap; the
interface layer (CLI, API) calls it.

Rules: no biometric processing without a biometric release in force; a set needs at
least 3 usable photos with a front and a side or three-quarter view, and at least one
full-body photo (close-ups of head and shoulders count for the face, not the body);
the set's person is the one of its front views: a photo that is not within the identity
threshold of the front template is left out with a reason (``domain.identity.judge_set``)
and the rules above apply to the photos that remain; fronts that are not the person of
the other photos refuse the set. When the
set's template is within the threshold of another twin's, the twin goes to review
(``services.likeness``): its templates and photos are kept encrypted, it stays out of
generation, and a compliance user decides. Otherwise the template (mean, front template
and per-photo embeddings), the body keypoints and the usable photos are stored
encrypted and the twin becomes active in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from twinstudio.domain.capture import CaptureReport
from twinstudio.domain.errors import ConfigurationError, Conflict, RightsRefused
from twinstudio.domain.identity import (
    IDENTITY_THRESHOLD,
    identify,
    judge_set,
    mean_embedding,
    nearest_templates,
)
from twinstudio.domain.likeness import LikenessCandidate, LikenessReview
from twinstudio.domain.policy import Reason
from twinstudio.domain.twin import TwinState
from twinstudio.services.biometrics import (
    BODY_KEYPOINTS,
    FACE,
    PHOTO,
    RELEASE_MISSING,
    enrolled_face_templates,
    lookalike_pairs,
    photo_plaintext,
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
    """``status``: ``enrolled`` (active), ``in_review`` (a likeness review decides; see
    ``review_id`` and ``candidates``) or ``refused`` (``reasons`` say why)."""

    twin_id: str
    enrolled: bool
    photos: list[PhotoCheck] = field(default_factory=list)
    reasons: list[dict[str, str]] = field(default_factory=list)
    review_id: str | None = None
    candidates: list[LikenessCandidate] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "enrolled" if self.enrolled else "in_review" if self.review_id else "refused"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"twin_id": self.twin_id, "status": self.status,
                               "enrolled": self.enrolled,
                               "photos": [p.as_dict() for p in self.photos],
                               "reasons": self.reasons}
        if self.review_id:
            out["review_id"] = self.review_id
            out["candidates"] = [c.model_dump() for c in self.candidates]
        return out


@dataclass(frozen=True)
class FaceMatchResult:
    """An enrolled twin whose template is within the identity threshold of a face."""

    twin_id: str
    distance: float
    box: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {"twin_id": self.twin_id, "distance": self.distance, "box": self.box}


@dataclass(frozen=True)
class FaceIdentification:
    """Who one face in an image is: every enrolled twin within the threshold, closest
    first; the margin from the closest to the next template; ``ambiguous`` when the
    closest two are look-alikes (then ``twin_id`` is None: neither is named)."""

    box: list[int]
    candidates: list[FaceMatchResult]
    margin: float | None
    ambiguous: bool

    @property
    def twin_id(self) -> str | None:
        return None if self.ambiguous or not self.candidates else self.candidates[0].twin_id

    @property
    def distance(self) -> float | None:
        return self.candidates[0].distance if self.candidates else None

    def as_dict(self) -> dict[str, Any]:
        return {"box": self.box, "twin_id": self.twin_id, "ambiguous": self.ambiguous,
                "margin": self.margin,
                "candidates": [{"twin_id": c.twin_id, "distance": c.distance}
                               for c in self.candidates]}


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
    # each report is this enrolment's own (the set's judgement below may add a reason)
    reports = checks.check_many([data for _, data in photos])
    result = EnrolmentResult(twin.id, False, [
        PhotoCheck(name, replace(report, reasons=list(report.reasons)))
        for (name, _), report in zip(photos, reports, strict=True)])

    def refuse(code: str, message: str) -> EnrolmentResult:
        result.reasons.append({"code": code, "message": message})
        return result

    fronts = [p for p in result.photos if p.accepted and p.view == "front"
              and p.report.embedding is not None]
    if fronts:  # without a front the view rule below refuses the set
        with_face = [p for p in result.photos if p.accepted and p.report.embedding is not None]
        judged = judge_set([p.report.embedding for p in with_face],  # type: ignore[misc]
                           [p.view == "front" for p in with_face])
        if judged.template is None:
            return refuse("identity_mismatch", "the front views do not show the person of "
                                               "the other photos: "
                          + ", ".join(with_face[i].photo for i in judged.odd))
        for i in judged.odd:  # not the set's person: left out, as any photo failing a check
            with_face[i].report.fail(
                "not_the_same_person", f"the face is {judged.distances[i]:.3f} from the "
                f"set's front template (the same person is under {IDENTITY_THRESHOLD}); "
                "left out of the set")
    usable = [p for p in result.photos if p.accepted]
    views = {p.view for p in usable}
    odd = [p.photo for p in result.photos
           if any(r["code"] == "not_the_same_person" for r in p.reasons)]
    left_out = f" ({', '.join(odd)} left out: not the person of the front view)" if odd \
        else ""
    if len(usable) < MIN_PHOTOS:
        return refuse("too_few_photos", f"{len(usable)} usable photo(s); at least "
                                        f"{MIN_PHOTOS} are needed{left_out}")
    if "front" not in views or not views & {"side", "three_quarter"}:
        seen = ", ".join(sorted(v or "-" for v in views))
        return refuse("views_missing", "the set needs a front and a side or three-quarter "
                                       f"view (usable: {seen}){left_out}")
    if not any(p.report.framing == "full_body" for p in usable):
        return refuse("full_body_missing", "the set needs at least one full-body photo "
                                           "(close-ups count for the face, not the body)")
    with_face = [p for p in usable if p.report.embedding is not None]
    fronts = [p for p in with_face if p.view == "front"]
    mean = mean_embedding([p.report.embedding for p in with_face])  # type: ignore[misc]
    front = mean_embedding([p.report.embedding for p in fronts])  # type: ignore[misc]
    near = nearest_templates(mean, enrolled_face_templates(ctx, in_review=True),
                             exclude=[twin.id])
    face_template = json.dumps({"mean": mean, "front": front, "photos": {
        p.photo: list(p.report.embedding or ()) for p in with_face}}).encode()
    keypoints = json.dumps({p.photo: p.report.keypoints for p in usable
                            if p.report.keypoints}).encode()
    usable_names = {p.photo for p in usable}
    kept = {name: data for name, data in photos if name in usable_names}
    now = ctx.now()
    with ctx.uow() as uow:
        fresh = uow.twins.get(twin.id, for_update=True)
        if fresh.state is not TwinState.ENROLLING:
            raise Conflict(f"twin {twin.id} changed while enrolling")
        store_template(ctx, uow, twin_id=twin.id, kind=FACE, data=face_template, actor=actor)
        store_template(ctx, uow, twin_id=twin.id, kind=BODY_KEYPOINTS, data=keypoints,
                       actor=actor)
        for name, data in kept.items():
            store_template(ctx, uow, twin_id=twin.id, kind=PHOTO,
                           data=photo_plaintext(name, data), actor=actor)
        uow.talents.touch(talent_id, now)
        facts = {"twin_id": twin.id, "photos": len(photos), "usable": len(usable),
                 "views": sorted(v or "" for v in views)}
        if near:
            others_of = {m.twin_id: uow.twins.get(m.twin_id).talent_id for m in near}
            review = LikenessReview(
                twin_id=twin.id, talent_id=talent_id, photos=sorted(kept),
                threshold=IDENTITY_THRESHOLD, created_at=now,
                candidates=[LikenessCandidate(twin_id=m.twin_id, talent_id=others_of[m.twin_id],
                                              distance=round(m.distance, 4)) for m in near])
            uow.reviews.add(review)
            uow.twins.update(fresh.transition(TwinState.IN_REVIEW, now))
            uow.audit.append(actor=actor, type="LikenessReviewOpened", at=now, payload={
                **facts, "review_id": review.id,
                "candidates": [c.twin_id for c in review.candidates]})
            result.review_id, result.candidates = review.id, review.candidates
            result.reasons.append({"code": "likeness_review", "message": (
                f"the face is within {IDENTITY_THRESHOLD} of {len(near)} enrolled twin(s) "
                f"(closest {near[0].twin_id} at {near[0].distance:.3f}); a compliance user "
                f"decides in review {review.id}")})
        else:
            uow.twins.update(fresh.transition(TwinState.ACTIVE, now))
            uow.audit.append(actor=actor, type="TwinEnrolled", at=now, payload=facts)
            result.enrolled = True
        uow.commit()
    return result


def identify_faces(faces: list[tuple[Any, list[int]]], templates: dict[str, list[float]],
                   lookalikes: list[tuple[str, str]]) -> list[FaceIdentification]:
    """Each face (embedding, box) against the enrolled templates, look-alikes considered;
    the faces with a candidate, closest first."""
    out = []
    for embedding, box in faces:
        found = identify(embedding, templates, lookalikes=lookalikes)
        if found.candidates:
            out.append(FaceIdentification(
                list(box), [FaceMatchResult(m.twin_id, round(m.distance, 4), list(box))
                            for m in found.candidates],
                None if found.margin is None else round(found.margin, 4), found.ambiguous))
    return sorted(out, key=lambda f: f.candidates[0].distance)


def match(ctx: ServiceContext, image: bytes) -> list[FaceIdentification]:
    """The faces in ``image`` (any encoded image) that are within the threshold of an
    enrolled twin, closest first, each with every candidate and whether it is ambiguous."""
    faces = _faces(ctx).embeddings_in_file(image)
    if not faces:
        return []
    return identify_faces(faces, enrolled_face_templates(ctx), lookalike_pairs(ctx))
