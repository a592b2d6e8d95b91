"""The password policy and the sign-in backoff (issue 19): pure rules, no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinstudio.domain.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    common_passwords,
    password_problem,
)
from twinstudio.domain.throttle import (
    ACCOUNT_BACKOFF,
    CLIENT_BACKOFF,
    Attempts,
    account_key,
    client_key,
    counted,
    forgiven,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("password", "code"), [
    ("1234567890", "password_common"),
    ("password12", "password_common"),
    (" " * 9 + "x", "password_too_few_distinct"),
    (" " * 12, "password_blank"),
    ("x" * 100_000, "password_too_long"),
    ("short", "password_too_short"),
    ("P@ssw0rd!2026", "password_common"),
    ("Dragon2026!", "password_common"),
    ("0987654321", "password_common"),
    ("qwertyuiop", "password_common"),
    ("abcdefghijkl", "password_common"),
    ("abcabcabca", "password_too_few_distinct"),
    ("hunter2hunter2", "password_too_few_distinct"),
])
def test_weak_passwords_are_refused_with_a_code(password, code):
    problem = password_problem(password)
    assert problem is not None and problem.code == code
    assert problem.message.startswith("password ")


@pytest.mark.parametrize("password", [
    "correct horse battery", "k7#Rq2!vLm", "talent-demo-2026", "agency-demo-2026",
    "brand-demo-2026", "compliance-demo-2026", "x" * (MAX_PASSWORD - 5) + "abcde",
])
def test_good_passwords_pass(password):
    assert password_problem(password) is None


def test_the_limits_are_those_of_the_sign_in_form():
    assert (MIN_PASSWORD, MAX_PASSWORD) == (10, 1024)
    assert "too_long" in password_problem("ab3d€" * 205).code  # 1025 characters
    assert password_problem("ab3d€" * 204 + "zzzz") is None    # 1024


def test_the_common_password_list_is_shipped_lower_case_without_comments():
    listed = common_passwords()
    assert {"password", "1234567890", "qwertyuiop", "letmein"} <= listed
    assert all(p == p.lower() and not p.startswith("#") for p in listed)


def test_failures_lock_an_account_after_five_then_double_up_to_fifteen_minutes():
    state = Attempts(account_key("ana@example.com"), 0, NOW)
    locks = []
    for _ in range(12):
        state = counted(state, NOW, ACCOUNT_BACKOFF)
        locks.append(state.locked_until - NOW if state.locked_until else None)
    assert locks[:4] == [None] * 4
    assert [lock.total_seconds() for lock in locks[4:10]] == [30, 60, 120, 240, 480, 900]
    assert locks[10] == locks[11] == timedelta(minutes=15)
    assert state.retry_after(NOW) == 900 and not state.locked(NOW + timedelta(minutes=15))


def test_an_hour_without_failures_starts_the_count_again():
    state = Attempts("account:x", 4, NOW)
    assert counted(state, NOW + timedelta(minutes=59), ACCOUNT_BACKOFF).locked_until
    fresh = counted(state, NOW + timedelta(hours=1), ACCOUNT_BACKOFF)
    assert fresh.failures == 1 and fresh.locked_until is None


def test_a_client_gets_twenty_attempts_and_a_success_is_forgiven():
    state = Attempts("client:192.0.2.1", 0, NOW)
    for _ in range(19):
        state = counted(state, NOW, CLIENT_BACKOFF)
    assert not state.locked(NOW)
    state = counted(state, NOW, CLIENT_BACKOFF)
    assert state.locked(NOW)
    forgiven_state = forgiven(state, CLIENT_BACKOFF)
    assert forgiven_state.failures == 19 and not forgiven_state.locked(NOW)


def test_keys_name_an_email_by_its_hash_and_an_ipv6_client_by_its_64():
    assert account_key(" Ana@Example.com ") == account_key("ana@example.com")
    assert "ana" not in account_key("ana@example.com")
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") \
        == "client:2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7") == "client:192.0.2.7"
    assert client_key("testclient") == "client:testclient"
