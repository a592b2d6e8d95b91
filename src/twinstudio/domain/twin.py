"""The digital twin of one talent and its life cycle.

    enrolling ──activate──> active ──suspend──> suspended ──resume──> active
        │  ▲                  │                     │
        │  └─same_person─┐    │                     │
        ├──look-alike──> in_review ──distinct──> active
        └──────────retire─────┴─────────retire──────┘──> retired
    any state except shredded ──shred──> shredded   (biometric keys destroyed; final)

``in_review``: the capture set passed its checks but its face is within the identity
threshold of another twin's; a compliance user decides (``domain.likeness``). Its
template is kept encrypted but nothing generates from a twin that is not active.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.common import new_id, utcnow
from twinstudio.domain.errors import InvalidTransition


class TwinState(StrEnum):
    ENROLLING = "enrolling"
    IN_REVIEW = "in_review"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"
    SHREDDED = "shredded"


_TRANSITIONS: dict[TwinState, frozenset[TwinState]] = {
    TwinState.ENROLLING: frozenset({TwinState.ACTIVE, TwinState.IN_REVIEW, TwinState.RETIRED,
                                    TwinState.SHREDDED}),
    TwinState.IN_REVIEW: frozenset({TwinState.ACTIVE, TwinState.ENROLLING, TwinState.RETIRED,
                                    TwinState.SHREDDED}),
    TwinState.ACTIVE: frozenset({TwinState.SUSPENDED, TwinState.RETIRED, TwinState.SHREDDED}),
    TwinState.SUSPENDED: frozenset({TwinState.ACTIVE, TwinState.RETIRED, TwinState.SHREDDED}),
    TwinState.RETIRED: frozenset({TwinState.SHREDDED}),
    TwinState.SHREDDED: frozenset(),
}


class Twin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("twn"))
    talent_id: str
    state: TwinState = TwinState.ENROLLING
    # the talent (or their agency) lists the twin for brands without a licence to propose
    # terms to (``domain.proposals``)
    open_to_offers: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def transition(self, target: TwinState, now: datetime | None = None) -> Twin:
        """Return the twin in ``target`` state, or raise InvalidTransition."""
        if target not in _TRANSITIONS[self.state]:
            raise InvalidTransition(
                f"twin {self.id} cannot go from {self.state.value} to {target.value}"
            )
        return self.model_copy(update={"state": target, "updated_at": now or utcnow()})
