"""Decide a proposed use under a licence (read-only; every failed condition is listed)."""

from __future__ import annotations

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, isolation
from twinstudio.api.schemas import DecisionPublic, PolicyCheck
from twinstudio.services.rights import check_use

router = APIRouter(prefix="/policy", tags=["policy"])


@router.post("/check", openapi_extra=isolation(body={"licence_id": "licence"},
                                               action="read"))
def check(body: PolicyCheck, access: AccessDep) -> DecisionPublic:
    access.licence(body.licence_id)
    decision = check_use(access.ctx, body.licence_id, body.use)
    return DecisionPublic(allowed=decision.allowed, reasons=[
        r.model_dump() for r in access.redact(decision.reasons)])
