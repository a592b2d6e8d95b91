"""The demo's billing: placeholder assets marked under ten licences, their approval and
publication posted to the ledger, last month closed and one talent's statement written
(CSV and PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from twinstudio.demo.frames import placeholder_frame
from twinstudio.demo.world import DemoWorld
from twinstudio.domain.ledger import BillableEvent, EventType, period_of
from twinstudio.ledger import write_csv, write_pdf
from twinstudio.services.billing import (
    LedgerCheck,
    check_ledger,
    close_period,
    post_event,
    talent_statement,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.provenance import MarkResult, mark_asset

# The licences whose placeholder assets are marked, billed and later verified.
BILLED_LICENCES = ["nordvik-0", "nordvik-1", "nordvik-3", "nordvik-4", "lumiere-8",
                   "lumiere-9", "lumiere-10", "costa-20", "costa-21", "costa-22"]


@dataclass(frozen=True)
class StatementSummary:
    """One talent's statement for this month, in minor units, and where it was written."""

    talent: str
    period: str
    net: int
    gross: int
    commission: int
    pdf: Path
    csv: Path


@dataclass(frozen=True)
class BillingDemoResult:
    events_posted: int
    closed_period: str
    top_ups: int
    statement: StatementSummary
    ledger: LedgerCheck
    marked: dict[str, MarkResult]     # by licence key; the provenance step verifies them


def bill_demo(ctx: ServiceContext, world: DemoWorld, workspace: Path) -> BillingDemoResult:
    """Mark placeholder assets under ten licences (standing in for renders), post their
    approval and publication, close last month, write a statement."""
    now = ctx.now()
    posted = 0
    marked: dict[str, MarkResult] = {}
    for seed, key in enumerate(BILLED_LICENCES):
        licence = world.licences[key]
        result = mark_asset(ctx, licence_id=licence.id, image=placeholder_frame(seed + 1),
                            source="studio", alterations=["background"], actor="demo")
        marked[key] = result
        for event in (
            BillableEvent(type=EventType.ASSET_APPROVED, licence_id=licence.id,
                          asset_id=result.asset.id, occurred_at=now),
            BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id=licence.id,
                          asset_id=result.asset.id, channel="social", occurred_at=now),
        ):
            posted += post_event(ctx, event, actor="demo").posted
    first_of_month = ctx.today().replace(day=1)
    last_month = period_of(first_of_month - timedelta(days=1))
    closed = close_period(ctx, last_month, actor="demo")
    talent = world.people[0].talent
    period = period_of(ctx.today())
    statement = talent_statement(ctx, talent.id, period)
    folder = workspace / "statements"
    pdf, csv_file = folder / f"{talent.id}-{period}.pdf", folder / f"{talent.id}-{period}.csv"
    write_pdf(statement, pdf)
    write_csv(statement, csv_file)
    return BillingDemoResult(
        events_posted=posted, closed_period=last_month,
        top_ups=sum(1 for c in closed if c.top_up),
        statement=StatementSummary(talent=talent.name, period=period,
                                   net=statement.total("net"),
                                   gross=statement.total("gross"),
                                   commission=statement.total("commission"),
                                   pdf=pdf, csv=csv_file),
        ledger=check_ledger(ctx), marked=marked)
