"""Sign-in (issue 19, finding 7): attempts are throttled per account and per client in
the database (so every server process sees them), with a doubling lock that answers 429
with Retry-After; an unknown email costs the same hashing as a known one; the password
policy holds wherever a password is set. On SQLite and PostgreSQL; the clock is the
test's (no sleeps)."""

from __future__ import annotations

import re
import threading

import pytest
from fastapi.testclient import TestClient

from twinstudio.api.errors import status_of
from twinstudio.bootstrap import build_site
from twinstudio.domain.accounts import Role
from twinstudio.domain.errors import InvalidInput, TooManyAttempts, Unauthenticated
from twinstudio.services.accounts import (
    add_user,
    authenticate_password,
    create_demo_logins,
    set_password,
)
from twinstudio.signing.passwords import Argon2Passwords

EMAIL, PASSWORD = "officer@example.com", "correct horse battery"


class RecordingHasher:
    """The fast argon2 hasher, writing down each call (method, and the hash's
    parameters for a verify) so that two sign-ins' hashing work can be compared."""

    def __init__(self) -> None:
        self.inner = Argon2Passwords(fast=True)
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def hash(self, password: str) -> str:
        with self.lock:
            self.calls.append(("hash", ""))
        return self.inner.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.calls.append(("verify", password_hash.rsplit("$", 2)[0]))
        return self.inner.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self.inner.needs_rehash(password_hash)


@pytest.fixture
def hasher(ctx) -> RecordingHasher:
    ctx.passwords = RecordingHasher()
    add_user(ctx, email=EMAIL, name="Officer", role=Role.COMPLIANCE, password=PASSWORD)
    return ctx.passwords


