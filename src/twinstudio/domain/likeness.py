"""Likeness reviews, look-alikes and notices: what happens when a new capture set's face
is within the identity threshold of a twin that is already enrolled.

A real roster has look-alikes and identical twins, and a recogniser trained on real faces
puts many people under its threshold; refusing would lock a model out of her own twin
because somebody resembles her. So enrolment stops in review (``TwinState.IN_REVIEW``)
and a compliance user decides, with a written reason:

    pending ──distinct──> distinct       different people: the twin enrols, and the twins
                                         are recorded as look-alikes of each other
        └────same_person──> same_person  the face is already someone's twin (``same_as``,
                                         by default the closest candidate): enrolment is
                                         refused, the template is crypto-shredded and that
                                         twin's talent and agency get a notice

Once two twins are look-alikes, a face closest to one of them and also within the
threshold of the other names neither (``domain.identity.identify``): the recogniser
cannot tell them apart, and a compliance user decided they are different people.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.common import new_id, utcnow
from twinstudio.domain.errors import InvalidInput, InvalidTransition
from twinstudio.domain.text import check_text

MIN_REASON = 10  # characters: a decision says why ("ID documents checked", not "ok")


class ReviewDecision(StrEnum):
    DISTINCT = "distinct"
    SAME_PERSON = "same_person"


class ReviewState(StrEnum):
    PENDING = "pending"
    DISTINCT = "distinct"
    SAME_PERSON = "same_person"


class LikenessCandidate(BaseModel):
    """An enrolled (or in-review) twin whose template is within the threshold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    twin_id: str
    talent_id: str
    distance: float


class LikenessReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("lkr"))
    twin_id: str
    talent_id: str
    candidates: list[LikenessCandidate]
    photos: list[str]                     # names of the capture set's usable photos
    threshold: float
    state: ReviewState = ReviewState.PENDING
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    same_as: str | None = None            # same_person: the candidate twin the face is

    def decide(self, decision: ReviewDecision, *, by: str, reason: str, now: datetime,
               same_as: str | None = None) -> LikenessReview:
        """The review with ``decision`` recorded; only a pending review is decided.
        ``same_as`` (same_person only) names the candidate twin whose person the set shows;
        by default the closest candidate (the others are only look-alikes of her)."""
        if self.state is not ReviewState.PENDING:
            raise InvalidTransition(f"review {self.id} was already decided "
                                    f"({self.state.value})")
        if decision is ReviewDecision.DISTINCT and same_as is not None:
            raise InvalidInput("same_as names the twin of a same_person decision; a distinct "
                               "decision names none")
        if decision is ReviewDecision.SAME_PERSON:
            ids = [c.twin_id for c in sorted(self.candidates, key=lambda c: c.distance)]
            if same_as is None:
                same_as = ids[0]
            elif same_as not in ids:
                raise InvalidInput(f"same_as must be one of the review's candidates "
                                   f"({', '.join(ids)}); got {same_as!r}")
        text = " ".join(check_text(reason, "reason", multiline=True).split())
        if len(text) < MIN_REASON:
            raise InvalidInput(f"a decision needs a written reason of at least {MIN_REASON} "
                               f"characters (e.g. which identity documents were checked); "
                               f"got {text!r}")
        return self.model_copy(update={"state": ReviewState(decision.value), "decided_at": now,
                                       "decided_by": by, "reason": text, "same_as": same_as})


def lookalike_pair(a: str, b: str) -> tuple[str, str]:
    """The two twin ids of a look-alike link in their stored order."""
    if a == b:
        raise InvalidInput("a twin is not its own look-alike")
    return (a, b) if a < b else (b, a)


class Notice(BaseModel):
    """A message a party (talent or organisation) sees in the portal."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("ntc"))
    recipient_id: str
    kind: str
    subject: str
    body: str
    refs: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
