"""The caller's notices: messages addressed to the caller's talent (a talent user) or
organisation (agency or brand staff), e.g. that a likeness review found someone else's
capture session showing their twin's face. Compliance and admin have none of their own.
A notice of another party answers 404."""

from __future__ import annotations

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.review_schemas import NoticePublic
from twinstudio.api.schemas import Page
from twinstudio.services.likeness import list_notices, mark_notice_read, notice_recipients

router = APIRouter(prefix="/me/notices", tags=["accounts"])


@router.get("", openapi_extra=isolation(role="read"))
def list_my_notices(access: AccessDep, paging: PagingDep,
                    unread: bool = False) -> Page[NoticePublic]:
    """The caller's notices, newest first (``unread=true``: only those not read yet)."""
    found = list_notices(access.ctx, notice_recipients(access.principal))
    return paging.page([NoticePublic.of(n) for n in found
                        if not unread or n.read_at is None])


@router.post("/{notice_id}/read", openapi_extra=isolation(role="read"))
def mark_read(notice_id: str, access: AccessDep) -> NoticePublic:
    """Mark one of the caller's notices read (again: no change)."""
    recipients = notice_recipients(access.principal)
    mark_notice_read(access.ctx, notice_id, recipients)
    [notice] = [n for n in list_notices(access.ctx, recipients) if n.id == notice_id]
    return NoticePublic.of(notice)
