"""The portal's webhooks: an organisation's admins (a brand's admin, an agency) register
endpoints (the secret is shown once, on the page that answers the form), read each
delivery with its attempts, replay one, and disable an endpoint. Every POST checks the
CSRF token first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.webhooks import EVENT_TYPES
from twinstudio.services.webhooks import (
    disable_endpoint,
    list_deliveries,
    register_endpoint,
    replay_delivery,
)
from twinstudio.web.session import Visitor, check_csrf, render, signed_in

router = APIRouter()
Csrf = Annotated[str | None, Form()]
MANAGE = "webhook.manage"
SHOWN_DELIVERIES = 20


def _page(request: Request, found: Visitor, **extra: object) -> Response:
    access = found.access
    endpoints = access.webhooks()
    deliveries = {e.id: list_deliveries(found.ctx, e.id)[:SHOWN_DELIVERIES]
                  for e in endpoints}
    return render(request, found, "webhooks.html", endpoints=endpoints,
                  deliveries=deliveries, events=EVENT_TYPES, may_manage=access.may(MANAGE),
                  **extra)


@router.get("/webhooks")
def webhooks(request: Request) -> Response:
    return _page(request, signed_in(request))


@router.post("/webhooks")
def add_webhook(request: Request, url: Annotated[str, Form(max_length=2000)],
                events: Annotated[list[str], Form()],
                description: Annotated[str, Form(max_length=500)] = "",
                csrf_token: Csrf = None) -> Response:
    """Register an endpoint of the principal's organisation; this page is the only one
    that shows its secret."""
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    organisation_id = access.principal.organisation_id
    if not organisation_id:
        raise InvalidInput("only a brand's or an agency's users register webhooks")
    access.own_organisation(organisation_id)
    access.require(MANAGE)
    created = register_endpoint(found.ctx, organisation_id=organisation_id, url=url,
                                events=events, description=description,
                                actor=access.principal.actor)
    return _page(request, found, created=created)


@router.post("/webhooks/{endpoint_id}/disable")
def disable(request: Request, endpoint_id: str, csrf_token: Csrf = None) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    found.access.webhook(endpoint_id)
    found.access.require(MANAGE)
    disable_endpoint(found.ctx, endpoint_id, actor=found.access.principal.actor)
    return RedirectResponse(f"/webhooks#{endpoint_id}", status_code=303)


@router.post("/webhook-deliveries/{delivery_id}/replay")
def replay(request: Request, delivery_id: str, csrf_token: Csrf = None) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    delivery = found.access.delivery(delivery_id)
    found.access.require(MANAGE)
    replay_delivery(found.ctx, delivery_id, actor=found.access.principal.actor)
    return RedirectResponse(f"/webhooks?replayed={delivery_id}#{delivery.endpoint_id}",
                            status_code=303)
