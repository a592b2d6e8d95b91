"""Assets: list (with filters), show, the marked image, withdraw."""

from __future__ import annotations

from fastapi import APIRouter, Response

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import AssetPublic, Page, WithdrawRequest
from twinstudio.domain.asset import AssetState
from twinstudio.domain.errors import NotFound
from twinstudio.services.provenance import set_asset_state

router = APIRouter(prefix="/assets", tags=["assets"])


@router.get("", openapi_extra=isolation(list="asset"))
def list_assets(access: AccessDep, paging: PagingDep, state: AssetState | None = None,
                licence_id: str | None = None, twin_id: str | None = None,
                brand_id: str | None = None) -> Page[AssetPublic]:
    found = [a for a in access.assets(licence_id=licence_id, twin_id=twin_id)
             if (state is None or a.state is state)
             and (brand_id is None or a.brand_id == brand_id)]
    return paging.page([AssetPublic.of(a) for a in reversed(found)])  # newest first


@router.get("/{asset_id}", openapi_extra=isolation(object="asset", param="asset_id",
                                                   action="read"))
def read_asset(asset_id: str, access: AccessDep) -> AssetPublic:
    return AssetPublic.of(access.asset(asset_id))


def asset_image(access: AccessDep, asset_id: str) -> tuple[bytes, str]:
    """The signed master of a visible asset (shared with the web pages)."""
    access.asset(asset_id)
    if access.ctx.blobs is None:
        raise NotFound(f"asset {asset_id!r} has no stored image")
    with access.ctx.uow() as uow:
        try:
            mark = uow.marks.get(asset_id)
        except NotFound:
            raise NotFound(f"asset {asset_id!r} has no stored image") from None
    return access.ctx.blobs.get(mark.blob_sha256), mark.mime


@router.get("/{asset_id}/image", openapi_extra=isolation(object="asset", param="asset_id",
                                                         action="read"),
            response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}},
                             "description": "the signed, marked master"}})
def download_image(asset_id: str, access: AccessDep) -> Response:
    data, mime = asset_image(access, asset_id)
    ext = "jpg" if mime == "image/jpeg" else "png"
    return Response(data, media_type=mime, headers={
        "Content-Disposition": f'inline; filename="{asset_id}.{ext}"',
        "Cache-Control": "private, max-age=300"})


@router.post("/{asset_id}/withdraw", openapi_extra=isolation(
    object="asset", param="asset_id", action="asset.withdraw"))
def withdraw(asset_id: str, body: WithdrawRequest, access: AccessDep) -> AssetPublic:
    """Withdraw an asset: from now on it verifies as 'withdrawn'."""
    access.asset(asset_id)
    access.require("asset.withdraw")
    return AssetPublic.of(set_asset_state(access.ctx, asset_id, AssetState.WITHDRAWN,
                                          reason=body.reason, actor=access.principal.actor))
