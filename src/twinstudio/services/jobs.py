"""Use cases of the job queue: claim a job with a lease, renew and release it, cancel
jobs whose rights were withdrawn, and run a claimed job (rights again, render, QA gates,
mark and store) in the worker loop.

A job's asset is stored in the same transaction that completes the job, and only by the
worker that holds the job's lease: a worker that died or lost its lease cannot store a
second asset, and a job that succeeded is never claimed again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from twinstudio.domain.asset import AssetState, submitted_state
from twinstudio.domain.common import utcnow
from twinstudio.domain.errors import Conflict, IntegrityError, RightsRefused
from twinstudio.domain.generation import (
    LEASE_SECONDS,
    Candidate,
    GenerationRequest,
    Job,
    JobState,
    TwinAdapterInput,
)
from twinstudio.domain.training import adapter_refusal
from twinstudio.services.assets import submit_asset
from twinstudio.services.blob_writes import BlobWrites, blob_writes
from twinstudio.services.campaigns import variant_reasons
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import (
    GenerationBackend,
    GenerationInputs,
    QualityTools,
    UnitOfWork,
    WithdrawalResult,
)
from twinstudio.services.provenance import provenance_tools
from twinstudio.services.quality import QaResult, best_of, body_gate, identity_gate
from twinstudio.services.webhooks import emit


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
        if changed.state is JobState.FAILED:
            tell_if_campaign_ended(uow, job.campaign_id, now=now)
        uow.commit()
    return changed


def cancel_jobs_hook(uow: UnitOfWork, *, twin_id: str, licence_ids: Any,
                     reason: str) -> WithdrawalResult:
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
        for campaign_id in sorted({uow.jobs.get(j).campaign_id for j in cancelled}):
            tell_if_campaign_ended(uow, campaign_id, now=utcnow())
    return WithdrawalResult(cancelled_jobs=cancelled)


def tell_if_campaign_ended(uow: UnitOfWork, campaign_id: str, *, now: datetime) -> None:
    """In a transaction that just ended one of the campaign's jobs: when none is queued
    or running any more, write ``campaign.completed`` for its brand. The campaign's row is
    locked first, so of two transactions ending its last two jobs at once the second sees
    the first's commit, and exactly one of them tells."""
    campaign = uow.campaigns.get(campaign_id, for_update=True)
    counts = uow.jobs.counts(campaign_id)
    if counts.get("queued", 0) or counts.get("running", 0):
        return
    emit(uow, "campaign.completed", [campaign.brand_id], {
        "campaign_id": campaign_id, "brand_id": campaign.brand_id, "name": campaign.name,
        "jobs": dict(sorted(counts.items()))}, now=now)


# ------------------------------------------------------------------------------- run


@dataclass
class JobRunResult:
    job_id: str
    state: str
    asset_id: str | None = None
    asset_state: str | None = None
    qa: QaResult | None = None
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
            tell_if_campaign_ended(uow, current.campaign_id, now=ctx.now())
            uow.commit()


def resolve_inputs(ctx: ServiceContext, request: GenerationRequest) -> GenerationInputs:
    """Everything a backend needs for ``request``: the body twin, the garments and their
    patterns; for a diffusion generator also its registered models, the garments'
    product images and the talent's references (``likeness_references``)."""
    from twinstudio.services.biometrics import likeness_references
    from twinstudio.services.models import generator_models, model_inputs

    with ctx.uow() as uow:
        profile, fit = uow.bodies.get(request.twin_id)
        garments = [uow.garments.get(g) for g in request.garment_ids]
        models = model_inputs(generator_models(uow, request.generator))
    patterns, images = {}, {}
    for garment in garments:
        if garment.fabric.pattern_sha256 and ctx.blobs is not None and ctx.provenance:
            patterns[garment.id] = ctx.provenance.decode(
                ctx.blobs.get(garment.fabric.pattern_sha256)).rgb
        if (request.backend == "diffusion" and garment.image_sha256
                and ctx.blobs is not None and ctx.provenance):
            images[garment.id] = ctx.provenance.decode(ctx.blobs.get(garment.image_sha256)).rgb
    version = hashlib.sha256(json.dumps([profile, fit], sort_keys=True).encode()).hexdigest()
    inputs = GenerationInputs(request=request, body_profile=profile, body_fit=fit,
                              body_version=version[:16], garments=garments,
                              patterns=patterns, models=models, garment_images=images)
    if request.backend == "diffusion":
        references = likeness_references(ctx, request.twin_id)
        inputs.face, inputs.full_body = references.face, references.full_body
        inputs.adapter = _twin_adapter(ctx, request)
    return inputs


def _twin_adapter(ctx: ServiceContext, request: GenerationRequest) -> TwinAdapterInput | None:
    """The twin's newest adapter for the request's base model (refused with
    ``adapter_destroyed`` when its adapters for that model were destroyed)."""
    from twinstudio.domain.training import trigger_token
    from twinstudio.services.adapters import adapter_for_generation

    base = request.generator.models.get("base") if request.generator else None
    use = adapter_for_generation(ctx, request.twin_id, base) if base else None
    if use is None:
        return None
    return TwinAdapterInput(adapter_id=use.adapter.id, version=use.adapter.version,
                            base_model=use.adapter.base_model, sha256=use.adapter.sha256,
                            weights=use.weights, trigger_token=trigger_token(request.twin_id))


def _store_conditioning(ctx: ServiceContext, written: BlobWrites,
                        images: dict[str, Any]) -> dict[str, str]:
    """The conditioning images as PNG in the content store: name -> SHA-256."""
    if not images or ctx.blobs is None:
        return {}
    tools = provenance_tools(ctx)
    return {name: written.put(tools.encode(image, "image/png"))
            for name, image in sorted(images.items())}


