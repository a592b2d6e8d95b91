"""Schemas of the licence proposals (``api/routers/proposals.py``, ``POST /licences``) and
of a twin's open-to-offers flag; kept apart from ``schemas.py`` to keep each module short."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.api.schemas import LicenceCreate
from twinstudio.domain.licence import LicenceTerms
from twinstudio.domain.proposals import (
    MAX_NOTE,
    MAX_PROPOSAL_DAYS,
    LicenceProposal,
    ProposalState,
    RefusalCode,
)
from twinstudio.domain.text import FreeText


class ProposalCreate(LicenceCreate):
    """The terms a brand proposes for a twin (the brand's side signs them now)."""

    expires_in_days: int | None = Field(None, ge=1, le=MAX_PROPOSAL_DAYS, description=(
        "days the proposal waits for the talent's answer (default: the workspace's "
        "TWINSTUDIO_PROPOSAL_DAYS, 14 unless configured)"))


class ProposalPublic(BaseModel):
    id: str
    twin_id: str
    talent_id: str
    brand_id: str
    state: ProposalState = Field(description=(
        "proposed (waiting for the talent's side), accepted (the licence exists: "
        "licence_id), refused (refusal_code), withdrawn (by the brand) or expired "
        "(unanswered at expires_at)"))
    terms: LicenceTerms
    document_hash: str = Field(description="hash of the licence document both parties sign")
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    refusal_code: RefusalCode | None
    refusal_note: str | None
    licence_id: str | None = Field(description="the licence, once accepted")

    @classmethod
    def of(cls, p: LicenceProposal) -> ProposalPublic:
        return cls(id=p.id, twin_id=p.twin_id, talent_id=p.talent_id, brand_id=p.brand_id,
                   state=p.state, terms=p.terms, document_hash=p.document_hash,
                   created_at=p.created_at, expires_at=p.expires_at,
                   decided_at=p.decided_at, refusal_code=p.refusal_code,
                   refusal_note=p.refusal_note,
                   licence_id=p.licence_id if p.state is ProposalState.ACCEPTED else None)


class RefusalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"code": "fees_too_low", "note": "my rate for outerwear is 4000 EUR per asset"}]})

    code: RefusalCode = Field(description="why: " + ", ".join(c.value for c in RefusalCode))
    note: FreeText | None = Field(None, max_length=MAX_NOTE,
                             description="a word to the brand (needed for 'other')")


class OffersUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"open": True}]})

    open: bool = Field(description="true: brands without a licence of the twin may propose "
                                   "terms; false: only brands that have one")
