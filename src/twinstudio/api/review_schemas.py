"""Schemas of the likeness reviews and the notices (``api/routers/reviews.py``,
``api/routers/notices.py``); kept apart from ``schemas.py`` to keep each module short."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.likeness import (
    MIN_REASON,
    LikenessCandidate,
    LikenessReview,
    Notice,
    ReviewDecision,
    ReviewState,
)
from twinstudio.domain.text import FreeText
from twinstudio.domain.twin import TwinState


class CandidatePublic(BaseModel):
    twin_id: str = Field(description="an enrolled (or in-review) twin near the new face")
    talent_id: str
    distance: float = Field(description="face distance between the two templates (under "
                                        "the threshold; smaller is more alike)")

    @classmethod
    def of(cls, c: LikenessCandidate) -> CandidatePublic:
        return cls(**c.model_dump())


class ReviewPublic(BaseModel):
    id: str
    twin_id: str = Field(description="the twin whose enrolment waits (state in_review)")
    talent_id: str
    candidates: list[CandidatePublic] = Field(description="twins within the threshold, "
                                                          "closest first")
    photos: list[str] = Field(description="names of the capture set's usable photos")
    threshold: float
    state: ReviewState
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None = Field(description="the audit actor who decided")
    reason: str | None

    @classmethod
    def of(cls, r: LikenessReview) -> ReviewPublic:
        return cls(**{**r.model_dump(), "candidates": [CandidatePublic.of(c)
                                                        for c in r.candidates]})


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "distinct", "reason": "passports of both talents checked in person"}]})

    decision: ReviewDecision = Field(description=(
        "distinct: different people, the twin enrols and both are recorded as look-alikes; "
        "same_person: enrolment is refused, its biometric data crypto-shredded, and the "
        "talent and agency of the twin it shows (same_as) get a notice"))
    reason: FreeText = Field(max_length=2000, description=(
        f"why, in words (at least {MIN_REASON} characters, e.g. which identity documents "
        "were checked); kept in the audit trail"))
    same_as: str | None = Field(default=None, max_length=40, description=(
        "same_person only: the candidate twin whose person the set shows (default: the "
        "closest candidate; the others are only look-alikes and are not told)"))


class DecisionPublic(BaseModel):
    review: ReviewPublic
    twin_state: TwinState = Field(description="the reviewed twin's state now: active "
                                              "(distinct) or enrolling (same_person)")
    lookalikes: list[str] = Field(description="twins now linked as look-alikes of it")
    shredded: bool = Field(description="its biometric data was crypto-shredded")
    notices: list[str] = Field(description="ids of the notices sent")


class PhotoPublic(BaseModel):
    name: str
    mime: str = Field(description="image/jpeg for a downscaled photo (max_side); else the "
                                  "type of the stored bytes")
    data: str = Field(description="the photo, base64", json_schema_extra={
        "contentEncoding": "base64"})


class TwinPhotosPublic(BaseModel):
    twin_id: str
    photos: list[PhotoPublic] = Field(description="its kept capture photos, by name (none "
                                                  "for a twin enrolled before photos were "
                                                  "kept)")


class ReviewPhotosPublic(BaseModel):
    review_id: str
    twin: TwinPhotosPublic = Field(description="the capture set in review")
    candidates: list[TwinPhotosPublic] = Field(description="each candidate twin's photos, "
                                                           "in the review's order")


class NoticePublic(BaseModel):
    id: str
    recipient_id: str = Field(description="the talent or organisation it is addressed to")
    kind: str
    subject: str
    body: str
    refs: dict[str, Any] = Field(description="ids it is about (review, twins)")
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, n: Notice) -> NoticePublic:
        return cls(**n.model_dump())
