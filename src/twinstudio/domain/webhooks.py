"""Webhooks: the events an organisation is told about, and how each message is signed.

Messages follow the Standard Webhooks specification (standardwebhooks.com): headers
``webhook-id`` (the message id, the same on every retry: receivers de-duplicate by it),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed with the endpoint's secret,
``whsec_<base64>``); the body is ``{"type", "timestamp", "data"}``. An event is written in
the same transaction as the change it reports (the outbox), one message per organisation
it concerns, so an organisation is only ever told about its own objects. Pure: no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.common import canonical_json, new_id, utcnow
from twinstudio.domain.text import FreeText

# What an endpoint may subscribe to. finding.created joins when the monitoring issue
# lands.
EVENT_TYPES: dict[str, str] = {
    "campaign.completed": "every job of a campaign run has ended",
    "asset.pending_approval": "an asset waits for the talent's approval",
    "asset.approved": "an asset was approved",
    "asset.rejected": "an asset was rejected",
    "asset.published": "an asset was published on a channel",
    "licence.granted": "a licence was granted (a proposal accepted)",
    "licence.revoked": "a licence was revoked",
    "consent.revoked": "a talent's digital replica consent was revoked",
    "statement.ready": "a closed ledger period's statement can be read",
    "adapter.trained": "a new version of a twin's LoRA was trained (to the talent's agency)",
}
SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
TOLERANCE_SECONDS = 5 * 60
# seconds after each failed attempt: 5 s ... 8 h, about 25 h in all, then the delivery fails
RETRY_SCHEDULE: tuple[int, ...] = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)
MAX_ENDPOINTS = 20  # per organisation


class DeliveryState(StrEnum):
    PENDING = "pending"      # waiting for its next attempt
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"        # every attempt of the schedule failed (replay sends it again)


class WebhookEndpoint(BaseModel):
    """Where an organisation wants its events. The secret is kept encrypted apart."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("whk"))
    organisation_id: str
    url: str
    events: list[str]
    description: FreeText = ""
    active: bool = True
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)


class WebhookMessage(BaseModel):
    """One event for one organisation, as written to the outbox."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=lambda: new_id("msg"))
    organisation_id: str
    type: str
    data: dict[str, Any]
    created_at: datetime

    def body(self) -> bytes:
        """The exact bytes every attempt sends (and signs)."""
        return canonical_json({"type": self.type, "timestamp": self.created_at.isoformat(),
                               "data": self.data}).encode()


class WebhookDelivery(BaseModel):
    """A message on its way to one endpoint: attempts so far and when the next is due."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("dlv"))
    message_id: str
    endpoint_id: str
    organisation_id: str
    event_type: str
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class DeliveryAttempt(BaseModel):
    """One try: what the endpoint answered (status, or the error) and how long it took."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: str
    number: int
    at: datetime
    status: int | None
    latency_ms: int
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def new_secret() -> str:
    """A fresh endpoint secret (24 random bytes), shown once to the organisation."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except ValueError:
        raise ValueError("the webhook secret is not base64 after its prefix") from None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of one attempt."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def headers_for(secret: str, message_id: str, timestamp: int, body: bytes
                ) -> dict[str, str]:
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body),
            "content-type": "application/json", "user-agent": "twinstudio-webhooks/1"}


class SignatureError(ValueError):
    """A received webhook that does not verify (the receiver answers 400 and drops it)."""


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: int,
           tolerance: int = TOLERANCE_SECONDS) -> None:
    """Check a received message as a receiver must: a signature made with ``secret`` over
    these exact bytes, and a timestamp within ``tolerance`` seconds of ``now`` (replays of
    old messages are refused). Raises ``SignatureError`` saying why."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (message_id and stamp and signatures):
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are needed")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a whole number of seconds") from None
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"webhook-timestamp is {now - timestamp} s from now, more than "
                             f"{tolerance} s")
    expected = sign(secret, message_id, timestamp, body)
    for candidate in signatures.split():  # several while a secret is being rotated
        if hmac.compare_digest(candidate, expected):
            return
    raise SignatureError("no signature matches this body and secret")


def next_attempt_delay(attempts: int, schedule: tuple[int, ...] = RETRY_SCHEDULE
                       ) -> int | None:
    """Seconds to wait after ``attempts`` failed attempts (None: give up)."""
    if attempts < 1:
        return 0
    return schedule[attempts - 1] if attempts <= len(schedule) else None


def unknown_events(events: list[str]) -> list[str]:
    return [e for e in events if e not in EVENT_TYPES]
