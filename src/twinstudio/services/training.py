"""Twin training: a per-twin LoRA from the capture photos, only with the talent's consent
to train, owned by the talent and destroyed when the talent says so.

``request_training`` checks the rights before any photo is read and queues a job;
``run_training`` claims it under a lease, checks the rights again, decrypts the capture
photos in memory, runs the trainer (``ctx.trainer``), keeps an encrypted checkpoint every
K steps (a crashed or stopped run resumes from it) and stores the weights encrypted with
the twin's own key as a new adapter version. ``destroy_adapters_in`` is called by every
revocation that ends the right to train (the training consent, the consent, the biometric
release, the twin); ``export_adapter`` and ``delete_adapter`` are the talent's.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from twinstudio.domain.budgets import ANALYSIS_SIDE
from twinstudio.domain.errors import ConfigurationError, Conflict, InvalidInput, RightsRefused
from twinstudio.domain.policy import Reason
from twinstudio.domain.training import (
    TrainingCode,
    TrainingJob,
    TrainingParams,
    TrainingState,
    TrainingStopped,
    TwinAdapter,
    base_recipe,
    caption,
    training_consent,
    training_refusals,
)
from twinstudio.services.adapters import aad, vault_of
from twinstudio.services.biometrics import face_crop, read_photos
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import TrainingStep, UnitOfWork
from twinstudio.services.webhooks import emit

LEASE_SECONDS = 300


def rights_refusals(uow: UnitOfWork, twin_id: str, today: Any) -> list[Reason]:
    twin = uow.twins.get(twin_id)
    return training_refusals(twin, uow.consents.list_for_twin(twin_id),
                             uow.releases.list_for_talent(twin.talent_id), today)


def _base_model(uow: UnitOfWork, name: str) -> tuple[Any, str]:
    model = uow.models.find(name)
    if model is None:
        raise InvalidInput(f"base_model: no model {name!r} is registered "
                           "('twinstudio model add')", source="base_model")
    recipe = base_recipe(model.kind.value, model.class_name)
    if recipe is None:
        raise RightsRefused("training refused", [Reason(
            code=TrainingCode.BASE_MODEL_UNSUITABLE,
            message=f"model {name!r} ({model.kind.value}, {model.class_name}) is not a base "
                    "pipeline a twin adapter can be trained for (SDXL or FLUX.2 klein)")])
    if not model.commercial:
        raise RightsRefused("training refused", [Reason(
            code=TrainingCode.BASE_MODEL_UNSUITABLE,
            message=f"model {name!r} is not licensed for commercial use ({model.licence})")])
    return model, recipe


def request_training(ctx: ServiceContext, twin_id: str, *, base_model: str,
                     params: TrainingParams | None = None, actor: str) -> TrainingJob:
    """Queue a training of the twin's LoRA on ``base_model``; refused with every reason
    (no consent to train, no biometric release, a twin not active, a base model that
    cannot be trained) before any photo is read."""
    params = params or TrainingParams()
    now = ctx.now()
    with ctx.uow() as uow:
        uow.twins.get(twin_id, for_update=True)
        reasons = rights_refusals(uow, twin_id, ctx.today())
        if reasons:
            raise RightsRefused("training refused", reasons)
        _, recipe = _base_model(uow, base_model)
        busy = [j for j in uow.training.jobs(twin_id=twin_id)
                if not j.done and j.base_model == base_model]
        if busy:
            raise Conflict(f"twin {twin_id} already has training job {busy[0].id} "
                           f"({busy[0].state.value}) for {base_model}")
        job = TrainingJob(twin_id=twin_id, base_model=base_model, recipe=recipe,
                          params=params, requested_by=actor, created_at=now, updated_at=now)
        uow.training.add_job(job)
        uow.audit.append(actor=actor, type="TrainingRequested", at=now, payload={
            "job_id": job.id, "twin_id": twin_id, "base_model": base_model,
            "params": params.model_dump(mode="json")})
        uow.commit()
    return job


def list_jobs(ctx: ServiceContext, twin_id: str) -> list[TrainingJob]:
    with ctx.uow() as uow:
        return uow.training.jobs(twin_id=twin_id)


def get_job(ctx: ServiceContext, job_id: str) -> TrainingJob:
    with ctx.uow() as uow:
        return uow.training.job(job_id)


def cancel_training(ctx: ServiceContext, job_id: str, *, actor: str) -> TrainingJob:
    now = ctx.now()
    with ctx.uow() as uow:
        job = uow.training.job(job_id, for_update=True)
        cancelled = job.transition(TrainingState.CANCELLED, now=now, lease_owner=None,
                                   lease_expires_at=None, error=f"cancelled by {actor}")
        uow.training.update_job(cancelled)
        uow.training.clear_checkpoint(job_id)
        uow.audit.append(actor=actor, type="TrainingCancelled", at=now,
                         payload={"job_id": job_id, "twin_id": job.twin_id})
        uow.commit()
    return cancelled


# ------------------------------------------------------------------ running


@dataclass
class TrainingRunResult:
    job_id: str
    state: str                       # succeeded | queued (stopped) | cancelled | failed | lost
    step: int = 0
    adapter_id: str | None = None
    reasons: list[dict[str, str]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    error: str | None = None


class _LeaseLost(Exception):
    pass


def training_examples(ctx: ServiceContext, twin_id: str) -> list[tuple[Any, str]]:
    """The capture photos, decrypted in memory: each as a full-body example and, where a
    face is found, its face crop as a close-up; captioned with the twin's trigger token."""
    if ctx.provenance is None:
        raise ConfigurationError("no image tools configured")
    examples: list[tuple[Any, str]] = []
    for _, data in read_photos(ctx, twin_id):
        rgb = ctx.provenance.decode(data, max_side=ANALYSIS_SIDE).rgb
        examples.append((rgb, caption(twin_id, "full body")))
        crop = face_crop(ctx, rgb)
        if crop is not None:
            examples.append((crop[0], caption(twin_id, "face close-up")))
    return examples


