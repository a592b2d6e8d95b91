"""The asset life cycle after generation: approval by the talent (or their agency),
publication on a channel in a territory (decided by ``evaluate()`` again, with the
disclosure labels rendered into a signed rendition), and retouching (an edited version
whose body is compared with the original's body twin).

Approval and publication post their billable events to the ledger in the same
transaction, so that a use is paid exactly when it happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from twinstudio.domain.asset import APPROVED_BY_TERMS, Asset, AssetState, submitted_state
from twinstudio.domain.budgets import MAX_KEPT_PIXELS
from twinstudio.domain.common import new_id
from twinstudio.domain.errors import Conflict, InvalidInput, NotFound, RightsRefused
from twinstudio.domain.ledger import BillableEvent, EventType
from twinstudio.domain.policy import Reason, ReasonCode
from twinstudio.domain.text import check_text
from twinstudio.services.billing import post_in
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import QualityTools, UnitOfWork
from twinstudio.services.provenance import (
    MarkResult,
    check_market,
    mark_asset,
    provenance_tools,
    publication_rendition,
    require_publishable,
)
from twinstudio.services.quality import (
    BodyGateResult,
    IdentityGateResult,
    QaResult,
    body_gate,
    identity_gate,
)
from twinstudio.services.webhooks import emit_for_asset

NOT_APPROVER = "not_the_approver"


def _approver_check(uow: UnitOfWork, asset: Asset, party_id: str) -> None:
    twin = uow.twins.get(asset.twin_id)
    talent = uow.talents.get(twin.talent_id)
    if party_id not in (talent.id, talent.agency_id):
        raise RightsRefused("approval refused", [Reason(
            code=NOT_APPROVER, message="only the talent or their agency approves assets "
                                       "of their twin")])


def submit_asset(uow: UnitOfWork, asset: Asset, *, approval_required: bool, actor: str,
                 now: datetime) -> Asset:
    """Send a new asset that passed its checks where its licence says, in the caller's
    transaction: pending the talent's (or agency's) approval when the licence requires
    it; otherwise approved by the licence's terms, not by a person: audited as
    ``AssetApproved`` by ``licence_terms``, with the per-asset fee posted as for any
    approval (the talent is paid for every approved asset)."""
    target = submitted_state(approval_required)
    if target is AssetState.PENDING_APPROVAL:
        pending = asset.transition(target, now=now)
        uow.assets.update(pending)
        emit_for_asset(uow, "asset.pending_approval", pending, now=now)
        return pending
    approved = asset.transition(target, now=now, reason="approved by the licence's terms "
                                                        "(it needs no approval)")
    uow.assets.update(approved)
    post_in(uow, BillableEvent(type=EventType.ASSET_APPROVED, licence_id=asset.licence_id,
                               occurred_at=now, asset_id=asset.id), now=now, actor=actor)
    uow.audit.append(actor=actor, type="AssetApproved", at=now, payload={
        "asset_id": asset.id, "by": APPROVED_BY_TERMS})
    emit_for_asset(uow, "asset.approved", approved, now=now, by=APPROVED_BY_TERMS)
    return approved


def register_asset(ctx: ServiceContext, *, licence_id: str, image: bytes, source: str,
                   alterations: list[str] | None = None, retouched: bool = False,
                   actor: str = "operator") -> MarkResult:
    """Register an image made elsewhere as an asset of the licence's twin: marked like a
    generated one (``mark_asset``) and, in the same transaction, submitted as the licence
    says: pending the talent's (or agency's) approval when the licence requires it,
    otherwise approved. Until it is approved it is not licensed for publication."""

    def submit(uow: UnitOfWork, asset: Asset) -> None:
        licence = uow.licences.get(asset.licence_id)
        target = submitted_state(licence.terms.approval_required)
        uow.audit.append(actor=actor, type="AssetSubmitted", at=ctx.now(), payload={
            "asset_id": asset.id, "state": target.value})
        submit_asset(uow, asset, approval_required=licence.terms.approval_required,
                     actor=actor, now=ctx.now())

    marked = mark_asset(ctx, licence_id=licence_id, image=image, source=source,
                        alterations=alterations, retouched=retouched, actor=actor,
                        after=submit)
    with ctx.uow() as uow:
        marked.asset = uow.assets.get(marked.asset.id)
    return marked


def approve_asset(ctx: ServiceContext, asset_id: str, *, party_id: str,
                  actor: str) -> Asset:
    """The talent (or their agency) approves a pending asset; posts the approval fee."""
    now = ctx.now()
    with ctx.uow() as uow:
        asset = uow.assets.get(asset_id)
        _approver_check(uow, asset, party_id)
        if asset.state is not AssetState.PENDING_APPROVAL:
            raise Conflict(f"asset {asset_id} is {asset.state.value}; only a pending asset "
                           "is approved")
        approved = asset.transition(AssetState.APPROVED, reason=f"approved by {party_id}",
                                    now=now)
        uow.assets.update(approved)
        post_in(uow, BillableEvent(type=EventType.ASSET_APPROVED, licence_id=asset.licence_id,
                                   occurred_at=now, asset_id=asset.id), now=now, actor=actor)
        uow.audit.append(actor=actor, type="AssetApproved", at=now, payload={
            "asset_id": asset_id, "by": party_id})
        emit_for_asset(uow, "asset.approved", approved, now=now, by=party_id)
        uow.commit()
    return approved


def reject_asset(ctx: ServiceContext, asset_id: str, *, party_id: str, reason: str,
                 actor: str) -> Asset:
    if not check_text(reason, "reason", multiline=True).strip():
        raise InvalidInput("a rejection needs a reason")
    now = ctx.now()
    with ctx.uow() as uow:
        asset = uow.assets.get(asset_id)
        _approver_check(uow, asset, party_id)
        rejected = asset.transition(AssetState.REJECTED, reason=reason, now=now)
        uow.assets.update(rejected)
        uow.audit.append(actor=actor, type="AssetRejected", at=now, payload={
            "asset_id": asset_id, "by": party_id, "reason": reason})
        emit_for_asset(uow, "asset.rejected", rejected, now=now, by=party_id, reason=reason)
        uow.commit()
    return rejected


@dataclass
class PublishResult:
    asset: Asset
    publication_id: str
    labels: list[str]
    rendition_sha256: str
    image: bytes


def publish_asset(ctx: ServiceContext, asset_id: str, *, channel: str, territory: str,
                  day: date, actor: str, always_label: bool = False) -> PublishResult:
    """Publish an approved asset on ``channel`` in ``territory`` on ``day``: the policy
    decides again, the rendition carries the disclosure labels and a signed manifest with
    the master as ingredient; the publication fee is posted (a publication is the asset
    on one channel in one territory: each pair is paid once)."""
    check_market(channel, territory)
    with ctx.uow() as uow:
        asset = uow.assets.get(asset_id)
        details = uow.asset_details.get(asset_id)
        done = {(p["channel"], p["territory"]) for p in uow.asset_details.publications(asset_id)}
        category = _category(uow, details)
    require_publishable(asset)
    if (channel, territory) in done:
        raise Conflict(f"asset {asset_id} is already published on {channel} in {territory}")
    rendition = publication_rendition(ctx, asset_id, channel=channel, territory=territory,
                                      day=day, product_category=category,
                                      always_label=always_label, actor=actor)
    now = ctx.now()
    publication_id = new_id("pub")
    with ctx.uow() as uow:
        current = uow.assets.get(asset_id)  # revocation may have withdrawn it meanwhile
        if current.state not in (AssetState.APPROVED, AssetState.PUBLISHED):
            raise Conflict(f"asset {asset_id} became {current.state.value}")
        if current.state is AssetState.APPROVED:
            current = current.transition(AssetState.PUBLISHED, now=now,
                                         reason=f"{channel}/{territory} {day.isoformat()}")
            uow.assets.update(current)
        uow.asset_details.add_publication(
            publication_id=publication_id, asset_id=asset_id, channel=channel,
            territory=territory, published_on=day, labels=rendition.labels,
            rendition_sha256=rendition.blob_sha256, at=now)
        post_in(uow, BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id=asset.licence_id,
                                   occurred_at=now, asset_id=asset_id, channel=channel,
                                   territory=territory),
                now=now, actor=actor)
        uow.audit.append(actor=actor, type="AssetPublished", at=now, payload={
            "asset_id": asset_id, "publication_id": publication_id, "channel": channel,
            "territory": territory, "date": day.isoformat(), "labels": rendition.labels})
        emit_for_asset(uow, "asset.published", current, now=now,
                       publication_id=publication_id, channel=channel, territory=territory,
                       date=day.isoformat())
        uow.commit()
    return PublishResult(current, publication_id, rendition.labels, rendition.blob_sha256,
                         rendition.image)


def _category(uow: UnitOfWork, details: dict[str, Any] | None) -> str:
    """The licence product category of the asset's garments (the first garment's)."""
    if not details or "request" not in details["reference"]:
        raise Conflict("this asset was not generated by a campaign; publish it with "
                       "'asset rendition' and an explicit product category")
    garment_ids = details["reference"]["request"]["garment_ids"]
    return uow.garments.get(garment_ids[0]).product_category


@dataclass
class EditResult:
    asset: Asset
    body: BodyGateResult
    identity: IdentityGateResult
    body_changed: bool


def edit_asset(ctx: ServiceContext, asset_id: str, *, image: bytes, quality: QualityTools,
               actor: str) -> EditResult:
    """Register an edited (retouched) version of an asset.

    The body-fidelity gate compares the edit with the original's body twin: a body change
    is refused unless the licence permits ``body_shape``; then the new version records the
    alteration and is marked retouched, which puts the "photographie retouchée" label on
    its French publications. The face must still be the twin's. The version is a new asset
    with the original as its C2PA ingredient, pending approval again."""
    tools = provenance_tools(ctx)
    # type, size and bomb checks at the edge; the edit is kept: at most 16 MP
    decoded = tools.decode(image, max_pixels=MAX_KEPT_PIXELS)
    with ctx.uow() as uow:
        original = uow.assets.get(asset_id)
        details = uow.asset_details.get(asset_id)
        licence = uow.licences.get(original.licence_id)
        mark = uow.marks.get(asset_id)
    if original.state in (AssetState.WITHDRAWN, AssetState.REJECTED, AssetState.QA_FAILED,
                          AssetState.EXPIRED):
        raise Conflict(f"asset {asset_id} is {original.state.value}; it cannot be edited")
    if not details:
        raise Conflict(f"asset {asset_id} was not generated here; there is no body twin "
                       "to compare an edit with")
    parent_bytes = _blob(ctx, mark.blob_sha256)
    body = body_gate(quality, tools.decode(parent_bytes).rgb, decoded.rgb)
    identity = identity_gate(ctx, quality, original.twin_id, decoded.rgb)
    if not body.checked:
        raise InvalidInput(f"the edit cannot be checked: {body.reason}")
    body_changed = not body.passed
    if not identity.passed:
        raise RightsRefused("edit refused", [Reason(
            code=ReasonCode.ALTERATION_NOT_PERMITTED,
            message=f"the face is no longer the twin's ({identity.reason})")])
    if body_changed and "body_shape" not in licence.terms.permitted_alterations:
        raise RightsRefused("edit refused", [Reason(
            code=ReasonCode.ALTERATION_NOT_PERMITTED,
            message=f"{body.reason}; the licence does not permit body_shape")])
    alterations = sorted(set(original.alterations) | ({"body_shape"} if body_changed
                                                       else set()))
    qa = QaResult(identity, body, passed=True, edit_of=asset_id)

    def record(uow: UnitOfWork, asset: Asset) -> None:
        uow.assets.update(asset.transition(AssetState.PENDING_APPROVAL, now=ctx.now(),
                                           reason=f"edit of {asset_id}"))
        uow.asset_details.add(asset.id, job_id=None, qa=qa.as_dict(),
                              reference=details["reference"])
        uow.audit.append(actor=actor, type="AssetEdited", at=ctx.now(), payload={
            "asset_id": asset.id, "parent_id": asset_id, "body_changed": body_changed,
            "alterations": alterations})

    marked = mark_asset(ctx, licence_id=original.licence_id, image=image,
                        source=original.source, alterations=alterations,
                        retouched=body_changed or original.retouched, actor=actor,
                        counts_against_quota=False, after=record,
                        parent=(asset_id, parent_bytes, mark.mime))
    with ctx.uow() as uow:
        stored = uow.assets.get(marked.asset.id)
    return EditResult(stored, body, identity, body_changed)


def _blob(ctx: ServiceContext, sha: str) -> bytes:
    if ctx.blobs is None:
        raise NotFound("no content store configured")
    return ctx.blobs.get(sha)


# ---------------------------------------------------------------------------- reads


def list_assets(ctx: ServiceContext, *, licence_id: str | None = None) -> list[Asset]:
    with ctx.uow() as uow:
        return uow.assets.list(licence_id=licence_id)


@dataclass
class AssetDetailsResult:
    """An asset with its stored master, QA gates, variant and publications."""

    asset: Asset
    blob_sha256: str
    qa: QaResult | None                      # None: not generated here (marked only)
    request: dict[str, Any] | None           # the variant it shows
    publications: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {**self.asset.model_dump(mode="json"), "blob_sha256": self.blob_sha256,
                "qa": self.qa.as_dict() if self.qa else None, "request": self.request,
                "publications": self.publications}


def asset_details(ctx: ServiceContext, asset_id: str) -> AssetDetailsResult:
    with ctx.uow() as uow:
        asset = uow.assets.get(asset_id)
        details = uow.asset_details.get(asset_id)
        publications = uow.asset_details.publications(asset_id)
        mark = uow.marks.get(asset_id)
    return AssetDetailsResult(asset, mark.blob_sha256,
                              QaResult.from_dict(details["qa"]) if details else None,
                              details["reference"].get("request") if details else None,
                              publications)


def asset_master(ctx: ServiceContext, asset_id: str) -> bytes:
    """The asset's signed master image, as stored."""
    with ctx.uow() as uow:
        mark = uow.marks.get(asset_id)
    return _blob(ctx, mark.blob_sha256)
