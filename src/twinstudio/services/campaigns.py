"""Use cases of campaigns: a brief expanded into variants, each decided by the policy;
refused variants are recorded with their reasons and never become jobs.

Nothing is rendered outside a licence: every variant passes ``evaluate()`` when the
campaign is planned, again when a worker picks the job up (``services.jobs``), and
``mark_asset`` checks the licence a last time under its row lock when the asset is
stored. A diffusion generator's models are checked with the variants: a model not
cleared for commercial use refuses them (``model_not_commercial``). The quota
(``max_assets``) is reserved at planning (queued and running jobs count) and enforced
under the lock at storage, so concurrent workers or campaigns never exceed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twinstudio.domain.errors import InvalidInput, NotFound, Problem
from twinstudio.domain.garment import Garment
from twinstudio.domain.generation import (
    Campaign,
    CampaignBrief,
    GenerationRequest,
    Job,
    JobState,
    expand,
)
from twinstudio.domain.licence import Licence, LicenceState
from twinstudio.domain.models import model_reasons
from twinstudio.domain.policy import ProposedUse, Reason, ReasonCode, evaluate
from twinstudio.domain.redaction import to_record
from twinstudio.domain.twin import TwinState
from twinstudio.services.context import ServiceContext
from twinstudio.services.models import generator_models
from twinstudio.services.ports import UnitOfWork
from twinstudio.services.rights import integrity_reasons

NO_LICENCE = "no_licence_for_twin"
NO_BODY = "twin_has_no_body"
GARMENT_NOT_OURS = "garment_not_in_catalogue"


@dataclass
class RefusedVariant:
    """A variant the policy refused at planning, with every reason; never rendered."""

    key: str
    twin_id: str
    garments: list[str]
    format: str
    reasons: list[Reason]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "twin_id": self.twin_id, "garments": self.garments,
                "format": self.format, "reasons": [r.model_dump() for r in self.reasons]}


@dataclass
class CampaignPlanResult:
    """What planning did with each variant of the brief: every variant is counted once,
    so ``queued + already_queued + len(refused) + beyond_cap == variants``."""

    campaign: Campaign
    variants: int = 0                 # the brief's variant matrix
    queued: int = 0
    already_queued: int = 0           # variants whose job exists (an earlier plan's)
    refused: list[RefusedVariant] = field(default_factory=list)
    beyond_cap: int = 0

    @property
    def accounted(self) -> int:
        return self.queued + self.already_queued + len(self.refused) + self.beyond_cap

    def refusal_codes(self) -> dict[str, int]:
        """How many refused variants each reason code refused."""
        codes: dict[str, int] = {}
        for refusal in self.refused:
            for reason in refusal.reasons:
                codes[reason.code] = codes.get(reason.code, 0) + 1
        return codes

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign.id, "name": self.campaign.name,
                "variants": self.variants, "queued": self.queued,
                "already_queued": self.already_queued,
                "refused": len(self.refused), "beyond_cap": self.beyond_cap,
                "refusals": [r.as_dict() for r in self.refused]}


@dataclass
class JobFailure:
    job_id: str
    error: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"job_id": self.job_id, "error": self.error}


@dataclass
class CampaignStatusResult:
    campaign_id: str
    name: str
    brand_id: str
    jobs: dict[str, int]              # job state -> count (every state)
    total: int
    done: bool                        # every job has ended
    assets: dict[str, int]            # asset state -> count
    refused: int
    failures: list[JobFailure]

    @property
    def ended(self) -> int:
        return sum(self.jobs.get(s, 0) for s in ("succeeded", "failed", "cancelled"))

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "name": self.name, "brand_id": self.brand_id,
                "jobs": self.jobs, "total": self.total, "done": self.done,
                "assets": self.assets, "refused": self.refused,
                "failures": [f.as_dict() for f in self.failures]}


def _uses(request: GenerationRequest, category: str) -> list[ProposedUse]:
    return [ProposedUse(channel=m.channel, territory=m.territory, date=request.use_date,
                        product_category=category, alterations=list(request.alterations),
                        content_tags=list(request.content_tags)) for m in request.markets]


def variant_reasons(uow: UnitOfWork, ctx: ServiceContext, request: GenerationRequest,
                    licence: Licence, categories: list[str], *, assets_used: int
                    ) -> list[Reason]:
    """Every reason the policy refuses ``request`` (each market, each garment category)."""
    consent = uow.consents.get(licence.consent_id)
    twin = uow.twins.get(licence.twin_id)
    reasons: list[Reason] = list(integrity_reasons(ctx, uow, licence, consent))
    reasons += generator_reasons(uow, request, licence)
    for category in dict.fromkeys(categories):
        for use in _uses(request, category):
            decision = evaluate(use, licence=licence, consent=consent, twin=twin,
                                today=ctx.today(), assets_used=assets_used)
            for reason in decision.reasons:
                reasons.append(reason.prefixed(f"{use.channel}/{use.territory}/{category}: "))
    return list(dict.fromkeys(reasons))


def generator_reasons(uow: UnitOfWork, request: GenerationRequest, licence: Licence
                      ) -> list[Reason]:
    """The models a request's generator uses, against the licence: a model not cleared
    for commercial use refuses a licence with commercial channels; a model that is no
    longer registered (or no longer fits its role) refuses the job."""
    try:
        models = generator_models(uow, request.generator)
    except InvalidInput as error:
        return [Reason(code=ReasonCode.MODEL_UNAVAILABLE, message=str(error))]
    return model_reasons(models.values(), licence.terms.channels)


def create_campaign(ctx: ServiceContext, *, brand_id: str, brief: CampaignBrief,
                    actor: str) -> CampaignPlanResult:
    """Plan a campaign: check every name of the brief (its poses, scenes, formats and
    codes when it is validated; here its garments and twins, every unknown one named),
    expand it, decide every variant with the policy, record the refused ones with their
    reasons and queue a job for each allowed one (at most ``max_assets``). One
    transaction, with the brand's licences locked."""
    from twinstudio.domain.parties import OrganisationKind

    now, today = ctx.now(), ctx.today()
    with ctx.uow() as uow:
        uow.organisations.get(brand_id, OrganisationKind.BRAND)
        garments = _garments_of(uow, brand_id, brief)
        licences = _licences_for(uow, brand_id, brief)
        generator = brief.generator or ctx.default_generator
        generator_models(uow, generator)  # every model named, registered, of its role's kind
        campaign = Campaign(brand_id=brand_id, name=brief.name, brief=brief, created_at=now)
        uow.campaigns.add(campaign)
        pairs = [(twin_id, lic.id if lic else "") for twin_id, lic in licences.items()]
        try:
            variants = expand(brief, twins=pairs, today=today, generator=generator)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        plan = CampaignPlanResult(campaign, variants=len(variants))
        reserved: dict[str, int] = {}
        locked: dict[str, Licence] = {}
        for request in variants:
            licence = licences[request.twin_id]
            if licence is None:
                _refuse(uow, plan, request, [Reason(
                    code=NO_LICENCE, message=f"the brand holds no licence in force for twin "
                                             f"{request.twin_id}")], now)
                continue
            if licence.id not in locked:
                locked[licence.id] = uow.licences.get(licence.id, for_update=True)
                reserved[licence.id] = (locked[licence.id].assets_used
                                        + uow.jobs.pending_for_licence(licence.id))
            licence = locked[licence.id]
            if not uow.bodies.has(request.twin_id):
                _refuse(uow, plan, request, [Reason(
                    code=NO_BODY, message=f"twin {request.twin_id} has no body twin yet")], now)
                continue
            existing = uow.jobs.by_key(request.key)
            if existing is not None:
                plan.already_queued += 1
                continue
            if brief.max_assets is not None and plan.queued >= brief.max_assets:
                plan.beyond_cap += 1
                continue
            categories = [garments[g].product_category for g in request.garment_ids]
            reasons = variant_reasons(uow, ctx, request, licence, categories,
                                      assets_used=reserved[licence.id])
            if reasons:
                _refuse(uow, plan, request, reasons, now)
                continue
            uow.jobs.add(Job(campaign_id=campaign.id, key=request.key,
                             twin_id=request.twin_id, licence_id=licence.id, request=request,
                             created_at=now, updated_at=now))
            reserved[licence.id] += 1
            plan.queued += 1
        assert plan.accounted == plan.variants, plan.as_dict()  # every variant counted once
        uow.audit.append(actor=actor, type="CampaignPlanned", at=now, payload={
            "campaign_id": campaign.id, "brand_id": brand_id, "variants": plan.variants,
            "queued": plan.queued, "already_queued": plan.already_queued,
            "refused": len(plan.refused), "beyond_cap": plan.beyond_cap})
        uow.commit()
    return plan


