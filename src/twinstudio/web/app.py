"""The site: the web portal's pages at ``/`` and the REST API at ``/api/v1``, one app."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from twinstudio.api import create_api
from twinstudio.api.limits import DEFAULT_MAX_BODY
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import CampaignRunner
from twinstudio.web import (
    campaign_pages,
    pages,
    proposal_pages,
    review_pages,
    training_pages,
    webhook_pages,
)
from twinstudio.web.session import html_error

STATIC = Path(__file__).parent / "static"


def create_site(ctx: ServiceContext, *, runner: CampaignRunner, quality: Callable[[], Any],
                max_body_bytes: int = DEFAULT_MAX_BODY, secure_cookies: bool = False,
                csrf_secret: bytes | None = None, **limits: Any) -> FastAPI:
    """The API plus the portal. ``secure_cookies`` marks the cookies Secure (set it
    behind HTTPS); ``csrf_secret`` signs anonymous visitors' CSRF tokens (give every
    process of one site the same; None: a random one, for a single process);
    ``runner``, ``quality`` and the body ``limits`` (``max_json_bytes``,
    ``max_form_bytes``) as for ``create_api``."""
    app = create_api(ctx, max_body_bytes=max_body_bytes, runner=runner, quality=quality,
                     **limits)
    app.state.html_error = html_error
    app.state.secure_cookies = secure_cookies
    app.state.csrf_secret = csrf_secret or secrets.token_bytes(32)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # before pages: its POST /assets/{id}/{decision} would take /assets/{id}/publish
    app.include_router(campaign_pages.router, include_in_schema=False)
    app.include_router(review_pages.router, include_in_schema=False)
    app.include_router(proposal_pages.router, include_in_schema=False)
    app.include_router(webhook_pages.router, include_in_schema=False)
    app.include_router(training_pages.router, include_in_schema=False)
    app.include_router(pages.router, include_in_schema=False)
    return app
