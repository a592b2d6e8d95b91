"""Schemas of the webhook endpoints and their delivery log (``api/routers/webhooks.py``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.network import MAX_URL
from twinstudio.domain.text import FreeText
from twinstudio.domain.webhooks import (
    EVENT_TYPES,
    DeliveryAttempt,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
)
from twinstudio.services.webhooks import DeliveryDetailResult


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://hooks.example.com/twinstudio",
        "events": ["campaign.completed", "asset.approved"],
        "description": "DAM ingest"}]})

    url: str = Field(max_length=MAX_URL, description=(
        "https:// (or http://) URL on a public address; private, loopback and link-local "
        "targets are refused unless TWINSTUDIO_WEBHOOK_ALLOW names them"))
    events: list[str] = Field(min_length=1, max_length=len(EVENT_TYPES),
                              description=f"event types: {', '.join(EVENT_TYPES)}")
    description: FreeText = Field("", max_length=500)
    organisation_id: str | None = Field(None, max_length=40, description=(
        "the organisation the endpoint is for (default: the caller's own; an admin "
        "names one)"))


class WebhookPublic(BaseModel):
    id: str
    organisation_id: str
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookPublic:
        return cls(id=e.id, organisation_id=e.organisation_id, url=e.url, events=e.events,
                   description=e.description, active=e.active, created_at=e.created_at)


class WebhookCreatedPublic(WebhookPublic):
    secret: str = Field(description=(
        "whsec_... : verifies the webhook-signature of every message (Standard Webhooks). "
        "Shown only now; rotate it to get a new one"))


class SecretPublic(BaseModel):
    endpoint_id: str
    secret: str


class EventTypePublic(BaseModel):
    type: str
    description: str


class DeliveryPublic(BaseModel):
    id: str
    message_id: str = Field(description="the webhook-id header: the same on every attempt")
    endpoint_id: str
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryPublic:
        return cls(id=d.id, message_id=d.message_id, endpoint_id=d.endpoint_id,
                   event_type=d.event_type, state=d.state, attempts=d.attempts,
                   next_attempt_at=d.next_attempt_at, last_status=d.last_status,
                   last_error=d.last_error, created_at=d.created_at,
                   delivered_at=d.delivered_at)


class AttemptPublic(BaseModel):
    number: int
    at: datetime
    status: int | None
    latency_ms: int
    error: str | None

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptPublic:
        return cls(number=a.number, at=a.at, status=a.status, latency_ms=a.latency_ms,
                   error=a.error)


class DeliveryDetailPublic(DeliveryPublic):
    body: dict[str, Any] = Field(description="the message as every attempt sends it")
    attempt_log: list[AttemptPublic]

    @classmethod
    def of_detail(cls, d: DeliveryDetailResult) -> DeliveryDetailPublic:
        return cls(**DeliveryPublic.of(d.delivery).model_dump(),
                   body=json.loads(d.message.body()),
                   attempt_log=[AttemptPublic.of(a) for a in d.attempts])