def run_training(ctx: ServiceContext, job_id: str | None = None, *, worker_id: str,
                 lease_seconds: int = LEASE_SECONDS,
                 on_step: Callable[[TrainingStep], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> TrainingRunResult | None:
    """Claim ``job_id`` (or the oldest job waiting) and train it to the end, a stop, or a
    refusal; None when there is nothing to claim."""
    if ctx.trainer is None:
        raise ConfigurationError("this process has no trainer (install the 'diffusion' "
                                 "extra; training runs where the base model's files are)")
    vault = vault_of(ctx)
    with ctx.uow() as uow:
        job = uow.training.claim(job_id, now=ctx.now(), worker_id=worker_id,
                                 lease_until=ctx.now() + timedelta(seconds=lease_seconds))
        uow.commit()
    if job is None:
        if job_id is not None:
            current = get_job(ctx, job_id)
            raise Conflict(f"training job {job_id} is {current.state.value}"
                           + (f", held by {current.lease_owner}" if current.lease_owner
                              else "") + ": it cannot be run now")
        return None
    with ctx.uow() as uow:  # the rights again: they may have changed since the request
        reasons = rights_refusals(uow, job.twin_id, ctx.today())
        try:  # removed or no longer cleared since the request: refused, not retried
            model, _ = _base_model(uow, job.base_model)
        except RightsRefused as refused:
            reasons += refused.reasons
        except InvalidInput as missing:
            reasons.append(Reason(code=TrainingCode.BASE_MODEL_UNSUITABLE,
                                  message=missing.message))
        wrapped = uow.biometrics.key(job.twin_id)
        stored = uow.training.checkpoint(job.id)
    if reasons or wrapped is None:
        listed = [r.model_dump() for r in reasons] or [
            {"code": TrainingCode.RELEASE_MISSING, "message": "the twin's key was destroyed"}]
        _end(ctx, job, worker_id, TrainingState.CANCELLED, error="refused: " + "; ".join(
            r["code"] for r in listed), audit="TrainingRefused", reasons=listed)
        return TrainingRunResult(job.id, TrainingState.CANCELLED.value, reasons=listed)
    examples = training_examples(ctx, job.twin_id)
    if not examples:
        listed = [{"code": TrainingCode.NO_PHOTOS,
                   "message": f"twin {job.twin_id} keeps no capture photos to train on"}]
        _end(ctx, job, worker_id, TrainingState.FAILED, error=listed[0]["message"],
             audit="TrainingFailed", reasons=listed)
        return TrainingRunResult(job.id, TrainingState.FAILED.value, reasons=listed)
    resume = (vault.decrypt(wrapped, stored, aad(job.twin_id, "checkpoint", job.id))
              if stored else None)
    last_loss: list[float] = []

    def keep(step: int, data: bytes) -> None:
        ciphertext = vault.encrypt(wrapped, data, aad(job.twin_id, "checkpoint", job.id))
        with ctx.uow() as uow:
            held = uow.training.save_checkpoint(
                job.id, worker_id, step=step, loss=last_loss[-1] if last_loss else None,
                ciphertext=ciphertext, now=ctx.now(),
                lease_until=ctx.now() + timedelta(seconds=lease_seconds))
            uow.commit()
        if not held:
            raise _LeaseLost(job.id)

    held_at = [time.monotonic()]

    def stepped(report: TrainingStep) -> None:
        last_loss.append(report.loss)
        if time.monotonic() - held_at[0] > lease_seconds / 3:  # slow steps: hold on
            with ctx.uow() as uow:
                held = uow.training.hold(job.id, worker_id, lease_until=ctx.now()
                                         + timedelta(seconds=lease_seconds))
                uow.commit()
            if not held:
                raise _LeaseLost(job.id)
            held_at[0] = time.monotonic()
        if on_step is not None:
            on_step(report)

    try:
        trained = ctx.trainer.train(job.recipe, model.path, examples, job.params,
                                    resume=resume, on_checkpoint=keep, on_step=stepped,
                                    should_stop=should_stop)
    except TrainingStopped as stopped:
        _end(ctx, job, worker_id, TrainingState.QUEUED, error=None, audit="TrainingStopped",
             step=stopped.step)
        return TrainingRunResult(job.id, TrainingState.QUEUED.value, step=stopped.step,
                                 losses=last_loss)
    except _LeaseLost:
        return TrainingRunResult(job.id, "lost", losses=last_loss)
    except Exception as error:
        _end(ctx, job, worker_id, TrainingState.FAILED, error=f"{type(error).__name__}: "
             f"{error}"[:500], audit="TrainingFailed")
        raise
    return _store_adapter(ctx, job, worker_id, model, trained, wrapped, last_loss)


def _end(ctx: ServiceContext, job: TrainingJob, worker_id: str, state: TrainingState, *,
         error: str | None, audit: str, reasons: list[dict[str, str]] | None = None,
         step: int | None = None) -> None:
    now = ctx.now()
    with ctx.uow() as uow:
        current = uow.training.job(job.id, for_update=True)
        if current.state is not TrainingState.RUNNING or current.lease_owner != worker_id:
            return  # another worker has it now
        uow.training.update_job(current.transition(
            state, now=now, lease_owner=None, lease_expires_at=None, error=error))
        payload: dict[str, Any] = {"job_id": job.id, "twin_id": job.twin_id}
        if reasons:
            payload["reasons"] = reasons
        if step is not None:
            payload["step"] = step
        uow.audit.append(actor=worker_id, type=audit, at=now, payload=payload)
        uow.commit()


def _store_adapter(ctx: ServiceContext, job: TrainingJob, worker_id: str, model: Any,
                   trained: Any, wrapped: bytes, losses: list[float]) -> TrainingRunResult:
    if hashlib.sha256(trained.weights).hexdigest() != trained.sha256:
        raise Conflict("the trainer's weights do not match their own hash")
    now = ctx.now()
    vault = vault_of(ctx)
    with ctx.uow() as uow:
        current = uow.training.job(job.id, for_update=True)
        if current.state is not TrainingState.RUNNING or current.lease_owner != worker_id:
            return TrainingRunResult(job.id, "lost", losses=losses)
        twin = uow.twins.get(job.twin_id, for_update=True)
        reasons = rights_refusals(uow, job.twin_id, ctx.today())
        consent = training_consent(uow.consents.list_for_twin(job.twin_id), ctx.today())
        if reasons or consent is None or uow.biometrics.key(job.twin_id) != wrapped:
            listed = [r.model_dump() for r in reasons] or [{
                "code": TrainingCode.CONSENT_MISSING, "message": "revoked during training"}]
            uow.training.update_job(current.transition(
                TrainingState.CANCELLED, now=now, lease_owner=None, lease_expires_at=None,
                error="refused at storage: " + "; ".join(r["code"] for r in listed)))
            uow.audit.append(actor=worker_id, type="TrainingRefused", at=now, payload={
                "job_id": job.id, "twin_id": job.twin_id, "reasons": listed,
                "at": "storage"})
            uow.commit()
            return TrainingRunResult(job.id, TrainingState.CANCELLED.value, reasons=listed,
                                     losses=losses)
        adapter = TwinAdapter(
            twin_id=twin.id, talent_id=twin.talent_id, consent_id=consent.id, job_id=job.id,
            base_model=job.base_model, base_manifest_sha256=model.manifest_sha256,
            recipe=job.recipe, version=uow.training.next_version(twin.id, job.base_model),
            params=job.params, sha256=trained.sha256, size=len(trained.weights),
            created_at=now)
        uow.training.add_adapter(adapter, vault.encrypt(
            wrapped, trained.weights, aad(twin.id, "adapter", adapter.id)))
        uow.training.update_job(current.transition(
            TrainingState.SUCCEEDED, now=now, lease_owner=None, lease_expires_at=None,
            adapter_id=adapter.id, step=job.params.steps,
            last_loss=losses[-1] if losses else current.last_loss))
        uow.training.clear_checkpoint(job.id)  # the weights are the adapter's now
        uow.audit.append(actor=worker_id, type="AdapterTrained", at=now, payload={
            "adapter_id": adapter.id, "job_id": job.id, "twin_id": twin.id,
            "base_model": job.base_model, "version": adapter.version,
            "sha256": adapter.sha256, "consent_id": consent.id})
        emit(uow, "adapter.trained", [uow.talents.get(twin.talent_id).agency_id], {
            "adapter_id": adapter.id, "twin_id": twin.id, "base_model": job.base_model,
            "version": adapter.version, "sha256": adapter.sha256}, now=now)
        uow.commit()
    return TrainingRunResult(job.id, TrainingState.SUCCEEDED.value, step=job.params.steps,
                             adapter_id=adapter.id, losses=losses)
