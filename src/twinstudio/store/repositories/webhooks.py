"""Webhooks: endpoints (with their encrypted secret), outbox messages, deliveries under a
lease, attempts; and the first answers of Idempotency-Key requests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from twinstudio.domain.webhooks import (
    DeliveryAttempt,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _corrupt, _Repo


def _endpoint(row: Any) -> WebhookEndpoint:
    try:
        return WebhookEndpoint(id=row["id"], organisation_id=row["organisation_id"],
                               url=row["url"], events=json.loads(row["events"]),
                               description=row["description"], active=row["active"],
                               created_by=row["created_by"], created_at=row["created_at"])
    except (ValueError, TypeError) as error:
        raise _corrupt("webhook endpoint", row["id"], error) from None


def _message(row: Any) -> WebhookMessage:
    return WebhookMessage(id=row["id"], organisation_id=row["organisation_id"],
                          type=row["type"], data=json.loads(row["data"]),
                          created_at=row["created_at"])


def _delivery(row: Any) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"], message_id=row["message_id"], endpoint_id=row["endpoint_id"],
        organisation_id=row["organisation_id"], event_type=row["event_type"],
        state=DeliveryState(row["state"]), attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"], last_status=row["last_status"],
        last_error=row["last_error"], created_at=row["created_at"],
        delivered_at=row["delivered_at"])


class SqlWebhookRepository(_Repo):
    # ------------------------------------------------------------------ endpoints
    def add_endpoint(self, endpoint: WebhookEndpoint, *, secret_key: bytes,
                     secret: bytes) -> None:
        self._c.execute(insert(t.webhook_endpoints).values(
            id=endpoint.id, organisation_id=endpoint.organisation_id, url=endpoint.url,
            events=json.dumps(endpoint.events), description=endpoint.description,
            active=endpoint.active, secret_key=secret_key, secret=secret,
            created_by=endpoint.created_by, created_at=endpoint.created_at))

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        query = select(t.webhook_endpoints).where(t.webhook_endpoints.c.id == endpoint_id)
        return _endpoint(self._one(query, "webhook endpoint", endpoint_id))

    def secret_of(self, endpoint_id: str) -> tuple[bytes, bytes]:
        """The endpoint's wrapped data key and encrypted secret."""
        c = t.webhook_endpoints.c
        row = self._one(select(c.secret_key, c.secret).where(c.id == endpoint_id),
                        "webhook endpoint", endpoint_id)
        return bytes(row["secret_key"]), bytes(row["secret"])

    def set_secret(self, endpoint_id: str, *, secret_key: bytes, secret: bytes) -> None:
        self._c.execute(update(t.webhook_endpoints).where(
            t.webhook_endpoints.c.id == endpoint_id).values(secret_key=secret_key,
                                                             secret=secret))

    def endpoints(self, *, organisation_id: str | None = None) -> list[WebhookEndpoint]:
        c = t.webhook_endpoints.c
        query = select(t.webhook_endpoints).order_by(c.created_at, c.id)
        if organisation_id is not None:
            query = query.where(c.organisation_id == organisation_id)
        return [_endpoint(r) for r in self._c.execute(query).mappings()]

    def set_active(self, endpoint_id: str, active: bool) -> None:
        self._c.execute(update(t.webhook_endpoints).where(
            t.webhook_endpoints.c.id == endpoint_id).values(active=active))

    # ------------------------------------------------------------------ outbox
    def add_message(self, message: WebhookMessage,
                    deliveries: list[WebhookDelivery]) -> None:
        self._c.execute(insert(t.webhook_messages).values(
            id=message.id, organisation_id=message.organisation_id, type=message.type,
            data=json.dumps(message.data, sort_keys=True), created_at=message.created_at))
        for d in deliveries:
            self._c.execute(insert(t.webhook_deliveries).values(
                id=d.id, message_id=d.message_id, endpoint_id=d.endpoint_id,
                organisation_id=d.organisation_id, event_type=d.event_type,
                state=d.state.value, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
                created_at=d.created_at))

    def message(self, message_id: str) -> WebhookMessage:
        query = select(t.webhook_messages).where(t.webhook_messages.c.id == message_id)
        return _message(self._one(query, "webhook message", message_id))

    # ------------------------------------------------------------------ deliveries
    def claim_due(self, *, now: datetime, worker_id: str, lease_until: datetime,
                  limit: int) -> list[WebhookDelivery]:
        """Take up to ``limit`` deliveries whose attempt is due and that no live lease
        holds (a worker that died mid-delivery loses its lease when it runs out)."""
        c = t.webhook_deliveries.c
        due = and_(c.state == DeliveryState.PENDING.value, c.next_attempt_at <= now,
                   or_(c.lease_expires_at.is_(None), c.lease_expires_at < now))
        query = select(c.id).where(due).order_by(c.next_attempt_at, c.id).limit(limit)
        if self._c.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = [r[0] for r in self._c.execute(query)]
        if not ids:
            return []
        self._c.execute(update(t.webhook_deliveries).where(c.id.in_(ids), due).values(
            lease_owner=worker_id, lease_expires_at=lease_until))
        rows = self._c.execute(select(t.webhook_deliveries).where(
            c.id.in_(ids), c.lease_owner == worker_id).order_by(c.next_attempt_at, c.id))
        return [_delivery(r) for r in rows.mappings()]

    def delivery(self, delivery_id: str, *, for_update: bool = False) -> WebhookDelivery:
        query = select(t.webhook_deliveries).where(t.webhook_deliveries.c.id == delivery_id)
        if for_update:
            query = query.with_for_update()
        return _delivery(self._one(query, "webhook delivery", delivery_id))

    def extend_lease(self, delivery_id: str, worker_id: str, until: datetime) -> bool:
        """Hold the delivery until ``until`` if ``worker_id`` still does (False: the lease
        ran out and another worker took it)."""
        c = t.webhook_deliveries.c
        result = self._c.execute(update(t.webhook_deliveries).where(
            c.id == delivery_id, c.lease_owner == worker_id,
            c.state == DeliveryState.PENDING.value).values(lease_expires_at=until))
        return bool(result.rowcount)

    def lease_owner(self, delivery_id: str) -> str | None:
        c = t.webhook_deliveries.c
        return self._c.execute(select(c.lease_owner).where(c.id == delivery_id)).scalar()

    def record(self, delivery: WebhookDelivery, attempt: DeliveryAttempt | None) -> None:
        """Store the delivery's new state (its lease released) and the attempt made."""
        if attempt is not None:
            self._c.execute(insert(t.webhook_attempts).values(
                delivery_id=attempt.delivery_id, number=attempt.number, at=attempt.at,
                status=attempt.status, latency_ms=attempt.latency_ms, error=attempt.error))
        self._c.execute(update(t.webhook_deliveries).where(
            t.webhook_deliveries.c.id == delivery.id).values(
            state=delivery.state.value, attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at, last_status=delivery.last_status,
            last_error=delivery.last_error, delivered_at=delivery.delivered_at,
            lease_owner=None, lease_expires_at=None))

    def deliveries(self, *, endpoint_id: str | None = None,
                   organisation_id: str | None = None,
                   state: DeliveryState | None = None) -> list[WebhookDelivery]:
        c = t.webhook_deliveries.c
        query = select(t.webhook_deliveries).order_by(c.created_at.desc(), c.id)
        if endpoint_id is not None:
            query = query.where(c.endpoint_id == endpoint_id)
        if organisation_id is not None:
            query = query.where(c.organisation_id == organisation_id)
        if state is not None:
            query = query.where(c.state == state.value)
        return [_delivery(r) for r in self._c.execute(query).mappings()]

    def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        c = t.webhook_attempts.c
        rows = self._c.execute(select(t.webhook_attempts).where(
            c.delivery_id == delivery_id).order_by(c.number))
        return [DeliveryAttempt(delivery_id=r["delivery_id"], number=r["number"], at=r["at"],
                                status=r["status"], latency_ms=r["latency_ms"],
                                error=r["error"]) for r in rows.mappings()]


