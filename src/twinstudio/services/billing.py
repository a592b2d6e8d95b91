"""Use cases of payment: post billable events exactly once, close months (minimum
guarantee), reverse, check the ledger, and build statements for talents and brands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from twinstudio.domain.errors import Conflict, InvalidInput
from twinstudio.domain.integrity import ledger_problems
from twinstudio.domain.ledger import (
    BillableEvent,
    EventType,
    LedgerProblem,
    Transaction,
    agency_account,
    balances,
    brand_account,
    check_transactions,
    earning_period_of,
    guarantee_top_up,
    parse_period,
    period_of,
    reversal_of,
    talent_account,
    transaction_for,
)
from twinstudio.domain.licence import Licence, LicenceState
from twinstudio.domain.statements import Statement, StatementLine
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork
from twinstudio.services.webhooks import emit


@dataclass
class PostingResult:
    event_key: str
    posted: bool
    transaction: Transaction | None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"event_key": self.event_key, "posted": self.posted, "reason": self.reason,
                "transaction": self.transaction.model_dump(mode="json")
                if self.transaction else None}


def _effective_end(licence: Licence) -> date:
    """The last day a licence was in force: its end date, or the day it was revoked or
    suspended if that came first."""
    if licence.state in (LicenceState.REVOKED, LicenceState.SUSPENDED):
        return min(licence.terms.ends, licence.updated_at.date())
    return licence.terms.ends


def post_in(uow: UnitOfWork, event: BillableEvent, *, now: datetime, actor: str,
            gross: int | None = None) -> PostingResult:
    """Post ``event`` inside an open unit of work (so that e.g. signing a licence and its
    flat fee commit together). Posting an event already posted posts nothing."""
    # Lock the licence row: closing a month (which sums it) and posting into it serialise.
    licence = uow.licences.get(event.licence_id, for_update=True)
    period = event.earning_period
    if event.type is not EventType.PERIOD_CLOSED:
        if uow.ledger.is_closed(licence.id, period):
            raise Conflict(f"period {period} of licence {licence.id} is closed; post a "
                           "correction in an open period instead")
        day = event.occurred_at.date()
        if not licence.terms.starts <= day <= _effective_end(licence):
            raise Conflict(f"licence {licence.id} was not in force on {day}")
        if event.asset_id is not None:
            asset = uow.assets.get(event.asset_id)
            if asset.licence_id != licence.id:
                raise InvalidInput(f"asset {asset.id} was not made under licence {licence.id}")
    agency_id = uow.talents.get(licence.talent_id).agency_id
    txn = transaction_for(event, licence, agency_id=agency_id, gross=gross)
    if txn is None:
        return PostingResult(event.key, False, None, "nothing due under the licence's fees")
    if not uow.ledger.post(txn, posted_at=now):
        return PostingResult(event.key, False, uow.ledger.get(txn.id), "already posted")
    uow.audit.append(actor=actor, type="LedgerPosted", at=now, payload={
        "transaction_id": txn.id, "event_key": txn.event_key, "licence_id": licence.id,
        "gross": txn.gross, "currency": txn.currency,
        "transaction_hash": txn.content_hash()})
    return PostingResult(event.key, True, txn)


def post_event(ctx: ServiceContext, event: BillableEvent, *,
               actor: str = "system") -> PostingResult:
    """Post one billable event (approval, publication, ...) exactly once."""
    with ctx.uow() as uow:
        result = post_in(uow, event, now=ctx.now(), actor=actor)
        uow.commit()
    return result


def reverse_transaction(ctx: ServiceContext, transaction_id: str, *, reason: str,
                        actor: str) -> PostingResult:
    """Correct a posting with a reversal (entries are never edited)."""
    if not reason.strip():
        raise InvalidInput("a reversal needs a reason")
    now = ctx.now()
    with ctx.uow() as uow:
        original = uow.ledger.get(transaction_id)
        if original.reverses is not None:
            raise Conflict(f"{transaction_id} is itself a reversal")
        txn = reversal_of(original, at=now, reason=reason)
        posted = uow.ledger.post(txn, posted_at=now)
        if posted:
            uow.audit.append(actor=actor, type="LedgerReversed", at=now, payload={
                "transaction_id": txn.id, "reverses": original.id, "reason": reason,
                "gross": txn.gross, "transaction_hash": txn.content_hash()})
        uow.commit()
    return PostingResult(txn.event_key, posted, txn, "" if posted else "already reversed")


def _licence_gross_in(uow: UnitOfWork, licence_id: str, period: str) -> int:
    """What a licence earned towards ``period`` (reversals count in their original's
    month; guarantee top-ups and their reversals are not earnings)."""
    return sum(t.gross for t in uow.ledger.transactions(licence_id=licence_id)
               if earning_period_of(t) == period
               and t.event.get("type") != EventType.PERIOD_CLOSED.value)


@dataclass
class PeriodClosedResult:
    """One licence-month closed: the guarantee's top-up and its posting, if any."""

    licence_id: str
    period: str
    top_up: int                       # minor units
    transaction_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"licence_id": self.licence_id, "period": self.period, "top_up": self.top_up,
                "transaction_id": self.transaction_id}


