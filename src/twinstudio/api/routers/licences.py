"""Licences of twins to brands: grant, revoke, show, list, verify signatures."""

from __future__ import annotations

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.routers.consents import revocation
from twinstudio.api.schemas import (
    LicenceCreate,
    LicencePublic,
    Page,
    RevocationPublic,
    RevokeRequest,
    VerificationPublic,
)
from twinstudio.domain.licence import LicenceState
from twinstudio.services.rights import grant_licence, revoke_licence, verify_licence

router = APIRouter(prefix="/licences", tags=["licences"])


@router.get("", openapi_extra=isolation(list="licence"))
def list_licences(access: AccessDep, paging: PagingDep, twin_id: str | None = None,
                  brand_id: str | None = None,
                  state: LicenceState | None = None) -> Page[LicencePublic]:
    found = access.licences(twin_id=twin_id, brand_id=brand_id)
    return paging.page([LicencePublic.of(lic) for lic in found
                        if state is None or lic.state is state])


@router.get("/{licence_id}", openapi_extra=isolation(object="licence", param="licence_id",
                                                     action="read"))
def read_licence(licence_id: str, access: AccessDep) -> LicencePublic:
    return LicencePublic.of(access.licence(licence_id))


@router.post("", status_code=201, openapi_extra=isolation(
    body={"twin_id": "twin_any", "brand_id": "brand", "consent_id": "consent_any"},
    action="licence.grant"))
def create_licence(body: LicenceCreate, access: AccessDep) -> LicencePublic:
    """Grant a licence of a twin to the caller's brand, signed by talent and brand.
    Refused (403, every reason) when no consent covers the terms or exclusivity clashes."""
    access.brand(body.brand_id)
    access.require("licence.grant")
    return LicencePublic.of(grant_licence(access.ctx, twin_id=body.twin_id,
                                          brand_id=body.brand_id, terms=body.terms,
                                          consent_id=body.consent_id,
                                          actor=access.principal.actor))


@router.post("/{licence_id}/revoke", openapi_extra=isolation(
    object="licence", param="licence_id", action="licence.revoke"))
def revoke(licence_id: str, body: RevokeRequest, access: AccessDep) -> RevocationPublic:
    access.licence(licence_id)
    access.require("licence.revoke")
    return revocation(revoke_licence(access.ctx, licence_id, reason=body.reason,
                                     actor=access.principal.actor))


@router.get("/{licence_id}/verification", openapi_extra=isolation(
    object="licence", param="licence_id", action="read"))
def verify(licence_id: str, access: AccessDep) -> VerificationPublic:
    """Recompute the licence's hash from its stored terms and check both signatures."""
    access.licence(licence_id)
    return VerificationPublic(**verify_licence(access.ctx, licence_id).as_dict())
