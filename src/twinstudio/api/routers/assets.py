"""Assets: list (with filters), show, the marked image, approve, reject, publish, edit,
withdraw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from twinstudio.api.admission import BUSY, PerceptionGate
from twinstudio.api.deps import AccessDep, PagingDep, Quality, isolation
from twinstudio.api.schemas import (
    AssetPublic,
    EditPublic,
    Page,
    PublicationPublic,
    PublishRequest,
    RejectRequest,
    WithdrawRequest,
)
from twinstudio.domain.accounts import Role
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


def approver_party(access: AccessDep, asset_id: str) -> str:
    """Who approves: the talent themself, their agency, or (admin) the talent."""
    principal = access.principal
    if principal.role is Role.TALENT and principal.talent_id:
        return principal.talent_id
    if principal.role is Role.AGENCY and principal.organisation_id:
        return principal.organisation_id
    asset = access.asset(asset_id)
    with access.ctx.uow() as uow:
        return uow.twins.get(asset.twin_id).talent_id


@router.post("/{asset_id}/approve", openapi_extra=isolation(
    object="asset", param="asset_id", action="asset.approve"))
def approve(asset_id: str, access: AccessDep) -> AssetPublic:
    """The talent (or their agency) approves a pending asset; the approval fee is posted."""
    from twinstudio.services.assets import approve_asset

    access.asset(asset_id)
    access.require("asset.approve")
    return AssetPublic.of(approve_asset(access.ctx, asset_id,
                                        party_id=approver_party(access, asset_id),
                                        actor=access.principal.actor))


@router.post("/{asset_id}/reject", openapi_extra=isolation(
    object="asset", param="asset_id", action="asset.approve"))
def reject(asset_id: str, body: RejectRequest, access: AccessDep) -> AssetPublic:
    """The talent (or their agency) rejects a pending asset, saying why."""
    from twinstudio.services.assets import reject_asset

    access.asset(asset_id)
    access.require("asset.approve")
    return AssetPublic.of(reject_asset(access.ctx, asset_id,
                                       party_id=approver_party(access, asset_id),
                                       reason=body.reason, actor=access.principal.actor))


@router.post("/{asset_id}/publish", openapi_extra=isolation(
    object="asset", param="asset_id", action="asset.publish"))
def publish(asset_id: str, body: PublishRequest, access: AccessDep) -> PublicationPublic:
    """Publish an approved asset on a channel in a territory: the policy decides again;
    the rendition carries the disclosure labels; the publication fee is posted."""
    from twinstudio.services.assets import publish_asset

    access.asset(asset_id)
    access.require("asset.publish")
    result = publish_asset(access.ctx, asset_id, channel=body.channel,
                           territory=body.territory, day=body.date,
                           always_label=body.always_label, actor=access.principal.actor)
    return PublicationPublic(asset=AssetPublic.of(result.asset),
                             publication_id=result.publication_id, labels=result.labels,
                             rendition_sha256=result.rendition_sha256)


@router.post("/{asset_id}/edit", status_code=201, openapi_extra=isolation(
    object="asset", param="asset_id", action="asset.edit"), responses=BUSY)
def edit(asset_id: str, access: AccessDep, quality: Quality, gate: PerceptionGate,
         image: Annotated[UploadFile, File(description="the retouched image (JPEG, PNG or "
                                                       "WebP)")]) -> EditPublic:
    """Register a retouched version (brand editors and admins): the body-fidelity gate
    compares it with the original; a body change is refused (403, the reason) unless the
    licence permits ``body_shape``, and then the version is labelled retouched. The face
    must still be the twin's. The version is a new asset, pending approval again."""
    from twinstudio.api.uploads import read_image
    from twinstudio.services.assets import edit_asset

    access.asset(asset_id)
    access.require("asset.edit")
    with gate.admit():  # the body and identity gates run the perception models
        result = edit_asset(access.ctx, asset_id, image=read_image(image), quality=quality,
                            actor=access.principal.actor)
    return EditPublic(asset=AssetPublic.of(result.asset), body_changed=result.body_changed,
                      body=result.body.as_dict(),
                      identity=result.identity.as_dict())
