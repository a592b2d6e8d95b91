"""Use cases of generation: body twins, campaigns (brief -> variants -> policy -> jobs),
the job queue (claim with a lease, run, retry, cancel) and the QA gates.

Nothing is rendered outside a licence: every variant passes ``evaluate()`` when the
campaign is planned (refused variants are recorded with their reasons and never become
jobs), again when a worker picks the job up, and ``mark_asset`` checks the licence a
last time under its row lock when the asset is stored. The quota (``max_assets``) is
reserved at planning (queued and running jobs count) and enforced under the lock at
storage, so concurrent workers or campaigns never exceed it.

A job's asset is stored in the same transaction that completes the job, and only by the
worker that holds the job's lease: a worker that died or lost its lease cannot store a
second asset, and a job that succeeded is never claimed again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from twinstudio.domain.asset import AssetState
from twinstudio.domain.common import utcnow
from twinstudio.domain.errors import Conflict, InvalidInput, NotFound, RightsRefused
from twinstudio.domain.generation import (
    BODY_TOLERANCE,
    IDENTITY_THRESHOLD,
    LEASE_SECONDS,
    Campaign,
    CampaignBrief,
    GenerationRequest,
    Job,
    JobState,
    compare_body,
    expand,
)
from twinstudio.domain.licence import Licence, LicenceState
from twinstudio.domain.policy import ProposedUse, Reason, evaluate
from twinstudio.domain.twin import TwinState
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import (
    GenerationBackend,
    GenerationInputs,
    QualityTools,
    UnitOfWork,
)
from twinstudio.services.rights import integrity_reasons

NO_LICENCE = "no_licence_for_twin"
NO_BODY = "twin_has_no_body"
GARMENT_NOT_OURS = "garment_not_in_catalogue"


# ------------------------------------------------------------------------ body twins


def set_twin_body(ctx: ServiceContext, *, twin_id: str, profile: dict[str, Any],
                  fit: dict[str, Any], actor: str) -> None:
    """Record the twin's body twin (body profile and fitted parameters)."""
    from twinstudio.domain.body import BodyProfile

    try:
        BodyProfile.model_validate(profile)
    except ValueError as error:
        raise InvalidInput(f"body profile: {str(error).splitlines()[-1]}") from None
    for key in ("phenotypes", "local_changes"):
        if not isinstance(fit.get(key), dict):
            raise InvalidInput(f"body fit needs {key}")
    now = ctx.now()
    with ctx.uow() as uow:
        uow.twins.get(twin_id)
        uow.bodies.put(twin_id, profile, fit, now)
        uow.audit.append(actor=actor, type="TwinBodySet", at=now, payload={
            "twin_id": twin_id, "fit_sha256": hashlib.sha256(
                json.dumps(fit, sort_keys=True).encode()).hexdigest()})
        uow.commit()


# ------------------------------------------------------------------------- campaigns


@dataclass
class CampaignPlan:
    campaign: Campaign
    queued: int = 0
    already_queued: int = 0           # variants of an earlier plan (idempotent re-plan)
    refused: list[dict[str, Any]] = field(default_factory=list)
    beyond_cap: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign.id, "name": self.campaign.name,
                "queued": self.queued, "already_queued": self.already_queued,
                "refused": len(self.refused), "beyond_cap": self.beyond_cap,
                "refusals": self.refused}


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
    for category in dict.fromkeys(categories):
        for use in _uses(request, category):
            decision = evaluate(use, licence=licence, consent=consent, twin=twin,
                                today=ctx.today(), assets_used=assets_used)
            for reason in decision.reasons:
                where = f"{use.channel}/{use.territory}/{category}"
                reasons.append(Reason(code=reason.code, message=f"{where}: {reason.message}"))
    return list(dict.fromkeys(reasons))


