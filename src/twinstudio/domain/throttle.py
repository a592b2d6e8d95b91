"""Sign-in throttling: how failed attempts lock an account (an email, known or not) and
a client (an IP address; IPv6 by its /64) for a while, doubling each time.

Each attempt is counted as a failure *before* the password is checked (so a burst of
parallel guesses cannot slip past the count) and forgiven when it succeeds. At
``failures_before_lock`` failures the key is locked for ``first_lock``, each further
failure doubles the lock up to ``max_lock``; an attempt while locked is refused without
checking the password and is not counted. ``forget_after`` without a failure starts the
count again. Pure: the store keeps ``Attempts`` per key, the services apply these rules.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    failures_before_lock: int
    first_lock: timedelta
    max_lock: timedelta
    forget_after: timedelta

    def lock_for(self, failures: int) -> timedelta:
        """How long ``failures`` failures in a row lock the key (zero: not locked)."""
        if failures < self.failures_before_lock:
            return timedelta(0)
        doublings = min(failures - self.failures_before_lock, 20)
        return min(self.max_lock, self.first_lock * 2 ** doublings)


# An account: 5 guesses, then 30 s, 1 min, 2 min ... at most 15 min between guesses.
ACCOUNT_BACKOFF = Backoff(5, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1))
# A client may try several accounts (a shared office address): 20, then the same doubling.
CLIENT_BACKOFF = Backoff(20, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1))


@dataclass(frozen=True)
class Attempts:
    """The failures of one key (``account:<sha256 of the email>`` or ``client:<ip>``)."""

    key: str
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the lock ends (at least 1 while locked, else 0)."""
        if not self.locked(now):
            return 0
        assert self.locked_until is not None
        return max(1, math.ceil((self.locked_until - now).total_seconds()))


def counted(previous: Attempts, now: datetime, backoff: Backoff) -> Attempts:
    """``previous`` with one more failure at ``now`` (the count starts again after
    ``forget_after`` without one), locked as ``backoff`` says."""
    fresh = previous.failures == 0 or now - previous.last_failure_at >= backoff.forget_after
    failures = 1 if fresh else previous.failures + 1
    lock = backoff.lock_for(failures)
    return Attempts(previous.key, failures, now, now + lock if lock else None)


def forgiven(current: Attempts, backoff: Backoff) -> Attempts:
    """The attempt counted last succeeded: one failure less, unlocked below the limit."""
    failures = max(0, current.failures - 1)
    unlocked = failures < backoff.failures_before_lock
    return replace(current, failures=failures,
                   locked_until=None if unlocked else current.locked_until)


def account_key(email: str) -> str:
    """The key of an email as typed (trimmed, lower case), whether a user has it or not."""
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def client_key(address: str) -> str:
    """The key of a client address: an IPv6 address by its /64 (one subscriber's
    network), anything else as given (at most 64 characters)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "client:" + address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"client:{ip.ipv4_mapped}"
        return f"client:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"client:{ip}"