def _refuse(uow: UnitOfWork, plan: CampaignPlanResult, request: GenerationRequest,
            reasons: list[Reason], now: Any) -> None:
    listed = [to_record(r) for r in reasons]  # in full: redacted for each reader
    uow.campaigns.add_refusal(plan.campaign.id, request, listed, now)
    plan.refused.append(RefusedVariant(request.key, request.twin_id, list(request.garment_ids),
                                       request.format, list(reasons)))


def _garments_of(uow: UnitOfWork, brand_id: str, brief: CampaignBrief
                 ) -> dict[str, Garment]:
    """The brief's garments by id; every id not in the brand's catalogue is named."""
    garments: dict[str, Garment] = {}
    problems: list[Problem] = []
    for i, look in enumerate(brief.looks):
        for j, garment_id in enumerate(look):
            try:
                garment: Garment | None = uow.garments.get(garment_id)
            except NotFound:
                garment = None
            if garment is None or garment.brand_id != brand_id:
                problems.append(Problem(f"looks.{i}.{j}", f"garment {garment_id!r} is not in "
                                        "this brand's catalogue", GARMENT_NOT_OURS))
            else:
                garments[garment_id] = garment
    _raise(problems)
    return garments


def _raise(problems: list[Problem]) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(f"brief: {problems[0]}{more}", problems=problems, source="brief")


