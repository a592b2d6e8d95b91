"""Pure rules of payment: billable events become balanced double-entry transactions.

Accounts (one per party and role; names are what the party would call them):

    brand_payable:<brand>          what a brand owes                     (debited)
    talent_receivable:<talent>     what the talent is owed               (credited)
    agency_commission:<agency>     the agency's commission               (credited)
    platform:fees                  the operator's fee, if any            (credited)

An entry's ``amount`` is in integer minor units: positive is a debit, negative a credit.
Every transaction sums to zero. A billable event has a unique ``key``; posting the same key
twice posts nothing the second time (the store enforces it with a unique constraint).
Entries are never edited: a correction is a reversal transaction (amounts negated).

Rounding (documented and tested): commission and platform fee are percentages of the gross,
each rounded *down* to the minor unit, so any fraction of a cent stays with the talent.
Payment is due ``payment_terms_days`` after the event (at most 45: NY Fashion Workers Act).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from twinstudio.domain.common import canonical_json, ensure_utc, sha256_hex
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.licence import Fees, Licence
from twinstudio.domain.vocabulary import CHANNELS, TERRITORIES, case_hint

MAX_PAYMENT_DAYS = 45
PLATFORM_ACCOUNT = "platform:fees"
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class EventType(StrEnum):
    LICENCE_SIGNED = "licence_signed"      # flat fee for the licence period
    ASSET_APPROVED = "asset_approved"      # per approved asset
    ASSET_PUBLISHED = "asset_published"    # per publication: channel x territory
    PERIOD_CLOSED = "period_closed"        # minimum guarantee top-up for a month


class BillableEvent(BaseModel):
    """Something that earns the talent money. ``key`` identifies it for exactly-once posting.

    A publication is one asset on one channel in one territory: what the licence prices
    (its channels and territories). Publishing an asset on ``social`` in FR and in SE is
    two publications, each paid ``fees.per_publication["social"]``; the same channel and
    territory again is the same publication, posted once.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: EventType
    licence_id: str
    occurred_at: datetime
    asset_id: str | None = None
    channel: str | None = None
    territory: str | None = None  # ISO 3166-1 alpha-2, for asset_published
    period: str | None = None  # YYYY-MM, for period_closed

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return ensure_utc(v)

    @model_validator(mode="after")
    def _fields_for_type(self) -> BillableEvent:
        needs_asset = self.type in (EventType.ASSET_APPROVED, EventType.ASSET_PUBLISHED)
        if needs_asset and not self.asset_id:
            raise ValueError(f"{self.type.value} needs asset_id")
        if self.type is EventType.ASSET_PUBLISHED:
            if self.channel not in CHANNELS:
                raise ValueError("asset_published needs the channel it was published on ("
                                 f"one of {', '.join(sorted(CHANNELS))}), "
                                 + ("none given" if self.channel is None
                                    else f"got {self.channel!r}"))
            if self.territory not in TERRITORIES:
                raise ValueError("asset_published needs the territory it was published in "
                                 "(an ISO 3166-1 alpha-2 code such as FR), "
                                 + ("none given" if self.territory is None
                                    else f"got {self.territory!r}"
                                    + case_hint([self.territory], TERRITORIES)))
        elif self.channel is not None or self.territory is not None:
            raise ValueError("only asset_published events name a channel and a territory")
        if self.type is EventType.PERIOD_CLOSED:
            parse_period(self.period or "")
        elif self.period is not None:
            raise ValueError("only period_closed events name a period; others fall in the "
                             "month they occurred in")
        return self

    @property
    def earning_period(self) -> str:
        """The month whose earnings this event counts towards."""
        return self.period or period_of(self.occurred_at.date())

    @property
    def key(self) -> str:
        """The identity of the event: the same fact always has the same key."""
        parts: list[str] = [self.type.value, self.licence_id]
        if self.type is EventType.ASSET_APPROVED:
            parts.append(self.asset_id or "")
        elif self.type is EventType.ASSET_PUBLISHED:
            parts += [self.asset_id or "", self.channel or "", self.territory or ""]
        elif self.type is EventType.PERIOD_CLOSED:
            parts.append(self.period or "")
        return ":".join(parts)


