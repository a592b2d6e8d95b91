"""A party's statement for one month: its lines (one per transaction, amounts in integer
minor units), twelve months of history and the terms of the licences it used. Built by
``services.billing``, rendered by ``ledger.statements`` (CSV, PDF) and the API."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass
class StatementLine:
    transaction_id: str
    date: date
    due_on: date
    counterparty_id: str
    counterparty: str
    licence_id: str
    kind: str
    channel: str | None
    asset_id: str | None
    gross: int
    commission: int
    platform_fee: int
    net: int


@dataclass
class Statement:
    party_kind: str  # "talent" or "brand"
    party_id: str
    party_name: str
    period: str
    currency: str
    lines: list[StatementLine]
    history: list[tuple[str, int]]  # (period, net) for up to 12 months ending at period
    licence_terms: dict[str, dict[str, Any]]

    def total(self, attr: str) -> int:
        return sum(getattr(line, attr) for line in self.lines)

    def by(self, attr: str, amount: str = "net") -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[str(getattr(line, attr) or "-")] += getattr(line, amount)
        return dict(sorted(out.items()))

    @property
    def due_dates(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[line.due_on.isoformat()] += line.net if self.party_kind == "talent" \
                else line.gross
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "party_kind": self.party_kind, "party_id": self.party_id,
            "party_name": self.party_name, "period": self.period, "currency": self.currency,
            "totals": {"gross": self.total("gross"), "commission": self.total("commission"),
                       "platform_fee": self.total("platform_fee"), "net": self.total("net")},
            "by_counterparty": self.by("counterparty",
                                       "net" if self.party_kind == "talent" else "gross"),
            "by_channel": self.by("channel"), "by_asset": self.by("asset_id"),
            "due": self.due_dates, "history": self.history,
            "lines": [{**line.__dict__, "date": line.date.isoformat(),
                       "due_on": line.due_on.isoformat()} for line in self.lines],
            "licence_terms": self.licence_terms,
        }
