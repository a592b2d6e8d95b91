"""Digital replica consents: the talent signs and revokes them."""

from __future__ import annotations

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import (
    ConsentCreate,
    ConsentPublic,
    Page,
    RevocationPublic,
    RevokeRequest,
    VerificationPublic,
)
from twinstudio.services.rights import (
    RevocationResult,
    grant_consent,
    revoke_consent,
    verify_consent,
)

router = APIRouter(prefix="/consents", tags=["consents"])


def revocation(result: RevocationResult) -> RevocationPublic:
    return RevocationPublic(consent_id=result.consent_id, licence_id=result.licence_id,
                            suspended_licences=result.suspended_licences,
                            withdrawn_assets=result.withdrawn_assets,
                            flagged_for_takedown=result.flagged_for_takedown,
                            destroyed_adapters=result.destroyed_adapters)


@router.get("", openapi_extra=isolation(list="consent"))
def list_consents(access: AccessDep, paging: PagingDep,
                  twin_id: str | None = None) -> Page[ConsentPublic]:
    return paging.page([ConsentPublic.of(c) for c in access.consents(twin_id)])


@router.get("/{consent_id}", openapi_extra=isolation(object="consent", param="consent_id",
                                                     action="read"))
def read_consent(consent_id: str, access: AccessDep) -> ConsentPublic:
    return ConsentPublic.of(access.consent(consent_id))


@router.post("", status_code=201, openapi_extra=isolation(body={"talent_id": "talent"},
                                                          action="consent.grant"))
def create_consent(body: ConsentCreate, access: AccessDep) -> ConsentPublic:
    """The talent signs a consent for their own twin (in their own language)."""
    access.talent(body.talent_id)
    access.require("consent.grant")
    return ConsentPublic.of(grant_consent(access.ctx, talent_id=body.talent_id,
                                          document=body.document,
                                          actor=access.principal.actor))


@router.post("/{consent_id}/revoke", openapi_extra=isolation(
    object="consent", param="consent_id", action="consent.revoke"))
def revoke(consent_id: str, body: RevokeRequest, access: AccessDep) -> RevocationPublic:
    """Revoke: licences under it are suspended, unpublished assets withdrawn, published
    ones flagged for takedown."""
    access.consent(consent_id)
    access.require("consent.revoke")
    return revocation(revoke_consent(access.ctx, consent_id, reason=body.reason,
                                     actor=access.principal.actor))


@router.get("/{consent_id}/verification", openapi_extra=isolation(
    object="consent", param="consent_id", action="read"))
def verify(consent_id: str, access: AccessDep) -> VerificationPublic:
    """Recompute the document hash and check the talent's signature."""
    access.consent(consent_id)
    return VerificationPublic(**verify_consent(access.ctx, consent_id).as_dict())
