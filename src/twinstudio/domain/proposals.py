"""A licence proposal: a brand's offer of licence terms for a twin, waiting for the talent.

A licence is a two-party act. The brand proposes terms and signs the licence document
then; the talent (or an agency that represents the talent) accepts by signing it too,
and only then does the licence exist. Unanswered proposals lapse at ``expires_at``.

    proposed ──accept──> accepted    (the licence exists, signed by both)
        ├──────refuse──> refused     (by the talent's side, with a reason code)
        ├────withdraw──> withdrawn   (by the brand)
        └──────expire──> expired     (nobody answered before expires_at)

Every state but ``proposed`` is final. A brand may only propose for a twin it already
has a relation with (a licence, current or past) unless the talent lists the twin as open
to offers (``may_propose``). Pure: no I/O here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.common import new_id
from twinstudio.domain.consent import Signature
from twinstudio.domain.errors import InvalidInput, InvalidTransition
from twinstudio.domain.licence import Licence, LicenceTerms
from twinstudio.domain.text import FreeText, check_text
from twinstudio.domain.twin import Twin

DEFAULT_PROPOSAL_DAYS = 14   # how long a proposal waits for an answer, unless configured
MAX_PROPOSAL_DAYS = 90
MAX_OPEN_PROPOSALS = 5       # open proposals of one brand for one twin at a time
MAX_NOTE = 500


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class RefusalCode(StrEnum):
    """Why the talent's side refuses a proposal (a closed list: the brand reads it)."""

    FEES_TOO_LOW = "fees_too_low"
    TERMS_NOT_ACCEPTABLE = "terms_not_acceptable"
    BRAND_NOT_A_FIT = "brand_not_a_fit"
    NOT_AVAILABLE = "not_available"
    OTHER = "other"


REFUSAL_LABELS = {
    RefusalCode.FEES_TOO_LOW: "the fees are too low",
    RefusalCode.TERMS_NOT_ACCEPTABLE: "the terms are not acceptable",
    RefusalCode.BRAND_NOT_A_FIT: "the brand is not a fit",
    RefusalCode.NOT_AVAILABLE: "not available for this period",
    RefusalCode.OTHER: "another reason (see the note)",
}


class LicenceProposal(BaseModel):
    """The terms a brand offers. ``licence_id`` and ``consent_id`` are fixed when it is
    proposed: ``document_hash`` is the hash of the licence it becomes, which the brand
    signed then (``brand_signature``) and the talent signs on acceptance."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("prp"))
    twin_id: str
    talent_id: str
    brand_id: str
    consent_id: str
    licence_id: str
    terms: LicenceTerms
    document_hash: str
    brand_signature: Signature
    proposed_by: str          # the audit actor who proposed
    created_at: datetime
    expires_at: datetime
    state: ProposalState = ProposalState.PROPOSED
    decided_at: datetime | None = None
    decided_by: str | None = None
    refusal_code: RefusalCode | None = None
    refusal_note: FreeText | None = Field(default=None, max_length=MAX_NOTE)

    def lapsed(self, now: datetime) -> bool:
        """Still proposed but past its expiry: it can no longer be accepted."""
        return self.state is ProposalState.PROPOSED and now >= self.expires_at

    def as_of(self, now: datetime) -> LicenceProposal:
        """The proposal as it stands at ``now`` (expired once lapsed, even before a sweep
        has recorded it)."""
        if self.lapsed(now):
            return self.model_copy(update={"state": ProposalState.EXPIRED,
                                           "decided_at": self.expires_at})
        return self

    def recompute_hash(self) -> str:
        """The hash of the licence this proposal becomes, from its stored fields."""
        return Licence.compute_hash(licence_id=self.licence_id, twin_id=self.twin_id,
                                    talent_id=self.talent_id, brand_id=self.brand_id,
                                    consent_id=self.consent_id, terms=self.terms)

    def decide(self, target: ProposalState, *, now: datetime, by: str,
               refusal_code: RefusalCode | None = None,
               refusal_note: str | None = None) -> LicenceProposal:
        """The proposal moved to ``target`` (InvalidTransition once it was answered)."""
        if self.state is not ProposalState.PROPOSED or target is ProposalState.PROPOSED:
            raise InvalidTransition(
                f"licence proposal {self.id} is {self.state.value}; it can no longer be "
                f"{_PARTICIPLE[target]}")
        if target is ProposalState.REFUSED:
            refusal_note = check_text(refusal_note or "", "refusal_note",
                                      multiline=True).strip() or None
            if refusal_note is not None and len(refusal_note) > MAX_NOTE:
                raise InvalidInput(f"the refusal note has {len(refusal_note)} characters; "
                                   f"at most {MAX_NOTE}", code="refusal_note_too_long")
            if refusal_code is None:
                raise InvalidInput("say why the proposal is refused (a refusal code)",
                                   code="refusal_code_missing")
            if refusal_code is RefusalCode.OTHER and not refusal_note:
                raise InvalidInput("a refusal for another reason needs a note saying why",
                                   code="refusal_note_missing")
        return self.model_copy(update={
            "state": target, "decided_at": now, "decided_by": by,
            "refusal_code": refusal_code if target is ProposalState.REFUSED else None,
            "refusal_note": refusal_note if target is ProposalState.REFUSED else None})

    def event(self, type_: str, **extra: Any) -> tuple[str, dict[str, Any]]:
        """The audit event of a change of this proposal: its type and payload."""
        return type_, {"proposal_id": self.id, "twin_id": self.twin_id,
                       "talent_id": self.talent_id, "brand_id": self.brand_id,
                       "state": self.state.value, **extra}


_PARTICIPLE = {ProposalState.PROPOSED: "proposed again", ProposalState.ACCEPTED: "accepted",
               ProposalState.REFUSED: "refused", ProposalState.EXPIRED: "expired",
               ProposalState.WITHDRAWN: "withdrawn"}


def may_propose(*, brand_id: str, twin: Twin, licences: list[Licence]) -> bool:
    """Whether ``brand_id`` may propose terms for ``twin``: the talent lists the twin as
    open to offers, or the brand already has a relation with it (a licence of the twin,
    in any state; an accepted proposal is one)."""
    return twin.open_to_offers or any(lic.brand_id == brand_id for lic in licences)
