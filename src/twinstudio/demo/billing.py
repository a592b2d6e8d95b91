"""The demo's billing: the campaign's approvals and publications posted their fees to the
ledger as they happened (``approve_asset``, ``publish_asset``; the licences' flat fees
when they were granted); here last month is closed (minimum guarantee top-ups) and the
statement of a talent the campaign earned for is written (CSV and PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from twinstudio.demo.campaign import CampaignDemoResult
from twinstudio.demo.world import DemoWorld
from twinstudio.domain.ledger import period_of
from twinstudio.domain.parties import Talent
from twinstudio.ledger import write_csv, write_pdf
from twinstudio.services.assets import asset_details
from twinstudio.services.billing import (
    LedgerCheck,
    check_ledger,
    close_period,
    talent_statement,
)
from twinstudio.services.context import ServiceContext


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
    events_posted: int                  # the campaign's approvals and publications
    closed_period: str
    top_ups: int
    statement: StatementSummary
    ledger: LedgerCheck


def bill_demo(ctx: ServiceContext, world: DemoWorld, workspace: Path,
              campaign: CampaignDemoResult | None = None) -> BillingDemoResult:
    """Close last month and write the statement of the talent of the campaign's first
    published image (talent 0 without a campaign)."""
    first_of_month = ctx.today().replace(day=1)
    last_month = period_of(first_of_month - timedelta(days=1))
    closed = close_period(ctx, last_month, actor="demo")
    talent = _earning_talent(ctx, world, campaign)
    period = period_of(ctx.today())
    statement = talent_statement(ctx, talent.id, period)
    folder = workspace / "statements"
    pdf, csv_file = folder / f"{talent.id}-{period}.pdf", folder / f"{talent.id}-{period}.csv"
    write_pdf(statement, pdf)
    write_csv(statement, csv_file)
    approvals = campaign.approvals if campaign else None
    return BillingDemoResult(
        events_posted=approvals.approved + len(approvals.published) if approvals else 0,
        closed_period=last_month, top_ups=sum(1 for c in closed if c.top_up),
        statement=StatementSummary(talent=talent.name, period=period,
                                   net=statement.total("net"),
                                   gross=statement.total("gross"),
                                   commission=statement.total("commission"),
                                   pdf=pdf, csv=csv_file),
        ledger=check_ledger(ctx))


def _earning_talent(ctx: ServiceContext, world: DemoWorld,
                    campaign: CampaignDemoResult | None) -> Talent:
    if campaign and campaign.approvals.published:
        twin_id = asset_details(ctx, campaign.approvals.published[0].asset_id).asset.twin_id
        for person in world.people:
            if person.twin.id == twin_id:
                return person.talent
    return world.people[0].talent
