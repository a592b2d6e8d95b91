"""Resources of the studio's work: garments, campaigns and their jobs, assets,
statements, likeness reviews, notices, the model registry, the audit chain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Literal, overload

from twinstudio.api.model_schemas import ModelPublic
from twinstudio.api.review_schemas import (
    DecisionPublic,
    NoticePublic,
    ReviewPhotosPublic,
    ReviewPublic,
)
from twinstudio.api.schemas import (
    AssetPublic,
    AuditEventPublic,
    CampaignPlanPublic,
    CampaignPublic,
    CampaignSummaryPublic,
    ChainPublic,
    EditPublic,
    GarmentPublic,
    JobPublic,
    Page,
    PublicationPublic,
    RunPublic,
    StatementPublic,
)
from twinstudio.client._calls import Call, Upload, file_part, get, model, post, raw
from twinstudio.client.resources._base import DEFAULT_LIMIT, DEFAULT_PAGE_SIZE, Resource
from twinstudio.domain.asset import AssetState
from twinstudio.domain.garment import Fit, GarmentCategory, Length
from twinstudio.domain.generation import CampaignBrief, JobState
from twinstudio.domain.likeness import ReviewDecision, ReviewState
from twinstudio.domain.models import ModelKind


class Garments(Resource):
    def _list(self, brand_id: str | None,
              category: GarmentCategory | str | None) -> Call[Page[GarmentPublic]]:
        return get("/garments", model(Page[GarmentPublic]), brand_id=brand_id,
                   category=category)

    def list(self, *, brand_id: str | None = None, category: GarmentCategory | str | None
             = None, limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[GarmentPublic]:
        return self._page(self._list(brand_id, category), limit, offset)

    def iter(self, *, brand_id: str | None = None, category: GarmentCategory | str | None
             = None, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[GarmentPublic]:
        return self._all(self._list(brand_id, category), page_size)

    def get(self, garment_id: str) -> GarmentPublic:
        return self._do(get(f"/garments/{garment_id}", model(GarmentPublic)))

    def create(self, name: str, category: GarmentCategory | str, *,
               fabric_color: str | None = None, brand_id: str | None = None,
               fit: Fit | str = Fit.REGULAR, length: Length | str = Length.REGULAR,
               colorways: Sequence[str] = (), pattern_size_cm: float = 12.0,
               pattern: Upload | None = None, image: Upload | None = None,
               idempotency_key: str | None = None) -> GarmentPublic:
        """Add a garment to the brand's catalogue; without ``fabric_color`` its colour
        is measured in ``image`` (the packshot)."""
        form = {"name": name, "category": getattr(category, "value", category),
                "fit": getattr(fit, "value", fit), "length": getattr(length, "value", length),
                "colorways": ",".join(colorways), "pattern_size_cm": str(pattern_size_cm)}
        if fabric_color is not None:
            form["fabric_color"] = fabric_color
        if brand_id is not None:
            form["brand_id"] = brand_id
        files = [(field, file_part(upload, f"{field}.jpg"))
                 for field, upload in (("pattern", pattern), ("image", image))
                 if upload is not None]
        # without files: an urlencoded form, which the route reads as well
        return self._do(post("/garments", model(GarmentPublic), data=form,
                             files=files or None, creates=True,
                             idempotency_key=idempotency_key))


class Campaigns(Resource):
    """Campaigns and their jobs (the brand's; talents and agencies see assets)."""

    def _list(self, brand_id: str | None) -> Call[Page[CampaignSummaryPublic]]:
        return get("/campaigns", model(Page[CampaignSummaryPublic]), brand_id=brand_id)

    def list(self, *, brand_id: str | None = None, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[CampaignSummaryPublic]:
        return self._page(self._list(brand_id), limit, offset)

    def iter(self, *, brand_id: str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[CampaignSummaryPublic]:
        return self._all(self._list(brand_id), page_size)

    def create(self, brief: CampaignBrief | Mapping[str, Any], *, brand_id: str | None = None,
               idempotency_key: str | None = None) -> CampaignPlanPublic:
        """Plan a campaign from a brief: every variant decided by the policy, the allowed
        ones queued, the refused ones listed with their reasons."""
        payload = dict(brief.model_dump(mode="json") if isinstance(brief, CampaignBrief)
                       else brief)
        if brand_id is not None:
            payload["brand_id"] = brand_id
        return self._do(post("/campaigns", model(CampaignPlanPublic), payload, creates=True,
                             idempotency_key=idempotency_key))

    def get(self, campaign_id: str) -> CampaignPublic:
        """Status: jobs per state, the assets' states, refusals, failures."""
        return self._do(get(f"/campaigns/{campaign_id}", model(CampaignPublic)))

    def run(self, campaign_id: str) -> RunPublic:
        """Start running the queued jobs in the background (202); poll ``get``."""
        return self._do(post(f"/campaigns/{campaign_id}/run", model(RunPublic)))

    def _jobs(self, campaign_id: str, state: JobState | str | None) -> Call[Page[JobPublic]]:
        return get(f"/campaigns/{campaign_id}/jobs", model(Page[JobPublic]), state=state)

    def jobs(self, campaign_id: str, *, state: JobState | str | None = None,
             limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[JobPublic]:
        return self._page(self._jobs(campaign_id, state), limit, offset)

    def iter_jobs(self, campaign_id: str, *, state: JobState | str | None = None,
                  page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[JobPublic]:
        return self._all(self._jobs(campaign_id, state), page_size)


class Assets(Resource):
    def _list(self, state: AssetState | str | None, licence_id: str | None,
              twin_id: str | None, brand_id: str | None) -> Call[Page[AssetPublic]]:
        return get("/assets", model(Page[AssetPublic]), state=state, licence_id=licence_id,
                   twin_id=twin_id, brand_id=brand_id)

    def list(self, *, state: AssetState | str | None = None, licence_id: str | None = None,
             twin_id: str | None = None, brand_id: str | None = None,
             limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[AssetPublic]:
        """Newest first."""
        return self._page(self._list(state, licence_id, twin_id, brand_id), limit, offset)

    def iter(self, *, state: AssetState | str | None = None, licence_id: str | None = None,
             twin_id: str | None = None, brand_id: str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[AssetPublic]:
        return self._all(self._list(state, licence_id, twin_id, brand_id), page_size)

    def get(self, asset_id: str) -> AssetPublic:
        return self._do(get(f"/assets/{asset_id}", model(AssetPublic)))

    def image(self, asset_id: str) -> bytes:
        """The signed, marked master (JPEG or PNG bytes)."""
        return self._do(get(f"/assets/{asset_id}/image", raw))

    def approve(self, asset_id: str) -> AssetPublic:
        return self._do(post(f"/assets/{asset_id}/approve", model(AssetPublic)))

    def reject(self, asset_id: str, reason: str) -> AssetPublic:
        return self._do(post(f"/assets/{asset_id}/reject", model(AssetPublic),
                             {"reason": reason}))

    def publish(self, asset_id: str, *, channel: str, territory: str, date: date | str,
                always_label: bool = False, idempotency_key: str | None = None
                ) -> PublicationPublic:
        """Publish an approved asset on a channel in a territory (a publication is
        created, its fee posted: sent with an Idempotency-Key)."""
        payload = {"channel": channel, "territory": territory, "date": date,
                   "always_label": always_label}
        return self._do(post(f"/assets/{asset_id}/publish", model(PublicationPublic),
                             payload, creates=True, idempotency_key=idempotency_key))

    def withdraw(self, asset_id: str, reason: str = "withdrawn") -> AssetPublic:
        return self._do(post(f"/assets/{asset_id}/withdraw", model(AssetPublic),
                             {"reason": reason}))

    def edit(self, asset_id: str, image: Upload, *,
             idempotency_key: str | None = None) -> EditPublic:
        """Register a retouched version: a new asset, pending approval again."""
        return self._do(post(f"/assets/{asset_id}/edit", model(EditPublic),
                             files=[("image", file_part(image))], creates=True,
                             idempotency_key=idempotency_key))


StatementFormat = Literal["json", "csv", "pdf"]


class Statements(Resource):
    """What a talent earned, or a brand owes, in a month (``period``: e.g. 2026-06):
    ``StatementPublic`` for json, the file's bytes for csv and pdf."""

    def _call(self, path: str, format: str, currency: str | None) -> Call[Any]:
        parse = model(StatementPublic) if format == "json" else raw
        return get(path, parse, format=format, currency=currency)

    @overload
    def talent(self, talent_id: str, period: str, *, format: Literal["json"] = "json",
               currency: str | None = None) -> StatementPublic: ...

    @overload
    def talent(self, talent_id: str, period: str, *, format: Literal["csv", "pdf"],
               currency: str | None = None) -> bytes: ...

    def talent(self, talent_id: str, period: str, *, format: StatementFormat = "json",
               currency: str | None = None) -> StatementPublic | bytes:
        return self._do(self._call(f"/talents/{talent_id}/statements/{period}", format,
                                   currency))

    @overload
    def brand(self, brand_id: str, period: str, *, format: Literal["json"] = "json",
              currency: str | None = None) -> StatementPublic: ...

    @overload
    def brand(self, brand_id: str, period: str, *, format: Literal["csv", "pdf"],
              currency: str | None = None) -> bytes: ...

    def brand(self, brand_id: str, period: str, *, format: StatementFormat = "json",
              currency: str | None = None) -> StatementPublic | bytes:
        return self._do(self._call(f"/brands/{brand_id}/statements/{period}", format,
                                   currency))


class Reviews(Resource):
    """Likeness reviews (compliance): a face within the threshold of another twin's."""

    def _list(self, state: ReviewState | str | None) -> Call[Page[ReviewPublic]]:
        return get("/reviews", model(Page[ReviewPublic]), state=state)

    def list(self, *, state: ReviewState | str | None = None, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[ReviewPublic]:
        return self._page(self._list(state), limit, offset)

    def iter(self, *, state: ReviewState | str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[ReviewPublic]:
        return self._all(self._list(state), page_size)

    def get(self, review_id: str) -> ReviewPublic:
        return self._do(get(f"/reviews/{review_id}", model(ReviewPublic)))

    def photos(self, review_id: str, *, max_side: int | None = None) -> ReviewPhotosPublic:
        """The capture set and the candidates' photos, base64 (each look is audited)."""
        return self._do(get(f"/reviews/{review_id}/photos", model(ReviewPhotosPublic),
                            max_side=max_side))

    def decide(self, review_id: str, decision: ReviewDecision | str, reason: str, *,
               same_as: str | None = None) -> DecisionPublic:
        payload = {"decision": getattr(decision, "value", decision), "reason": reason,
                   "same_as": same_as}
        return self._do(post(f"/reviews/{review_id}/decision", model(DecisionPublic),
                             payload))


class Notices(Resource):
    """The caller's notices (to their talent or organisation)."""

    def _list(self, unread: bool) -> Call[Page[NoticePublic]]:
        return get("/me/notices", model(Page[NoticePublic]),
                   unread="true" if unread else None)

    def list(self, *, unread: bool = False, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[NoticePublic]:
        return self._page(self._list(unread), limit, offset)

    def iter(self, *, unread: bool = False,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[NoticePublic]:
        return self._all(self._list(unread), page_size)

    def read(self, notice_id: str) -> NoticePublic:
        """Mark a notice read (again: no change, so it may be retried)."""
        return self._do(post(f"/me/notices/{notice_id}/read", model(NoticePublic),
                             safe=True))


class Models(Resource):
    """The model registry, read-only."""

    def _list(self, kind: ModelKind | str | None) -> Call[Page[ModelPublic]]:
        return get("/models", model(Page[ModelPublic]), kind=kind)

    def list(self, *, kind: ModelKind | str | None = None, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[ModelPublic]:
        return self._page(self._list(kind), limit, offset)

    def iter(self, *, kind: ModelKind | str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[ModelPublic]:
        return self._all(self._list(kind), page_size)

    def get(self, name: str) -> ModelPublic:
        return self._do(get(f"/models/{name}", model(ModelPublic)))


class Audit(Resource):
    """The audit chain (compliance and admin)."""

    def chain(self, *, expect_head: str | None = None) -> ChainPublic:
        """Every link verified; the first bad event named."""
        return self._do(get("/audit/chain", model(ChainPublic), expect_head=expect_head))

    def _events(self, type: str | None) -> Call[Page[AuditEventPublic]]:
        return get("/audit/events", model(Page[AuditEventPublic]), type=type)

    def events(self, *, type: str | None = None, limit: int = DEFAULT_LIMIT,
               offset: int = 0) -> Page[AuditEventPublic]:
        """Events, newest first."""
        return self._page(self._events(type), limit, offset)

    def iter_events(self, *, type: str | None = None,
                    page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[AuditEventPublic]:
        return self._all(self._events(type), page_size)
