"""Webhooks: endpoints an organisation registers, the outbox the services write in the
transaction of each change, and delivery (claim under a lease, sign, send, record, retry).

Tenant rule: a message is written for one organisation, the one whose object changed (a
licence's brand, a talent's agency), and goes only to that organisation's endpoints.
Delivery is at least once: a worker that dies mid-delivery loses its lease and another
sends the message again with the same ``webhook-id``; receivers de-duplicate by it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from twinstudio.domain.asset import Asset
from twinstudio.domain.errors import ConfigurationError, Conflict, InvalidInput, Problem
from twinstudio.domain.licence import Licence
from twinstudio.domain.network import url_problem
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.text import check_text
from twinstudio.domain.webhooks import (
    EVENT_TYPES,
    MAX_ENDPOINTS,
    DeliveryAttempt,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    headers_for,
    new_secret,
    next_attempt_delay,
    unknown_events,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork, WebhookSender

log = logging.getLogger("twinstudio.webhooks")
LEASE_SECONDS = 60


# ---------------------------------------------------------------------------- the outbox

def emit(uow: UnitOfWork, type_: str, organisation_ids: list[str | None],
         data: dict[str, Any], *, now: datetime) -> list[WebhookMessage]:
    """Write ``type_`` for each organisation in ``organisation_ids`` (None entries and
    repeats skipped) that has an active endpoint subscribed to it, in the caller's
    transaction: the message exists exactly when the change does."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {type_!r}")
    written = []
    for org_id in dict.fromkeys(o for o in organisation_ids if o):
        endpoints = [e for e in uow.webhooks.endpoints(organisation_id=org_id)
                     if e.active and type_ in e.events]
        if not endpoints:
            continue
        message = WebhookMessage(organisation_id=org_id, type=type_, data=data,
                                 created_at=now)
        uow.webhooks.add_message(message, [WebhookDelivery(
            message_id=message.id, endpoint_id=e.id, organisation_id=org_id,
            event_type=type_, next_attempt_at=now, created_at=now) for e in endpoints])
        written.append(message)
    return written


def licence_parties(uow: UnitOfWork, licence: Licence) -> list[str | None]:
    """The organisations a licence concerns: its brand and the talent's agency."""
    return [licence.brand_id, uow.talents.get(licence.talent_id).agency_id]


def emit_for_licence(uow: UnitOfWork, type_: str, licence: Licence, *, now: datetime,
                     **data: Any) -> None:
    emit(uow, type_, licence_parties(uow, licence),
         {"licence_id": licence.id, "twin_id": licence.twin_id,
          "brand_id": licence.brand_id, "state": licence.state.value, **data}, now=now)


def emit_for_asset(uow: UnitOfWork, type_: str, asset: Asset, *, now: datetime,
                   **data: Any) -> None:
    licence = uow.licences.get(asset.licence_id)
    emit(uow, type_, licence_parties(uow, licence),
         {"asset_id": asset.id, "licence_id": asset.licence_id, "twin_id": asset.twin_id,
          "brand_id": asset.brand_id, "state": asset.state.value, **data}, now=now)


# ---------------------------------------------------------------------------- endpoints

