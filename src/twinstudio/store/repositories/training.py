"""Twin training: training jobs under a lease with their last (encrypted) checkpoint, and
each twin's adapter versions with their (encrypted) weights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from twinstudio.domain.common import canonical_json
from twinstudio.domain.training import (
    AdapterState,
    TrainingJob,
    TrainingParams,
    TrainingState,
    TwinAdapter,
)
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _corrupt, _Repo

_JOB_FIELDS = ("id", "twin_id", "base_model", "recipe", "state", "step", "attempts",
               "lease_owner", "lease_expires_at", "adapter_id", "error", "requested_by",
               "created_at", "updated_at")


def _job(row: Any) -> TrainingJob:
    try:
        return TrainingJob(
            **{k: row[k] for k in _JOB_FIELDS},
            params=TrainingParams.model_validate_json(row["params"]),
            last_loss=None if row["last_loss"] is None else float(row["last_loss"]))
    except (ValueError, TypeError) as error:
        raise _corrupt("training job", row["id"], error) from None


def _job_row(job: TrainingJob) -> dict[str, Any]:
    row = {k: getattr(job, k) for k in _JOB_FIELDS}
    row["state"] = job.state.value
    row["params"] = canonical_json(job.params.model_dump(mode="json"))
    row["last_loss"] = None if job.last_loss is None else repr(float(job.last_loss))
    return row


_ADAPTER_FIELDS = ("id", "twin_id", "talent_id", "consent_id", "job_id", "base_model",
                   "base_manifest_sha256", "recipe", "version", "sha256", "size",
                   "created_at", "ended_at", "end_reason")


def _adapter(row: Any) -> TwinAdapter:
    try:
        return TwinAdapter(**{k: row[k] for k in _ADAPTER_FIELDS},
                           state=AdapterState(row["state"]),
                           params=TrainingParams.model_validate_json(row["params"]))
    except (ValueError, TypeError) as error:
        raise _corrupt("twin adapter", row["id"], error) from None


_ADAPTER_COLUMNS = [c for c in t.twin_adapters.c if c.name != "ciphertext"]
_JOB_COLUMNS = [c for c in t.training_jobs.c if c.name != "checkpoint"]


class SqlTrainingRepository(_Repo):
    # ------------------------------------------------------------------ jobs
    def add_job(self, job: TrainingJob) -> None:
        self._c.execute(insert(t.training_jobs).values(**_job_row(job), checkpoint=None))

    def job(self, job_id: str, *, for_update: bool = False) -> TrainingJob:
        query = select(*_JOB_COLUMNS).where(t.training_jobs.c.id == job_id)
        if for_update:
            query = query.with_for_update()
        return _job(self._one(query, "training job", job_id))

    def update_job(self, job: TrainingJob) -> None:
        self._c.execute(update(t.training_jobs).where(t.training_jobs.c.id == job.id)
                        .values(**_job_row(job)))

    def jobs(self, *, twin_id: str | None = None) -> list[TrainingJob]:
        query = select(*_JOB_COLUMNS).order_by(t.training_jobs.c.created_at,
                                               t.training_jobs.c.id)
        if twin_id is not None:
            query = query.where(t.training_jobs.c.twin_id == twin_id)
        return [_job(r) for r in self._c.execute(query).mappings()]

    def claim(self, job_id: str | None, *, now: datetime, worker_id: str,
              lease_until: datetime) -> TrainingJob | None:
        """Take ``job_id`` (or the oldest claimable job) when it is queued, or running
        under a lease that ran out; None when there is none to take."""
        c = t.training_jobs.c
        claimable = or_(c.state == TrainingState.QUEUED.value,
                        and_(c.state == TrainingState.RUNNING.value,
                             or_(c.lease_expires_at.is_(None), c.lease_expires_at < now)))
        query = select(c.id).where(claimable).order_by(c.created_at, c.id).limit(1)
        if job_id is not None:
            query = query.where(c.id == job_id)
        found = self._c.execute(query.with_for_update(skip_locked=True)).scalar()
        if found is None:
            return None
        taken = self._c.execute(update(t.training_jobs).where(c.id == found, claimable).values(
            state=TrainingState.RUNNING.value, lease_owner=worker_id,
            lease_expires_at=lease_until, attempts=c.attempts + 1, updated_at=now))
        return self.job(found) if taken.rowcount else None

    def hold(self, job_id: str, worker_id: str, *, lease_until: datetime) -> bool:
        """Extend the lease while ``worker_id`` still holds it (False: it was lost)."""
        c = t.training_jobs.c
        result = self._c.execute(update(t.training_jobs).where(
            c.id == job_id, c.lease_owner == worker_id,
            c.state == TrainingState.RUNNING.value).values(lease_expires_at=lease_until))
        return bool(result.rowcount)

    def save_checkpoint(self, job_id: str, worker_id: str, *, step: int, loss: float | None,
                        ciphertext: bytes, lease_until: datetime, now: datetime) -> bool:
        """Keep the checkpoint of ``step`` (and extend the lease) while ``worker_id`` holds
        the job; False when its lease was lost (the checkpoint is not kept)."""
        c = t.training_jobs.c
        result = self._c.execute(update(t.training_jobs).where(
            c.id == job_id, c.lease_owner == worker_id,
            c.state == TrainingState.RUNNING.value).values(
            step=step, last_loss=None if loss is None else repr(float(loss)),
            checkpoint=ciphertext, lease_expires_at=lease_until, updated_at=now))
        return bool(result.rowcount)

    def checkpoint(self, job_id: str) -> bytes | None:
        c = t.training_jobs.c
        return self._c.execute(select(c.checkpoint).where(c.id == job_id)).scalar()

    def clear_checkpoint(self, job_id: str) -> None:
        self._c.execute(update(t.training_jobs).where(t.training_jobs.c.id == job_id)
                        .values(checkpoint=None))

    def drop_checkpoints(self, twin_id: str) -> int:
        c = t.training_jobs.c
        return self._c.execute(update(t.training_jobs).where(
            c.twin_id == twin_id, c.checkpoint.is_not(None)).values(checkpoint=None)).rowcount

    # -------------------------------------------------------------- adapters
    def add_adapter(self, adapter: TwinAdapter, ciphertext: bytes) -> None:
        row = {k: getattr(adapter, k) for k in _ADAPTER_FIELDS}
        self._c.execute(insert(t.twin_adapters).values(
            **row, state=adapter.state.value, ciphertext=ciphertext,
            params=canonical_json(adapter.params.model_dump(mode="json"))))

    def adapter(self, adapter_id: str, *, for_update: bool = False) -> TwinAdapter:
        query = select(*_ADAPTER_COLUMNS).where(t.twin_adapters.c.id == adapter_id)
        if for_update:
            query = query.with_for_update()
        return _adapter(self._one(query, "adapter", adapter_id))

    def adapters(self, *, twin_id: str | None = None) -> list[TwinAdapter]:
        c = t.twin_adapters.c
        query = select(*_ADAPTER_COLUMNS).order_by(c.twin_id, c.base_model, c.version)
        if twin_id is not None:
            query = query.where(c.twin_id == twin_id)
        return [_adapter(r) for r in self._c.execute(query).mappings()]

    def weights(self, adapter_id: str) -> bytes | None:
        """The encrypted weights (None once deleted or destroyed)."""
        c = t.twin_adapters.c
        return self._c.execute(select(c.ciphertext).where(c.id == adapter_id)).scalar()

    def next_version(self, twin_id: str, base_model: str) -> int:
        c = t.twin_adapters.c
        top = self._c.execute(select(func.max(c.version)).where(
            c.twin_id == twin_id, c.base_model == base_model)).scalar()
        return int(top or 0) + 1

    def end_adapter(self, adapter: TwinAdapter) -> None:
        """Record a deleted or destroyed adapter and erase its weights."""
        self._c.execute(update(t.twin_adapters).where(t.twin_adapters.c.id == adapter.id)
                        .values(state=adapter.state.value, ended_at=adapter.ended_at,
                                end_reason=adapter.end_reason, ciphertext=None))
