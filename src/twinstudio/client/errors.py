"""The client's errors: one class per error type of the API's envelope
``{"error": {"type", "message", "reasons": [{"code", "message"}]}}``, and the two of the
transport (no connection, no answer in time).

    ClientError                  base of everything the client raises on purpose
    ├── ApiError                 the server answered with an error; status, type, reasons
    │   ├── InvalidInput         422 (every failed field a reason)
    │   │   └── TooLarge         413
    │   ├── Unauthenticated      401
    │   │   └── TooManyAttempts  429 (retry_after)
    │   ├── PermissionDenied     403, the role may not do this
    │   ├── RightsRefused        403, the rights rules refuse (every reason listed)
    │   ├── NotFound             404, unknown or another tenant's
    │   ├── Conflict             409
    │   │   └── InvalidTransition
    │   ├── IntegrityError       409, a signature, hash or chain fails
    │   ├── Busy                 503, at capacity (retry_after)
    │   └── ServerError          5xx otherwise (internal_error, configuration_error)
    └── TransportError           no answer: the connection failed (ConnectError)
        └── Timeout              or the answer did not come in time

An error type the client does not know (a service may name a narrower code, e.g.
``empty`` for an empty upload) falls back to the class of its HTTP status.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import httpx


class Reason(NamedTuple):
    """One machine-readable reason of a refusal or one failed field of an input."""

    code: str
    message: str


class ClientError(Exception):
    """Base of every error the client raises on purpose."""


class ApiError(ClientError):
    """The API answered with an error envelope (or, from a proxy, with none)."""

    status: int = 0
    type: str = "http_error"

    def __init__(self, status: int, type_: str, message: str,
                 reasons: list[Reason] | None = None, *, retry_after: float | None = None,
                 response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.reasons = list(reasons or [])
        self.retry_after = retry_after
        self.response = response

    @property
    def codes(self) -> list[str]:
        """The reasons' codes, in order (e.g. ``["consent_revoked", "outside_term"]``)."""
        return [r.code for r in self.reasons]

    def __str__(self) -> str:
        codes = f" [{', '.join(self.codes)}]" if self.reasons else ""
        return f"{self.status} {self.type}: {self.message}{codes}"


class InvalidInput(ApiError):
    pass


class TooLarge(InvalidInput):
    pass


class Unauthenticated(ApiError):
    pass


class TooManyAttempts(Unauthenticated):
    pass


class PermissionDenied(ApiError):
    pass


class RightsRefused(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class InvalidTransition(Conflict):
    pass


class IntegrityError(ApiError):
    pass


class Busy(ApiError):
    pass


class ServerError(ApiError):
    pass


class TransportError(ClientError):
    """No answer from the server (after the retries an idempotent call is given)."""


class Timeout(TransportError):
    pass


BY_TYPE: dict[str, type[ApiError]] = {
    "invalid_input": InvalidInput, "too_large": TooLarge,
    "unauthenticated": Unauthenticated, "too_many_attempts": TooManyAttempts,
    "permission_denied": PermissionDenied, "rights_refused": RightsRefused,
    "not_found": NotFound, "conflict": Conflict, "invalid_transition": InvalidTransition,
    "integrity_error": IntegrityError, "busy": Busy, "internal_error": ServerError,
    "configuration_error": ServerError,
}
BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthenticated, 403: PermissionDenied, 404: NotFound, 409: Conflict,
    413: TooLarge, 422: InvalidInput, 429: TooManyAttempts, 503: Busy,
}


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number, or an HTTP date from now), None without one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _envelope(response: httpx.Response) -> tuple[str | None, str, list[Reason]]:
    """The envelope's type, message and reasons; (None, an excerpt of the body, []) when
    the body is not an envelope (e.g. a proxy's HTML page)."""
    try:
        body: Any = json.loads(response.content)
        error = body["error"]
        reasons = [Reason(str(r["code"]), str(r["message"])) for r in error.get("reasons")
                   or []]
        return str(error["type"]), str(error["message"]), reasons
    except (ValueError, TypeError, KeyError):
        text = response.text.strip()[:200] or response.reason_phrase
        return None, text, []


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error answer: by the envelope's type, else by the status."""
    type_, message, reasons = _envelope(response)
    status = response.status_code
    kind = BY_TYPE.get(type_ or "") or BY_STATUS.get(status) or (
        ServerError if status >= 500 else ApiError)
    return kind(status, type_ or "http_error", message, reasons,
                retry_after=retry_after(response), response=response)
