"""Webhook endpoints of an organisation and their delivery log. A brand's admin or an
agency registers endpoints for its own organisation (the secret is answered once), reads
every delivery with its attempts, and replays one; other organisations' endpoints answer
404. Messages are signed as Standard Webhooks (``domain/webhooks.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import Page
from twinstudio.api.webhook_schemas import (
    DeliveryDetailPublic,
    DeliveryPublic,
    EventTypePublic,
    SecretPublic,
    WebhookCreate,
    WebhookCreatedPublic,
    WebhookPublic,
)
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.webhooks import EVENT_TYPES, DeliveryState
from twinstudio.services.webhooks import (
    delivery_detail,
    disable_endpoint,
    list_deliveries,
    register_endpoint,
    replay_delivery,
    rotate_secret,
)

router = APIRouter(tags=["webhooks"])
MANAGE = "webhook.manage"


@router.get("/webhook-events", openapi_extra=isolation(role="read"))
def list_webhook_events(access: AccessDep) -> list[EventTypePublic]:
    """The event types an endpoint may subscribe to."""
    del access  # any signed-in caller may read the catalogue
    return [EventTypePublic(type=k, description=v) for k, v in EVENT_TYPES.items()]


@router.get("/webhooks", openapi_extra=isolation(list="webhook"))
def list_webhooks(access: AccessDep, paging: PagingDep) -> Page[WebhookPublic]:
    """The endpoints of the caller's organisation (compliance and admin: all)."""
    return paging.page([WebhookPublic.of(e) for e in access.webhooks()])


@router.post("/webhooks", status_code=201, openapi_extra=isolation(
    body={"organisation_id": "brand"}, action=MANAGE))
def create_webhook(body: WebhookCreate, access: AccessDep,
                   response: Response) -> WebhookCreatedPublic:
    """Register an endpoint: answers its secret, once. The URL is checked now (and again
    before every attempt): private, loopback and link-local addresses are refused (422,
    code webhook_target_forbidden) unless the allow-list names them."""
    organisation_id = body.organisation_id or access.principal.organisation_id
    if not organisation_id:
        raise InvalidInput("name the organisation_id the endpoint is for")
    access.own_organisation(organisation_id)
    access.require(MANAGE)
    created = register_endpoint(access.ctx, organisation_id=organisation_id, url=body.url,
                                events=body.events, description=body.description,
                                actor=access.principal.actor)
    response.headers["Location"] = f"/api/v1/webhooks/{created.endpoint.id}"
    return WebhookCreatedPublic(**WebhookPublic.of(created.endpoint).model_dump(),
                                secret=created.secret)


@router.get("/webhooks/{webhook_id}", openapi_extra=isolation(
    object="webhook", param="webhook_id", action="read"))
def read_webhook(webhook_id: str, access: AccessDep) -> WebhookPublic:
    return WebhookPublic.of(access.webhook(webhook_id))


@router.post("/webhooks/{webhook_id}/disable", openapi_extra=isolation(
    object="webhook", param="webhook_id", action=MANAGE))
def disable_webhook(webhook_id: str, access: AccessDep) -> WebhookPublic:
    """Stop sending to the endpoint (its pending deliveries fail)."""
    access.webhook(webhook_id)
    access.require(MANAGE)
    return WebhookPublic.of(disable_endpoint(access.ctx, webhook_id,
                                             actor=access.principal.actor))


@router.post("/webhooks/{webhook_id}/rotate-secret", openapi_extra=isolation(
    object="webhook", param="webhook_id", action=MANAGE))
def rotate_webhook_secret(webhook_id: str, access: AccessDep) -> SecretPublic:
    """A new secret, answered once; the old one signs nothing from now on."""
    access.webhook(webhook_id)
    access.require(MANAGE)
    return SecretPublic(endpoint_id=webhook_id, secret=rotate_secret(
        access.ctx, webhook_id, actor=access.principal.actor))


@router.get("/webhooks/{webhook_id}/deliveries", openapi_extra=isolation(
    object="webhook", param="webhook_id", action="read"))
def list_webhook_deliveries(webhook_id: str, access: AccessDep, paging: PagingDep,
                            state: DeliveryState | None = None) -> Page[DeliveryPublic]:
    """The endpoint's deliveries, newest first: state, attempts, last status."""
    access.webhook(webhook_id)
    return paging.page([DeliveryPublic.of(d)
                        for d in list_deliveries(access.ctx, webhook_id, state)])


@router.get("/webhook-deliveries/{delivery_id}", openapi_extra=isolation(
    object="delivery", param="delivery_id", action="read"))
def read_webhook_delivery(delivery_id: str, access: AccessDep) -> DeliveryDetailPublic:
    """One delivery with its message and every attempt (status, latency, error)."""
    access.delivery(delivery_id)
    return DeliveryDetailPublic.of_detail(delivery_detail(access.ctx, delivery_id))


@router.post("/webhook-deliveries/{delivery_id}/replay", openapi_extra=isolation(
    object="delivery", param="delivery_id", action=MANAGE))
def replay_webhook_delivery(delivery_id: str, access: AccessDep) -> DeliveryPublic:
    """Send a delivered or failed message again (same webhook-id and body); a pending
    one answers 409 (it is sent when due)."""
    access.delivery(delivery_id)
    access.require(MANAGE)
    return DeliveryPublic.of(replay_delivery(access.ctx, delivery_id,
                                             actor=access.principal.actor))