def run_job(ctx: ServiceContext, job: Job, *, backend: GenerationBackend,
            quality: QualityTools, worker_id: str) -> JobRunResult:
    """Make, check and store the asset of a claimed job (the caller holds the lease)."""
    import time

    from twinstudio.services.provenance import mark_asset

    timings: dict[str, float] = {}
    request = job.request
    t = time.perf_counter()
    with ctx.uow() as uow:  # 1. rights again: they may have changed since planning
        licence = uow.licences.get(job.licence_id)
        categories = [uow.garments.get(g).product_category for g in request.garment_ids]
        reasons = variant_reasons(uow, ctx, request, licence, categories,
                                  assets_used=licence.assets_used)
        base = request.generator.models.get("base") if request.generator else None
        if request.backend == "diffusion" and base:  # the twin's adapter must still exist
            refusal = adapter_refusal(uow.training.adapters(twin_id=request.twin_id), base)
            if refusal is not None:
                reasons = [*reasons, refusal]
    timings["policy"] = time.perf_counter() - t
    if reasons:
        listed = [{"code": r.code, "message": r.message} for r in reasons]
        cancel_refused_job(ctx, job.id, worker_id, listed)
        return JobRunResult(job.id, JobState.CANCELLED.value, reasons=listed, timings=timings)
    # 2. render (a best-of-N backend gives every candidate)
    t = time.perf_counter()
    inputs = resolve_inputs(ctx, request)
    result = backend.generate(inputs)
    timings["render"] = time.perf_counter() - t
    # 3. QA gates, on every candidate: the best one becomes the asset, passing or not
    t = time.perf_counter()
    candidates = result.candidates or [Candidate(result.image, request.seed)]
    checked = [QaResult.of(identity_gate(ctx, quality, request.twin_id, c.image),
                           body_gate(quality, result.reference, c.image, same_scene=False))
               for c in candidates]
    if result.candidates:
        qa = best_of(checked, [c.seed for c in candidates])
        image = candidates[qa.chosen or 0].image
    else:
        qa, image = checked[0], result.image
    timings["qa"] = time.perf_counter() - t
    # 4. mark and store, completing the job in the same transaction
    t = time.perf_counter()
    png = provenance_tools(ctx).encode(image, "image/png")
    generation = dict(result.generation)
    if result.candidates:
        generation["seed"] = candidates[qa.chosen or 0].seed

    def complete(uow: UnitOfWork, asset: Any) -> None:
        current = uow.jobs.get(job.id, for_update=True)
        if current.state is not JobState.RUNNING or current.lease_owner != worker_id:
            raise Conflict(f"job {job.id} is no longer held by {worker_id} "
                           f"({current.state.value}); its asset is not stored")
        if qa.passed:
            target = submitted_state(licence.terms.approval_required)
        else:
            target = AssetState.QA_FAILED
            uow.assets.update(asset.transition(target, reason="; ".join(qa.reasons),
                                               now=ctx.now()))
        reference = {"body": qa.body.reference, "request": request.model_dump(mode="json")}
        if conditioning:
            reference["conditioning"] = conditioning
        if generation:
            reference["generation"] = generation
        uow.asset_details.add(asset.id, job_id=job.id, qa=qa.as_dict(), reference=reference)
        uow.jobs.update(current.transition(JobState.SUCCEEDED, now=ctx.now(),
                                           lease_owner=None, lease_expires_at=None,
                                           asset_id=asset.id))
        uow.audit.append(actor=worker_id, type="AssetGenerated", at=ctx.now(), payload={
            "asset_id": asset.id, "job_id": job.id, "campaign_id": job.campaign_id,
            "state": target.value, "qa_passed": qa.passed})
        if qa.passed:  # pending approval, or approved by the licence's terms (and paid)
            submit_asset(uow, asset, approval_required=licence.terms.approval_required,
                         actor=worker_id, now=ctx.now())
        tell_if_campaign_ended(uow, job.campaign_id, now=ctx.now())
        outcome.asset_state = target.value

    outcome = JobRunResult(job.id, JobState.SUCCEEDED.value, qa=qa, timings=timings)
    # the conditioning images and the master commit with the job's completion or, when
    # it fails (lease lost, refused, a database error), are removed again
    with blob_writes(ctx.blobs) as written:
        conditioning = _store_conditioning(ctx, written, result.conditioning_images)
        marked = mark_asset(ctx, licence_id=job.licence_id, image=png, source=result.source,
                            alterations=list(request.alterations), actor=worker_id,
                            counts_against_quota=qa.passed, after=complete,
                            generation=generation or None)
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
            outcome = JobRunResult(job.id, JobState.CANCELLED.value, reasons=listed)
        except IntegrityError as error:
            stop.set()  # e.g. a model's files changed: no retry makes it right
            release_job(ctx, job.id, worker_id, error=f"{error.code}: {error}", retry=False)
            outcome = JobRunResult(job.id, JobState.FAILED.value, reasons=[{
                "code": error.code, "message": str(error)}])
        except Conflict as error:
            stop.set()  # the lease was lost (taken over or cancelled): not ours to retry
            release_job(ctx, job.id, worker_id, error=f"{type(error).__name__}: {error}",
                        retry=False)
            outcome = JobRunResult(job.id, "lost", reasons=[{"code": error.code,
                                                           "message": str(error)}])
        except Exception as error:
            stop.set()
            release_job(ctx, job.id, worker_id, error=f"{type(error).__name__}: {error}")
            outcome = JobRunResult(job.id, "retry", reasons=[{"code": "error",
                                                            "message": str(error)}])
        finally:
            stop.set()
        done += 1
        if on_outcome is not None:
            on_outcome(outcome)
    return done
