"""The payment ledger (post, close, reverse, check, balances) and ``statement``."""

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    LicenceId,
    Workspace,
    app,
    context,
    group,
    out,
    print_json,
    print_result,
    print_table,
    writable_path,
)
from twinstudio.domain.errors import DATETIME_FORM, InvalidInput, Problem

ledger_app = group("ledger", "The payment ledger: billable events, periods, checks.")


@ledger_app.command("post")
def ledger_post(
    event_type: Annotated[str, typer.Option("--type", help="asset_approved | asset_published "
                                                           "| licence_signed")],
    licence: LicenceId,
    asset: Annotated[str | None, typer.Option(help="Asset id")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel, for asset_published")] = None,
    territory: Annotated[str | None, typer.Option(
        help="Territory (ISO 3166-1 alpha-2), for asset_published: a publication is one "
             "channel in one territory")] = None,
    at: Annotated[str | None, typer.Option(help="When (ISO 8601, UTC); default now")] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Post one billable event exactly once (the asset lifecycle posts these itself)."""
    from datetime import datetime

    from twinstudio.domain.ledger import BillableEvent, EventType
    from twinstudio.services.billing import post_event

    ctx = context(workspace)
    if event_type == EventType.PERIOD_CLOSED.value:
        raise InvalidInput("use 'twinstudio ledger close --period YYYY-MM' to close a period")
    _options_of(event_type, asset=asset, channel=channel, territory=territory)
    try:
        when = datetime.fromisoformat(at) if at else ctx.now()
    except ValueError:
        raise InvalidInput(f"--at {at!r} is not {DATETIME_FORM}") from None
    try:
        event = BillableEvent(type=event_type, licence_id=licence, asset_id=asset,
                              channel=channel, territory=territory, occurred_at=when)
    except ValidationError as error:
        raise InvalidInput.of(error, "event") from None
    result = post_event(ctx, event, actor="operator")
    if as_json:
        print_json(result.as_dict())
        return
    if result.posted and result.transaction:
        out.print(f"posted {result.transaction.id}: {result.event_key} gross "
                  f"{result.transaction.gross} {result.transaction.currency} minor units")
    else:
        out.print(f"nothing posted for {result.event_key}: {result.reason}")


def _options_of(event_type: str, **given: str | None) -> None:
    """Name every option the event type needs that was not given, one problem each."""
    from twinstudio.domain.ledger import EventType
    from twinstudio.domain.vocabulary import CHANNELS

    needs = {EventType.ASSET_APPROVED.value: {"asset": "the asset approved"},
             EventType.ASSET_PUBLISHED.value: {
                 "asset": "the asset published",
                 "channel": f"where it was published: {', '.join(sorted(CHANNELS))}",
                 "territory": "the territory it was published in, e.g. FR"}}
    missing = [Problem("", f"--type {event_type} needs --{name} ({why})")
               for name, why in needs.get(event_type, {}).items() if not given[name]]
    if missing:
        raise InvalidInput(missing[0].message, problems=missing)


@ledger_app.command("close")
def ledger_close(period: Annotated[str, typer.Option(help="Month, e.g. 2026-11")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Close a finished month: top up every licence to its minimum guarantee (idempotent)."""
    from twinstudio.services.billing import close_period

    closed = close_period(context(workspace), period, actor="operator")
    print_result([c.as_dict() for c in closed], f"closed {period} for {len(closed)} licence(s); "
                 f"top-ups: {sum(1 for c in closed if c.top_up)}", as_json=as_json)


@ledger_app.command("reverse")
def ledger_reverse(transaction_id: Annotated[str, typer.Argument(help="Transaction id")],
                   reason: Annotated[str, typer.Option(help="Why (required)")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Correct a posting with a reversal (entries are never edited)."""
    from twinstudio.services.billing import reverse_transaction

    result = reverse_transaction(context(workspace), transaction_id, reason=reason,
                                 actor="operator")
    print_result(result.as_dict(),
                 f"reversed {transaction_id}" if result.posted else result.reason,
                 as_json=as_json)


@ledger_app.command("check")
def ledger_check(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Prove the ledger balances and every event is posted once (exit 4 if not)."""
    from twinstudio.services.billing import check_ledger

    report = check_ledger(context(workspace))
    if as_json:
        print_json(report.as_dict())
    elif report.ok:
        out.print(f"ledger ok: {report.transactions} transactions, {report.entries} entries, "
                  f"debits = credits = {report.debits}")
    else:
        out.print(f"[red]ledger broken[/red]: {report.as_dict()['problems']}")
    if not report.ok:
        raise typer.Exit(4)


@ledger_app.command("balances")
def ledger_balances(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Balance of every account (debits positive, credits negative; minor units)."""
    from twinstudio.services.billing import account_balances

    result = account_balances(context(workspace))
    if as_json:
        print_json(result)
        return
    print_table(("account", "balance"),
                ((account, str(amount)) for account, amount in result.items()))


@app.command()
def statement(
    period: Annotated[str, typer.Option(help="Month, e.g. 2026-11")],
    talent: Annotated[str | None, typer.Option(help="Talent id")] = None,
    brand: Annotated[str | None, typer.Option(help="Brand id (what it owes per talent)")]
    = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write a CSV here")] = None,
    pdf_path: Annotated[Path | None, typer.Option("--pdf", help="Write a PDF here")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code, when paid in several")]
    = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """A talent's earnings (or a brand's dues) for a month, as a table, CSV or PDF."""
    from twinstudio.domain.money import Money
    from twinstudio.ledger import write_csv, write_pdf
    from twinstudio.services.billing import brand_statement, talent_statement

    if (talent is None) == (brand is None):
        raise InvalidInput("give exactly one of --talent or --brand")
    ctx = context(workspace)
    for path in (csv_path, pdf_path):
        if path is not None:
            writable_path(path)
    st = (talent_statement(ctx, talent, period, currency) if talent
          else brand_statement(ctx, brand or "", period, currency))
    if csv_path:
        write_csv(st, csv_path)
    if pdf_path:
        write_pdf(st, pdf_path)
    if as_json:
        print_json(st.as_dict())
        return
    def fmt(amount: int) -> str:
        return Money(amount=amount, currency=st.currency).format()

    who = "brand" if st.party_kind == "talent" else "talent"
    print_table(("date", who, "item", "asset", "gross", "commission", "net", "due"),
                ((line.date.isoformat(), line.counterparty,
                  line.kind + (f" ({line.channel})" if line.channel else ""),
                  line.asset_id or "-", fmt(line.gross), fmt(line.commission),
                  fmt(line.net), line.due_on.isoformat()) for line in st.lines),
                title=f"{st.party_name}, {period}")
    out.print(f"gross {fmt(st.total('gross'))}, commission {fmt(st.total('commission'))}, "
              f"net {fmt(st.total('net'))}")
    for written in (csv_path, pdf_path):
        if written:
            out.print(f"wrote {written}")
