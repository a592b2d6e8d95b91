"""Users, API keys and web sessions (migration 0007); failed sign-ins and key expiry
(issue 19)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from twinstudio.domain.accounts import ApiKey, Role, User, WebSession
from twinstudio.domain.common import STORED
from twinstudio.domain.throttle import Attempts
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _Repo


def _user(row: Any) -> User:
    return User.model_validate(dict(
        id=row["id"], email=row["email"], name=row["name"], role=Role(row["role"]),
        organisation_id=row["organisation_id"], talent_id=row["talent_id"],
        password_hash=row["password_hash"], active=bool(row["active"]),
        created_at=row["created_at"]), context=STORED)


def _key(row: Any) -> ApiKey:
    return ApiKey.model_validate(dict(row), context=STORED)


class SqlUserRepository(_Repo):
    def add(self, user: User) -> None:
        self._c.execute(insert(t.users).values(**user.model_dump() | {"role": user.role.value}))

    def get(self, user_id: str) -> User:
        return _user(self._one(select(t.users).where(t.users.c.id == user_id), "user", user_id))

    def by_email(self, email: str) -> User | None:
        row = self._c.execute(select(t.users).where(t.users.c.email == email.strip().lower())
                              ).mappings().first()
        return _user(row) if row else None

    def update(self, user: User) -> None:
        self._c.execute(update(t.users).where(t.users.c.id == user.id).values(
            name=user.name, password_hash=user.password_hash, active=user.active))

    def list(self) -> list[User]:
        rows = self._c.execute(select(t.users).order_by(t.users.c.created_at, t.users.c.id))
        return [_user(r) for r in rows.mappings()]


class SqlApiKeyRepository(_Repo):
    def add(self, key: ApiKey) -> None:
        self._c.execute(insert(t.api_keys).values(**key.model_dump()))

    def by_prefix(self, prefix: str) -> ApiKey | None:
        row = self._c.execute(select(t.api_keys).where(t.api_keys.c.prefix == prefix)
                              ).mappings().first()
        return _key(row) if row else None

    def get(self, key_id: str) -> ApiKey:
        return _key(self._one(select(t.api_keys).where(t.api_keys.c.id == key_id),
                              "API key", key_id))

    def update(self, key: ApiKey) -> None:
        self._c.execute(update(t.api_keys).where(t.api_keys.c.id == key.id).values(
            revoked_at=key.revoked_at, last_used_at=key.last_used_at))

    def list(self, user_id: str | None = None) -> list[ApiKey]:
        query = select(t.api_keys).order_by(t.api_keys.c.created_at, t.api_keys.c.id)
        if user_id is not None:
            query = query.where(t.api_keys.c.user_id == user_id)
        return [_key(r) for r in self._c.execute(query).mappings()]


class SqlWebSessionRepository(_Repo):
    def add(self, session: WebSession) -> None:
        self._c.execute(insert(t.web_sessions).values(**session.model_dump()))

    def get(self, token_hash: str) -> WebSession | None:
        row = self._c.execute(select(t.web_sessions)
                              .where(t.web_sessions.c.token_hash == token_hash)
                              ).mappings().first()
        return WebSession(**row) if row else None

    def delete(self, token_hash: str) -> None:
        self._c.execute(t.web_sessions.delete().where(t.web_sessions.c.token_hash == token_hash))

    def delete_for_user(self, user_id: str) -> int:
        return int(self._c.execute(t.web_sessions.delete()
                                   .where(t.web_sessions.c.user_id == user_id)).rowcount)

    def delete_expired(self, now: datetime) -> int:
        return int(self._c.execute(t.web_sessions.delete()
                                   .where(t.web_sessions.c.expires_at < now)).rowcount)


class SqlSignInAttemptRepository(_Repo):
    """``lock`` makes the row exist (an insert that does nothing when it does) and then
    reads it ``FOR UPDATE``: concurrent sign-ins of one key in several processes count
    one after the other (SQLite serialises writers with ``BEGIN IMMEDIATE``)."""

    _t = t.sign_in_attempts

    def lock(self, key: str, now: datetime) -> Attempts:
        dialect_insert = pg_insert if self._c.dialect.name == "postgresql" else sqlite_insert
        self._c.execute(dialect_insert(self._t).values(
            key=key, failures=0, last_failure_at=now, locked_until=None
        ).on_conflict_do_nothing())
        row = self._c.execute(select(self._t).where(self._t.c.key == key).with_for_update()
                              ).mappings().one()
        return Attempts(**row)

    def get(self, key: str) -> Attempts | None:
        row = self._c.execute(select(self._t).where(self._t.c.key == key)).mappings().first()
        return Attempts(**row) if row else None

    def put(self, attempts: Attempts) -> None:
        self._c.execute(update(self._t).where(self._t.c.key == attempts.key).values(
            failures=attempts.failures, last_failure_at=attempts.last_failure_at,
            locked_until=attempts.locked_until))

    def delete(self, key: str) -> None:
        self._c.execute(self._t.delete().where(self._t.c.key == key))

    def delete_stale(self, before: datetime) -> int:
        return int(self._c.execute(self._t.delete().where(
            self._t.c.last_failure_at < before,
            (self._t.c.locked_until.is_(None)) | (self._t.c.locked_until < before))).rowcount)
