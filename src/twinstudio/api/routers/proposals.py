"""Licence proposals: a licence is a two-party act. A brand proposes terms
(``POST /licences``, signed by the brand); the talent, or an agency that represents the
talent, accepts by signing (``POST /licence-proposals/{id}/accept``: only then does the
licence exist) or refuses with a reason code; the brand may withdraw an open proposal;
unanswered proposals expire. The brand sees its own proposals, the talent's side those
for its twins; anyone else's answer 404."""

from __future__ import annotations

from fastapi import APIRouter, Response

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.proposal_schemas import ProposalPublic, RefusalRequest
from twinstudio.api.schemas import LicencePublic, Page
from twinstudio.domain.proposals import LicenceProposal, ProposalState
from twinstudio.services.access import Access
from twinstudio.services.proposals import (
    accept_proposal,
    refuse_proposal,
    withdraw_proposal,
)

router = APIRouter(prefix="/licence-proposals", tags=["licence proposals"])


def _for_talent(access: Access, proposal: LicenceProposal) -> str | None:
    """The talent the principal answers for, when it is not the talent themself."""
    return None if access.principal.talent_id == proposal.talent_id else proposal.talent_id


@router.get("", openapi_extra=isolation(list="proposal"))
def list_licence_proposals(access: AccessDep, paging: PagingDep, twin_id: str | None = None,
                           brand_id: str | None = None,
                           state: ProposalState | None = None) -> Page[ProposalPublic]:
    """Proposals, oldest first: a brand's own; the talent's and agency's for their twins
    (``state=proposed``: those waiting for an answer)."""
    found = access.proposals(twin_id=twin_id, brand_id=brand_id)
    return paging.page([ProposalPublic.of(p) for p in found
                        if state is None or p.state is state])


@router.get("/{proposal_id}", openapi_extra=isolation(
    object="proposal", param="proposal_id", action="read"))
def read_licence_proposal(proposal_id: str, access: AccessDep) -> ProposalPublic:
    return ProposalPublic.of(access.proposal(proposal_id))


@router.post("/{proposal_id}/accept", status_code=201, openapi_extra=isolation(
    object="proposal", param="proposal_id", action="licence.answer"))
def accept(proposal_id: str, access: AccessDep, response: Response) -> LicencePublic:
    """The talent's side accepts by signing: the licence is granted now, signed by the
    talent and the brand. The rights checks run again (403, every reason, and the
    proposal stays open); an answered or expired proposal answers 409."""
    proposal = access.proposal(proposal_id)
    access.require("licence.answer")
    result = accept_proposal(access.ctx, proposal_id, actor=access.principal.actor,
                             on_behalf_of=_for_talent(access, proposal))
    response.headers["Location"] = f"/api/v1/licences/{result.licence.id}"
    return LicencePublic.of(result.licence)


@router.post("/{proposal_id}/refuse", openapi_extra=isolation(
    object="proposal", param="proposal_id", action="licence.answer"))
def refuse(proposal_id: str, body: RefusalRequest, access: AccessDep) -> ProposalPublic:
    """The talent's side refuses, with a reason code the brand reads (and a note)."""
    proposal = access.proposal(proposal_id)
    access.require("licence.answer")
    return ProposalPublic.of(refuse_proposal(
        access.ctx, proposal_id, code=body.code, note=body.note,
        actor=access.principal.actor, on_behalf_of=_for_talent(access, proposal)))


@router.post("/{proposal_id}/withdraw", openapi_extra=isolation(
    object="proposal", param="proposal_id", action="licence.propose"))
def withdraw(proposal_id: str, access: AccessDep) -> ProposalPublic:
    """The brand withdraws its open proposal."""
    proposal = access.proposal(proposal_id)
    access.require("licence.propose")
    brand = None if access.principal.organisation_id == proposal.brand_id \
        else proposal.brand_id
    return ProposalPublic.of(withdraw_proposal(access.ctx, proposal_id,
                                               actor=access.principal.actor,
                                               on_behalf_of=brand))
