"""The API application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI

from twinstudio.api import errors
from twinstudio.api.admission import AdmissionGate
from twinstudio.api.headers import SecurityHeaders
from twinstudio.api.idempotency import Idempotency
from twinstudio.api.limits import DEFAULT_MAX_BODY, DEFAULT_MAX_FORM, DEFAULT_MAX_JSON, BodyLimit
from twinstudio.api.routers import (
    assets,
    audit,
    campaigns,
    consents,
    garments,
    licences,
    me,
    models,
    notices,
    policy,
    proposals,
    releases,
    reviews,
    statements,
    talents,
    training,
    twins,
    verify,
    webhooks,
)
from twinstudio.api.schemas import ErrorResponse
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import CampaignRunner

API_PREFIX = "/api/v1"


class BackgroundLoop(Protocol):
    """Work the server runs beside the requests (``jobs.background.BackgroundLoop``)."""

    def start(self) -> None: ...
    def stop(self, timeout: float = ...) -> None: ...

ROUTERS = [me.router, notices.router, talents.router, twins.router, reviews.router,
           consents.router, releases.router, licences.router, policy.router, garments.router,
           campaigns.router, assets.router, statements.router, verify.router, audit.router,
           models.router, proposals.router, webhooks.router, training.router]
_ERRORS = {status: {"model": ErrorResponse, "description": text} for status, text in (
    (401, "No valid API key"),
    (403, "The role may not do this, or the rights rules refuse (every reason listed)"),
    (404, "Not found, or not visible to the caller"),
    (409, "Conflicts with the current state, or a document fails its integrity check"),
    (413, "Body too large: a JSON body over 1 MB, a form over 64 KB, an upload over 64 MB "
          "(the defaults)"),
    (422, "Input not valid: every failed field listed (the first 20, the message counts the "
          "rest), each reason with its code (e.g. invalid_text for a name or text with "
          "control, bidirectional or invisible characters); a body that is not JSON in UTF-8 "
          "is invalid input too (json_invalid)"))}


def create_api(ctx: ServiceContext, *, runner: CampaignRunner,
               quality: Callable[[], Any], max_body_bytes: int = DEFAULT_MAX_BODY,
               max_json_bytes: int = DEFAULT_MAX_JSON,
               max_form_bytes: int = DEFAULT_MAX_FORM,
               perception_gate: AdmissionGate | None = None,
               background: Sequence[BackgroundLoop] = ()) -> FastAPI:
    """The REST API over ``ctx``.

    ``runner`` runs campaigns in the background and ``quality()`` gives the QA
    measurements for asset edits; ``bootstrap.build_api`` wires the defaults (worker
    threads with the studio backend, the perception models loaded on first use) and
    ``twinstudio serve`` passes worker processes. Tests inject fakes of both. Bodies are
    limited while they stream in: ``max_body_bytes`` for multipart uploads,
    ``max_json_bytes`` for JSON (and any other non-form body), ``max_form_bytes`` for
    urlencoded forms (``api/limits.py``). ``perception_gate`` admits the routes that run
    the perception models (default: ``AdmissionGate()``'s defaults; ``bootstrap`` makes
    one from the settings). ``background`` loops (webhook delivery) start with the app
    and stop on its shutdown. POSTs with an ``Idempotency-Key`` answer a retry with the
    first answer (``api/idempotency.py``)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for loop in background:
            loop.start()
        try:
            yield
        finally:
            for loop in background:
                loop.stop()

    app = FastAPI(
        title="twinstudio API", version="1",
        description="Digital twins of fashion models that the talent owns: consent, "
                    "licences enforced by code, provenance, payment. Authenticate with an "
                    "API key in the X-API-Key header ('twinstudio apikey create'). Objects "
                    "of other tenants answer 404. Errors are "
                    '{"error": {"type", "message", "reasons": [{"code", "message"}]}}; '
                    "a body that cannot be read as JSON (not UTF-8, malformed) answers 422 "
                    "like any invalid input.",
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs",
        redoc_url=None, lifespan=lifespan)
    app.state.ctx = ctx
    app.state.runner = runner
    app.state.quality = quality
    app.state.perception_gate = perception_gate or AdmissionGate()
    errors.install(app)
    api = APIRouter(prefix=API_PREFIX, responses=_ERRORS)  # type: ignore[arg-type]
    for router in ROUTERS:
        api.include_router(router)
    app.include_router(api)
    app.add_middleware(Idempotency, ctx=ctx, api_prefix=API_PREFIX)  # inside BodyLimit
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, max_json_bytes=max_json_bytes,
                       max_form_bytes=max_form_bytes)
    # outermost: the 413s BodyLimit answers itself get the headers too
    app.add_middleware(SecurityHeaders, api_prefix=API_PREFIX, docs_path=f"{API_PREFIX}/docs")
    return app