def parse_period(period: str) -> tuple[date, date]:
    """``YYYY-MM`` to (first day, last day)."""
    match = _PERIOD.match(period)
    if not match:
        raise InvalidInput(f"period {period!r} is not a month such as 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str
    amount: int  # minor units; + debit, - credit


class Transaction(BaseModel):
    """A balanced set of entries for one event (or the reversal of one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    event_key: str
    event: dict[str, Any]
    licence_id: str
    talent_id: str
    brand_id: str
    currency: str
    gross: int
    entries: list[Entry]
    occurred_at: datetime
    due_on: date
    reverses: str | None = None
    memo: str = ""

    @model_validator(mode="after")
    def _balanced(self) -> Transaction:
        total = sum(e.amount for e in self.entries)
        if total != 0:
            raise ValueError(f"transaction {self.id} does not balance: {total}")
        return self

    def amount_for(self, account: str) -> int:
        return sum(e.amount for e in self.entries if e.account == account)

    def content_hash(self) -> str:
        """SHA-256 over everything the transaction says (entries in a fixed order). The
        audit event of its posting records it, so an entry edited in the database, even
        in a way that still balances, no longer matches."""
        body = {"id": self.id, "event_key": self.event_key, "event": self.event,
                "licence_id": self.licence_id, "talent_id": self.talent_id,
                "brand_id": self.brand_id, "currency": self.currency, "gross": self.gross,
                "entries": sorted([e.account, e.amount] for e in self.entries),
                "occurred_at": self.occurred_at, "due_on": self.due_on,
                "reverses": self.reverses, "memo": self.memo}
        return sha256_hex(canonical_json(body))


def talent_account(talent_id: str) -> str:
    return f"talent_receivable:{talent_id}"


def brand_account(brand_id: str) -> str:
    return f"brand_payable:{brand_id}"


def agency_account(agency_id: str) -> str:
    return f"agency_commission:{agency_id}"


def share(gross: int, percent: Decimal) -> int:
    """``percent`` of ``gross`` minor units, rounded down (the remainder stays with talent)."""
    return int((Decimal(gross) * percent / Decimal(100)).to_integral_value(rounding=ROUND_FLOOR))


def gross_for(event: BillableEvent, fees: Fees) -> int:
    """What the brand owes for ``event`` under ``fees`` (before any split)."""
    if event.type is EventType.LICENCE_SIGNED:
        return fees.flat_fee
    if event.type is EventType.ASSET_APPROVED:
        return fees.per_asset
    if event.type is EventType.ASSET_PUBLISHED:
        return fees.per_publication.get(event.channel or "", 0)
    raise InvalidInput("period_closed is computed from the period's earnings, not from a fee")


def split(gross: int, fees: Fees, *, talent_id: str, brand_id: str,
          agency_id: str | None) -> list[Entry]:
    """Balanced entries for ``gross``: brand debited, agency, platform and talent credited."""
    commission = share(gross, fees.agency_commission_percent) if agency_id else 0
    platform = share(gross, fees.platform_fee_percent)
    net = gross - commission - platform
    entries = [Entry(account=brand_account(brand_id), amount=gross),
               Entry(account=talent_account(talent_id), amount=-net)]
    if commission:
        entries.append(Entry(account=agency_account(agency_id or ""), amount=-commission))
    if platform:
        entries.append(Entry(account=PLATFORM_ACCOUNT, amount=-platform))
    return entries


def transaction_for(event: BillableEvent, licence: Licence, *, agency_id: str | None,
                    gross: int | None = None) -> Transaction | None:
    """The transaction an event posts, or None when it is worth nothing under the terms.

    ``gross`` is given for ``period_closed`` (the top-up computed from the period's earnings).
    The id is derived from the event key, so the same event always yields the same id.
    """
    fees = licence.terms.fees
    amount = gross_for(event, fees) if gross is None else gross
    if amount < 0:
        raise InvalidInput(f"negative gross {amount} for {event.key}")
    if amount == 0:
        return None
    entries = split(amount, fees, talent_id=licence.talent_id, brand_id=licence.brand_id,
                    agency_id=agency_id)
    return Transaction(
        id="txn_" + sha256_hex(event.key)[:24], event_key=event.key,
        event=event.model_dump(mode="json"), licence_id=licence.id,
        talent_id=licence.talent_id, brand_id=licence.brand_id, currency=fees.currency,
        gross=amount, entries=entries, occurred_at=event.occurred_at,
        due_on=event.occurred_at.date() + timedelta(days=fees.payment_terms_days),
        memo=event.type.value.replace("_", " "),
    )


def reversal_of(original: Transaction, *, at: datetime, reason: str) -> Transaction:
    """A correction: the same entries negated, referencing the original (never an edit)."""
    # The reversal counts against the month the original counted towards (a guarantee
    # top-up reversed in July must not lower July's earnings).
    event = {"type": original.event.get("type"), "reason": reason,
             "earning_period": earning_period_of(original)}
    return Transaction(
        id="txn_" + sha256_hex("reversal:" + original.id)[:24],
        event_key=f"reversal:{original.id}", event=event,
        licence_id=original.licence_id, talent_id=original.talent_id,
        brand_id=original.brand_id, currency=original.currency, gross=-original.gross,
        entries=[Entry(account=e.account, amount=-e.amount) for e in original.entries],
        occurred_at=ensure_utc(at), due_on=ensure_utc(at).date(), reverses=original.id,
        memo=f"reversal: {reason}",
    )


def earning_period_of(txn: Transaction) -> str:
    """The month a posted transaction counts towards (reversals: the original's month)."""
    return (txn.event.get("earning_period") or txn.event.get("period")
            or period_of(txn.occurred_at.date()))


def guarantee_top_up(fees: Fees, period_gross: int) -> int:
    """What closing a month adds so that the talent's gross reaches the minimum guarantee."""
    return max(0, fees.minimum_guarantee - period_gross)


def balances(transactions: list[Transaction]) -> dict[str, int]:
    """Sum of entries per account (debits positive)."""
    out: dict[str, int] = {}
    for txn in transactions:
        for entry in txn.entries:
            out[entry.account] = out.get(entry.account, 0) + entry.amount
    return {k: v for k, v in sorted(out.items()) if v != 0}


class LedgerProblem(BaseModel):
    transaction_id: str | None
    problem: str
    # the row at fault when it is not a transaction (e.g. a closed period "LICENCE:PERIOD")
    table: str = "ledger_transactions"
    row_id: str | None = None


def check_transactions(transactions: list[Transaction]) -> list[LedgerProblem]:
    """Every transaction balances, each event key once, each reversal of a real, once."""
    problems: list[LedgerProblem] = []
    seen: dict[str, str] = {}
    ids = {t.id for t in transactions}
    reversed_ids: set[str] = set()
    for txn in transactions:
        total = sum(e.amount for e in txn.entries)
        if total != 0:
            problems.append(LedgerProblem(transaction_id=txn.id,
                                          problem=f"does not balance ({total:+d})"))
        if txn.gross != txn.amount_for(brand_account(txn.brand_id)):
            problems.append(LedgerProblem(transaction_id=txn.id,
                                          problem="gross differs from the brand's debit"))
        if txn.event_key in seen:
            problems.append(LedgerProblem(
                transaction_id=txn.id,
                problem=f"event {txn.event_key} posted twice (also {seen[txn.event_key]})"))
        seen[txn.event_key] = txn.id
        if txn.reverses is not None:
            if txn.reverses not in ids:
                problems.append(LedgerProblem(transaction_id=txn.id,
                                              problem=f"reverses unknown {txn.reverses}"))
            if txn.reverses in reversed_ids:
                problems.append(LedgerProblem(transaction_id=txn.id,
                                              problem=f"{txn.reverses} reversed twice"))
            reversed_ids.add(txn.reverses)
    return problems
