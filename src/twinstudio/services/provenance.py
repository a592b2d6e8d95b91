"""Use cases of provenance: mark an asset (watermark, fingerprints, signed C2PA manifest)
and verify any image (is it ours, whose twin, which licence, still valid?)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from twinstudio.domain.asset import (
    AWAITING_APPROVAL,
    PUBLISHABLE,
    SOURCE_TYPES,
    Asset,
    AssetState,
)
from twinstudio.domain.common import utcnow
from twinstudio.domain.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    RightsRefused,
)
from twinstudio.domain.policy import Reason, check_storage
from twinstudio.domain.provenance import AssetMark, manifest_for
from twinstudio.domain.text import check_text
from twinstudio.domain.vocabulary import ALTERATIONS, check_codes
from twinstudio.services.blob_writes import blob_writes
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import Blobs, ProvenanceTools, UnitOfWork, WithdrawalResult
from twinstudio.services.rights import integrity_reasons

GENERATOR = "twinstudio"
MIN_MARK_SIDE = 256
VERSION = "0.1.0"


def _tools(ctx: ServiceContext) -> tuple[ProvenanceTools, Blobs]:
    if ctx.provenance is None or ctx.blobs is None:
        raise ConfigurationError("provenance is not configured for this workspace "
                                 "(run 'twinstudio init')")
    return ctx.provenance, ctx.blobs


def provenance_tools(ctx: ServiceContext) -> ProvenanceTools:
    return _tools(ctx)[0]


@dataclass
class MarkResult:
    asset: Asset
    code: int
    image: bytes
    mime: str
    blob_sha256: str
    timings_ms: dict[str, float]


def mark_asset(ctx: ServiceContext, *, licence_id: str, image: bytes, source: str,
               alterations: list[str] | None = None, retouched: bool = False,
               actor: str = "system", counts_against_quota: bool = True,
               parent: tuple[str, bytes, str] | None = None,
               after: Callable[[UnitOfWork, Asset], None] | None = None,
               generation: dict[str, Any] | None = None) -> MarkResult:
    """Register ``image`` as an asset of the licence's twin and mark it: invisible
    watermark with a fresh asset code, fingerprints, and a signed C2PA manifest. Counts
    against the licence's ``max_assets`` (unless ``counts_against_quota`` is False: an
    image that failed QA is kept as evidence but never used). Refused when the licence or
    twin is not in force.

    ``parent`` (asset id, signed bytes, mime) makes this an edit of that asset: the
    manifest carries it as ``parentOf`` ingredient. ``after(uow, asset)`` runs inside the
    final transaction, so that what the caller records with the asset (a job's completion,
    QA results, a state) commits with it or not at all. ``generation`` (what made the
    image: recipe, seed, steps, models and their manifest hashes) goes into the signed
    twinstudio assertion.
    """
    import time

    tools, blobs = _tools(ctx)
    if source not in SOURCE_TYPES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCE_TYPES)}")
    try:
        alterations = check_codes("alterations", list(alterations or []), ALTERATIONS)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    timings: dict[str, float] = {}
    started = time.perf_counter()
    decoded = tools.decode(image)
    if min(decoded.width, decoded.height) < MIN_MARK_SIDE:
        raise InvalidInput(f"image is {decoded.width}x{decoded.height}; an asset needs at "
                           f"least {MIN_MARK_SIDE} px on its short side to carry a mark")
    today, now = ctx.today(), ctx.now()

    def refusals(uow) -> tuple[list[Reason], Any]:  # type: ignore[no-untyped-def]
        licence = uow.licences.get(licence_id, for_update=True)
        twin = uow.twins.get(licence.twin_id, for_update=True)
        reasons = integrity_reasons(ctx, uow, licence, uow.consents.get(licence.consent_id))
        reasons += check_storage(licence=licence, twin=twin, today=today,
                                 alterations=alterations,
                                 counts_against_quota=counts_against_quota)
        return reasons, licence

    with ctx.uow() as uow:  # refuse early, before any pixel work
        reasons, licence = refusals(uow)
    if reasons:
        raise RightsRefused("asset refused", reasons)

    asset = Asset(twin_id=licence.twin_id, licence_id=licence.id, brand_id=licence.brand_id,
                  source=source, alterations=alterations, retouched=retouched,
                  parent_id=parent[0] if parent else None, created_at=now, updated_at=now)
    code = secrets.randbits(32)
    timings["decode"] = (time.perf_counter() - started) * 1000
    t = time.perf_counter()
    marked = tools.embed_mark(decoded.rgb, code)
    timings["watermark"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    prints = tools.fingerprints(marked)
    timings["fingerprint"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    master = tools.encode(marked, decoded.mime)  # storing the image needs this anyway
    timings["encode"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    signed = tools.sign(master, _master_mime(decoded.mime),
                        manifest_for(asset, licence, generator=GENERATOR, version=VERSION,
                                     asset_code=code, edited=parent is not None,
                                     generation=generation),
                        parent=(parent[1], parent[2], f"{parent[0]} master") if parent
                        else None)
    timings["sign"] = (time.perf_counter() - t) * 1000

    # re-check under the locks: licence or twin may have changed; the master is written
    # before the rows that name it commit, and removed again if they do not
    with blob_writes(blobs) as written, ctx.uow() as uow:
        reasons, licence = refusals(uow)
        if reasons:
            raise RightsRefused("asset refused", reasons)
        if uow.marks.by_code(code) is not None:  # 1 in 2^32 per existing asset
            raise Conflict("asset code collision; retry")
        sha = written.put(signed)
        uow.assets.add(asset)
        uow.marks.add(AssetMark(asset_id=asset.id, code=code, blob_sha256=sha,
                                mime=_master_mime(decoded.mime), width=decoded.width,
                                height=decoded.height, pdq=prints.pdq,
                                pdq_mirror=prints.pdq_mirror, pdq_quality=prints.pdq_quality,
                                local_features=prints.local_features, created_at=now))
        if counts_against_quota:
            uow.licences.update(licence.model_copy(update={
                "assets_used": licence.assets_used + 1, "updated_at": now}))
        uow.audit.append(actor=actor, type="AssetMarked", at=now, payload={
            "asset_id": asset.id, "licence_id": licence.id, "twin_id": licence.twin_id,
            "blob_sha256": sha, "source": source, "alterations": alterations,
            "retouched": retouched, "parent_id": asset.parent_id,
            "counts_against_quota": counts_against_quota})
        if after is not None:
            after(uow, asset)
        uow.commit()
    return MarkResult(asset, code, signed, _master_mime(decoded.mime), sha, timings)


def _master_mime(mime: str) -> str:
    return "image/jpeg" if mime == "image/jpeg" else "image/png"


def set_asset_state(ctx: ServiceContext, asset_id: str, target: AssetState, *, reason: str,
                    actor: str) -> Asset:
    check_text(reason, "reason", multiline=True)  # a person's words, shown to the others
    with ctx.uow() as uow:
        asset = uow.assets.get(asset_id)
        changed = asset.transition(target, reason=reason, now=ctx.now())
        uow.assets.update(changed)
        uow.audit.append(actor=actor, type=f"Asset{target.value.title().replace('_', '')}",
                         at=ctx.now(), payload={"asset_id": asset_id, "from": asset.state.value,
                                                "to": target.value, "reason": reason})
        uow.commit()
    return changed


def withdraw_assets_hook(uow: UnitOfWork, *, twin_id: str, licence_ids: Any,
                         reason: str) -> WithdrawalResult:
    """RightsWithdrawnHook: unpublished assets of the licences are withdrawn; published
    ones are flagged for takedown (verification says ``withdrawn`` once the licence is
    revoked or suspended, or the twin is no longer active)."""
    withdrawn, flagged = [], []
    for licence_id in licence_ids:
        for asset in uow.assets.list(licence_id=licence_id):
            if asset.state is AssetState.PUBLISHED:
                uow.asset_details.request_takedown(asset.id, utcnow())
                flagged.append(asset.id)
            elif asset.state in _WITHDRAWABLE:
                uow.assets.update(asset.transition(AssetState.WITHDRAWN, reason=reason))
                withdrawn.append(asset.id)
    if flagged:
        uow.audit.append(actor="system", type="AssetsFlaggedForTakedown",
                         payload={"twin_id": twin_id, "asset_ids": flagged, "reason": reason})
    return WithdrawalResult(withdrawn_assets=withdrawn, flagged_for_takedown=flagged)


_WITHDRAWABLE = (AssetState.GENERATED, AssetState.QA_FAILED, AssetState.PENDING_APPROVAL,
                 AssetState.APPROVED)


def check_market(channel: str, territory: str) -> None:
    """A publication's channel and territory are known codes (every failed one named)."""
    from twinstudio.domain.generation import Market

    try:
        Market(channel=channel, territory=territory)
    except ValidationError as error:
        raise InvalidInput.of(error, "publication") from None


