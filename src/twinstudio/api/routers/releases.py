"""Biometric releases (Illinois BIPA written release, GDPR Art. 9 explicit consent)."""

from __future__ import annotations

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import Page, ReleaseCreate, ReleasePublic
from twinstudio.services.rights import grant_biometric_release, revoke_biometric_release

router = APIRouter(prefix="/biometric-releases", tags=["biometric releases"])


@router.get("", openapi_extra=isolation(list="release"))
def list_releases(access: AccessDep, paging: PagingDep) -> Page[ReleasePublic]:
    return paging.page([ReleasePublic.of(r) for r in access.releases()])


@router.get("/{release_id}", openapi_extra=isolation(object="release", param="release_id",
                                                     action="read"))
def read_release(release_id: str, access: AccessDep) -> ReleasePublic:
    return ReleasePublic.of(access.release(release_id))


@router.post("", status_code=201, openapi_extra=isolation(body={"talent_id": "talent"},
                                                          action="release.grant"))
def create_release(body: ReleaseCreate, access: AccessDep) -> ReleasePublic:
    access.talent(body.talent_id)
    access.require("release.grant")
    return ReleasePublic.of(grant_biometric_release(
        access.ctx, talent_id=body.talent_id, document=body.document,
        actor=access.principal.actor))


@router.post("/{release_id}/revoke", openapi_extra=isolation(
    object="release", param="release_id", action="release.revoke"))
def revoke(release_id: str, access: AccessDep) -> ReleasePublic:
    """Revoke: the twin's biometric data is crypto-shredded at once."""
    access.release(release_id)
    access.require("release.revoke")
    return ReleasePublic.of(revoke_biometric_release(access.ctx, release_id,
                                                     actor=access.principal.actor))
