"""The portal's likeness reviews (compliance and admin: the queue, a review with the
photos side by side, the decision form) and notices (talent and agency: on their home
page, marked read one by one).

The photos are biometric data: they are shown only on a pending review's page, as
downscaled JPEG data URIs inside that page (one decryption and one audit event per look,
no image URL to fetch or keep), and the page is sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from twinstudio.api.uploads import thumbnail
from twinstudio.domain.errors import InvalidInput, NotFound
from twinstudio.domain.likeness import MIN_REASON, LikenessReview, ReviewDecision, ReviewState
from twinstudio.services.likeness import (
    REVIEW_ACTION,
    decide_review,
    get_review,
    list_notices,
    list_reviews,
    mark_notice_read,
    notice_recipients,
    review_photos,
)
from twinstudio.web.session import Visitor, check_csrf, render, signed_in

router = APIRouter()
Csrf = Annotated[str | None, Form()]
THUMB_SIDE = 360  # pixels: shown at about 170 px wide, sharp on a 2x screen
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class Party:
    """A twin as a reviewer sees it: whose it is and in which state."""

    twin_id: str
    talent_id: str
    talent: str
    state: str
    distance: float | None = None


def _party(found: Visitor, twin_id: str, talent_id: str,
           distance: float | None = None) -> Party:
    access = found.access
    try:
        name = access.talent(talent_id).name
        state = access.twin(twin_id).state.value
    except NotFound:
        name, state = talent_id, "unknown"
    return Party(twin_id, talent_id, name, state, distance)


def _parties(found: Visitor, review: LikenessReview) -> tuple[Party, list[Party]]:
    return (_party(found, review.twin_id, review.talent_id),
            [_party(found, c.twin_id, c.talent_id, c.distance) for c in review.candidates])


def _thumbs(photos: list[tuple[str, bytes]]) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for name, data in photos:
        try:
            uri = "data:image/jpeg;base64," + base64.b64encode(
                thumbnail(data, THUMB_SIDE)).decode()
        except InvalidInput:
            uri = None  # kept, but not an image this page can show
        out.append({"name": name, "uri": uri})
    return out


def _deciders(found: Visitor) -> dict[str, str]:
    """Audit actors (user:ID) by name, for who decided."""
    from twinstudio.services.accounts import list_users

    return {f"user:{u.id}": u.name for u in list_users(found.ctx)}


@router.get("/reviews")
def queue(request: Request) -> Response:
    found = signed_in(request)
    found.access.require(REVIEW_ACTION)
    every = list_reviews(found.ctx)
    pending = [r for r in every if r.state is ReviewState.PENDING]
    decided = sorted((r for r in every if r.state is not ReviewState.PENDING),
                     key=lambda r: r.decided_at or r.created_at, reverse=True)
    rows = [(r, *_parties(found, r)) for r in [*pending, *decided]]
    return render(request, found, "reviews.html", rows=rows, pending=len(pending),
                  decided=len(decided), deciders=_deciders(found))


def _review_page(request: Request, found: Visitor, review_id: str, *, status: int = 200,
                 **context: Any) -> Response:
    found.access.require(REVIEW_ACTION)
    review = get_review(found.ctx, review_id)
    subject, candidates = _parties(found, review)
    photos: dict[str, Any] = {}
    if review.state is ReviewState.PENDING:
        shown = review_photos(found.ctx, review_id, actor=found.access.principal.actor)
        photos = {review.twin_id: _thumbs(shown.twin),
                  **{twin: _thumbs(kept) for twin, kept in shown.candidates.items()}}
    response = render(request, found, "review.html", status=status, review=review,
                      subject=subject, candidates=candidates, photos=photos,
                      min_reason=MIN_REASON, deciders=_deciders(found), **context)
    response.headers.update(NO_STORE)
    return response


@router.get("/reviews/{review_id}")
def review_page(request: Request, review_id: str) -> Response:
    return _review_page(request, signed_in(request), review_id)


@router.post("/reviews/{review_id}/decision")
def decide(request: Request, review_id: str, csrf_token: Csrf = None,
           decision: Annotated[str, Form(max_length=40)] = "",
           reason: Annotated[str, Form(max_length=2000)] = "",
           same_as: Annotated[str, Form(max_length=40)] = "") -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    access.require(REVIEW_ACTION)
    try:
        try:
            chosen = ReviewDecision(decision)
        except ValueError:
            raise InvalidInput("choose a decision: different people (distinct) or the "
                               "same person (same_person)") from None
        decide_review(found.ctx, review_id, decision=chosen, reason=reason,
                      actor=access.principal.actor,
                      same_as=(same_as or None) if chosen is ReviewDecision.SAME_PERSON
                      else None)
    except InvalidInput as error:  # the form again, with what was typed and why
        return _review_page(request, found, review_id, status=422, error=error.message,
                            typed_reason=reason, typed_decision=decision,
                            typed_same_as=same_as)
    return RedirectResponse(f"/reviews/{review_id}?decided=1", status_code=303)


# ------------------------------------------------------------------ notices


def notices_for(found: Visitor) -> list[Any]:
    """The signed-in party's notices, unread first, then newest first."""
    assert found.principal is not None
    every = list_notices(found.ctx, notice_recipients(found.principal))
    return sorted(every, key=lambda n: n.read_at is not None)  # stable: newest first kept


@router.post("/notices/{notice_id}/read")
def notice_read(request: Request, notice_id: str, csrf_token: Csrf = None,
                back: Annotated[str, Form(max_length=500)] = "/") -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    assert found.principal is not None
    mark_notice_read(found.ctx, notice_id, notice_recipients(found.principal))
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    return RedirectResponse(f"{target}#notices", status_code=303)
