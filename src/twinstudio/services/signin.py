"""Sign-in throttling (issue 19): every password attempt is counted per account (the
email as typed, whether a user has it or not, so that locks say nothing about which
emails exist) and per client address, in the database, so that every server process
(``serve --workers N``) sees the same counts. The rules are ``domain.throttle``'s.

``begin`` counts the attempt before the password is checked and refuses it while a key
is locked (``TooManyAttempts``: HTTP 429 with Retry-After, the sign-in page says when to
try again); ``failed`` audits a lock that the failure started (``SignInLocked``);
``succeeded`` forgives the attempt (the account's count starts again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twinstudio.domain.errors import TooManyAttempts
from twinstudio.domain.throttle import (
    ACCOUNT_BACKOFF,
    CLIENT_BACKOFF,
    Attempts,
    Backoff,
    account_key,
    client_key,
    counted,
    forgiven,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, counted: the state of each of its keys after counting."""

    at: datetime
    email: str
    client: str | None
    counted: list[tuple[Attempts, Backoff]]


def _keys(email: str, client: str | None) -> list[tuple[str, Backoff]]:
    keys = [(account_key(email), ACCOUNT_BACKOFF)]
    if client:
        keys.append((client_key(client), CLIENT_BACKOFF))
    return keys


def wait_text(seconds: int) -> str:
    """'45 seconds', '3 minutes': how long a person waits."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{-(-seconds // 60)} minutes"


def begin(ctx: ServiceContext, email: str, client: str | None) -> Attempt:
    """Count an attempt for the email and the client, or refuse it while either is
    locked (not counted, no password checked)."""
    now = ctx.now()
    with ctx.uow() as uow:
        states = [(uow.sign_in_attempts.lock(key, now), backoff)
                  for key, backoff in _keys(email, client)]
        wait = max(state.retry_after(now) for state, _ in states)
        if wait:
            raise TooManyAttempts(f"too many sign-in attempts; try again in "
                                  f"{wait_text(wait)}", retry_after=wait)
        after = [(counted(state, now, backoff), backoff) for state, backoff in states]
        for state, _ in after:
            uow.sign_in_attempts.put(state)
        uow.sign_in_attempts.delete_stale(now - ACCOUNT_BACKOFF.forget_after)
        uow.commit()
    return Attempt(now, email, client, after)


def failed(ctx: ServiceContext, attempt: Attempt, *, user_id: str | None) -> None:
    """The password was wrong (or the email unknown, or the user disabled): audit each
    lock this failure started."""
    locked = [state for state, _ in attempt.counted if state.locked(attempt.at)]
    if not locked:
        return
    with ctx.uow() as uow:
        for state in locked:
            scope = state.key.split(":", 1)[0]
            uow.audit.append(actor="system", type="SignInLocked", at=attempt.at, payload={
                "scope": scope, "user_id": user_id, "client": attempt.client,
                "failures": state.failures,
                "locked_until": state.locked_until.isoformat() if state.locked_until
                else None})
        uow.commit()


def succeeded(ctx: ServiceContext, attempt: Attempt) -> None:
    """The password was right: the account's count starts again; the client's attempt
    is forgiven (a shared address is not locked by its users' sign-ins)."""
    with ctx.uow() as uow:
        for state, backoff in attempt.counted:
            if state.key.startswith("account:"):
                uow.sign_in_attempts.delete(state.key)
            else:
                current = uow.sign_in_attempts.lock(state.key, attempt.at)
                uow.sign_in_attempts.put(forgiven(current, backoff))
        uow.commit()


def clear_account(uow: UnitOfWork, email: str) -> None:
    """Unlock an account (its password was set by an operator)."""
    uow.sign_in_attempts.delete(account_key(email))
