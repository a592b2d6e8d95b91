"""Licence proposals: a licence is a two-party act.

A brand proposes terms for a twin and signs the licence document (``propose_licence``);
the talent, or an agency that represents the talent, accepts by signing it too, and only
then is the licence granted (``accept_proposal``, through ``rights.grant_licence`` in the
same transaction); or refuses with a reason code (``refuse_proposal``). The brand may
withdraw its proposal while it is open; an unanswered one lapses at its expiry (checked
whenever it is read or answered, and recorded by ``rights.expire_rights``).

A brand may propose only for a twin it already has a relation with (a licence of it, in
any state) or that the talent lists as open to offers (``set_open_to_offers``); for any
other twin it is answered exactly as for a twin that does not exist. Every change is
audited; who acted for whom is in the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from twinstudio.domain.consent import signing_message
from twinstudio.domain.errors import (
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    RightsRefused,
)
from twinstudio.domain.licence import Licence, LicenceTerms
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.proposals import (
    MAX_OPEN_PROPOSALS,
    MAX_PROPOSAL_DAYS,
    LicenceProposal,
    ProposalState,
    RefusalCode,
    may_propose,
)
from twinstudio.domain.twin import Twin, TwinState
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork
from twinstudio.services.rights import (
    _sign,
    covering_consent,
    expire_proposal_in,
    grant_licence,
)


def _hidden_twin(twin_id: str) -> NotFound:
    # Word for word what the repository says of a twin that does not exist.
    return NotFound(f"twin {twin_id!r} not found")


# ---------------------------------------------------------------- open to offers


def set_open_to_offers(ctx: ServiceContext, twin_id: str, *, open_: bool,
                       actor: str) -> Twin:
    """The talent (or their agency) lists the twin as open to offers from brands without
    a licence of it, or closes it again (open proposals stay open)."""
    now = ctx.now()
    with ctx.uow() as uow:
        twin = uow.twins.get(twin_id, for_update=True)
        if twin.state is TwinState.SHREDDED and open_:
            raise Conflict(f"twin {twin_id} is shredded; it cannot be licensed")
        if twin.open_to_offers == open_:
            return twin
        changed = twin.model_copy(update={"open_to_offers": open_, "updated_at": now})
        uow.twins.update(changed)
        uow.audit.append(actor=actor, type="TwinOpenedToOffers" if open_
                         else "TwinClosedToOffers", at=now,
                         payload={"twin_id": twin_id, "talent_id": twin.talent_id})
        uow.commit()
    return changed


# ---------------------------------------------------------------- propose


def propose_licence(ctx: ServiceContext, *, twin_id: str, brand_id: str, terms: LicenceTerms,
                    actor: str, consent_id: str | None = None, days: int | None = None,
                    on_behalf_of: str | None = None) -> LicenceProposal:
    """The brand proposes ``terms`` for a twin and signs the licence document.

    NotFound, exactly as for an absent twin, when the brand has no relation with the twin
    and it is not open to offers (and, as for an absent consent, for a ``consent_id`` that
    is not the twin's). RightsRefused, every reason, when the rights checks would refuse
    the licence today, in full: where they leave for the brand they are redacted by its
    scope (``domain.redaction``), naming nothing of the talent's documents or of other
    brands' licences. The proposal waits ``days`` (default: the configured ``proposal_days``)."""
    days = ctx.proposal_days if days is None else days
    if not 1 <= days <= MAX_PROPOSAL_DAYS:
        raise InvalidInput(f"a proposal waits 1 to {MAX_PROPOSAL_DAYS} days, not {days}")
    now = ctx.now()
    with ctx.uow() as uow:
        uow.organisations.get(brand_id, OrganisationKind.BRAND)
        try:
            twin = uow.twins.get(twin_id)
        except NotFound:
            raise _hidden_twin(twin_id) from None
        if not may_propose(brand_id=brand_id, twin=twin,
                           licences=uow.licences.list(twin_id=twin_id)):
            raise _hidden_twin(twin_id)
        waiting = [p for p in uow.proposals.list(twin_id=twin_id, brand_id=brand_id,
                                                 state=ProposalState.PROPOSED)
                   if not p.lapsed(now)]
        if len(waiting) >= MAX_OPEN_PROPOSALS:
            raise Conflict(f"brand {brand_id} already has {len(waiting)} open proposals for "
                           f"twin {twin_id}; withdraw one or wait for an answer",
                           code="too_many_open_proposals")
        try:
            consent = covering_consent(ctx, uow, twin, brand_id=brand_id, terms=terms,
                                       consent_id=consent_id)
        except RightsRefused as refused:
            # every reason in full: what leaves for the brand is redacted by its scope
            # (domain.redaction), so it reads only the withheld form of the talent's side
            raise RightsRefused("licence proposal refused", refused.reasons) from None
        licence_id = Licence.model_fields["id"].default_factory()  # type: ignore[misc]
        digest = Licence.compute_hash(licence_id=licence_id, twin_id=twin_id,
                                      talent_id=twin.talent_id, brand_id=brand_id,
                                      consent_id=consent.id, terms=terms)
        signature = _sign(ctx, kind="licence", document_hash=digest, signer_id=brand_id,
                          role="brand", public_key=uow.organisations.public_key(brand_id),
                          at=now)
        proposal = LicenceProposal(
            twin_id=twin_id, talent_id=twin.talent_id, brand_id=brand_id,
            consent_id=consent.id, licence_id=licence_id, terms=terms, document_hash=digest,
            brand_signature=signature, proposed_by=actor, created_at=now,
            expires_at=now + timedelta(days=days))
        uow.proposals.add(proposal)
        kind, payload = proposal.event(
            "LicenceProposed", document_hash=digest, starts=terms.starts, ends=terms.ends,
            exclusive_categories=terms.exclusive_categories,
            expires_at=proposal.expires_at, **_behalf(on_behalf_of))
        uow.audit.append(actor=actor, type=kind, at=now, payload=payload)
        uow.commit()
    return proposal


def _behalf(party: str | None) -> dict[str, Any]:
    return {"on_behalf_of": party} if party else {}


# ---------------------------------------------------------------- answer


@dataclass(frozen=True)
class AcceptanceResult:
    """An accepted proposal and the licence it became."""

    proposal: LicenceProposal
    licence: Licence

    def as_dict(self) -> dict[str, Any]:
        return {"proposal": self.proposal.model_dump(mode="json"),
                "licence": self.licence.model_dump(mode="json")}


def _answerable(uow: UnitOfWork, proposal_id: str, now: datetime) -> LicenceProposal:
    """The proposal, locked, if it can still be answered; a lapsed one is recorded as
    expired (committed) and refused with ``proposal_expired``."""
    proposal = uow.proposals.get(proposal_id, for_update=True)
    if proposal.lapsed(now):
        expire_proposal_in(uow, proposal, now=now, actor="system")
        uow.commit()
        raise Conflict(f"licence proposal {proposal_id} expired unanswered on "
                       f"{proposal.expires_at:%Y-%m-%d %H:%M} UTC", code="proposal_expired")
    return proposal


def _check_brand_signature(ctx: ServiceContext, uow: UnitOfWork,
                           proposal: LicenceProposal) -> None:
    """The proposal must still be what the brand signed: its stored terms and parties
    hash to the document hash, signed by the brand's key of record."""
    sig = proposal.brand_signature
    key = uow.organisations.public_key(proposal.brand_id)
    ok = (proposal.recompute_hash() == proposal.document_hash
          and sig.signer_id == proposal.brand_id and sig.role == "brand"
          and sig.public_key == key
          and ctx.keyring.verify(key, signing_message("licence", proposal.document_hash),
                                 sig.signature))
    if not ok:
        raise IntegrityError(f"licence proposal {proposal.id} does not match what brand "
                             f"{proposal.brand_id} signed")


def accept_proposal(ctx: ServiceContext, proposal_id: str, *, actor: str,
                    on_behalf_of: str | None = None) -> AcceptanceResult:
    """The talent's side accepts: the talent's signature joins the brand's and the licence
    is granted, in one transaction. The rights checks run again now (consent in force,
    exclusivity, twin state): RightsRefused, every reason, leaves the proposal open.
    ``on_behalf_of``: the talent, when an agency or the operator accepts for them."""
    now = ctx.now()
    with ctx.uow() as uow:
        proposal = _answerable(uow, proposal_id, now)
        accepted = proposal.decide(ProposalState.ACCEPTED, now=now, by=actor)
        _check_brand_signature(ctx, uow, proposal)
        licence = grant_licence(
            ctx, twin_id=proposal.twin_id, brand_id=proposal.brand_id, terms=proposal.terms,
            consent_id=proposal.consent_id, licence_id=proposal.licence_id,
            brand_signature=proposal.brand_signature, actor=actor, within=uow,
            audit={"proposal_id": proposal.id, **_behalf(on_behalf_of)})
        uow.proposals.update(accepted)
        kind, payload = accepted.event("LicenceProposalAccepted", licence_id=licence.id,
                                       **_behalf(on_behalf_of))
        uow.audit.append(actor=actor, type=kind, at=now, payload=payload)
        uow.commit()
    return AcceptanceResult(accepted, licence)


def refuse_proposal(ctx: ServiceContext, proposal_id: str, *, code: RefusalCode | str,
                    note: str | None = None, actor: str,
                    on_behalf_of: str | None = None) -> LicenceProposal:
    """The talent's side refuses, with a reason code (and a note; needed for ``other``)."""
    try:
        code = RefusalCode(code)
    except ValueError:
        raise InvalidInput(f"refusal code {code!r} is not one of "
                           f"{', '.join(c.value for c in RefusalCode)}",
                           code="unknown_refusal_code") from None
    now = ctx.now()
    with ctx.uow() as uow:
        proposal = _answerable(uow, proposal_id, now)
        refused = proposal.decide(ProposalState.REFUSED, now=now, by=actor,
                                  refusal_code=code, refusal_note=note)
        uow.proposals.update(refused)
        kind, payload = refused.event("LicenceProposalRefused", code=code.value,
                                      note=refused.refusal_note, **_behalf(on_behalf_of))
        uow.audit.append(actor=actor, type=kind, at=now, payload=payload)
        uow.commit()
    return refused


def withdraw_proposal(ctx: ServiceContext, proposal_id: str, *, actor: str,
                      on_behalf_of: str | None = None) -> LicenceProposal:
    """The brand withdraws its open proposal."""
    now = ctx.now()
    with ctx.uow() as uow:
        proposal = _answerable(uow, proposal_id, now)
        withdrawn = proposal.decide(ProposalState.WITHDRAWN, now=now, by=actor)
        uow.proposals.update(withdrawn)
        kind, payload = withdrawn.event("LicenceProposalWithdrawn", **_behalf(on_behalf_of))
        uow.audit.append(actor=actor, type=kind, at=now, payload=payload)
        uow.commit()
    return withdrawn


# ---------------------------------------------------------------- the operator's path

_OPERATOR = re.compile(r"^[A-Za-z0-9._@+-]{1,60}$")


def operator_actor(name: str) -> str:
    """The audit actor of the workspace operator ``name`` (``operator:NAME``)."""
    if not _OPERATOR.match(name):
        raise InvalidInput(f"operator name {name!r} must be 1 to 60 letters, digits or ._@+-")
    return f"operator:{name}"


def grant_as_operator(ctx: ServiceContext, *, twin_id: str, brand_id: str,
                      terms: LicenceTerms, operator: str,
                      consent_id: str | None = None) -> Licence:
    """The workspace operator grants a licence at once (``twinstudio licence grant``):
    both parties' signatures are applied with their keys held in this workspace, on
    their behalf, as the operator's own act: the LicenceGranted event names the operator
    (``operator:NAME``) and ``on_behalf_of`` the talent and the brand. Same rights checks
    as an acceptance; no open-to-offers rule (the operator answers for both)."""
    actor = operator_actor(operator)
    with ctx.uow() as uow:
        twin = uow.twins.get(twin_id)
        licence = grant_licence(
            ctx, twin_id=twin_id, brand_id=brand_id, terms=terms, consent_id=consent_id,
            actor=actor, within=uow, audit={"path": "operator", "on_behalf_of": {
                "talent_id": twin.talent_id, "brand_id": brand_id}})
        uow.commit()
    return licence


# ---------------------------------------------------------------- read


def get_proposal(ctx: ServiceContext, proposal_id: str) -> LicenceProposal:
    """One proposal as it stands now (expired once lapsed; NotFound for an unknown id)."""
    with ctx.uow() as uow:
        return uow.proposals.get(proposal_id).as_of(ctx.now())


def list_proposals(ctx: ServiceContext, *, twin_id: str | None = None,
                   brand_id: str | None = None,
                   state: ProposalState | None = None) -> list[LicenceProposal]:
    """Proposals as they stand now, oldest first, optionally of one twin, brand, state."""
    now = ctx.now()
    with ctx.uow() as uow:
        found = [p.as_of(now) for p in uow.proposals.list(twin_id=twin_id, brand_id=brand_id)]
    return [p for p in found if state is None or p.state is state]
