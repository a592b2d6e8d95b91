"""Garments, body twins, campaigns (and their refused variants) and jobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from twinstudio.domain.common import canonical_json, utcnow
from twinstudio.domain.garment import Garment
from twinstudio.domain.generation import (
    STORED,
    Campaign,
    CampaignBrief,
    GenerationRequest,
    Job,
    JobState,
)
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _corrupt, _Repo


class SqlGarmentRepository(_Repo):
    def add(self, garment: Garment) -> None:
        self._c.execute(insert(t.garments).values(
            id=garment.id, brand_id=garment.brand_id, name=garment.name,
            category=garment.category.value,
            document=canonical_json(garment.model_dump(mode="json")), created_at=utcnow()))

    def get(self, garment_id: str) -> Garment:
        row = self._one(select(t.garments).where(t.garments.c.id == garment_id), "garment",
                        garment_id)
        return _garment(row)

    def by_name(self, brand_id: str, name: str) -> Garment | None:
        row = self._c.execute(select(t.garments).where(
            t.garments.c.brand_id == brand_id, t.garments.c.name == name)).mappings().first()
        return _garment(row) if row else None

    def list(self, *, brand_id: str | None = None) -> list[Garment]:
        query = select(t.garments).order_by(t.garments.c.created_at, t.garments.c.id)
        if brand_id is not None:
            query = query.where(t.garments.c.brand_id == brand_id)
        return [_garment(r) for r in self._c.execute(query).mappings()]


def _garment(row: Any) -> Garment:
    try:
        return Garment.model_validate_json(row["document"], context=STORED)
    except ValueError as error:
        raise _corrupt("garment", row["id"], error) from None


class SqlTwinBodyRepository(_Repo):
    """The body twin of each twin: the talent's body profile and the fitted parameters."""

    def put(self, twin_id: str, profile: dict[str, Any], fit: dict[str, Any],
            at: datetime) -> None:
        values = {"profile": canonical_json(profile), "fit": canonical_json(fit),
                  "updated_at": at}
        done = self._c.execute(update(t.twin_bodies).where(
            t.twin_bodies.c.twin_id == twin_id).values(**values))
        if done.rowcount == 0:
            self._c.execute(insert(t.twin_bodies).values(twin_id=twin_id, **values))

    def get(self, twin_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        row = self._one(select(t.twin_bodies).where(t.twin_bodies.c.twin_id == twin_id),
                        "body twin of twin", twin_id)
        return json.loads(row["profile"]), json.loads(row["fit"])

    def has(self, twin_id: str) -> bool:
        return self._c.execute(select(t.twin_bodies.c.twin_id).where(
            t.twin_bodies.c.twin_id == twin_id)).first() is not None


class SqlCampaignRepository(_Repo):
    def add(self, campaign: Campaign) -> None:
        self._c.execute(insert(t.campaigns).values(
            id=campaign.id, brand_id=campaign.brand_id, name=campaign.name,
            brief=canonical_json(campaign.brief.model_dump(mode="json")),
            created_at=campaign.created_at))

    def get(self, campaign_id: str, *, for_update: bool = False) -> Campaign:
        query = select(t.campaigns).where(t.campaigns.c.id == campaign_id)
        if for_update:  # serialises the transactions that end the campaign's jobs
            query = query.with_for_update()
        return _campaign(self._one(query, "campaign", campaign_id))

    def list(self, *, brand_id: str | None = None) -> list[Campaign]:
        query = select(t.campaigns).order_by(t.campaigns.c.created_at, t.campaigns.c.id)
        if brand_id is not None:
            query = query.where(t.campaigns.c.brand_id == brand_id)
        return [_campaign(r) for r in self._c.execute(query).mappings()]

    def add_refusal(self, campaign_id: str, request: GenerationRequest,
                    reasons: list[dict[str, str]], at: datetime) -> bool:
        """Record a refused variant once (False if it was recorded before)."""
        exists = self._c.execute(select(t.campaign_refusals.c.key).where(
            t.campaign_refusals.c.campaign_id == campaign_id,
            t.campaign_refusals.c.key == request.key)).first()
        if exists:
            return False
        self._c.execute(insert(t.campaign_refusals).values(
            campaign_id=campaign_id, key=request.key,
            request=canonical_json(request.model_dump(mode="json")),
            reasons=canonical_json(reasons), created_at=at))
        return True

    def refusals(self, campaign_id: str) -> list[tuple[GenerationRequest, list[dict[str, str]]]]:
        rows = self._c.execute(select(t.campaign_refusals).where(
            t.campaign_refusals.c.campaign_id == campaign_id).order_by(
            t.campaign_refusals.c.created_at, t.campaign_refusals.c.key)).mappings()
        return [(GenerationRequest.model_validate_json(r["request"]), json.loads(r["reasons"]))
                for r in rows]


def _campaign(row: Any) -> Campaign:
    try:
        brief = CampaignBrief.model_validate_json(row["brief"], context=STORED)
    except ValueError as error:
        raise _corrupt("campaign", row["id"], error) from None
    return Campaign(id=row["id"], brand_id=row["brand_id"], name=row["name"], brief=brief,
                    created_at=row["created_at"])


def _job(row: Any) -> Job:
    return Job(id=row["id"], campaign_id=row["campaign_id"], key=row["key"],
               twin_id=row["twin_id"], licence_id=row["licence_id"],
               request=GenerationRequest.model_validate_json(row["request"]),
               state=JobState(row["state"]), attempts=row["attempts"],
               max_attempts=row["max_attempts"], lease_owner=row["lease_owner"],
               lease_expires_at=row["lease_expires_at"], last_error=row["last_error"],
               asset_id=row["asset_id"], created_at=row["created_at"],
               updated_at=row["updated_at"])


class SqlJobRepository(_Repo):
    """Jobs in the database. ``claim`` takes the oldest queued job, or a running job whose
    lease has expired (its worker died), under a row lock: on PostgreSQL with ``SKIP
    LOCKED`` so that workers never wait on each other; SQLite serialises writers."""

    def add(self, job: Job) -> bool:
        """Insert unless a job with the same idempotency key exists (False then)."""
        if self._c.execute(select(t.jobs.c.id).where(t.jobs.c.key == job.key)).first():
            return False
        self._c.execute(insert(t.jobs).values(**self._values(job), id=job.id,
                                              campaign_id=job.campaign_id, key=job.key,
                                              twin_id=job.twin_id, licence_id=job.licence_id,
                                              request=canonical_json(
                                                  job.request.model_dump(mode="json")),
                                              created_at=job.created_at))
        return True

    @staticmethod
    def _values(job: Job) -> dict[str, Any]:
        return {"state": job.state.value, "attempts": job.attempts,
                "max_attempts": job.max_attempts, "lease_owner": job.lease_owner,
                "lease_expires_at": job.lease_expires_at, "last_error": job.last_error,
                "asset_id": job.asset_id, "updated_at": job.updated_at}

    def get(self, job_id: str, *, for_update: bool = False) -> Job:
        query = select(t.jobs).where(t.jobs.c.id == job_id)
        if for_update:
            query = query.with_for_update()
        return _job(self._one(query, "job", job_id))

    def by_key(self, key: str) -> Job | None:
        row = self._c.execute(select(t.jobs).where(t.jobs.c.key == key)).mappings().first()
        return _job(row) if row else None

    def update(self, job: Job) -> None:
        self._c.execute(update(t.jobs).where(t.jobs.c.id == job.id).values(**self._values(job)))

    def next_claimable(self, now: datetime, campaign_id: str | None = None) -> Job | None:
        claimable = (t.jobs.c.state == "queued") | (
            (t.jobs.c.state == "running") & (t.jobs.c.lease_expires_at < now))
        query = select(t.jobs).where(claimable).order_by(t.jobs.c.created_at,
                                                           t.jobs.c.id).limit(1)
        if campaign_id is not None:
            query = query.where(t.jobs.c.campaign_id == campaign_id)
        if self._c.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self._c.execute(query).mappings().first()
        return _job(row) if row else None

    def list(self, *, campaign_id: str | None = None, twin_id: str | None = None,
             licence_id: str | None = None, states: tuple[str, ...] | None = None
             ) -> list[Job]:
        query = select(t.jobs).order_by(t.jobs.c.created_at, t.jobs.c.id)
        if campaign_id is not None:
            query = query.where(t.jobs.c.campaign_id == campaign_id)
        if twin_id is not None:
            query = query.where(t.jobs.c.twin_id == twin_id)
        if licence_id is not None:
            query = query.where(t.jobs.c.licence_id == licence_id)
        if states is not None:
            query = query.where(t.jobs.c.state.in_(states))
        return [_job(r) for r in self._c.execute(query).mappings()]

    def counts(self, campaign_id: str) -> dict[str, int]:
        rows = self._c.execute(select(t.jobs.c.state, func.count()).where(
            t.jobs.c.campaign_id == campaign_id).group_by(t.jobs.c.state))
        return {state: int(n) for state, n in rows}

    def next_lease_expiry(self, campaign_id: str | None = None) -> datetime | None:
        """When the earliest lease of a running job runs out (None: nothing running)."""
        query = select(func.min(t.jobs.c.lease_expires_at)).where(t.jobs.c.state == "running")
        if campaign_id is not None:
            query = query.where(t.jobs.c.campaign_id == campaign_id)
        value = self._c.execute(query).scalar()
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def pending_for_licence(self, licence_id: str) -> int:
        """Jobs that may still make an asset of the licence (queued or running)."""
        return int(self._c.execute(select(func.count()).select_from(t.jobs).where(
            t.jobs.c.licence_id == licence_id,
            t.jobs.c.state.in_(("queued", "running")))).scalar())