def close_period(ctx: ServiceContext, period: str, *, actor: str = "system"
                 ) -> list[PeriodClosedResult]:
    """Close a finished month for every licence in force during it: top up each to its
    minimum guarantee. Idempotent: a closed licence-month is never closed again."""
    first, last = parse_period(period)
    if last >= ctx.today():
        raise Conflict(f"period {period} is not over yet (it ends {last})")
    now = ctx.now()
    closed = []
    with ctx.uow() as uow:
        for listed in uow.licences.list():
            licence = uow.licences.get(listed.id, for_update=True)  # no posting meanwhile
            end = _effective_end(licence)
            if end < first or licence.terms.starts > last:
                continue
            if uow.ledger.is_closed(licence.id, period):
                continue
            # A month the licence covers only in part guarantees its share of the days.
            in_force = (min(last, end) - max(first, licence.terms.starts)).days + 1
            guarantee = licence.terms.fees.minimum_guarantee * in_force // last.day
            top_up = guarantee_top_up(licence.terms.fees.model_copy(
                update={"minimum_guarantee": guarantee}),
                _licence_gross_in(uow, licence.id, period))
            result = None
            if top_up:
                event = BillableEvent(type=EventType.PERIOD_CLOSED, licence_id=licence.id,
                                      occurred_at=datetime.combine(last, datetime.min.time(),
                                                                   tzinfo=now.tzinfo),
                                      period=period)
                result = post_in(uow, event, now=now, actor=actor, gross=top_up)
            if not uow.ledger.close_period(licence.id, period, top_up, now):
                continue  # closed meanwhile by another worker
            uow.audit.append(actor=actor, type="LedgerPeriodClosed", at=now, payload={
                "licence_id": licence.id, "period": period, "top_up": top_up})
            closed.append(PeriodClosedResult(
                licence.id, period, top_up,
                result.transaction.id if result and result.transaction else None))
        _tell_statements_ready(uow, [r.licence_id for r in closed], period, now)
        uow.commit()
    return closed


def _tell_statements_ready(uow: UnitOfWork, licence_ids: list[str], period: str,
                           now: datetime) -> None:
    """``statement.ready`` once per brand and per talent (to their agency) whose licences
    this closing closed."""
    brands: set[str] = set()
    talents: set[str] = set()
    for licence_id in licence_ids:
        licence = uow.licences.get(licence_id)
        brands.add(licence.brand_id)
        talents.add(licence.talent_id)
    for brand_id in sorted(brands):
        emit(uow, "statement.ready", [brand_id], {
            "period": period, "brand_id": brand_id,
            "statement": f"/api/v1/brands/{brand_id}/statements/{period}"}, now=now)
    for talent_id in sorted(talents):
        emit(uow, "statement.ready", [uow.talents.get(talent_id).agency_id], {
            "period": period, "talent_id": talent_id,
            "statement": f"/api/v1/talents/{talent_id}/statements/{period}"}, now=now)


@dataclass
class LedgerCheck:
    transactions: int
    entries: int
    debits: int
    credits: int
    problems: list[LedgerProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.debits == self.credits

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "transactions": self.transactions, "entries": self.entries,
                "debits": self.debits, "credits": self.credits,
                "problems": [p.model_dump() for p in self.problems]}


def check_ledger(ctx: ServiceContext) -> LedgerCheck:
    """Prove the ledger: every transaction balances, each event key posted once, each
    reversal refers to a real transaction once, total debits equal total credits; and
    against the audit chain: each posting event has exactly one transaction with the
    content it recorded, each transaction and closed period its event."""
    with ctx.uow() as uow:
        txns = uow.ledger.transactions()
        count, debits, credits = uow.ledger.entry_sums()
        closed = uow.ledger.closed_periods()
        events = uow.audit.all()
    problems = check_transactions(txns)
    if count != sum(len(t.entries) for t in txns):
        problems.append(LedgerProblem(transaction_id=None, table="ledger_entries",
                                      problem="entries exist without their transaction"))
    problems += ledger_problems(txns, closed, events)
    return LedgerCheck(len(txns), count, debits, credits, problems)


