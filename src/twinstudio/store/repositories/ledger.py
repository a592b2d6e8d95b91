"""The double-entry ledger: transactions, entries and closed periods."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from twinstudio.domain.common import canonical_json
from twinstudio.domain.errors import NotFound
from twinstudio.domain.ledger import Entry, Transaction, period_of
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _Repo


def _transaction(row: Any, entries: list[Any]) -> Transaction:
    # model_construct: a stored transaction that no longer balances must still be read, so
    # that ``ledger check`` can name it (posting validates; reading reports).
    return Transaction.model_construct(
        id=row["id"], event_key=row["event_key"], event=json.loads(row["event"]),
        licence_id=row["licence_id"], talent_id=row["talent_id"], brand_id=row["brand_id"],
        currency=row["currency"], gross=row["gross"], occurred_at=row["occurred_at"],
        due_on=row["due_on"], reverses=row["reverses"], memo=row["memo"],
        entries=[Entry(account=e["account"], amount=e["amount"]) for e in entries],
    )


class SqlLedger(_Repo):
    """Transactions and entries. ``post`` is exactly-once per event key, on both backends,
    also under concurrent posters (INSERT .. ON CONFLICT DO NOTHING on the unique key)."""

    def post(self, txn: Transaction, *, posted_at: datetime) -> bool:
        dialect_insert = pg_insert if self._c.dialect.name == "postgresql" else sqlite_insert
        statement = dialect_insert(t.ledger_transactions).values(
            id=txn.id, event_key=txn.event_key, event=canonical_json(txn.event),
            licence_id=txn.licence_id, talent_id=txn.talent_id, brand_id=txn.brand_id,
            currency=txn.currency, gross=txn.gross, occurred_at=txn.occurred_at,
            period=period_of(txn.occurred_at.date()), due_on=txn.due_on,
            reverses=txn.reverses, memo=txn.memo, posted_at=posted_at,
        ).on_conflict_do_nothing().returning(t.ledger_transactions.c.id)
        # RETURNING tells reliably whether this call inserted (rowcount does not, on
        # every driver); no row back means the event was posted before.
        if self._c.execute(statement).first() is None:
            return False
        self._c.execute(insert(t.ledger_entries), [
            {"transaction_id": txn.id, "account": e.account, "amount": e.amount}
            for e in txn.entries])
        return True

    def _load(self, query: Any) -> list[Transaction]:
        rows = list(self._c.execute(query.order_by(t.ledger_transactions.c.occurred_at,
                                                   t.ledger_transactions.c.id)).mappings())
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        entries: dict[str, list[Any]] = {i: [] for i in ids}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            for e in self._c.execute(select(t.ledger_entries)
                                     .where(t.ledger_entries.c.transaction_id.in_(part))
                                     .order_by(t.ledger_entries.c.id)).mappings():
                entries[e["transaction_id"]].append(e)
        return [_transaction(r, entries[r["id"]]) for r in rows]

    def get(self, transaction_id: str) -> Transaction:
        found = self._load(select(t.ledger_transactions)
                           .where(t.ledger_transactions.c.id == transaction_id))
        if not found:
            raise NotFound(f"ledger transaction {transaction_id!r} not found")
        return found[0]

    def transactions(self, *, talent_id: str | None = None, brand_id: str | None = None,
                     licence_id: str | None = None, period: str | None = None,
                     until_period: str | None = None) -> list[Transaction]:
        c = t.ledger_transactions.c
        query = select(t.ledger_transactions)
        for column, value in ((c.talent_id, talent_id), (c.brand_id, brand_id),
                              (c.licence_id, licence_id), (c.period, period)):
            if value is not None:
                query = query.where(column == value)
        if until_period is not None:
            query = query.where(c.period <= until_period)
        return self._load(query)

    def entry_sums(self) -> tuple[int, int, int]:
        """(number of entries, sum of debits, sum of credits) over the whole ledger."""
        e = t.ledger_entries.c
        row = self._c.execute(select(
            func.count(), func.coalesce(func.sum(case((e.amount > 0, e.amount), else_=0)), 0),
            func.coalesce(func.sum(case((e.amount < 0, -e.amount), else_=0)), 0),
        )).one()
        return int(row[0]), int(row[1]), int(row[2])

    def close_period(self, licence_id: str, period: str, top_up: int, at: datetime) -> bool:
        dialect_insert = pg_insert if self._c.dialect.name == "postgresql" else sqlite_insert
        statement = dialect_insert(t.ledger_period_closes).values(
            licence_id=licence_id, period=period, top_up=top_up, closed_at=at,
        ).on_conflict_do_nothing().returning(t.ledger_period_closes.c.period)
        return self._c.execute(statement).first() is not None

    def is_closed(self, licence_id: str, period: str) -> bool:
        c = t.ledger_period_closes.c
        row = self._c.execute(select(c.period).where(c.licence_id == licence_id,
                                                     c.period == period)).first()
        return row is not None

    def closed_periods(self) -> list[tuple[str, str, int]]:
        c = t.ledger_period_closes.c
        rows = self._c.execute(select(c.licence_id, c.period, c.top_up)
                               .order_by(c.period, c.licence_id))
        return [(r[0], r[1], r[2]) for r in rows]