@dataclass
class RegisteredEndpointResult:
    """A new endpoint and its secret: the only time the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def _vault(ctx: ServiceContext) -> Any:
    if ctx.vault is None:
        raise ConfigurationError("webhook secrets need the workspace's vault (master key)")
    return ctx.vault


def _check_events(events: list[str]) -> list[str]:
    if not events:
        raise InvalidInput("name at least one event", problems=[Problem(
            "events", "at least one event type", "events_empty")])
    unknown = unknown_events(events)
    if unknown:
        raise InvalidInput(f"unknown event types: {', '.join(unknown[:5])}; known: "
                           f"{', '.join(EVENT_TYPES)}", problems=[Problem(
                               "events", f"unknown event type {u[:60]!r}", "unknown_event")
                               for u in unknown[:20]])
    return list(dict.fromkeys(events))


def sender_of(ctx: ServiceContext) -> WebhookSender:
    if ctx.webhook_sender is None:
        raise ConfigurationError("this context has no webhook sender (bootstrap wires one)")
    return ctx.webhook_sender


def check_target(sender: WebhookSender, url: str) -> None:
    """Refuse a URL that is malformed or reaches a private address (InvalidInput)."""
    problem = url_problem(url)
    if problem:
        raise InvalidInput(f"webhook URL refused: {problem}", problems=[Problem(
            "url", problem, "webhook_url_invalid")])
    problem = sender.target_problem(url)
    if problem:
        raise InvalidInput(f"webhook URL refused: {problem}", problems=[Problem(
            "url", problem, "webhook_target_forbidden")])


def register_endpoint(ctx: ServiceContext, *, organisation_id: str, url: str,
                      events: list[str], description: str = "",
                      actor: str) -> RegisteredEndpointResult:
    """Register where ``organisation_id`` (a brand or an agency) is told about
    ``events``; answers the secret that signs its messages, once."""
    events = _check_events(events)
    check_text(description, "description", multiline=True)
    check_target(sender_of(ctx), url)
    vault = _vault(ctx)
    with ctx.uow() as uow:
        organisation = uow.organisations.get(organisation_id)
        if organisation.kind not in (OrganisationKind.BRAND, OrganisationKind.AGENCY):
            raise InvalidInput(f"{organisation_id} is not a brand or an agency")
        if len(uow.webhooks.endpoints(organisation_id=organisation_id)) >= MAX_ENDPOINTS:
            raise Conflict(f"an organisation has at most {MAX_ENDPOINTS} webhook endpoints; "
                           "delete one first", code="too_many_endpoints")
        endpoint = WebhookEndpoint(organisation_id=organisation_id, url=url, events=events,
                                   description=description, created_by=actor,
                                   created_at=ctx.now())
        secret = new_secret()
        key = vault.new_key()
        uow.webhooks.add_endpoint(endpoint, secret_key=key,
                                  secret=vault.encrypt(key, secret.encode(), endpoint.id))
        uow.audit.append(actor=actor, type="WebhookEndpointAdded", at=ctx.now(), payload={
            "endpoint_id": endpoint.id, "organisation_id": organisation_id,
            "url": url, "events": events})
        uow.commit()
    return RegisteredEndpointResult(endpoint, secret)


def rotate_secret(ctx: ServiceContext, endpoint_id: str, *, actor: str) -> str:
    """A new secret for the endpoint (the old one stops signing at once)."""
    vault = _vault(ctx)
    secret = new_secret()
    with ctx.uow() as uow:
        uow.webhooks.endpoint(endpoint_id)
        key = vault.new_key()
        uow.webhooks.set_secret(endpoint_id, secret_key=key,
                                secret=vault.encrypt(key, secret.encode(), endpoint_id))
        uow.audit.append(actor=actor, type="WebhookSecretRotated", at=ctx.now(),
                         payload={"endpoint_id": endpoint_id})
        uow.commit()
    return secret


def disable_endpoint(ctx: ServiceContext, endpoint_id: str, *, actor: str
                     ) -> WebhookEndpoint:
    """Stop sending to the endpoint: no new messages; pending deliveries fail."""
    with ctx.uow() as uow:
        endpoint = uow.webhooks.endpoint(endpoint_id)
        if endpoint.active:
            uow.webhooks.set_active(endpoint_id, False)
            uow.audit.append(actor=actor, type="WebhookEndpointDisabled", at=ctx.now(),
                             payload={"endpoint_id": endpoint_id})
            uow.commit()
        endpoint.active = False
    return endpoint


def list_endpoints(ctx: ServiceContext, *, organisation_id: str | None = None
                   ) -> list[WebhookEndpoint]:
    with ctx.uow() as uow:
        return uow.webhooks.endpoints(organisation_id=organisation_id)


def get_endpoint(ctx: ServiceContext, endpoint_id: str) -> WebhookEndpoint:
    with ctx.uow() as uow:
        return uow.webhooks.endpoint(endpoint_id)


@dataclass
class DeliveryDetailResult:
    delivery: WebhookDelivery
    message: WebhookMessage
    attempts: list[DeliveryAttempt]


def list_deliveries(ctx: ServiceContext, endpoint_id: str,
                    state: DeliveryState | None = None) -> list[WebhookDelivery]:
    with ctx.uow() as uow:
        uow.webhooks.endpoint(endpoint_id)
        return uow.webhooks.deliveries(endpoint_id=endpoint_id, state=state)


def delivery_detail(ctx: ServiceContext, delivery_id: str) -> DeliveryDetailResult:
    with ctx.uow() as uow:
        delivery = uow.webhooks.delivery(delivery_id)
        return DeliveryDetailResult(delivery, uow.webhooks.message(delivery.message_id),
                                    uow.webhooks.attempts(delivery_id))


def replay_delivery(ctx: ServiceContext, delivery_id: str, *, actor: str
                    ) -> WebhookDelivery:
    """Send a delivery again (a failed one, or a delivered one the receiver lost): due
    now, with the same message id and body; its attempts go on counting."""
    with ctx.uow() as uow:
        delivery = uow.webhooks.delivery(delivery_id, for_update=True)
        if not uow.webhooks.endpoint(delivery.endpoint_id).active:
            raise Conflict("the endpoint is disabled; nothing is sent to it",
                           code="endpoint_disabled")
        if delivery.state is DeliveryState.PENDING:
            raise Conflict(f"delivery {delivery_id} is still pending; it is sent when due",
                           code="delivery_pending")
        delivery.state = DeliveryState.PENDING
        delivery.next_attempt_at = ctx.now()
        uow.webhooks.record(delivery, None)
        uow.audit.append(actor=actor, type="WebhookDeliveryReplayed", at=ctx.now(),
                         payload={"delivery_id": delivery_id,
                                  "message_id": delivery.message_id})
        uow.commit()
    return delivery


# ---------------------------------------------------------------------------- delivery

@dataclass
class DeliveryRoundResult:
    """What one round of ``deliver_due`` did (delivery ids)."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    lost_lease: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed)


