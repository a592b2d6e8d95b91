"""The demo: a workspace with 30 talents, 2 agencies, 3 brands, consents and licences,
then a set of proposed uses decided by the policy, each explained, then a campaign of
rights-checked images (a dozen twins in full outfits, each image marked: C2PA, watermark,
fingerprints), its approvals and publications posted to the ledger, last month closed and
one talent's statement written (CSV + PDF), then copies of a campaign image verified.

``run_demo`` runs it and prints the summary, as a table or as JSON; ``DemoResult.as_dict``
is the one place that gives the JSON its shape.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from twinstudio.bootstrap import bootstrap, prepare_workspace
from twinstudio.demo.billing import BillingDemoResult, bill_demo
from twinstudio.demo.campaign import CAMPAIGN_SIZE, CampaignDemoResult
from twinstudio.demo.provenance import VerifyCopyResult, provenance_demo
from twinstudio.demo.uses import UseDecisionResult, decide_uses
from twinstudio.demo.world import ROSTER_SIZE, DemoWorld, EnrolmentSummary, build_world
from twinstudio.domain.audit import ChainReport
from twinstudio.domain.money import Money
from twinstudio.services.audit import verify_audit
from twinstudio.services.campaigns import CampaignStatusResult, campaign_status
from twinstudio.services.context import ServiceContext
from twinstudio.workspace import remove_workspace


@dataclass(frozen=True)
class DemoResult:
    """Everything the demo did, as its summary shows it."""

    workspace: Path
    world: DemoWorld
    uses: list[UseDecisionResult]
    billing: BillingDemoResult
    provenance: list[VerifyCopyResult]
    campaign: CampaignDemoResult | None
    audit: ChainReport

    def as_dict(self) -> dict[str, Any]:
        """The summary ``demo --json`` prints."""
        world, billing, statement = self.world, self.billing, self.billing.statement
        return {
            "workspace": str(self.workspace.resolve()), "talents": len(world.people),
            "brands": len(world.brands), "licences": len(world.licences),
            "enrolment": _enrolment_dict(world.enrolment),
            "grant_attempts": [{"attempt": a.label, "granted": a.granted,
                                "reasons": [r.model_dump() for r in a.reasons]}
                               for a in world.grant_attempts],
            "uses": [{"use": u.use.label, "licence": u.use.licence, "request": u.use.use,
                      **u.decision.model_dump(mode="json")} for u in self.uses],
            "billing": {"events_posted": billing.events_posted,
                        "closed_period": billing.closed_period, "top_ups": billing.top_ups,
                        "statement": {"talent": statement.talent, "period": statement.period,
                                      "net": statement.net, "gross": statement.gross,
                                      "commission": statement.commission,
                                      "pdf": str(statement.pdf), "csv": str(statement.csv)},
                        "ledger": billing.ledger.as_dict()},
            "provenance": [{"file": v.file, "verdict": v.verdict, "asset_id": v.asset_id,
                            "c2pa": v.c2pa, "watermark": v.watermark,
                            "fingerprint": v.fingerprint} for v in self.provenance],
            "campaign": _campaign_dict(self.campaign) if self.campaign else None,
            "audit": self.audit.model_dump(mode="json"),
        }


def _enrolment_dict(enrolment: EnrolmentSummary) -> dict[str, Any]:
    duplicate = enrolment.duplicate
    return {"enrolled": enrolment.enrolled, "total": enrolment.total,
            "through_review": enrolment.reviewed, "reviewer": enrolment.reviewer,
            "reason": enrolment.reason, "seconds": enrolment.seconds,
            "refused": [{"talent": r.talent, "code": r.code, "message": r.message}
                        for r in enrolment.refused],
            "duplicate": None if duplicate is None else {
                "review_id": duplicate.review.id, "decision": duplicate.review.state.value,
                "notices": len(duplicate.notices)}}


def _campaign_dict(campaign: CampaignDemoResult) -> dict[str, Any]:
    approvals = campaign.approvals
    return {"campaign_id": campaign.campaign_id, "name": campaign.name,
            "queued": campaign.queued, "refused": campaign.refused,
            "refusal_codes": campaign.refusal_codes, "beyond_cap": campaign.beyond_cap,
            "status": campaign.status.as_dict(), "seconds": campaign.seconds,
            "workers": campaign.workers, "images_per_minute": campaign.images_per_minute,
            "approved": approvals.approved, "rejected": approvals.rejected,
            "published": [{"asset_id": p.asset_id, "channel": p.channel,
                           "territory": p.territory, "labels": p.labels}
                          for p in approvals.published],
            "contact_sheet": str(campaign.contact_sheet),
            "after_revocation": campaign.after_revocation,
            "images_per_twin": campaign.images_per_twin, "revoked_talent": campaign.revoked_talent}


def make_demo(ctx: ServiceContext, workspace: Path, *, quiet: bool, campaign_size: int,
              on_world: Callable[[DemoWorld, list[UseDecisionResult]], None] | None = None
              ) -> DemoResult:
    """Build the demo world in an empty workspace and run every step of the story;
    ``on_world`` is told the world and the decided uses as soon as they exist (the
    summary's first part goes on screen before the campaign runs)."""
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True, disable=quiet) as bar:
        task = bar.add_task("synthetic roster (built once, then cached)", total=ROSTER_SIZE)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"roster: {name}")

        world = build_world(ctx, workspace, progress)
    uses = decide_uses(ctx, world)
    if on_world:
        on_world(world, uses)
    campaign = _campaign(ctx, world, workspace, quiet=quiet, size=campaign_size) \
        if campaign_size else None
    billing = bill_demo(ctx, world, workspace, campaign)
    provenance = provenance_demo(ctx, world, campaign, workspace)
    if campaign:
        campaign = replace(campaign, revoked_talent=provenance.revoked_talent,
                           after_revocation=campaign_status(ctx, campaign.campaign_id).assets)
    return DemoResult(workspace=workspace, world=world, uses=uses, billing=billing,
                      provenance=provenance.copies, campaign=campaign,
                      audit=verify_audit(ctx))


