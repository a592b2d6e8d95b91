"""Campaigns: plan one from a brief (every variant decided by the policy), list, show the
status, run it in the background (202) and page through its jobs.

Campaigns and their jobs are the brand's: a talent or an agency sees the assets of their
twins (``/assets``), never the campaigns, whose briefs and refusals concern other twins.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, PagingDep, Runner, isolation
from twinstudio.api.routers.garments import own_brand
from twinstudio.api.schemas import (
    CampaignCreate,
    CampaignPlanPublic,
    CampaignPublic,
    CampaignSummaryPublic,
    JobPublic,
    Page,
    ReasonPublic,
    RefusalPublic,
    RunPublic,
)
from twinstudio.domain.generation import GenerationRequest, JobState
from twinstudio.domain.redaction import from_record
from twinstudio.services.access import Access
from twinstudio.services.campaigns import campaign_status, create_campaign

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def refusal(access: Access, request: GenerationRequest,
            reasons: list[dict[str, Any]]) -> RefusalPublic:
    """A stored refusal as the caller may read it (``Access.redact``)."""
    shown = access.redact(from_record(r) for r in reasons)
    return RefusalPublic(key=request.key, twin_id=request.twin_id,
                         garment_ids=list(request.garment_ids), pose=request.pose,
                         scene=request.scene, format=request.format, segment=request.segment,
                         reasons=[ReasonPublic(**r.model_dump()) for r in shown])


def campaign_public(access: Access, campaign_id: str, runner: object) -> CampaignPublic:
    """A visible campaign with its status (shared with the web pages)."""
    campaign = access.campaign(campaign_id)
    status = campaign_status(access.ctx, campaign_id)
    with access.ctx.uow() as uow:
        stored = uow.campaigns.refusals(campaign_id)
    refusals = [refusal(access, r, reasons) for r, reasons in stored]
    running = bool(runner is not None and runner.running(campaign_id))  # type: ignore[attr-defined]
    return CampaignPublic.of(campaign, status, refusals, running)


@router.get("", openapi_extra=isolation(list="campaign"))
def list_campaigns(access: AccessDep, paging: PagingDep,
                   brand_id: str | None = None) -> Page[CampaignSummaryPublic]:
    """Newest first. A brand sees its own; compliance and admin all; talents none."""
    page = paging.page(list(reversed(access.campaigns(brand_id))))
    with access.ctx.uow() as uow:
        page.items = [CampaignSummaryPublic(id=c.id, name=c.name, brand_id=c.brand_id,
                                            created_at=c.created_at,
                                            jobs=uow.jobs.counts(c.id)) for c in page.items]
    return page


@router.post("", status_code=201, openapi_extra=isolation(body={"brand_id": "brand"},
                                                          action="brand.write"))
def create(body: CampaignCreate, access: AccessDep) -> CampaignPlanPublic:
    """Plan a campaign from a brief: the variant matrix is expanded, every variant decided
    by the policy; allowed ones are queued as jobs (at most ``max_assets``), refused ones
    are recorded with every reason and never rendered. A bad brief answers 422 naming the
    field; a garment outside the brand's catalogue 422."""
    brand = own_brand(access, body.brand_id)
    access.require("brand.write")
    plan = create_campaign(access.ctx, brand_id=brand, brief=body.brief(),
                           actor=access.principal.actor)
    with access.ctx.uow() as uow:
        stored = uow.campaigns.refusals(plan.campaign.id)
    refusals = [refusal(access, r, reasons) for r, reasons in stored]
    return CampaignPlanPublic(campaign_id=plan.campaign.id, name=plan.campaign.name,
                              brand_id=brand, variants=plan.variants, queued=plan.queued,
                              already_queued=plan.already_queued,
                              beyond_cap=plan.beyond_cap, refused=refusals)


@router.get("/{campaign_id}", openapi_extra=isolation(object="campaign", param="campaign_id",
                                                      action="read"))
def read_campaign(campaign_id: str, access: AccessDep, runner: Runner) -> CampaignPublic:
    """Status: jobs per state, the assets' states, refusals with their reasons, failures."""
    return campaign_public(access, campaign_id, runner)


@router.post("/{campaign_id}/run", status_code=202, openapi_extra=isolation(
    object="campaign", param="campaign_id", action="brand.write"))
def run(campaign_id: str, access: AccessDep, runner: Runner) -> RunPublic:
    """Start running the campaign's queued jobs in the background and answer at once;
    follow the progress with ``GET /campaigns/{id}``. Starting a running campaign again
    changes nothing (``started`` false)."""
    access.campaign(campaign_id)
    access.require("brand.write")
    queued = campaign_status(access.ctx, campaign_id).jobs["queued"]
    started = runner.start(access.ctx, campaign_id)
    return RunPublic(campaign_id=campaign_id, started=started, queued=queued)


@router.get("/{campaign_id}/jobs", openapi_extra=isolation(
    object="campaign", param="campaign_id", action="read"))
def list_jobs(campaign_id: str, access: AccessDep, paging: PagingDep,
              state: JobState | None = None) -> Page[JobPublic]:
    """The campaign's jobs: state, attempts, last error and the asset each made."""
    jobs = [j for j in access.jobs(campaign_id) if state is None or j.state is state]
    return paging.page([JobPublic.of(j) for j in jobs])