def create_campaign(ctx: ServiceContext, *, brand_id: str, brief: CampaignBrief,
                    actor: str) -> CampaignPlan:
    """Plan a campaign: expand the brief, decide every variant with the policy, record
    the refused ones with their reasons and queue a job for each allowed one (at most
    ``max_assets``). One transaction, with the brand's licences locked."""
    from twinstudio.domain.parties import OrganisationKind

    now, today = ctx.now(), ctx.today()
    with ctx.uow() as uow:
        uow.organisations.get(brand_id, OrganisationKind.BRAND)
        garments = {}
        for look in brief.looks:
            for garment_id in look:
                try:
                    garment = uow.garments.get(garment_id)
                except NotFound:
                    garment = None
                if garment is None or garment.brand_id != brand_id:
                    raise InvalidInput(f"garment {garment_id!r} is not in this brand's "
                                       "catalogue")
                garments[garment_id] = garment
        licences = _licences_for(uow, brand_id, brief)
        campaign = Campaign(brand_id=brand_id, name=brief.name, brief=brief, created_at=now)
        uow.campaigns.add(campaign)
        plan = CampaignPlan(campaign)
        pairs = [(twin_id, lic.id if lic else "") for twin_id, lic in licences.items()]
        try:
            variants = expand(brief, twins=pairs, today=today)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
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
        uow.audit.append(actor=actor, type="CampaignPlanned", at=now, payload={
            "campaign_id": campaign.id, "brand_id": brand_id, "queued": plan.queued,
            "refused": len(plan.refused), "beyond_cap": plan.beyond_cap})
        uow.commit()
    return plan


def _refuse(uow: UnitOfWork, plan: CampaignPlan, request: GenerationRequest,
            reasons: list[Reason], now: Any) -> None:
    listed = [{"code": r.code, "message": r.message} for r in reasons]
    uow.campaigns.add_refusal(plan.campaign.id, request, listed, now)
    plan.refused.append({"key": request.key, "twin_id": request.twin_id,
                         "garments": list(request.garment_ids), "format": request.format,
                         "reasons": listed})


def _licences_for(uow: UnitOfWork, brand_id: str, brief: CampaignBrief
                  ) -> dict[str, Licence | None]:
    """Twin id -> the brand's active licence for it (None: the twin is named but the
    brand holds no licence in force, which refuses its variants with a reason)."""
    active = {}
    for licence in uow.licences.list(brand_id=brand_id):
        if licence.state is LicenceState.ACTIVE:
            current = active.get(licence.twin_id)
            if current is None or licence.terms.ends > current.terms.ends:
                active[licence.twin_id] = licence
    if brief.twins == "all_licensed":
        return {twin_id: lic for twin_id, lic in active.items()
                if uow.twins.get(twin_id).state is TwinState.ACTIVE}
    out: dict[str, Licence | None] = {}
    for twin_id in brief.twins:
        uow.twins.get(twin_id)  # NotFound for an unknown twin
        out[twin_id] = active.get(twin_id)
    return out


def campaign_status(ctx: ServiceContext, campaign_id: str) -> dict[str, Any]:
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
    return {"campaign_id": campaign.id, "name": campaign.name, "brand_id": campaign.brand_id,
            "jobs": {s.value: counts.get(s.value, 0) for s in JobState},
            "total": len(jobs), "done": ended == len(jobs), "assets": states,
            "refused": len(refusals),
            "failures": [{"job_id": j.id, "error": j.last_error} for j in jobs
                         if j.state is JobState.FAILED]}


# ------------------------------------------------------------------------- job queue


def claim_job(ctx: ServiceContext, *, worker_id: str, campaign_id: str | None = None,
              lease_seconds: float = LEASE_SECONDS) -> Job | None:
    """Take the next queued job (or one whose worker's lease expired) with a lease."""
    now = ctx.now()
    while True:
        with ctx.uow() as uow:
            job = uow.jobs.next_claimable(now, campaign_id)
            if job is None:
                return None
            if job.attempts >= job.max_attempts:  # its last worker died mid-run
                uow.jobs.update(job.transition(
                    JobState.FAILED, now=now, lease_owner=None, lease_expires_at=None,
                    last_error=job.last_error or "worker lost (lease expired) on the last "
                                                 "attempt"))
                uow.commit()
                continue
            if job.state is JobState.RUNNING:  # lease expired: take it over
                job = job.transition(JobState.QUEUED, now=now)
            claimed = job.transition(JobState.RUNNING, now=now, attempts=job.attempts + 1,
                                     lease_owner=worker_id,
                                     lease_expires_at=now + timedelta(seconds=lease_seconds))
            uow.jobs.update(claimed)
            uow.commit()
            return claimed


def renew_lease(ctx: ServiceContext, job_id: str, worker_id: str,
                lease_seconds: float = LEASE_SECONDS) -> bool:
    """Extend the lease while the worker still holds it (False: it was lost)."""
    with ctx.uow() as uow:
        job = uow.jobs.get(job_id, for_update=True)
        if job.state is not JobState.RUNNING or job.lease_owner != worker_id:
            return False
        uow.jobs.update(job.model_copy(update={
            "lease_expires_at": ctx.now() + timedelta(seconds=lease_seconds)}))
        uow.commit()
    return True