def require_publishable(asset: Asset) -> None:
    """Only an approved (or published) asset is licensed for publication: a generated or
    pending one waits for the talent's or agency's approval; others are over."""
    if asset.state in AWAITING_APPROVAL:
        raise Conflict(f"asset {asset.id} is {asset.state.value}: only an approved asset is "
                       "licensed for publication (the talent or their agency approves it: "
                       f"'twinstudio asset approve {asset.id} --by PARTY')")
    if asset.state not in PUBLISHABLE:
        raise Conflict(f"asset {asset.id} is {asset.state.value}; it cannot be published")


@dataclass
class Rendition:
    asset_id: str
    image: bytes
    mime: str
    labels: list[str]
    blob_sha256: str


def publication_rendition(ctx: ServiceContext, asset_id: str, *, channel: str,
                          territory: str, day: date, product_category: str,
                          always_label: bool = False, actor: str = "system") -> Rendition:
    """The image to publish on ``channel`` in ``territory``: only for an approved asset
    (``require_publishable``); the use is decided by ``evaluate()`` first; then the
    disclosure labels are rendered in and the rendition is signed with the master as its
    ``parentOf`` ingredient (the master stays clean)."""
    from twinstudio.domain.policy import ProposedUse, evaluate
    from twinstudio.domain.provenance import disclosure_labels

    tools, blobs = _tools(ctx)
    check_market(channel, territory)
    with ctx.uow() as uow:
        asset = uow.assets.get(asset_id)
        licence = uow.licences.get(asset.licence_id)
        consent = uow.consents.get(licence.consent_id)
        twin = uow.twins.get(asset.twin_id)
        mark = uow.marks.get(asset_id)
        generation = ((uow.asset_details.get(asset_id) or {}).get("reference") or {}).get(
            "generation")
        broken = integrity_reasons(ctx, uow, licence, consent)
    if broken:
        raise RightsRefused("publication refused", broken)
    require_publishable(asset)
    try:
        use = ProposedUse(channel=channel, territory=territory, date=day,
                          product_category=product_category, alterations=asset.alterations)
    except ValidationError as error:
        raise InvalidInput.of(error, "use") from None
    decision = evaluate(use, licence=licence, consent=consent, twin=twin, today=ctx.today(),
                        assets_used=0)  # this asset already counts against the quota
    if not decision.allowed:
        raise RightsRefused("publication refused", decision.reasons)
    labels = disclosure_labels(channel=channel, territory=territory, retouched=asset.retouched,
                               body_alteration_applied="body_shape" in asset.alterations,
                               always_label=always_label)
    master = blobs.get(mark.blob_sha256)
    rgb = tools.decode(master).rgb
    rendition = tools.encode(tools.render_labels(rgb, labels), "image/jpeg")
    manifest = manifest_for(asset, licence, generator=GENERATOR, version=VERSION,
                            asset_code=mark.code, edited=True, generation=generation)
    manifest["assertions"][1]["data"]["publication"] = {
        "channel": channel, "territory": territory, "date": day.isoformat(),
        "labels": labels}
    signed = tools.sign(rendition, "image/jpeg", manifest,
                        parent=(master, mark.mime, f"{asset.id} master"))
    sha = blobs.put(signed)
    with ctx.uow() as uow:
        uow.audit.append(actor=actor, type="AssetRenditionMade", at=ctx.now(), payload={
            "asset_id": asset_id, "channel": channel, "territory": territory,
            "date": day.isoformat(), "labels": labels, "blob_sha256": sha})
        uow.commit()
    return Rendition(asset_id, signed, "image/jpeg", labels, sha)
