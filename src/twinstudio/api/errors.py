"""The one place where errors become HTTP responses.

Every error body is ``{"error": {"type", "message", "reasons": [{"code", "message"}]}}``;
a rights refusal lists every reason (redacted for the caller: details of another
party's licence or consent are withheld, the codes kept), a validation error (of the
request, or of a document or options a service validated) the fields that failed: the first
``MAX_REASONS``, the message counting the rest. An error body never echoes the input:
``problems_of`` quotes at most an excerpt of a value, and every message is cut at
``MAX_MESSAGE`` characters. A body that cannot be parsed (not UTF-8, not JSON, a broken
form) is invalid input (422), like a body that fails its schema.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from twinstudio.api.limits import body_kind
from twinstudio.domain.accounts import Scope
from twinstudio.domain.errors import (
    Busy,
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

MAX_REASONS = 20
MAX_MESSAGE = 500

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
    (Busy, 503),
    (ConfigurationError, 500),
]


def status_of(error: TwinStudioError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


def error_body(type_: str, message: str, reasons: list[dict[str, str]] | None = None
               ) -> dict[str, Any]:
    return {"error": {"type": type_, "message": clip(message),
                      "reasons": _clipped(reasons or [])}}


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut at ``limit`` characters (an error never carries a whole input back)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _clipped(reasons: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"code": r["code"], "message": clip(r["message"])} for r in reasons]


def _counted(message: str, total: int) -> str:
    return f"{clip(message, 300)} ({total} problems; the first {MAX_REASONS} are listed)"


def _listed(reasons: list[dict[str, str]], message: str) -> tuple[list[dict[str, str]], str]:
    """The first ``MAX_REASONS`` reasons, and the message saying how many there were."""
    if len(reasons) <= MAX_REASONS:
        return reasons, message
    return reasons[:MAX_REASONS], _counted(message, len(reasons))


def _html(request: Request):  # type: ignore[no-untyped-def]
    """The web portal's error page renderer, for paths outside the API (None: JSON)."""
    if request.url.path.startswith("/api/"):
        return None
    return getattr(request.app.state, "html_error", None)


def _twinstudio(request: Request, error: Exception) -> Response:
    assert isinstance(error, TwinStudioError)
    status = status_of(error)
    refused = getattr(error, "reasons", None)
    if refused:  # a refusal: every reason, only what the caller may see of other parties
        access = getattr(request.state, "access", None)
        shown = access.redact(refused) if access is not None else redact(refused, Scope())
        reasons, message = [r.model_dump() for r in shown], error.message
    else:  # bad input: the first failed fields
        reasons, message = _listed([p.model_dump() for p in getattr(error, "problems", [])],
                                   error.message)
    retry_after = getattr(error, "retry_after", None)
    html = _html(request)
    if html is not None:
        page = html(request, status, error.code, clip(message), _clipped(reasons))
        if retry_after:
            page.headers["Retry-After"] = str(retry_after)
        return page
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else {}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    if isinstance(error, Busy):
        log.warning("busy: %s %s refused (%s)", request.method, request.url.path,
                    error.message)
    elif status >= 500:
        log.error("configuration error: %s", error.message)
    return JSONResponse(error_body(error.code, message, reasons), status_code=status,
                        headers=headers or None)


def _validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    reasons = [problem.model_dump() for problem in problems_of(errors[:MAX_REASONS])]
    first = reasons[0]["message"] if reasons else "request is not valid"
    if len(errors) > MAX_REASONS:
        first = _counted(first, len(errors))
    return _invalid(request, first, reasons)


def _invalid(request: Request, message: str, reasons: list[dict[str, str]]) -> Response:
    html = _html(request)
    if html is not None:
        return html(request, 422, "invalid_input", clip(message), _clipped(reasons))
    return JSONResponse(error_body("invalid_input", message, reasons), status_code=422)


def _model(request: Request, error: Exception) -> Response:
    """A model a service validated from the request's values (not the request's own
    schema): bad input, every failed field listed."""
    assert isinstance(error, ValidationError)
    return _twinstudio(request, InvalidInput.of(error))


def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:  # FastAPI and Starlette: a body they could not parse
        return _invalid(request, *_unparsed(request, error))
    kinds = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated",
             403: "permission_denied", 413: "too_large", 415: "unsupported_media_type"}
    html = _html(request)
    if html is not None:
        return html(request, error.status_code, kinds.get(error.status_code, "http_error"),
                    str(error.detail), [])
    return JSONResponse(error_body(kinds.get(error.status_code, "http_error"),
                                   str(error.detail)), status_code=error.status_code,
                        headers=getattr(error, "headers", None))


def _unparsed(request: Request, error: StarletteHTTPException
              ) -> tuple[str, list[dict[str, str]]]:
    """What a 400 of the framework means, as invalid input: JSON that is not UTF-8 (RFC
    8259 JSON is UTF-8) or nested too deeply, or a form that cannot be parsed."""
    cause = error.__cause__
    if body_kind(request.headers.get("content-type", "")) != "json":
        message, code = f"body: the form cannot be parsed ({error.detail})", "form_invalid"
    elif isinstance(cause, UnicodeError):
        message, code = "body: not valid JSON: JSON must be encoded in UTF-8", "json_invalid"
    elif isinstance(cause, RecursionError):
        message, code = "body: not valid JSON: nested too deeply", "json_invalid"
    else:
        message, code = "body: not valid JSON", "json_invalid"
    return message, [{"code": code, "message": message}]


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