def account_balances(ctx: ServiceContext) -> dict[str, int]:
    with ctx.uow() as uow:
        return balances(uow.ledger.transactions())


# ------------------------------------------------------------------ statements


def _months_back(period: str, count: int) -> list[str]:
    year, month = map(int, period.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def _line(txn: Transaction, counterparty_id: str, counterparty: str, agency_id: str | None
          ) -> StatementLine:
    commission = -txn.amount_for(agency_account(agency_id)) if agency_id else 0
    return StatementLine(
        transaction_id=txn.id, date=txn.occurred_at.date(), due_on=txn.due_on,
        counterparty_id=counterparty_id, counterparty=counterparty, licence_id=txn.licence_id,
        kind=txn.memo, channel=txn.event.get("channel"), asset_id=txn.event.get("asset_id"),
        gross=txn.gross, commission=commission,
        platform_fee=-txn.amount_for("platform:fees"),
        net=-txn.amount_for(talent_account(txn.talent_id)),
    )


def talent_statement(ctx: ServiceContext, talent_id: str, period: str,
                     currency: str | None = None) -> Statement:
    """What a talent earned in a month: by brand, channel and asset, commission, net, due."""
    parse_period(period)
    with ctx.uow() as uow:
        talent = uow.talents.get(talent_id)
        txns = uow.ledger.transactions(talent_id=talent_id, until_period=period)
        names = {o.id: o.name for o in uow.organisations.list()}
        licences = {lic.id: lic for lic in uow.licences.list(twin_id=uow.twins.get_by_talent(
            talent_id).id)}
    return _statement("talent", talent_id, talent.name, period, txns, names, licences,
                      lambda t: (t.brand_id, names.get(t.brand_id, t.brand_id)),
                      talent.agency_id,
                      lambda t: -t.amount_for(talent_account(t.talent_id)), currency)


def brand_statement(ctx: ServiceContext, brand_id: str, period: str,
                    currency: str | None = None) -> Statement:
    """What a brand owes in a month, per talent."""
    parse_period(period)
    with ctx.uow() as uow:
        brand = uow.organisations.get(brand_id)
        txns = uow.ledger.transactions(brand_id=brand_id, until_period=period)
        talents = {t.id: t for t in uow.talents.list()}
        licences = {lic.id: lic for lic in uow.licences.list(brand_id=brand_id)}
    names = {tid: t.name for tid, t in talents.items()}
    statement = _statement("brand", brand_id, brand.name, period, txns, names, licences,
                           lambda t: (t.talent_id, names.get(t.talent_id, t.talent_id)),
                           None, lambda t: t.amount_for(brand_account(t.brand_id)), currency)
    for line, txn in zip(statement.lines,
                         [t for t in txns if period_of(t.occurred_at.date()) == period
                          and t.currency == statement.currency], strict=True):
        agency = talents[txn.talent_id].agency_id
        line.commission = -txn.amount_for(agency_account(agency)) if agency else 0
    return statement


def _statement(kind: str, party_id: str, party_name: str, period: str,
               txns: list[Transaction], names: dict[str, str], licences: dict[str, Licence],
               counterparty, agency_id: str | None, history_amount,  # type: ignore[no-untyped-def]
               currency: str | None) -> Statement:
    """One statement is in one currency: ``currency``, or the only one the party has."""
    if currency is None:
        known = ({t.currency for t in txns}
                 or {lic.terms.fees.currency for lic in licences.values()} or {"EUR"})
        if len(known) > 1:
            raise InvalidInput(f"{party_id} is paid in several currencies "
                               f"({', '.join(sorted(known))}); choose one with --currency")
        currency = known.pop()
    txns = [t for t in txns if t.currency == currency]
    in_period = [t for t in txns if period_of(t.occurred_at.date()) == period]
    currencies = {currency}
    lines = [_line(t, *counterparty(t), agency_id) for t in in_period]
    history = []
    for month in _months_back(period, 12):
        history.append((month, sum(history_amount(t) for t in txns
                                   if period_of(t.occurred_at.date()) == month)))
    used = {t.licence_id for t in in_period}
    terms = {lid: {"brand": names.get(lic.brand_id, lic.brand_id),
                   "fees": lic.terms.fees.model_dump(mode="json"),
                   "channels": lic.terms.channels, "starts": lic.terms.starts.isoformat(),
                   "ends": lic.terms.ends.isoformat()}
             for lid, lic in licences.items() if lid in used}
    return Statement(kind, party_id, party_name, period, currencies.pop(), lines, history,
                     terms)