def _secret(ctx: ServiceContext, uow: UnitOfWork, endpoint_id: str) -> str:
    key, blob = uow.webhooks.secret_of(endpoint_id)
    return _vault(ctx).decrypt(key, blob, endpoint_id).decode()


def deliver_due(ctx: ServiceContext, *, worker_id: str, limit: int = 20,
                lease_seconds: int = LEASE_SECONDS) -> DeliveryRoundResult:
    """Claim up to ``limit`` due deliveries, send each (signed) with the context's
    sender, record each attempt and schedule the next one by the context's schedule, or
    mark it delivered or failed."""
    sender, schedule = sender_of(ctx), ctx.webhook_schedule
    now = ctx.now()
    with ctx.uow() as uow:
        claimed = uow.webhooks.claim_due(now=now, worker_id=worker_id, limit=limit,
                                         lease_until=now + timedelta(seconds=lease_seconds))
        uow.commit()
    result = DeliveryRoundResult()
    for delivery in claimed:
        # the lease runs from this attempt's start: a round of slow endpoints never
        # outlives it (a delivery whose lease ran out meanwhile is another worker's now)
        with ctx.uow() as uow:
            held = uow.webhooks.extend_lease(
                delivery.id, worker_id, ctx.now() + timedelta(seconds=lease_seconds))
            uow.commit()
        if not held:
            result.lost_lease.append(delivery.id)
            continue
        _deliver_one(ctx, sender, delivery, worker_id=worker_id, schedule=schedule,
                     result=result)
    return result


def _deliver_one(ctx: ServiceContext, sender: WebhookSender, delivery: WebhookDelivery, *,
                 worker_id: str, schedule: tuple[int, ...],
                 result: DeliveryRoundResult) -> None:
    with ctx.uow() as uow:
        endpoint = uow.webhooks.endpoint(delivery.endpoint_id)
        message = uow.webhooks.message(delivery.message_id)
        secret = _secret(ctx, uow, endpoint.id) if endpoint.active else ""
    number = delivery.attempts + 1
    if not endpoint.active:
        outcome_status, latency, error = None, 0, "the endpoint was disabled"
        give_up = True
    else:
        body = message.body()
        stamp = int(ctx.now().timestamp())
        problem = sender.target_problem(endpoint.url)  # DNS may have changed since
        if problem:
            outcome_status, latency, error = None, 0, f"refused: {problem}"
        else:
            outcome = sender.send(endpoint.url, headers_for(secret, message.id, stamp, body),
                                  body)
            outcome_status, latency, error = outcome.status, outcome.latency_ms, outcome.error
        give_up = False
    now = ctx.now()
    attempt = DeliveryAttempt(delivery_id=delivery.id, number=number, at=now,
                              status=outcome_status, latency_ms=latency, error=error)
    delivery.attempts = number
    delivery.last_status, delivery.last_error = outcome_status, error
    if attempt.succeeded:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryState.DELIVERED, now, None)
    else:
        delay = None if give_up else next_attempt_delay(number, schedule)
        if delay is None:
            delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=delay)
    with ctx.uow() as uow:
        if uow.webhooks.lease_owner(delivery.id) != worker_id:
            # our lease ran out and another worker took it: its attempt is the one kept
            result.lost_lease.append(delivery.id)
            return
        uow.webhooks.record(delivery, attempt)
        uow.commit()
    bucket = {DeliveryState.DELIVERED: result.delivered, DeliveryState.FAILED: result.failed,
              DeliveryState.PENDING: result.retrying}[delivery.state]
    bucket.append(delivery.id)


def run_delivery_worker(ctx: ServiceContext, stop: threading.Event, *, worker_id: str,
                        poll_seconds: float = 0.5,
                        lease_seconds: int = LEASE_SECONDS) -> None:
    """Deliver until ``stop`` is set: a round whenever something is due, else a short
    wait. Errors of a round are logged and the loop goes on (the outbox keeps it)."""
    while not stop.is_set():
        try:
            done = deliver_due(ctx, worker_id=worker_id, lease_seconds=lease_seconds)
        except Exception:  # a store hiccup must not end delivery for good
            log.exception("webhook delivery round failed; retrying")
            done = DeliveryRoundResult()
        if not done.attempted:
            stop.wait(poll_seconds)