class SqlIdempotencyRepository(_Repo):
    """The first answer to a request with an ``Idempotency-Key``, per credential."""

    def claim(self, scope: str, key: str, fingerprint: str, now: datetime
              ) -> dict[str, Any] | None:
        """Record that the request runs now and answer None; or, when the key was seen,
        its row (fingerprint, status — None while the first still runs —, body)."""
        c = t.idempotency_keys.c
        query = select(t.idempotency_keys).where(c.scope == scope, c.key == key)
        row = self._c.execute(query.with_for_update()).mappings().first()
        if row is not None:
            return dict(row)
        try:
            with self._c.begin_nested():  # a concurrent first claim wins the primary key
                self._c.execute(insert(t.idempotency_keys).values(
                    scope=scope, key=key, fingerprint=fingerprint, created_at=now))
        except SqlIntegrityError:
            return dict(self._c.execute(query).mappings().one())
        return None

    def finish(self, scope: str, key: str, *, status: int, headers: dict[str, str],
               body: bytes) -> None:
        c = t.idempotency_keys.c
        self._c.execute(update(t.idempotency_keys).where(c.scope == scope, c.key == key)
                        .values(status=status, headers=json.dumps(headers), body=body))

    def forget(self, scope: str, key: str) -> None:
        c = t.idempotency_keys.c
        self._c.execute(delete(t.idempotency_keys).where(c.scope == scope, c.key == key))

    def forget_before(self, moment: datetime) -> int:
        result = self._c.execute(delete(t.idempotency_keys).where(
            t.idempotency_keys.c.created_at < moment))
        return int(result.rowcount or 0)
