"""One error hierarchy for twinstudio. Every layer raises these; interfaces map them.

    TwinStudioError              base; never raised itself
    ├── InvalidInput             bad input at the edge (schema, codes)   exit 2, HTTP 422
    │   └── TooLarge             an upload or body over the limits        exit 2, HTTP 413
    ├── Unauthenticated          no valid credentials                     exit 2, HTTP 401
    │   └── TooManyAttempts      sign-in locked for a while; retry_after  exit 2, HTTP 429
    ├── PermissionDenied         the role may not do this (own objects)   exit 2, HTTP 403
    ├── NotFound                 unknown id (or not yours)                exit 2, HTTP 404
    ├── Conflict                 contradicts the current state            exit 2, HTTP 409
    │   └── InvalidTransition    a state machine refuses the change
    ├── RightsRefused            the rights rules refuse; has reasons     exit 3, HTTP 403
    ├── IntegrityError           signature, hash or chain fails           exit 4, HTTP 409
    ├── Busy                     at capacity (perception); retry_after    exit 2, HTTP 503
    └── ConfigurationError       config unusable or unsafe for the mode   exit 2, HTTP 500

Every error has a machine-readable ``code`` and a one-line human ``message``. An
``InvalidInput`` made from a validation error (``InvalidInput.of``) also lists every
failed field as a ``Problem``: the CLI prints one line each, the API lists them as the
error's reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


@dataclass(frozen=True)
class Problem:
    """One failed field of an input: where (a dotted path; empty for the input as a
    whole), what is wrong, and pydantic's error type as a machine-readable code."""

    field: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def model_dump(self) -> dict[str, str]:
        """The shape of a refusal's reasons: ``code`` and ``message``."""
        return {"code": self.code, "message": str(self)}


# What a date or a time looks like, said when one cannot be read.
DATE_FORM = "a date such as 2026-12-01 (YYYY-MM-DD)"
DATETIME_FORM = "a date and time such as 2026-12-01T09:30:00+00:00 (ISO 8601)"
_EXPECTED_FORMS = {"date_from_datetime_parsing": DATE_FORM, "date_parsing": DATE_FORM,
                   "date_type": DATE_FORM, "date_from_datetime_inexact": DATE_FORM,
                   "datetime_parsing": DATETIME_FORM, "datetime_from_date_parsing":
                   DATETIME_FORM, "datetime_type": DATETIME_FORM}


MAX_EXCERPT = 100    # characters of a given value quoted back in a message
MAX_PROBLEM = 400    # characters of a problem's message (a domain message may quote input)


def excerpt(value: Any, limit: int = MAX_EXCERPT) -> str:
    """``repr(value)`` of at most about ``limit`` characters: what a message may quote of
    an input (never all of it)."""
    text = repr(value[:limit + 1] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[:limit] + "…"


def problems_of(errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Every error of a pydantic ``ValidationError.errors()`` (or FastAPI's request
    validation) as a ``Problem``. A date or time that cannot be read says the form it
    must have (quoting an excerpt of what was given); the domain's messages lose
    pydantic's "Value error, " and a repeated field name, and are cut at
    ``MAX_PROBLEM`` characters."""
    problems = []
    for item in errors:
        # a key of the input (an unknown field, a mapping's key) is in ``loc`` too
        loc = [_cut(str(part), MAX_EXCERPT) for part in item.get("loc", ())]
        kind = str(item.get("type", "invalid"))
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if loc:  # the domain's messages often start with the field name already
            message = message.removeprefix(f"{loc[-1]}: ")
        if kind in _EXPECTED_FORMS:
            given = item.get("input")
            message = f"expected {_EXPECTED_FORMS[kind]}" + (
                f", got {excerpt(given)}" if isinstance(given, str | int | float) else "")
        problems.append(Problem(".".join(loc), _cut(message, MAX_PROBLEM), kind))
    return problems


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


class InvalidInput(TwinStudioError):
    """Bad input. ``problems`` lists every failed field when the input was validated as
    a whole (a document, a command's options); ``message`` names the first."""

    code = "invalid_input"

    def __init__(self, message: str, *, code: str | None = None,
                 problems: list[Problem] | None = None, source: str | None = None) -> None:
        super().__init__(message, code=code)
        self.problems = list(problems or [])
        self.source = source

    @classmethod
    def of(cls, error: Any, source: str | None = None) -> InvalidInput:
        """A pydantic ``ValidationError`` (anything with ``errors()``) as bad input that
        names every failed field; ``source`` (a file, "use", "event") prefixes them."""
        problems = problems_of(error.errors()) or [Problem("", str(error))]
        prefix = f"{source}: " if source else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return cls(f"{prefix}{problems[0]}{more}", problems=problems, source=source)

    def lines(self) -> list[str]:
        """What a person reads: the message, or one line per failed field."""
        if len(self.problems) <= 1:
            return [self.message]
        prefix = f"{self.source}: " if self.source else ""
        return [f"{prefix}{problem}" for problem in self.problems]


class TooLarge(InvalidInput):
    code = "too_large"


class Unauthenticated(TwinStudioError):
    code = "unauthenticated"


class TooManyAttempts(Unauthenticated):
    """Sign-in refused without checking the password: too many failures for this account
    or client. ``retry_after`` is the whole seconds until the lock ends."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


class Busy(TwinStudioError):
    """Refused without doing the work: as many requests as may run or wait for the same
    resource (the perception models) already do. ``retry_after`` is the whole seconds
    after which trying again is sensible."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(TwinStudioError):
    code = "configuration_error"
