"""Use cases of the audit chain: verify it, read it."""

from __future__ import annotations

from twinstudio.domain.audit import AuditEvent, ChainReport, verify_chain
from twinstudio.services.context import ServiceContext


def verify_audit(ctx: ServiceContext, expected_head: str | None = None) -> ChainReport:
    with ctx.uow() as uow:
        events = uow.audit.all()
    return verify_chain(events, expected_head)


def recent_events(ctx: ServiceContext, limit: int = 50) -> list[AuditEvent]:
    with ctx.uow() as uow:
        return uow.audit.tail(limit)
