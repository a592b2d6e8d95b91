"""Assets: images of a twin made under a licence, and their life cycle.

    generated ──> qa_failed
        ├──────> pending_approval ──> approved ──> published ──> withdrawn | expired
        │               └──────────> rejected  ▲       └──────> withdrawn
        └──────────────────────────────────────┘ (the licence needs no approval)
    any state before publication ──> withdrawn (revocation)

Only an approved (or already published) asset is licensed for publication: a generated
or pending one waits for the talent's approval when its licence requires it
(``submitted_state``), and verification says so. Under a licence that needs no approval
an asset that passed its checks is approved by the licence's terms, not by a person
(``APPROVED_BY_TERMS``): it goes from generated straight to approved.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.common import new_id, utcnow
from twinstudio.domain.errors import InvalidTransition


class AssetState(StrEnum):
    GENERATED = "generated"
    QA_FAILED = "qa_failed"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# An asset in one of these states may be published (and verifies as licensed).
PUBLISHABLE = frozenset({AssetState.APPROVED, AssetState.PUBLISHED})
# Made, but not approved yet: not licensed for publication.
AWAITING_APPROVAL = frozenset({AssetState.GENERATED, AssetState.PENDING_APPROVAL})


# Who approved an asset that its licence's terms approve (``approval_required: false``):
# the audit and the state reason name the terms, never a person.
APPROVED_BY_TERMS = "licence_terms"


def submitted_state(approval_required: bool) -> AssetState:
    """Where a new asset that passed its checks goes: to the talent's (or agency's)
    approval when its licence requires it, otherwise straight to approved."""
    return AssetState.PENDING_APPROVAL if approval_required else AssetState.APPROVED


_NEXT: dict[AssetState, frozenset[AssetState]] = {
    AssetState.GENERATED: frozenset({AssetState.QA_FAILED, AssetState.PENDING_APPROVAL,
                                     AssetState.APPROVED, AssetState.WITHDRAWN}),
    AssetState.QA_FAILED: frozenset({AssetState.WITHDRAWN}),
    AssetState.PENDING_APPROVAL: frozenset({AssetState.APPROVED, AssetState.REJECTED,
                                            AssetState.WITHDRAWN}),
    AssetState.APPROVED: frozenset({AssetState.PUBLISHED, AssetState.WITHDRAWN}),
    AssetState.REJECTED: frozenset(),
    AssetState.PUBLISHED: frozenset({AssetState.WITHDRAWN, AssetState.EXPIRED}),
    AssetState.WITHDRAWN: frozenset(),
    AssetState.EXPIRED: frozenset(),
}

# IPTC digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/), chosen per
# backend by what is true of its pixels:
#   studio    renders of a parametric 3D body model: made by an algorithm, no trained
#             generative model -> algorithmicMedia
#   diffusion pixels sampled from a trained generative model -> trainedAlgorithmicMedia
#   composite a trained model's output combined with other material (e.g. a diffusion
#             background behind a studio render) -> compositeWithTrainedAlgorithmicMedia
SOURCE_TYPES: dict[str, str] = {
    "studio": "algorithmicMedia",
    "diffusion": "trainedAlgorithmicMedia",
    "composite": "compositeWithTrainedAlgorithmicMedia",
}


class Asset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("ast"))
    twin_id: str
    licence_id: str
    brand_id: str
    state: AssetState = AssetState.GENERATED
    source: str  # a key of SOURCE_TYPES
    alterations: list[str] = Field(default_factory=list)
    retouched: bool = False
    parent_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    state_reason: str | None = None

    def transition(self, target: AssetState, *, reason: str | None = None,
                   now: datetime | None = None) -> Asset:
        if target not in _NEXT[self.state]:
            raise InvalidTransition(f"asset {self.id} cannot go from {self.state.value} "
                                    f"to {target.value}")
        return self.model_copy(update={"state": target, "state_reason": reason,
                                       "updated_at": now or utcnow()})