def _campaign(ctx: ServiceContext, world: DemoWorld, workspace: Path, *,
              quiet: bool, size: int) -> CampaignDemoResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from twinstudio.demo.campaign import run_campaign_demo

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                  transient=True, disable=quiet) as bar:
        task = bar.add_task("campaign: starting workers", total=None)

        def progress(status: CampaignStatusResult) -> None:
            bar.update(task, total=status.total, completed=status.ended,
                       description=f"campaign: {status.jobs['running']} rendering")

        return run_campaign_demo(ctx, world, workspace, progress, size=size)


def run_demo(workspace: Path, *, reset: bool, console: Console, as_json: bool,
             campaign_size: int = CAMPAIGN_SIZE) -> DemoResult:
    """``twinstudio demo``: build the demo workspace, run the story, print its summary."""
    if reset:
        remove_workspace(workspace)
    _, settings = prepare_workspace(workspace)
    # the roster's capture sets are checked on every core (a set's photos in parallel)
    ctx = bootstrap(settings.model_copy(update={
        "capture_workers": max(settings.capture_workers, min(os.cpu_count() or 1, 4))}))
    # no service tells whether a workspace holds talents: the unit of work is read directly
    with ctx.uow() as uow:
        if uow.talents.list():
            from twinstudio.domain.errors import Conflict

            raise Conflict(f"{workspace} already holds data; run the demo with --reset")
    summary = make_demo(ctx, workspace, quiet=as_json, campaign_size=campaign_size,
                        on_world=None if as_json else lambda world, uses: print_world(
                            console, workspace, world, uses))
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return summary
    print_outcome(console, summary)
    # Web portal and API (issue 8): demo logins with known passwords, and where to go.
    from twinstudio.services.accounts import create_demo_logins

    logins = create_demo_logins(ctx)
    console.print(f"Web portal and API: twinstudio serve --workspace {workspace}, then open "
                  "http://127.0.0.1:8000/ (API docs: /api/v1/docs). Demo logins:")
    for login in logins:
        console.print(f"  {login['role']:<12} {login['email']:<36} {login['password']}",
                      markup=False, highlight=False)
    return summary