def _login_form(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _post_login(client: TestClient, token: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": EMAIL, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def test_thirty_wrong_passwords_lock_the_account_until_the_lock_ends(ctx, hasher, clock):
    client = TestClient(build_site(ctx))
    token = _login_form(client)
    answers = [_post_login(client, token, f"wrong guess {i}").status_code for i in range(30)]
    assert answers[:5] == [401] * 5 and answers[5:] == [429] * 25
    assert [c for c, _ in hasher.calls].count("verify") == 5  # locked ones are never checked
    locked = _post_login(client, token, PASSWORD)
    assert locked.status_code == 429 and "ts_session" not in locked.cookies
    assert locked.headers["Retry-After"] == "30"
    assert "Too many sign-in attempts; try again in 30 seconds" in locked.text
    clock.advance(seconds=29)
    assert _post_login(client, token, PASSWORD).headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    signed_in = _post_login(client, token, PASSWORD)
    assert signed_in.status_code == 303 and signed_in.cookies.get("ts_session")
    with ctx.uow() as uow:
        events = [e for e in uow.audit.all() if e.type == "SignInLocked"]
    assert len(events) == 1 and events[0].payload["scope"] == "account"
    assert events[0].payload["failures"] == 5 and events[0].payload["user_id"]


def test_each_further_failure_doubles_the_lock_and_a_success_resets_it(ctx, hasher, clock):
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            authenticate_password(ctx, EMAIL, "wrong password")
    clock.advance(seconds=30)
    with pytest.raises(Unauthenticated) as wrong:
        authenticate_password(ctx, EMAIL, "wrong again")
    assert not isinstance(wrong.value, TooManyAttempts)
    with pytest.raises(TooManyAttempts) as locked:
        authenticate_password(ctx, EMAIL, PASSWORD)
    assert locked.value.retry_after == 60 and status_of(locked.value) == 429
    clock.advance(seconds=60)
    assert authenticate_password(ctx, EMAIL, PASSWORD).role is Role.COMPLIANCE
    for _ in range(4):  # the count started again
        with pytest.raises(Unauthenticated) as error:
            authenticate_password(ctx, EMAIL, "wrong password")
        assert not isinstance(error.value, TooManyAttempts)


def test_an_unknown_email_is_locked_exactly_like_a_known_one(ctx, hasher):
    def answers(email: str) -> list[str]:
        seen = []
        for _ in range(7):
            try:
                authenticate_password(ctx, email, "wrong password")
            except Unauthenticated as error:
                seen.append(f"{error.code}: {error.message}")
        return seen

    assert answers("nobody@example.com") == answers(EMAIL)


def test_a_client_trying_many_accounts_is_locked_and_others_are_not(ctx, hasher):
    for i in range(20):
        with pytest.raises(Unauthenticated) as error:
            authenticate_password(ctx, f"guess{i}@example.com", "wrong password",
                                  client="203.0.113.9")
        assert not isinstance(error.value, TooManyAttempts)
    with pytest.raises(TooManyAttempts):
        authenticate_password(ctx, EMAIL, PASSWORD, client="203.0.113.9")
    assert authenticate_password(ctx, EMAIL, PASSWORD, client="198.51.100.4")
    with ctx.uow() as uow:
        events = [e.payload for e in uow.audit.all() if e.type == "SignInLocked"]
    assert events == [{"scope": "client", "user_id": None, "client": "203.0.113.9",
                       "failures": 20, "locked_until": events[0]["locked_until"]}]


def test_sign_ins_that_succeed_do_not_use_up_the_clients_attempts(ctx, hasher):
    for _ in range(30):  # a shared office address: many people sign in
        authenticate_password(ctx, EMAIL, PASSWORD, client="192.0.2.50")
    with pytest.raises(Unauthenticated) as error:
        authenticate_password(ctx, "nobody@example.com", "wrong password", client="192.0.2.50")
    assert not isinstance(error.value, TooManyAttempts)


def test_parallel_guesses_are_counted_one_after_the_other(ctx, hasher):
    """A burst of 12 guesses at once: only the first 5 are checked, the rest refused."""
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def guess(i: int) -> None:
        start.wait()
        try:
            authenticate_password(ctx, EMAIL, f"parallel guess {i}")
        except Unauthenticated as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["too_many_attempts"] * 7 + ["unauthenticated"] * 5
    assert [c for c, _ in hasher.calls].count("verify") == 5


def test_unknown_and_known_emails_do_the_same_hashing_work(ctx, hasher):
    with pytest.raises(Unauthenticated):  # a process's first unknown email makes the dummy
        authenticate_password(ctx, "first@example.com", "wrong password")
    hasher.calls.clear()
    with pytest.raises(Unauthenticated):
        authenticate_password(ctx, "nobody@example.com", "wrong password")
    unknown, hasher.calls = hasher.calls, []
    with pytest.raises(Unauthenticated):
        authenticate_password(ctx, EMAIL, "wrong password")
    known, hasher.calls = hasher.calls, []
    with pytest.raises(Unauthenticated):
        authenticate_password(ctx, "not an email", "wrong password")
    malformed = hasher.calls
    assert unknown == known == malformed
    assert [method for method, _ in known] == ["verify"]  # argon2 parameters compared too


def test_weak_passwords_are_refused_wherever_a_password_is_set(ctx, hasher):
    for weak, code in (("1234567890", "password_common"), ("password12", "password_common"),
                       (" " * 9 + "x", "password_too_few_distinct"),
                       ("y" * 100_000, "password_too_long")):
        with pytest.raises(InvalidInput) as added:
            add_user(ctx, email="new@example.com", name="New", role=Role.COMPLIANCE,
                     password=weak)
        assert added.value.code == code
        with ctx.uow() as uow:
            user = uow.users.by_email(EMAIL)
        with pytest.raises(InvalidInput) as changed:
            set_password(ctx, user.id, weak, actor="test")
        assert changed.value.code == code
    with ctx.uow() as uow:
        assert [u.email for u in uow.users.list()] == [EMAIL]
    assert authenticate_password(ctx, EMAIL, PASSWORD)


def test_a_password_set_by_an_operator_lifts_the_lock(ctx, hasher):
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            authenticate_password(ctx, EMAIL, "wrong password")
    with ctx.uow() as uow:
        user = uow.users.by_email(EMAIL)
    set_password(ctx, user.id, "a brand new passphrase", actor="operator")
    assert authenticate_password(ctx, EMAIL, "a brand new passphrase")


def test_a_password_longer_than_the_forms_limit_is_refused_by_the_form(ctx, hasher):
    client = TestClient(build_site(ctx))
    refused = _post_login(client, _login_form(client), "z" * 1025)
    assert refused.status_code == 422 and "ts_session" not in refused.cookies
    assert [c for c, _ in hasher.calls].count("verify") == 0


def test_demo_logins_comply_with_the_policy(world_ctx_with_licence):
    logins = create_demo_logins(world_ctx_with_licence)
    assert all(authenticate_password(world_ctx_with_licence, login["email"],
                                     login["password"]) for login in logins)


@pytest.fixture
def world_ctx_with_licence(engine, tmp_path, clock):  # type: ignore[no-untyped-def]
    from tests.support.world import build_world, world_context

    return build_world(world_context(engine, tmp_path, clock)).ctx
