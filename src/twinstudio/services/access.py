"""Tenant isolation: the one helper every interface route goes through.

``Access(ctx, principal)`` loads an object only when the principal may see it; an object
of another tenant answers exactly as an id that does not exist (``NotFound``), so ids
cannot be probed. ``require(action)`` refuses what the role may not do (``PermissionDenied``)
and is asked only after the object was found visible. Lists are filtered by the same
``Scope``; refusal reasons are redacted by it (``redact``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from twinstudio.domain.accounts import BRAND_ROLES, Principal, Role, Scope, may
from twinstudio.domain.asset import Asset
from twinstudio.domain.common import with_article
from twinstudio.domain.consent import BiometricRelease, DigitalReplicaConsent
from twinstudio.domain.errors import NotFound, PermissionDenied
from twinstudio.domain.garment import Garment
from twinstudio.domain.generation import Campaign, Job
from twinstudio.domain.licence import Licence
from twinstudio.domain.parties import Organisation, OrganisationKind, Talent
from twinstudio.domain.policy import Reason
from twinstudio.domain.proposals import LicenceProposal
from twinstudio.domain.redaction import redact
from twinstudio.domain.training import TrainingJob, TwinAdapter
from twinstudio.domain.twin import Twin
from twinstudio.domain.webhooks import WebhookDelivery, WebhookEndpoint
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork


def scope_of(uow: UnitOfWork, principal: Principal) -> Scope:
    """What ``principal`` can see, read from the store."""
    if principal.reads_everything:
        return Scope(everything=True)
    if principal.role is Role.TALENT and principal.talent_id:
        twin = uow.twins.get_by_talent(principal.talent_id)
        return Scope(talent_ids=frozenset({principal.talent_id}),
                     twin_ids=frozenset({twin.id}))
    if principal.role is Role.AGENCY and principal.organisation_id:
        talents = [t.id for t in uow.talents.list()
                   if t.agency_id == principal.organisation_id]
        twins = [w.id for w in uow.twins.list() if w.talent_id in set(talents)]
        return Scope(talent_ids=frozenset(talents), twin_ids=frozenset(twins),
                     agency_id=principal.organisation_id)
    if principal.role in BRAND_ROLES and principal.organisation_id:
        return Scope(brand_id=principal.organisation_id)
    return Scope()


def _hidden(what: str, ident: str) -> NotFound:
    # Word for word what a repository says of an id that does not exist.
    return NotFound(f"{what} {ident!r} not found")


class Access:
    """Per-request view of the store through one principal's scope."""

    def __init__(self, ctx: ServiceContext, principal: Principal) -> None:
        self.ctx = ctx
        self.principal = principal

    @cached_property
    def scope(self) -> Scope:
        with self.ctx.uow() as uow:
            return scope_of(uow, self.principal)

    # ------------------------------------------------------------ permissions

    def require(self, action: str) -> None:
        if not may(self.principal, action):
            raise PermissionDenied(f"{with_article(self.principal.role.value)} user may not "
                                   f"do this ({action})")

    def may(self, action: str) -> bool:
        return may(self.principal, action)

    def redact(self, reasons: Iterable[Reason]) -> list[Reason]:
        """Refusal reasons as this principal may read them: details of another party's
        licence or consent are withheld, the codes kept (``domain.redaction``)."""
        return redact(reasons, self.scope)

    # ------------------------------------------------------------ single objects

    def talent(self, talent_id: str) -> Talent:
        scope = self.scope
        if not scope.sees_talent(talent_id):
            raise _hidden("talent", talent_id)
        with self.ctx.uow() as uow:
            return uow.talents.get(talent_id)

    def twin(self, twin_id: str) -> Twin:
        scope = self.scope
        if not scope.sees_twin(twin_id):
            raise _hidden("twin", twin_id)
        with self.ctx.uow() as uow:
            return uow.twins.get(twin_id)

    def consent(self, consent_id: str) -> DigitalReplicaConsent:
        scope = self.scope
        with self.ctx.uow() as uow:
            consent = uow.consents.get(consent_id)
        if not scope.sees_twin(consent.twin_id):
            raise _hidden("consent", consent_id)
        return consent

    def release(self, release_id: str) -> BiometricRelease:
        scope = self.scope
        with self.ctx.uow() as uow:
            release = uow.releases.get(release_id)
        if not scope.sees_talent(release.talent_id):
            raise _hidden("biometric release", release_id)
        return release

    def licence(self, licence_id: str) -> Licence:
        scope = self.scope
        with self.ctx.uow() as uow:
            licence = uow.licences.get(licence_id)
        if not scope.sees_licence(twin_id=licence.twin_id, brand_id=licence.brand_id):
            raise _hidden("licence", licence_id)
        return licence

    def proposal(self, proposal_id: str) -> LicenceProposal:
        """A licence proposal, as it stands now: seen by its brand and the twin's side."""
        scope = self.scope
        with self.ctx.uow() as uow:
            proposal = uow.proposals.get(proposal_id)
        if not scope.sees_licence(twin_id=proposal.twin_id, brand_id=proposal.brand_id):
            raise _hidden("licence proposal", proposal_id)
        return proposal.as_of(self.ctx.now())

    def asset(self, asset_id: str) -> Asset:
        scope = self.scope
        with self.ctx.uow() as uow:
            asset = uow.assets.get(asset_id)
        if not scope.sees_asset(twin_id=asset.twin_id, brand_id=asset.brand_id):
            raise _hidden("asset", asset_id)
        return asset

    def garment(self, garment_id: str) -> Garment:
        """A garment of the brand's catalogue (a brand's own; compliance and admin: any)."""
        scope = self.scope
        with self.ctx.uow() as uow:
            garment = uow.garments.get(garment_id)
        if garment.brand_id is None or not scope.sees_brand(garment.brand_id):
            raise _hidden("garment", garment_id)
        return garment

    def campaign(self, campaign_id: str) -> Campaign:
        """A campaign is the brand's planning document (its brief may name other twins and
        its refusals other licences): seen by its brand, compliance and admin only. The
        talent's side sees the resulting assets of their twin, not the campaign."""
        scope = self.scope
        with self.ctx.uow() as uow:
            campaign = uow.campaigns.get(campaign_id)
        if not scope.sees_brand(campaign.brand_id):
            raise _hidden("campaign", campaign_id)
        return campaign

    def brand(self, brand_id: str) -> Organisation:
        scope = self.scope
        if not scope.sees_brand(brand_id):
            raise _hidden("brand", brand_id)
        with self.ctx.uow() as uow:
            return uow.organisations.get(brand_id, OrganisationKind.BRAND)

    def organisation(self, organisation_id: str) -> Organisation:
        scope = self.scope
        if not scope.sees_organisation(organisation_id):
            raise _hidden("organisation", organisation_id)
        with self.ctx.uow() as uow:
            return uow.organisations.get(organisation_id)

    def own_organisation(self, organisation_id: str) -> Organisation:
        """An organisation the principal works at (compliance and admin: any); webhook
        endpoints are registered for these only."""
        if not (self.principal.reads_everything
                or self.principal.organisation_id == organisation_id):
            raise _hidden("organisation", organisation_id)
        with self.ctx.uow() as uow:
            return uow.organisations.get(organisation_id)

    def webhook(self, endpoint_id: str) -> WebhookEndpoint:
        """An endpoint of the principal's own organisation (compliance, admin: any)."""
        with self.ctx.uow() as uow:
            endpoint = uow.webhooks.endpoint(endpoint_id)
        if not (self.principal.reads_everything
                or self.principal.organisation_id == endpoint.organisation_id):
            raise _hidden("webhook endpoint", endpoint_id)
        return endpoint

    def delivery(self, delivery_id: str) -> WebhookDelivery:
        with self.ctx.uow() as uow:
            delivery = uow.webhooks.delivery(delivery_id)
        if not (self.principal.reads_everything
                or self.principal.organisation_id == delivery.organisation_id):
            raise _hidden("webhook delivery", delivery_id)
        return delivery

    def adapter(self, adapter_id: str) -> TwinAdapter:
        """A version of a twin's LoRA: seen by the twin's side only."""
        with self.ctx.uow() as uow:
            adapter = uow.training.adapter(adapter_id)
        if not self.scope.sees_twin(adapter.twin_id):
            raise _hidden("adapter", adapter_id)
        return adapter

    def training(self, job_id: str) -> TrainingJob:
        with self.ctx.uow() as uow:
            job = uow.training.job(job_id)
        if not self.scope.sees_twin(job.twin_id):
            raise _hidden("training job", job_id)
        return job

    # ------------------------------------------------------------ lists

    def webhooks(self) -> list[WebhookEndpoint]:
        with self.ctx.uow() as uow:
            if self.principal.reads_everything:
                return uow.webhooks.endpoints()
            if not self.principal.organisation_id:
                return []
            return uow.webhooks.endpoints(organisation_id=self.principal.organisation_id)

    def talents(self) -> list[Talent]:
        scope = self.scope
        with self.ctx.uow() as uow:
            return [t for t in uow.talents.list() if scope.sees_talent(t.id)]

    def twins(self) -> list[Twin]:
        scope = self.scope
        with self.ctx.uow() as uow:
            return [t for t in uow.twins.list() if scope.sees_twin(t.id)]

    def consents(self, twin_id: str | None = None) -> list[DigitalReplicaConsent]:
        scope = self.scope
        with self.ctx.uow() as uow:
            found = uow.consents.list_for_twin(twin_id) if twin_id else uow.consents.list()
        return [c for c in found if scope.sees_twin(c.twin_id)]

    def releases(self) -> list[BiometricRelease]:
        scope = self.scope
        with self.ctx.uow() as uow:
            talents = [t.id for t in uow.talents.list() if scope.sees_talent(t.id)]
            return [r for tid in talents for r in uow.releases.list_for_talent(tid)]

    def licences(self, *, twin_id: str | None = None,
                 brand_id: str | None = None) -> list[Licence]:
        scope = self.scope
        with self.ctx.uow() as uow:
            found = uow.licences.list(twin_id=twin_id, brand_id=brand_id)
        return [lic for lic in found
                if scope.sees_licence(twin_id=lic.twin_id, brand_id=lic.brand_id)]

    def proposals(self, *, twin_id: str | None = None,
                  brand_id: str | None = None) -> list[LicenceProposal]:
        """Licence proposals as they stand now, oldest first: the brand's own, and those
        for the twins the principal acts for."""
        scope, now = self.scope, self.ctx.now()
        with self.ctx.uow() as uow:
            found = uow.proposals.list(twin_id=twin_id, brand_id=brand_id)
        return [p.as_of(now) for p in found
                if scope.sees_licence(twin_id=p.twin_id, brand_id=p.brand_id)]

    def assets(self, *, licence_id: str | None = None,
               twin_id: str | None = None) -> list[Asset]:
        scope = self.scope
        with self.ctx.uow() as uow:
            found = uow.assets.list(licence_id=licence_id, twin_id=twin_id)
        return [a for a in found
                if scope.sees_asset(twin_id=a.twin_id, brand_id=a.brand_id)]

    def garments(self, brand_id: str | None = None) -> list[Garment]:
        scope = self.scope
        with self.ctx.uow() as uow:
            found = uow.garments.list(brand_id=brand_id)
        return [g for g in found if g.brand_id is not None and scope.sees_brand(g.brand_id)]

    def campaigns(self, brand_id: str | None = None) -> list[Campaign]:
        scope = self.scope
        with self.ctx.uow() as uow:
            found = uow.campaigns.list(brand_id=brand_id)
        return [c for c in found if scope.sees_brand(c.brand_id)]

    def jobs(self, campaign_id: str) -> list[Job]:
        """The jobs of a visible campaign (NotFound for one that is not)."""
        self.campaign(campaign_id)
        with self.ctx.uow() as uow:
            return uow.jobs.list(campaign_id=campaign_id)

    def organisations(self, kind: OrganisationKind | None = None) -> list[Organisation]:
        """Organisations the principal deals with: its own, and the brands licensing the
        twins it acts for."""
        scope = self.scope
        with self.ctx.uow() as uow:
            every = uow.organisations.list(kind)
        if scope.everything:
            return every
        brands = {lic.brand_id for lic in self.licences()}
        return [o for o in every if scope.sees_organisation(o.id) or o.id in brands]
