"""Shared base of the repositories and their row helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from twinstudio.domain.errors import IntegrityError, NotFound


class _Repo:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _one(self, statement: Any, what: str, ident: str) -> Any:
        row = self._c.execute(statement).mappings().first()
        if row is None:
            raise NotFound(f"{what} {ident!r} not found")
        return row


def _corrupt(what: str, ident: str, error: Exception) -> IntegrityError:
    first = str(error).splitlines()[0][:200]
    return IntegrityError(f"stored {what} {ident} is corrupt and cannot be read ({first}); "
                          "it no longer matches what was signed")
