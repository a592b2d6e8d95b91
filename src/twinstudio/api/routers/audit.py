"""The audit chain: verification and events (compliance and admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import AuditEventPublic, ChainPublic, Page
from twinstudio.services.audit import verify_audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/chain", openapi_extra=isolation(role="audit.read"))
def chain(access: AccessDep, expect_head: Annotated[str | None, Query(
        pattern=r"^[0-9]{1,12}:[0-9a-f]{64}$",
        description="a head published elsewhere, as SEQ:HASH (head_seq and head_hash of an "
                    "earlier answer): the chain must still contain it")] = None
          ) -> ChainPublic:
    """Verify every link; names the first bad event."""
    access.require("audit.read")
    return ChainPublic(**verify_audit(access.ctx, expect_head).model_dump())


@router.get("/events", openapi_extra=isolation(role="audit.read"))
def events(access: AccessDep, paging: PagingDep,
           type: Annotated[str | None, Query(max_length=80)] = None
           ) -> Page[AuditEventPublic]:
    """Events, newest first."""
    access.require("audit.read")
    with access.ctx.uow() as uow:
        found = uow.audit.all()
    found = [e for e in reversed(found) if type is None or e.type == type]
    return paging.page([AuditEventPublic(**e.model_dump()) for e in found])
