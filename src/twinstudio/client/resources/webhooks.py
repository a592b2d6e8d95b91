"""Webhook endpoints of the caller's organisation and their delivery log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import TypeAdapter

from twinstudio.api.schemas import Page
from twinstudio.api.webhook_schemas import (
    DeliveryDetailPublic,
    DeliveryPublic,
    EventTypePublic,
    SecretPublic,
    WebhookCreatedPublic,
    WebhookPublic,
)
from twinstudio.client._calls import Call, get, model, post
from twinstudio.client.resources._base import DEFAULT_LIMIT, DEFAULT_PAGE_SIZE, Resource
from twinstudio.domain.webhooks import DeliveryState

_EVENT_TYPES = TypeAdapter(list[EventTypePublic])


class Webhooks(Resource):
    def event_types(self) -> list[EventTypePublic]:
        """The event types an endpoint may subscribe to."""
        return self._do(get("/webhook-events",
                            lambda response: _EVENT_TYPES.validate_json(response.content)))

    def _list(self) -> Call[Page[WebhookPublic]]:
        return get("/webhooks", model(Page[WebhookPublic]))

    def list(self, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[WebhookPublic]:
        return self._page(self._list(), limit, offset)

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[WebhookPublic]:
        return self._all(self._list(), page_size)

    def get(self, webhook_id: str) -> WebhookPublic:
        return self._do(get(f"/webhooks/{webhook_id}", model(WebhookPublic)))

    def create(self, url: str, events: Sequence[str], *, description: str = "",
               organisation_id: str | None = None, idempotency_key: str | None = None
               ) -> WebhookCreatedPublic:
        """Register an endpoint; its ``secret`` is answered now, once."""
        payload = {"url": url, "events": list(events), "description": description,
                   "organisation_id": organisation_id}
        return self._do(post("/webhooks", model(WebhookCreatedPublic), payload,
                             creates=True, idempotency_key=idempotency_key))

    def disable(self, webhook_id: str) -> WebhookPublic:
        return self._do(post(f"/webhooks/{webhook_id}/disable", model(WebhookPublic)))

    def rotate_secret(self, webhook_id: str) -> SecretPublic:
        return self._do(post(f"/webhooks/{webhook_id}/rotate-secret", model(SecretPublic)))

    def _deliveries(self, webhook_id: str,
                    state: DeliveryState | str | None) -> Call[Page[DeliveryPublic]]:
        return get(f"/webhooks/{webhook_id}/deliveries", model(Page[DeliveryPublic]),
                   state=state)

    def deliveries(self, webhook_id: str, *, state: DeliveryState | str | None = None,
                   limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[DeliveryPublic]:
        """The endpoint's deliveries, newest first."""
        return self._page(self._deliveries(webhook_id, state), limit, offset)

    def iter_deliveries(self, webhook_id: str, *, state: DeliveryState | str | None = None,
                        page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[DeliveryPublic]:
        return self._all(self._deliveries(webhook_id, state), page_size)

    def delivery(self, delivery_id: str) -> DeliveryDetailPublic:
        """One delivery with its message and every attempt."""
        return self._do(get(f"/webhook-deliveries/{delivery_id}",
                            model(DeliveryDetailPublic)))

    def replay(self, delivery_id: str) -> DeliveryPublic:
        """Send a delivered or failed message again (same webhook-id and body)."""
        return self._do(post(f"/webhook-deliveries/{delivery_id}/replay",
                             model(DeliveryPublic)))
