"""Licence proposals on the command line, and the operator's path.

A licence is a two-party act: a brand proposes terms (signed by the brand), the talent or
their agency accepts by signing, and only then does the licence exist. Brands and talents
do this in the API and the portal as themselves. The CLI is the workspace operator's: every
command here acts *on behalf of* a party and is audited as ``operator:NAME`` (``--operator``,
default the login name) acting for it. ``licence grant`` (in ``cli/rights.py``) grants at
once, for both parties."""

from pathlib import Path
from typing import Annotated, Any

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    BrandId,
    JsonFlag,
    Operator,
    Workspace,
    context,
    load_model,
    operator_name,
    print_list,
    print_result,
)
from twinstudio.cli.rights import licence_app
from twinstudio.cli.twins import TwinArg, twin_app

ProposalArg = Annotated[str, typer.Argument(help="Licence proposal id (prp_...)")]


def _actor(given: str | None) -> str:
    from twinstudio.services.proposals import operator_actor

    return operator_actor(operator_name(given))


def _proposal_json(proposal: Any) -> dict[str, Any]:
    return proposal.model_dump(mode="json", exclude={"brand_signature"})


@licence_app.command("propose")
def licence_propose(
    twin: Annotated[str, typer.Option(help="Twin id")],
    brand: BrandId,
    terms: Annotated[Path, typer.Option(help="Licence terms JSON")],
    days: Annotated[int | None, typer.Option(
        min=1, max=90, help="Days it waits for an answer (default TWINSTUDIO_PROPOSAL_DAYS, "
                            "14)")] = None,
    operator: Operator = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Propose a licence for the brand (the operator acting for it), signed by the brand.

    Only for a twin the brand has licensed before or that is open to offers (any other
    answers as an unknown twin); refused with every reason (exit 3) when the rights checks
    would refuse the licence today."""
    from twinstudio.domain.licence import LicenceTerms
    from twinstudio.services.proposals import propose_licence

    parsed = load_model(terms, LicenceTerms)
    proposal = propose_licence(context(workspace), twin_id=twin, brand_id=brand,
                               terms=parsed, days=days, actor=_actor(operator),
                               on_behalf_of=brand)
    print_result(_proposal_json(proposal),
                 f"proposal {proposal.id}: twin {twin} to brand {brand}, {parsed.starts} to "
                 f"{parsed.ends}; waits for the talent until "
                 f"{proposal.expires_at:%Y-%m-%d %H:%M} UTC", as_json=as_json)


@licence_app.command("accept")
def licence_accept(proposal_id: ProposalArg, operator: Operator = None,
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Accept a proposal for the talent (the operator acting for them): the licence.

    E.g. on the talent's signed instruction: the talent's signature joins the brand's and
    the licence is granted. Refused (exit 3) when the rights checks refuse it now."""
    from twinstudio.services.proposals import accept_proposal, get_proposal

    ctx = context(workspace)
    talent = get_proposal(ctx, proposal_id).talent_id
    result = accept_proposal(ctx, proposal_id, actor=_actor(operator), on_behalf_of=talent)
    print_result(result.as_dict(), f"proposal {proposal_id} accepted: licence "
                 f"{result.licence.id} signed by talent and brand", as_json=as_json)


@licence_app.command("refuse")
def licence_refuse(
    proposal_id: ProposalArg,
    code: Annotated[str, typer.Option(help="Why: fees_too_low, terms_not_acceptable, "
                                           "brand_not_a_fit, not_available or other")],
    note: Annotated[str | None, typer.Option(help="A word to the brand (needed for "
                                                  "'other')")] = None,
    operator: Operator = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Refuse a proposal for the talent, with a reason code the brand reads."""
    from twinstudio.services.proposals import get_proposal, refuse_proposal

    ctx = context(workspace)
    talent = get_proposal(ctx, proposal_id).talent_id
    refused = refuse_proposal(ctx, proposal_id, code=code, note=note, actor=_actor(operator),
                              on_behalf_of=talent)
    print_result(_proposal_json(refused), f"proposal {proposal_id} refused ({code})",
                 as_json=as_json)


@licence_app.command("withdraw")
def licence_withdraw(proposal_id: ProposalArg, operator: Operator = None,
                     workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Withdraw an open proposal for its brand."""
    from twinstudio.services.proposals import get_proposal, withdraw_proposal

    ctx = context(workspace)
    brand = get_proposal(ctx, proposal_id).brand_id
    withdrawn = withdraw_proposal(ctx, proposal_id, actor=_actor(operator), on_behalf_of=brand)
    print_result(_proposal_json(withdrawn), f"proposal {proposal_id} withdrawn",
                 as_json=as_json)


@licence_app.command("proposals")
def licence_proposals(
    twin: Annotated[str | None, typer.Option(help="Only this twin")] = None,
    brand: Annotated[str | None, typer.Option(help="Only this brand")] = None,
    state: Annotated[str | None, typer.Option(help="Only this state: proposed, accepted, "
                                                   "refused, withdrawn or expired")] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """List licence proposals as they stand now (unanswered ones past expiry: expired)."""
    from twinstudio.domain.errors import InvalidInput
    from twinstudio.domain.proposals import ProposalState
    from twinstudio.services.proposals import list_proposals

    try:
        wanted = ProposalState(state) if state else None
    except ValueError:
        raise InvalidInput(f"--state {state!r} is not one of "
                           f"{', '.join(s.value for s in ProposalState)}") from None
    print_list(list_proposals(context(workspace), twin_id=twin, brand_id=brand, state=wanted),
               as_json=as_json, json_of=_proposal_json,
               columns=("proposal", "twin", "brand", "state", "period", "expires"),
               row=lambda p: (p.id, p.twin_id, p.brand_id, p.state.value,
                              f"{p.terms.starts}..{p.terms.ends}",
                              f"{p.expires_at:%Y-%m-%d %H:%M}"))


@twin_app.command("offers")
def twin_offers(twin_id: TwinArg,
                open_: Annotated[bool, typer.Option(
                    "--open/--closed", help="Open: brands without a licence of the twin may "
                                            "propose terms; closed: only brands with one")],
                operator: Operator = None,
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List a twin as open to offers, or close it, for its talent."""
    from twinstudio.services.proposals import set_open_to_offers

    twin = set_open_to_offers(context(workspace), twin_id, open_=open_,
                              actor=_actor(operator))
    print_result(twin.model_dump(mode="json"), f"twin {twin_id} is "
                 f"{'open' if twin.open_to_offers else 'closed'} to offers", as_json=as_json)