def release_job(ctx: ServiceContext, job_id: str, worker_id: str, *, error: str | None,
                retry: bool = True) -> Job | None:
    """Give a job back: queued again (attempts left, ``retry``) or failed; on interrupt
    (``error`` None) the attempt does not count."""
    now = ctx.now()
    with ctx.uow() as uow:
        job = uow.jobs.get(job_id, for_update=True)
        if job.state is not JobState.RUNNING or job.lease_owner != worker_id:
            return None
        if error is None:
            changed = job.transition(JobState.QUEUED, now=now, attempts=job.attempts - 1,
                                     lease_owner=None, lease_expires_at=None)
        elif retry and job.attempts < job.max_attempts:
            changed = job.transition(JobState.QUEUED, now=now, lease_owner=None,
                                     lease_expires_at=None, last_error=error[:2000])
        else:
            changed = job.transition(JobState.FAILED, now=now, lease_owner=None,
                                     lease_expires_at=None, last_error=error[:2000])
            uow.audit.append(actor=worker_id, type="JobFailed", at=now, payload={
                "job_id": job.id, "campaign_id": job.campaign_id, "error": error[:500]})
        uow.jobs.update(changed)
        uow.commit()
    return changed


def cancel_jobs_hook(uow: UnitOfWork, *, twin_id: str, licence_ids: Any,
                     reason: str) -> dict[str, Any]:
    """RightsWithdrawnHook: queued and running jobs of the licences are cancelled (a
    running job's worker then cannot store its asset: it no longer holds the job)."""
    cancelled = []
    for licence_id in licence_ids:
        for job in uow.jobs.list(licence_id=licence_id, states=("queued", "running")):
            uow.jobs.update(job.transition(JobState.CANCELLED, now=utcnow(),
                                           lease_owner=None, lease_expires_at=None,
                                           last_error=f"cancelled: {reason}"))
            cancelled.append(job.id)
    if cancelled:
        uow.audit.append(actor="system", type="JobsCancelled", payload={
            "twin_id": twin_id, "job_ids": cancelled, "reason": reason})
    return {"cancelled_jobs": cancelled}


# ------------------------------------------------------------------------------- run


@dataclass
class JobOutcome:
    job_id: str
    state: str
    asset_id: str | None = None
    asset_state: str | None = None
    qa: dict[str, Any] | None = None
    reasons: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def cancel_refused_job(ctx: ServiceContext, job_id: str, worker_id: str,
                       reasons: list[dict[str, str]]) -> None:
    """The rights refuse a job that was allowed when planned: cancel it with the reasons
    (never retried: only a new grant would change the answer)."""
    with ctx.uow() as uow:
        current = uow.jobs.get(job_id, for_update=True)
        if current.state is JobState.RUNNING and current.lease_owner == worker_id:
            uow.jobs.update(current.transition(
                JobState.CANCELLED, now=ctx.now(), lease_owner=None, lease_expires_at=None,
                last_error="refused: " + "; ".join(r["code"] for r in reasons)))
            uow.audit.append(actor=worker_id, type="JobRefused", at=ctx.now(), payload={
                "job_id": job_id, "reasons": reasons})
            uow.commit()


def resolve_inputs(ctx: ServiceContext, request: GenerationRequest) -> GenerationInputs:
    with ctx.uow() as uow:
        profile, fit = uow.bodies.get(request.twin_id)
        garments = [uow.garments.get(g) for g in request.garment_ids]
    patterns = {}
    for garment in garments:
        if garment.fabric.pattern_sha256 and ctx.blobs is not None and ctx.provenance:
            patterns[garment.id] = ctx.provenance.decode(
                ctx.blobs.get(garment.fabric.pattern_sha256)).rgb
    version = hashlib.sha256(json.dumps([profile, fit], sort_keys=True).encode()).hexdigest()
    return GenerationInputs(request=request, body_profile=profile, body_fit=fit,
                            body_version=version[:16], garments=garments, patterns=patterns)


