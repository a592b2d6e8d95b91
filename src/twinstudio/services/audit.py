"""Use cases of the audit chain: verify it (links, hashes and the signed checkpoints kept
outside the database), read it."""

from __future__ import annotations

from twinstudio.domain.audit import AuditEvent, ChainReport, check_anchors, verify_chain
from twinstudio.services.context import ServiceContext


def verify_audit(ctx: ServiceContext, expected_head: str | None = None) -> ChainReport:
    """Verify every link and hash, then the chain against the workspace's signed
    checkpoints: a consistent rewrite (hashes recomputed) or deleted newest events fail
    here, naming the first event that can no longer be trusted."""
    with ctx.uow() as uow:
        events = uow.audit.all()
    report = verify_chain(events, expected_head)
    if not report.ok or ctx.anchors is None:
        return report
    return check_anchors(report, events, ctx.anchors.read(), ctx.anchors.genuine)


def recent_events(ctx: ServiceContext, limit: int = 50) -> list[AuditEvent]:
    with ctx.uow() as uow:
        return uow.audit.tail(limit)