def _licences_for(uow: UnitOfWork, brand_id: str, brief: CampaignBrief
                  ) -> dict[str, Licence | None]:
    """Twin id -> the brand's active licence for it (None: the twin is named but the
    brand holds no licence in force, which refuses its variants with a reason). A twin
    the brand never held a licence for is not the brand's to name: it is answered word
    for word as a twin that does not exist."""
    active = {}
    dealt_with = set()
    for licence in uow.licences.list(brand_id=brand_id):
        dealt_with.add(licence.twin_id)
        if licence.state is LicenceState.ACTIVE:
            current = active.get(licence.twin_id)
            if current is None or licence.terms.ends > current.terms.ends:
                active[licence.twin_id] = licence
    if brief.twins == "all_licensed":
        return {twin_id: lic for twin_id, lic in active.items()
                if uow.twins.get(twin_id).state is TwinState.ACTIVE}
    out: dict[str, Licence | None] = {}
    problems: list[Problem] = []
    for i, twin_id in enumerate(brief.twins):
        if twin_id not in dealt_with:  # unknown, or not the brand's to name
            problems.append(Problem(f"twins.{i}", f"twin {twin_id!r} not found", "not_found"))
        out[twin_id] = active.get(twin_id)
    _raise(problems)
    return out


def campaign_status(ctx: ServiceContext, campaign_id: str) -> CampaignStatusResult:
    """Jobs per state, the assets' states, the refusals' count and the failures."""
    with ctx.uow() as uow:
        campaign = uow.campaigns.get(campaign_id)
        counts = uow.jobs.counts(campaign_id)
        jobs = uow.jobs.list(campaign_id=campaign_id)
        refusals = uow.campaigns.refusals(campaign_id)
        states: dict[str, int] = {}
        for job in jobs:
            if job.asset_id:
                state = uow.assets.get(job.asset_id).state.value
                states[state] = states.get(state, 0) + 1
    ended = sum(counts.get(s, 0) for s in ("succeeded", "failed", "cancelled"))
    return CampaignStatusResult(
        campaign_id=campaign.id, name=campaign.name, brand_id=campaign.brand_id,
        jobs={s.value: counts.get(s.value, 0) for s in JobState}, total=len(jobs),
        done=ended == len(jobs), assets=states, refused=len(refusals),
        failures=[JobFailure(j.id, j.last_error) for j in jobs if j.state is JobState.FAILED])


@dataclass
class CampaignSummaryResult:
    campaign: Campaign
    jobs: dict[str, int]              # job state -> count (states with jobs)

    def as_dict(self) -> dict[str, Any]:
        c = self.campaign
        return {"id": c.id, "brand_id": c.brand_id, "name": c.name,
                "created_at": c.created_at.isoformat(), "jobs": self.jobs}


def list_campaigns(ctx: ServiceContext, *, brand_id: str | None = None
                   ) -> list[CampaignSummaryResult]:
    """Campaigns (oldest first) with their job counts."""
    with ctx.uow() as uow:
        return [CampaignSummaryResult(c, uow.jobs.counts(c.id))
                for c in uow.campaigns.list(brand_id=brand_id)]
