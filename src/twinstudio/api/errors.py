"""The one place where errors become HTTP responses.

Every error body is ``{"error": {"type", "message", "reasons": [{"code", "message"}]}}``;
a rights refusal lists every reason (redacted for the caller: details of another
party's licence or consent are withheld, the codes kept), a validation error (of the
request, or of a document or options a service validated) every field that failed.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from twinstudio.domain.accounts import Scope
from twinstudio.domain.errors import (
    ConfigurationError,
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RightsRefused,
    TooLarge,
    TooManyAttempts,
    TwinStudioError,
    Unauthenticated,
    problems_of,
)
from twinstudio.domain.redaction import redact

log = logging.getLogger("twinstudio.api")

# Most specific first: TooLarge is an InvalidInput, TooManyAttempts an Unauthenticated.
STATUS: list[tuple[type[TwinStudioError], int]] = [
    (TooLarge, 413),
    (InvalidInput, 422),
    (TooManyAttempts, 429),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (RightsRefused, 403),
    (NotFound, 404),
    (Conflict, 409),
    (IntegrityError, 409),
    (ConfigurationError, 500),
]


def status_of(error: TwinStudioError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


def error_body(type_: str, message: str, reasons: list[dict[str, str]] | None = None
               ) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "reasons": reasons or []}}


def _html(request: Request):  # type: ignore[no-untyped-def]
    """The web portal's error page renderer, for paths outside the API (None: JSON)."""
    if request.url.path.startswith("/api/"):
        return None
    return getattr(request.app.state, "html_error", None)


def _twinstudio(request: Request, error: Exception) -> Response:
    assert isinstance(error, TwinStudioError)
    status = status_of(error)
    refused = getattr(error, "reasons", None)
    if refused:  # only what the caller may see of other parties (anonymous: nothing)
        access = getattr(request.state, "access", None)
        shown = access.redact(refused) if access is not None else redact(refused, Scope())
        reasons = [r.model_dump() for r in shown]
    else:
        reasons = [r.model_dump() for r in getattr(error, "problems", [])]
    html = _html(request)
    if html is not None:
        return html(request, status, error.code, error.message, reasons)
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else {}
    if getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)  # type: ignore[attr-defined]
    if status >= 500:
        log.error("configuration error: %s", error.message)
    return JSONResponse(error_body(error.code, error.message, reasons), status_code=status,
                        headers=headers or None)


def _validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    reasons = [problem.model_dump() for problem in problems_of(error.errors()[:20])]
    first = reasons[0]["message"] if reasons else "request is not valid"
    html = _html(request)
    if html is not None:
        return html(request, 422, "invalid_input", first, reasons)
    return JSONResponse(error_body("invalid_input", first, reasons), status_code=422)


def _model(request: Request, error: Exception) -> Response:
    """A model a service validated from the request's values (not the request's own
    schema): bad input, every failed field listed."""
    assert isinstance(error, ValidationError)
    return _twinstudio(request, InvalidInput.of(error))


def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    kinds = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated",
             403: "permission_denied", 413: "too_large", 415: "unsupported_media_type"}
    html = _html(request)
    if html is not None:
        return html(request, error.status_code, kinds.get(error.status_code, "http_error"),
                    str(error.detail), [])
    return JSONResponse(error_body(kinds.get(error.status_code, "http_error"),
                                   str(error.detail)), status_code=error.status_code,
                        headers=getattr(error, "headers", None))


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path,
              exc_info=(type(error), error, error.__traceback__))
    return JSONResponse(error_body("internal_error", "an unexpected error happened; it "
                                   "was logged"), status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers (the API and the web pages share them for JSON routes)."""
    app.add_exception_handler(TwinStudioError, _twinstudio)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ValidationError, _model)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