def print_world(console: Console, workspace: Path, world: DemoWorld,
                uses: list[UseDecisionResult]) -> None:
    """The summary's first part: the world, its enrolment, the grants and the uses."""
    console.print(f"[bold]twinstudio demo[/bold] in {workspace.resolve()}: "
                  f"{len(world.people)} talents, {len(world.brands)} brands, "
                  f"{len(world.licences)} licences granted")
    enrolment = world.enrolment
    console.print(
        f"Enrolment through enrol_twin: {enrolment.enrolled} of {enrolment.total} twins "
        f"enrolled with a face template in {enrolment.seconds:.0f} s; {enrolment.reviewed} "
        f"of them through a likeness review (a look-alike collision), decided distinct by "
        f"{enrolment.reviewer}: \"{enrolment.reason}\"", markup=False)
    if enrolment.refused:
        console.print("Refused: " + ", ".join(f"{r.talent} ({r.code})"
                                              for r in enrolment.refused), markup=False)
    if enrolment.duplicate:
        review = enrolment.duplicate.review
        console.print(
            f"A second talent record with the same photos went to review {review.id}, "
            f"decided same_person: enrolment refused, its biometric data destroyed, "
            f"{len(enrolment.duplicate.notices)} notices sent (the talent and her agency "
            "see them in the portal)", markup=False)
    grants = Table("licence request", "result", title="Licence requests refused at grant")
    for attempt in world.grant_attempts:
        grants.add_row(attempt.label, "granted" if attempt.granted else "\n".join(
            f"{r.code}: {r.message}" for r in attempt.reasons))
    console.print(grants)
    table = Table("proposed use", "decision", title="Proposed uses, decided by evaluate()")
    for u in uses:
        verdict = "[green]allowed[/green]" if u.decision.allowed else "[red]refused[/red]\n" + \
            "\n".join(f"{x.code}: {x.message}" for x in u.decision.reasons)
        table.add_row(u.use.label, verdict)
    console.print(table)


def print_outcome(console: Console, summary: DemoResult) -> None:
    """The summary's second part: ledger, provenance, the campaign, the audit chain."""
    billing = summary.billing
    st = billing.statement
    ledger_ok = "ok" if billing.ledger.ok else "BROKEN"
    console.print(
        f"Ledger {ledger_ok}: {billing.events_posted} billable events posted by the "
        "campaign's approvals and publications, "
        f"{billing.closed_period} closed with {billing.top_ups} guarantee top-up(s). "
        f"{st.talent} earned {Money(amount=st.net, currency='EUR').format()} net in "
        f"{st.period} (commission {Money(amount=st.commission, currency='EUR').format()})"
        f"; statement: {st.pdf}")
    marks = Table("image", "verdict", "c2pa", "watermark", "fingerprint",
                  title="Provenance: verify what the internet makes of our images")
    for row in summary.provenance:
        marks.add_row(row.file, row.verdict, row.c2pa, row.watermark, row.fingerprint)
    if summary.provenance:
        console.print(marks)
        console.print("The campaign image, its rendition and the copies verified: "
                      f"{summary.workspace / 'assets'}")
    else:
        console.print("Provenance: no campaign image to verify (the campaign was not run)")
    if summary.campaign:
        _print_campaign(console, summary.campaign)
    allowed = sum(u.decision.allowed for u in summary.uses)
    chain = summary.audit
    console.print(f"{allowed} allowed, {len(summary.uses) - allowed} refused. Audit chain: "
                  + (f"ok, {chain.events} events" if chain.ok else f"BROKEN: {chain.problem}"))


def _print_campaign(console: Console, campaign: CampaignDemoResult) -> None:
    status, approvals = campaign.status, campaign.approvals
    refused = ", ".join(f"{n} x {code}" for code, n in sorted(campaign.refusal_codes.items()))
    console.print(
        f"[bold]Campaign[/bold] {campaign.name}: {campaign.queued} variants queued, "
        f"{campaign.refused} refused by the policy before rendering ({refused}); "
        f"{status.jobs['succeeded']} images made by {campaign.workers} workers in "
        f"{campaign.seconds} s ({campaign.images_per_minute} per minute)")
    console.print("QA and approval: " + ", ".join(
        f"{k} {v}" for k, v in sorted(status.assets.items())) + f"; talents approved "
        f"{approvals.approved} and rejected {approvals.rejected}; "
        f"{len(approvals.published)} published")
    console.print("Images per twin: " + ", ".join(
        f"{name} {n}" for name, n in campaign.images_per_twin.items()))
    if campaign.revoked_talent:
        console.print(f"After Nordvik's licence with {campaign.revoked_talent} was revoked: "
                      + ", ".join(f"{k} {v}" for k, v in
                                  sorted((campaign.after_revocation or {}).items())))
    console.print(f"Contact sheet: {campaign.contact_sheet}")