def identity_gate(ctx: ServiceContext, quality: QualityTools, twin_id: str,
                  rgb: Any) -> dict[str, Any]:
    """The face in ``rgb`` against the twin's enrolled template (dlib distance < 0.6)."""
    from twinstudio.services.biometrics import read_templates

    try:
        templates = [json.loads(data) for kind, data in read_templates(ctx, twin_id)
                     if kind == "face"]
    except Conflict as error:
        return {"passed": False, "reason": f"identity template unavailable: {error}"}
    if not templates:
        return {"passed": False, "reason": "the twin has no enrolled face template"}
    embedding, info = quality.face_embedding(rgb)
    if embedding is None:
        return {"passed": False, "reason": "no face found in the image", **info}
    d = float(np.linalg.norm(np.asarray(embedding) - np.asarray(templates[0]["mean"])))
    passed = d < IDENTITY_THRESHOLD
    return {"passed": passed, "distance": round(d, 4), "threshold": IDENTITY_THRESHOLD,
            **info, **({} if passed else {"reason": f"face distance {d:.3f} to the twin's "
                                                    f"template is not under "
                                                    f"{IDENTITY_THRESHOLD}"})}


MIN_BODY_MEASURES = 4


def body_gate(quality: QualityTools, reference_rgb: Any, rgb: Any, *,
              tolerance: float = BODY_TOLERANCE, same_scene: bool = True) -> dict[str, Any]:
    """The body in ``rgb`` against ``reference_rgb`` (the body twin rendered with the same
    pose and camera, or the original of an edit). Measures the image lost (cropped out)
    are not failures, but at least four must be compared or the body cannot be checked."""
    reference, measured, info = quality.compare_bodies(reference_rgb, rgb,
                                                       same_scene=same_scene)
    compared = {k: v for k, v in reference.items() if k in measured}
    if len(compared) < MIN_BODY_MEASURES:
        why = info.get("reason", "is the whole person in the image?")
        return {"passed": False, "checked": False,
                "reason": f"only {len(compared)} body measures could be compared (need "
                          f"{MIN_BODY_MEASURES}): {why}",
                "measured": measured, "reference": reference, **info}
    failures = compare_body(measured, compared, tolerance=tolerance)
    result: dict[str, Any] = {"passed": not failures, "checked": True,
                              "tolerance": tolerance,
                              "measured": {k: round(v, 4) for k, v in measured.items()},
                              "reference": {k: round(v, 4) for k, v in reference.items()},
                              **info}
    if failures:
        result["failures"] = failures
        result["reason"] = "body differs from the body twin: " + ", ".join(
            f"{f['measure']} {f['change']:+.1%}" for f in failures)
    return result


def run_job(ctx: ServiceContext, job: Job, *, backend: GenerationBackend,
            quality: QualityTools, worker_id: str) -> JobOutcome:
    """Make, check and store the asset of a claimed job (the caller holds the lease)."""
    import time

    from twinstudio.services.provenance import mark_asset, provenance_tools

    timings: dict[str, float] = {}
    request = job.request
    t = time.perf_counter()
    with ctx.uow() as uow:  # 1. rights again: they may have changed since planning
        licence = uow.licences.get(job.licence_id)
        categories = [uow.garments.get(g).product_category for g in request.garment_ids]
        reasons = variant_reasons(uow, ctx, request, licence, categories,
                                  assets_used=licence.assets_used)
    timings["policy"] = time.perf_counter() - t
    if reasons:
        listed = [{"code": r.code, "message": r.message} for r in reasons]
        cancel_refused_job(ctx, job.id, worker_id, listed)
        return JobOutcome(job.id, JobState.CANCELLED.value, reasons=listed, timings=timings)
    # 2. render
    t = time.perf_counter()
    inputs = resolve_inputs(ctx, request)
    result = backend.generate(inputs)
    timings["render"] = time.perf_counter() - t
    # 3. QA gates
    t = time.perf_counter()
    identity = identity_gate(ctx, quality, request.twin_id, result.image)
    body = body_gate(quality, result.reference, result.image, same_scene=False)
    qa = {"identity": identity, "body": body, "passed": identity["passed"] and body["passed"]}
    timings["qa"] = time.perf_counter() - t
    # 4. mark and store, completing the job in the same transaction
    t = time.perf_counter()
    png = provenance_tools(ctx).encode(result.image, "image/png")

    def complete(uow: UnitOfWork, asset: Any) -> None:
        current = uow.jobs.get(job.id, for_update=True)
        if current.state is not JobState.RUNNING or current.lease_owner != worker_id:
            raise Conflict(f"job {job.id} is no longer held by {worker_id} "
                           f"({current.state.value}); its asset is not stored")
        if qa["passed"]:
            target = (AssetState.PENDING_APPROVAL if licence.terms.approval_required
                      else AssetState.APPROVED)
            reason = None if target is AssetState.PENDING_APPROVAL else \
                "the licence needs no approval"
        else:
            target = AssetState.QA_FAILED
            reason = "; ".join(g["reason"] for g in (identity, body) if not g["passed"])
        uow.assets.update(asset.transition(target, reason=reason, now=ctx.now()))
        uow.asset_details.add(asset.id, job_id=job.id, qa=qa,
                              reference={"body": body["reference"],
                                         "request": request.model_dump(mode="json")})
        uow.jobs.update(current.transition(JobState.SUCCEEDED, now=ctx.now(),
                                           lease_owner=None, lease_expires_at=None,
                                           asset_id=asset.id))
        uow.audit.append(actor=worker_id, type="AssetGenerated", at=ctx.now(), payload={
            "asset_id": asset.id, "job_id": job.id, "campaign_id": job.campaign_id,
            "state": target.value, "qa_passed": qa["passed"]})
        outcome.asset_state = target.value

    outcome = JobOutcome(job.id, JobState.SUCCEEDED.value, qa=qa, timings=timings)
    marked = mark_asset(ctx, licence_id=job.licence_id, image=png, source=result.source,
                        alterations=list(request.alterations), actor=worker_id,
                        counts_against_quota=qa["passed"], after=complete)
    timings["store"] = time.perf_counter() - t
    for step, seconds in result.timings.items():
        timings[f"render.{step}"] = seconds
    for step, ms in marked.timings_ms.items():  # watermark, fingerprint, sign, ...
        timings[f"store.{step}"] = ms / 1000
    outcome.asset_id = marked.asset.id
    return outcome


