"""Likeness reviews: a capture set whose face is within the identity threshold of another
twin waits here (``domain.likeness``) until a compliance user decides, with a written
reason, whether the two are different people (``distinct``: the twin enrols and both are
recorded as look-alikes) or the same person as one of the candidates (``same_person``:
enrolment is refused, the new twin's biometric data is crypto-shredded and that twin's
talent and agency get a notice in the portal). Every decision and every look at the
photos is audited.

Who may decide is the interface's check (compliance or admin, ``REVIEW_ACTION``; the CLI
is the operator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twinstudio.domain.accounts import Principal
from twinstudio.domain.errors import Conflict
from twinstudio.domain.likeness import (
    LikenessReview,
    Notice,
    ReviewDecision,
    ReviewState,
)
from twinstudio.domain.twin import TwinState
from twinstudio.services.biometrics import read_photos, shred_in
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork

# The action the API and the portal require to read or decide a review (compliance and
# admin: domain.accounts.ACTIONS).
REVIEW_ACTION = "likeness.review"


@dataclass
class ReviewDecisionResult:
    review: LikenessReview
    twin_state: TwinState
    lookalikes: list[str] = field(default_factory=list)   # twins now linked as look-alikes
    shredded: bool = False
    notices: list[str] = field(default_factory=list)      # notice ids sent

    def as_dict(self) -> dict[str, Any]:
        return {"review": self.review.model_dump(mode="json"),
                "twin_state": self.twin_state.value, "lookalikes": self.lookalikes,
                "shredded": self.shredded, "notices": self.notices}


@dataclass
class ReviewPhotos:
    """The photos a reviewer compares: the new set's and each candidate twin's kept
    capture photos (a twin enrolled before photos were kept has none)."""

    twin: list[tuple[str, bytes]]
    candidates: dict[str, list[tuple[str, bytes]]]


def list_reviews(ctx: ServiceContext, *, state: ReviewState | None = None
                 ) -> list[LikenessReview]:
    with ctx.uow() as uow:
        return uow.reviews.list(state=state)


def get_review(ctx: ServiceContext, review_id: str) -> LikenessReview:
    with ctx.uow() as uow:
        return uow.reviews.get(review_id)


def review_photos(ctx: ServiceContext, review_id: str, *, actor: str) -> ReviewPhotos:
    """Decrypt the photos of a pending review for a reviewer (audited; refused once the
    review is decided: the photos of a refused set are destroyed, and a decided review
    needs no more looking)."""
    review = get_review(ctx, review_id)
    if review.state is not ReviewState.PENDING:
        raise Conflict(f"review {review_id} was decided ({review.state.value}); its photos "
                       "are no longer shown")
    photos = ReviewPhotos(read_photos(ctx, review.twin_id),
                          {c.twin_id: read_photos(ctx, c.twin_id) for c in review.candidates})
    now = ctx.now()
    with ctx.uow() as uow:
        uow.audit.append(actor=actor, type="LikenessPhotosViewed", at=now, payload={
            "review_id": review_id, "twins": [review.twin_id, *photos.candidates]})
        uow.commit()
    return photos


def decide_review(ctx: ServiceContext, review_id: str, *, decision: ReviewDecision,
                  reason: str, actor: str, same_as: str | None = None) -> ReviewDecisionResult:
    """Record a compliance decision and carry it out, in one transaction. ``same_as``
    (same_person): the candidate twin the set shows (default: the closest)."""
    now = ctx.now()
    with ctx.uow() as uow:
        review = uow.reviews.get(review_id, for_update=True)
        decided = review.decide(decision, by=actor, reason=reason, now=now, same_as=same_as)
        twin = uow.twins.get(review.twin_id, for_update=True)
        if twin.state is not TwinState.IN_REVIEW:
            raise Conflict(f"twin {twin.id} is {twin.state.value}, not in review")
        result = ReviewDecisionResult(decided, twin.state)
        if decision is ReviewDecision.DISTINCT:
            for candidate in review.candidates:
                if uow.twins.get(candidate.twin_id).state is TwinState.SHREDDED:
                    continue
                uow.lookalikes.link(twin.id, candidate.twin_id, review_id=review.id,
                                    distance=candidate.distance, at=now)
                result.lookalikes.append(candidate.twin_id)
            enrolled = twin.transition(TwinState.ACTIVE, now)
            uow.twins.update(enrolled)
            uow.audit.append(actor=actor, type="TwinEnrolled", at=now, payload={
                "twin_id": twin.id, "review_id": review.id, "lookalikes": result.lookalikes})
        else:
            result.shredded = shred_in(uow, twin_id=twin.id, actor=actor, now=now,
                                       reason=f"likeness review {review.id}: the same person "
                                              "as an enrolled twin")
            enrolled = twin.transition(TwinState.ENROLLING, now)
            uow.twins.update(enrolled)
            for notice in _same_person_notices(uow, decided):
                uow.notices.add(notice)
                result.notices.append(notice.id)
        uow.reviews.update(decided)
        uow.audit.append(actor=actor, type="LikenessReviewDecided", at=now, payload={
            "review_id": review.id, "twin_id": twin.id, "decision": decision.value,
            "reason": decided.reason, "candidates": [c.twin_id for c in review.candidates],
            "same_as": decided.same_as, "notices": result.notices})
        uow.commit()
    result.twin_state = enrolled.state
    return result


def _same_person_notices(uow: UnitOfWork, review: LikenessReview) -> list[Notice]:
    """What the twin's talent and agency are told when someone else's capture session
    showed her face (the candidate the decision named; the other candidates are only
    look-alikes and are not told)."""
    submitted_for = uow.talents.get(review.talent_id)
    out = []
    for candidate in (c for c in review.candidates if c.twin_id == review.same_as):
        talent = uow.talents.get(candidate.talent_id)
        body = (f"A capture session submitted on {review.created_at:%Y-%m-%d} for the talent "
                f"record \"{submitted_for.name}\" ({submitted_for.id}) showed the face of "
                f"{talent.name}'s twin ({candidate.twin_id}; face distance "
                f"{candidate.distance:.3f}, under {review.threshold}). A compliance user "
                f"decided it is the same person: that enrolment was refused and its "
                f"biometric data destroyed. Reason given: {review.reason}")
        refs = {"review_id": review.id, "twin_id": candidate.twin_id,
                "submitted_twin_id": review.twin_id, "submitted_talent_id": review.talent_id}
        for recipient in filter(None, (talent.id, talent.agency_id)):
            out.append(Notice(recipient_id=recipient, kind="likeness_same_person",
                              subject=f"Someone tried to enrol {talent.name}'s likeness",
                              body=body, refs=refs, created_at=review.decided_at))
    return out


def notice_recipients(principal: Principal) -> list[str]:
    """The parties whose notices ``principal`` reads: a talent user their talent, an
    organisation's staff (agency, brand) their organisation; compliance and admin none."""
    return [p for p in (principal.talent_id, principal.organisation_id) if p]


def list_notices(ctx: ServiceContext, recipient_ids: list[str]) -> list[Notice]:
    """The notices of these parties (a talent, an organisation), newest first."""
    if not recipient_ids:
        return []
    with ctx.uow() as uow:
        return uow.notices.list_for(recipient_ids)


def mark_notice_read(ctx: ServiceContext, notice_id: str, recipient_ids: list[str]) -> bool:
    """Mark a notice of one of these parties read (False if it was already)."""
    from twinstudio.domain.errors import NotFound

    with ctx.uow() as uow:
        if not any(n.id == notice_id for n in uow.notices.list_for(recipient_ids)):
            raise NotFound(f"notice {notice_id!r} not found")
        done = uow.notices.mark_read(notice_id, ctx.now())
        uow.commit()
    return done
