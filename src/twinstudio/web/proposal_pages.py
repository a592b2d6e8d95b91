"""The portal's licence proposals: the talent and their agency see the brands' proposals
for their twins and accept (sign) or refuse them with a reason; a brand sees its own and
may withdraw an open one. Every POST checks the CSRF token first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.money import Money
from twinstudio.domain.proposals import REFUSAL_LABELS, ProposalState
from twinstudio.services.proposals import (
    accept_proposal,
    refuse_proposal,
    set_open_to_offers,
    withdraw_proposal,
)
from twinstudio.web.session import Visitor, check_csrf, render, signed_in

router = APIRouter()
Csrf = Annotated[str | None, Form()]


def _money(amount: int, currency: str) -> str:
    return Money(amount=amount, currency=currency).format()


def _names(found: Visitor, proposals: list) -> dict[str, str]:  # type: ignore[type-arg]
    """Names of the brands and talents of the proposals the principal sees."""
    with found.ctx.uow() as uow:
        names = {p.brand_id: uow.organisations.get(p.brand_id).name for p in proposals}
        names.update({p.talent_id: uow.talents.get(p.talent_id).name for p in proposals})
    return names


@router.get("/proposals")
def proposals(request: Request) -> Response:
    found = signed_in(request)
    access = found.access
    every = list(reversed(access.proposals()))  # newest first
    waiting = [p for p in every if p.state is ProposalState.PROPOSED]
    answered = [p for p in every if p.state is not ProposalState.PROPOSED]
    twins = access.twins() if access.may("twin.offers") else []
    names = _names(found, every)
    names.update({t.id: t.name for t in access.talents()})
    return render(request, found, "proposals.html", waiting=waiting, answered=answered,
                  names=names, money=_money, refusal_codes=REFUSAL_LABELS, twins=twins,
                  may_answer=access.may("licence.answer"),
                  may_withdraw=access.may("licence.propose"))


@router.post("/twins/{twin_id}/offers")
def offers(request: Request, twin_id: str, csrf_token: Csrf = None,
           open: Annotated[str, Form(max_length=5)] = "") -> Response:
    """List the twin as open to offers from brands without a licence of it, or not."""
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    access.twin(twin_id)
    access.require("twin.offers")
    set_open_to_offers(found.ctx, twin_id, open_=open == "true", actor=access.principal.actor)
    return RedirectResponse("/proposals#offers", status_code=303)


def _talent_side(found: Visitor, proposal_id: str) -> str | None:
    """Check the proposal is visible and answerable by the principal; the talent they
    answer for when they are not that talent."""
    access = found.access
    proposal = access.proposal(proposal_id)
    access.require("licence.answer")
    return None if access.principal.talent_id == proposal.talent_id else proposal.talent_id


@router.post("/proposals/{proposal_id}/accept")
def accept(request: Request, proposal_id: str, csrf_token: Csrf = None) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    on_behalf_of = _talent_side(found, proposal_id)
    result = accept_proposal(found.ctx, proposal_id, actor=found.access.principal.actor,
                             on_behalf_of=on_behalf_of)
    return RedirectResponse(f"/proposals?accepted={result.licence.id}", status_code=303)


@router.post("/proposals/{proposal_id}/refuse")
def refuse(request: Request, proposal_id: str, csrf_token: Csrf = None,
           code: Annotated[str, Form(max_length=40)] = "",
           note: Annotated[str, Form(max_length=500)] = "") -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    on_behalf_of = _talent_side(found, proposal_id)
    if not code:
        raise InvalidInput("choose why you refuse the proposal", code="refusal_code_missing")
    refuse_proposal(found.ctx, proposal_id, code=code, note=note,
                    actor=found.access.principal.actor, on_behalf_of=on_behalf_of)
    return RedirectResponse(f"/proposals?refused={proposal_id}", status_code=303)


@router.post("/proposals/{proposal_id}/withdraw")
def withdraw(request: Request, proposal_id: str, csrf_token: Csrf = None) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    proposal = access.proposal(proposal_id)
    access.require("licence.propose")
    brand = None if access.principal.organisation_id == proposal.brand_id \
        else proposal.brand_id
    withdraw_proposal(found.ctx, proposal_id, actor=access.principal.actor,
                      on_behalf_of=brand)
    return RedirectResponse(f"/proposals?withdrawn={proposal_id}", status_code=303)
