"""Use cases for people and organisations: add a talent (with their twin), an agency, a brand;
list them."""

from __future__ import annotations

from dataclasses import dataclass

from twinstudio.domain.parties import Organisation, OrganisationKind, Talent
from twinstudio.domain.twin import Twin, TwinState
from twinstudio.services.context import ServiceContext


def add_talent(ctx: ServiceContext, *, name: str, language: str = "en",
               agency_id: str | None = None, synthetic: bool = False,
               actor: str = "operator") -> tuple[Talent, Twin]:
    """Register a talent and their (still enrolling) twin, with the talent's signing key."""
    now = ctx.now()
    talent = Talent(name=name, language=language, agency_id=agency_id, synthetic=synthetic,
                    created_at=now, last_interaction_at=now)
    twin = Twin(talent_id=talent.id, created_at=now, updated_at=now)
    public_key = ctx.keyring.create_key(talent.id)
    try:
        with ctx.uow() as uow:
            if agency_id is not None:
                uow.organisations.get(agency_id, OrganisationKind.AGENCY)
            uow.talents.add(talent, public_key)
            uow.twins.add(twin)
            uow.audit.append(actor=actor, type="TalentAdded", at=now, payload={
                "talent_id": talent.id, "twin_id": twin.id, "agency_id": agency_id,
                "language": talent.language, "synthetic": synthetic})
            uow.commit()
    except BaseException:
        _discard(ctx, talent.id)
        raise
    return talent, twin


def add_organisation(ctx: ServiceContext, *, kind: OrganisationKind, name: str,
                     country: str | None = None, actor: str = "operator") -> Organisation:
    organisation = Organisation.new(kind, name, country).model_copy(
        update={"created_at": ctx.now()})
    public_key = ctx.keyring.create_key(organisation.id)
    try:
        with ctx.uow() as uow:
            uow.organisations.add(organisation, public_key)
            event = "BrandAdded" if kind is OrganisationKind.BRAND else "AgencyAdded"
            uow.audit.append(actor=actor, type=event, at=ctx.now(),
                             payload={"organisation_id": organisation.id, "name": name})
            uow.commit()
    except BaseException:
        _discard(ctx, organisation.id)
        raise
    return organisation


@dataclass(frozen=True)
class TalentResult:
    """A talent with their twin (every talent has exactly one)."""

    talent: Talent
    twin: Twin


def list_talents(ctx: ServiceContext) -> list[TalentResult]:
    """Every talent with their twin, oldest first."""
    with ctx.uow() as uow:
        return [TalentResult(t, uow.twins.get_by_talent(t.id)) for t in uow.talents.list()]


def list_organisations(ctx: ServiceContext, kind: OrganisationKind | None = None
                       ) -> list[Organisation]:
    """Agencies or brands (both when ``kind`` is None), oldest first."""
    with ctx.uow() as uow:
        return uow.organisations.list(kind)


def set_twin_state(ctx: ServiceContext, twin_id: str, target: TwinState, *, reason: str,
                   actor: str) -> Twin:
    """Move a twin through its life cycle (activation after enrolment, suspension, ...).

    Leaving ``active`` withdraws the twin's rights: queued work is cancelled by the hooks.
    """
    with ctx.uow() as uow:
        twin = uow.twins.get(twin_id, for_update=True)
        changed = twin.transition(target, ctx.now())
        uow.twins.update(changed)
        uow.audit.append(actor=actor, type=f"Twin{target.value.capitalize()}", at=ctx.now(),
                         payload={"twin_id": twin_id, "from": twin.state.value,
                                  "to": target.value, "reason": reason})
        if target is TwinState.SHREDDED:
            from twinstudio.services.biometrics import shred_in

            shred_in(uow, twin_id=twin_id, reason=f"twin shredded: {reason}", actor=actor,
                     now=ctx.now())
        if twin.state is TwinState.ACTIVE and target is not TwinState.ACTIVE:
            licence_ids = [lic.id for lic in uow.licences.list(twin_id=twin_id)]
            for hook in ctx.rights_withdrawn_hooks:
                hook(uow, twin_id=twin_id, licence_ids=licence_ids,
                     reason=f"twin {target.value}")
        uow.commit()
    return changed


def _discard(ctx: ServiceContext, party_id: str) -> None:
    discard = getattr(ctx.keyring, "discard", None)
    if discard is not None:
        discard(party_id)
