"""Account administration (issue 19): API keys that expire (401 like revoked ones, the
column added by a migration to existing workspaces) and users that an operator disables.
On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from twinstudio.bootstrap import bootstrap, build_api
from twinstudio.config import Settings
from twinstudio.domain.accounts import Role
from twinstudio.domain.errors import InvalidInput, Unauthenticated
from twinstudio.services.accounts import (
    add_user,
    authenticate_api_key,
    create_api_key,
    session_principal,
    set_user_active,
    start_web_session,
)
from twinstudio.signing.passwords import Argon2Passwords
from twinstudio.store import tables as t
from twinstudio.store.database import migrate


@pytest.fixture
def officer(ctx):  # type: ignore[no-untyped-def]
    ctx.passwords = Argon2Passwords(fast=True)
    return add_user(ctx, email="co@example.com", name="Officer", role=Role.COMPLIANCE,
                    password="correct horse battery")


def test_an_expired_api_key_answers_401_like_a_revoked_one(ctx, officer, clock):
    api = TestClient(build_api(ctx))
    created = create_api_key(ctx, user_id=officer.id, name="ci",
                             expires_at=clock() + timedelta(days=1))
    never = create_api_key(ctx, user_id=officer.id, name="forever")
    assert api.get("/api/v1/me", headers={"X-API-Key": created.secret}).status_code == 200
    clock.advance(days=1)
    expired = api.get("/api/v1/me", headers={"X-API-Key": created.secret})
    assert expired.status_code == 401
    assert expired.json()["error"] == {"type": "unauthenticated",
                                       "message": "API key is not valid", "reasons": []}
    assert api.get("/api/v1/me", headers={"X-API-Key": never.secret}).status_code == 200
    with pytest.raises(InvalidInput) as past:
        create_api_key(ctx, user_id=officer.id, name="late", expires_at=clock())
    assert past.value.code == "expiry_not_in_future"


def test_a_disabled_user_loses_sessions_and_keys_until_enabled(ctx, officer):
    key = create_api_key(ctx, user_id=officer.id, name="ci").secret
    session = start_web_session(ctx, "co@example.com", "correct horse battery")
    set_user_active(ctx, officer.id, False, actor="operator")
    with pytest.raises(Unauthenticated):
        session_principal(ctx, session.token)
    with pytest.raises(Unauthenticated):
        authenticate_api_key(ctx, key)
    with pytest.raises(Unauthenticated, match="email or password is not correct"):
        start_web_session(ctx, "co@example.com", "correct horse battery")
    set_user_active(ctx, officer.id, True, actor="operator")
    assert authenticate_api_key(ctx, key).user_id == officer.id
    with ctx.uow() as uow:
        types = [e.type for e in uow.audit.all()]
    assert types[-2:] == ["UserDisabled", "UserEnabled"]


def test_keys_of_a_workspace_made_before_expiry_existed_keep_working(engine, tmp_path, clock):
    migrate(engine, "0009")
    full = "tsk_0123456789ab_secret-of-an-old-key"
    with engine.begin() as connection:
        connection.execute(insert(t.users).values(
            id="usr_old", email="old@example.com", name="Old", role="compliance",
            password_hash="$argon2id$unused", active=True, created_at=clock()))
        connection.execute(insert(t.api_keys).values(
            id="key_old", user_id="usr_old", name="old", prefix="0123456789ab",
            secret_hash=hashlib.sha256(full.encode()).hexdigest(), created_at=clock()))
    ctx = bootstrap(Settings(workspace=tmp_path / "ws"), engine=engine, clock=clock)
    assert authenticate_api_key(ctx, full).user_id == "usr_old"
    with ctx.uow() as uow:
        assert uow.api_keys.get("key_old").expires_at is None