def run_worker(ctx: ServiceContext, *, backend: GenerationBackend, quality: QualityTools,
               worker_id: str, campaign_id: str | None = None,
               lease_seconds: float = LEASE_SECONDS, max_jobs: int | None = None,
               on_outcome: Any = None, should_stop: Any = None,
               wait_for_leases: bool = False) -> int:
    """Claim and run jobs until the queue is empty (or ``max_jobs``). A failing job is
    retried by whichever worker claims it next, up to its ``max_attempts``. The lease is
    renewed in the background while a job runs. With ``wait_for_leases`` the worker also
    waits for running jobs of other workers, to take them over if their worker died.
    Returns the number of jobs run."""
    import threading
    import time

    done = 0
    while max_jobs is None or done < max_jobs:
        if should_stop is not None and should_stop():
            break
        job = claim_job(ctx, worker_id=worker_id, campaign_id=campaign_id,
                        lease_seconds=lease_seconds)
        if job is None:
            if not wait_for_leases:
                break
            # jobs another (perhaps dead) worker holds: wait for their leases to run out
            with ctx.uow() as uow:
                expiry = uow.jobs.next_lease_expiry(campaign_id)
            if expiry is None:
                break
            time.sleep(min(max((expiry - ctx.now()).total_seconds(), 0.2), 5.0))
            continue
        stop = threading.Event()

        def heartbeat(job_id: str = job.id, stop: threading.Event = stop) -> None:
            while not stop.wait(lease_seconds / 3):
                try:
                    if not renew_lease(ctx, job_id, worker_id, lease_seconds):
                        return
                except Exception:
                    continue

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            outcome = run_job(ctx, job, backend=backend, quality=quality, worker_id=worker_id)
        except KeyboardInterrupt:
            stop.set()
            release_job(ctx, job.id, worker_id, error=None)
            raise
        except RightsRefused as error:
            stop.set()  # the rights changed between the check and the storage
            listed = [{"code": r.code, "message": r.message} for r in error.reasons]
            cancel_refused_job(ctx, job.id, worker_id, listed)
            outcome = JobOutcome(job.id, JobState.CANCELLED.value, reasons=listed)
        except Conflict as error:
            stop.set()  # the lease was lost (taken over or cancelled): not ours to retry
            release_job(ctx, job.id, worker_id, error=f"{type(error).__name__}: {error}",
                        retry=False)
            outcome = JobOutcome(job.id, "lost", reasons=[{"code": error.code,
                                                           "message": str(error)}])
        except Exception as error:
            stop.set()
            release_job(ctx, job.id, worker_id, error=f"{type(error).__name__}: {error}")
            outcome = JobOutcome(job.id, "retry", reasons=[{"code": "error",
                                                            "message": str(error)}])
        finally:
            stop.set()
        done += 1
        if on_outcome is not None:
            on_outcome(outcome)
    return done
