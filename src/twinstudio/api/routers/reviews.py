"""Likeness reviews: a capture set whose face is within the identity threshold of another
twin waits for a compliance user (or admin) to decide, with a written reason, whether the
two are different people or the same person (``services.likeness``).

Only compliance and admin read or decide reviews; every other role answers 403 whatever
the id (the same answer for a review that exists and one that does not).

The photos come inline, base64, from one call (``GET /reviews/{id}/photos``) rather than
one URL per photo: each look decrypts the set once and is audited once
(``LikenessPhotosViewed``), no photo of a person gets a URL that a cache or a browser's
history could keep, and the answer says ``Cache-Control: no-store``. ``max_side`` asks for
downscaled JPEGs where the full capture photos are not needed.
"""

from __future__ import annotations

import base64
from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Query, Response

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.review_schemas import (
    DecisionPublic,
    DecisionRequest,
    PhotoPublic,
    ReviewPhotosPublic,
    ReviewPublic,
    TwinPhotosPublic,
)
from twinstudio.api.schemas import Page
from twinstudio.api.uploads import mime_of, thumbnail
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.likeness import ReviewState
from twinstudio.services.likeness import (
    REVIEW_ACTION,
    decide_review,
    get_review,
    list_reviews,
    review_photos,
)

router = APIRouter(prefix="/reviews", tags=["likeness reviews"])
NO_STORE = "no-store"


@router.get("", openapi_extra=isolation(role=REVIEW_ACTION))
def list_likeness_reviews(access: AccessDep, paging: PagingDep,
                          state: ReviewState | None = None) -> Page[ReviewPublic]:
    """Reviews, oldest first (a queue); ``state=pending`` for those waiting."""
    access.require(REVIEW_ACTION)
    return paging.page([ReviewPublic.of(r) for r in list_reviews(access.ctx, state=state)])


@router.get("/{review_id}", openapi_extra=isolation(role=REVIEW_ACTION))
def read_review(review_id: str, access: AccessDep) -> ReviewPublic:
    """The twin in review, the candidate twins with their distances, the decision."""
    access.require(REVIEW_ACTION)
    return ReviewPublic.of(get_review(access.ctx, review_id))


def _photo(name: str, data: bytes, max_side: int | None) -> PhotoPublic:
    mime = mime_of(data)
    if max_side is not None:
        with suppress(InvalidInput):  # not a decodable image: the stored bytes as they are
            data, mime = thumbnail(data, max_side), "image/jpeg"
    return PhotoPublic(name=name, mime=mime, data=base64.b64encode(data).decode())


@router.get("/{review_id}/photos", openapi_extra=isolation(role=REVIEW_ACTION))
def read_review_photos(review_id: str, access: AccessDep, response: Response,
                       max_side: Annotated[int | None, Query(
                           ge=32, le=4096, description="downscale each photo to a JPEG at "
                                                       "most this many pixels on a side")]
                       = None) -> ReviewPhotosPublic:
    """The capture set in review and each candidate twin's kept capture photos, decrypted
    for the reviewer (audited). A decided review answers 409: its photos are no longer
    shown (a refused set's are destroyed)."""
    access.require(REVIEW_ACTION)
    photos = review_photos(access.ctx, review_id, actor=access.principal.actor)
    response.headers["Cache-Control"] = NO_STORE
    review = get_review(access.ctx, review_id)
    return ReviewPhotosPublic(
        review_id=review_id,
        twin=TwinPhotosPublic(twin_id=review.twin_id, photos=[
            _photo(n, d, max_side) for n, d in photos.twin]),
        candidates=[TwinPhotosPublic(twin_id=twin_id, photos=[
            _photo(n, d, max_side) for n, d in found])
            for twin_id, found in photos.candidates.items()])


@router.post("/{review_id}/decision", openapi_extra=isolation(role=REVIEW_ACTION))
def decide(review_id: str, body: DecisionRequest, access: AccessDep) -> DecisionPublic:
    """Decide a pending review, with a written reason (audited). distinct: the twin enrols
    and is linked as a look-alike; same_person: enrolment is refused, its biometric data
    crypto-shredded, and the talent and agency of the twin it shows get a notice. A reason
    that is too short answers 422 and changes nothing; a decided review answers 409."""
    access.require(REVIEW_ACTION)
    result = decide_review(access.ctx, review_id, decision=body.decision, reason=body.reason,
                           actor=access.principal.actor, same_as=body.same_as)
    return DecisionPublic(**result.as_dict())
