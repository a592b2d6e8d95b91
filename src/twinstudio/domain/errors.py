"""One error hierarchy for twinstudio. Every layer raises these; interfaces map them.

    TwinStudioError              base; never raised itself
    ├── InvalidInput             bad input at the edge (schema, codes)   exit 2, HTTP 422
    │   └── TooLarge             an upload or body over the limits        exit 2, HTTP 413
    ├── Unauthenticated          no valid credentials                     exit 2, HTTP 401
    ├── PermissionDenied         the role may not do this (own objects)   exit 2, HTTP 403
    ├── NotFound                 unknown id (or not yours)                exit 2, HTTP 404
    ├── Conflict                 contradicts the current state            exit 2, HTTP 409
    │   └── InvalidTransition    a state machine refuses the change
    ├── RightsRefused            the rights rules refuse; has reasons     exit 3, HTTP 403
    ├── IntegrityError           signature, hash or chain fails           exit 4, HTTP 409
    └── ConfigurationError       config unusable or unsafe for the mode   exit 2, HTTP 500

Every error has a machine-readable ``code`` and a one-line human ``message``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from twinstudio.domain.policy import Reason


class TwinStudioError(Exception):
    """Base of every error twinstudio raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(TwinStudioError):
    code = "invalid_input"


class TooLarge(InvalidInput):
    code = "too_large"


class Unauthenticated(TwinStudioError):
    code = "unauthenticated"


class PermissionDenied(TwinStudioError):
    """The principal's role may not do this. Objects a principal cannot see are answered
    with NotFound instead, so that ids cannot be probed."""

    code = "permission_denied"


class NotFound(TwinStudioError):
    code = "not_found"


class Conflict(TwinStudioError):
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class RightsRefused(TwinStudioError):
    """A rights rule refused the request; ``reasons`` lists every failed condition."""

    code = "rights_refused"

    def __init__(self, message: str, reasons: list[Reason]) -> None:
        super().__init__(message)
        self.reasons = list(reasons)

    def __str__(self) -> str:
        details = "; ".join(f"{r.code}: {r.message}" for r in self.reasons)
        return f"{self.message} ({details})" if details else self.message


class IntegrityError(TwinStudioError):
    code = "integrity_error"


class ConfigurationError(TwinStudioError):
    code = "configuration_error"
