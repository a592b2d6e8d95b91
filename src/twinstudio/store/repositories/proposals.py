"""Licence proposals: a brand's signed offer of terms, waiting for the talent's side."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from twinstudio.domain.common import canonical_json
from twinstudio.domain.consent import Signature
from twinstudio.domain.licence import LicenceTerms
from twinstudio.domain.proposals import LicenceProposal, ProposalState, RefusalCode
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _corrupt, _Repo


def _proposal(row: Any) -> LicenceProposal:
    try:
        return LicenceProposal(
            id=row["id"], twin_id=row["twin_id"], talent_id=row["talent_id"],
            brand_id=row["brand_id"], consent_id=row["consent_id"],
            licence_id=row["licence_id"],
            terms=LicenceTerms.model_validate_json(row["terms"]),
            document_hash=row["document_hash"],
            brand_signature=Signature.model_validate_json(row["brand_signature"]),
            proposed_by=row["proposed_by"], created_at=row["created_at"],
            expires_at=row["expires_at"], state=ProposalState(row["state"]),
            decided_at=row["decided_at"], decided_by=row["decided_by"],
            refusal_code=RefusalCode(row["refusal_code"]) if row["refusal_code"] else None,
            refusal_note=row["refusal_note"])
    except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
        raise _corrupt("licence proposal", row["id"], error) from None


class SqlLicenceProposalRepository(_Repo):
    def add(self, proposal: LicenceProposal) -> None:
        self._c.execute(insert(t.licence_proposals).values(
            id=proposal.id, twin_id=proposal.twin_id, talent_id=proposal.talent_id,
            brand_id=proposal.brand_id, consent_id=proposal.consent_id,
            licence_id=proposal.licence_id, state=proposal.state.value,
            terms=canonical_json(proposal.terms.model_dump(mode="json")),
            document_hash=proposal.document_hash,
            brand_signature=canonical_json(proposal.brand_signature.model_dump(mode="json")),
            proposed_by=proposal.proposed_by, created_at=proposal.created_at,
            expires_at=proposal.expires_at, decided_at=proposal.decided_at,
            decided_by=proposal.decided_by,
            refusal_code=proposal.refusal_code.value if proposal.refusal_code else None,
            refusal_note=proposal.refusal_note))

    def get(self, proposal_id: str, *, for_update: bool = False) -> LicenceProposal:
        query = select(t.licence_proposals).where(t.licence_proposals.c.id == proposal_id)
        if for_update:
            query = query.with_for_update()
        return _proposal(self._one(query, "licence proposal", proposal_id))

    def update(self, proposal: LicenceProposal) -> None:
        """Record an answer (the terms, parties and signature never change)."""
        self._c.execute(update(t.licence_proposals)
                        .where(t.licence_proposals.c.id == proposal.id).values(
            state=proposal.state.value, decided_at=proposal.decided_at,
            decided_by=proposal.decided_by,
            refusal_code=proposal.refusal_code.value if proposal.refusal_code else None,
            refusal_note=proposal.refusal_note))

    def list(self, *, twin_id: str | None = None, brand_id: str | None = None,
             state: ProposalState | None = None) -> list[LicenceProposal]:
        c = t.licence_proposals.c
        query = select(t.licence_proposals).order_by(c.created_at, c.id)
        if twin_id is not None:
            query = query.where(c.twin_id == twin_id)
        if brand_id is not None:
            query = query.where(c.brand_id == brand_id)
        if state is not None:
            query = query.where(c.state == state.value)
        return [_proposal(r) for r in self._c.execute(query).mappings()]
