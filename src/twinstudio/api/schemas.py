"""Request (``XCreate``) and response (``XPublic``) schemas of the API. Domain documents
(consent, terms, proposed use) are reused as they are: the API accepts exactly what the
domain validates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.api.review_schemas import CandidatePublic
from twinstudio.domain.accounts import Principal, Role
from twinstudio.domain.asset import Asset, AssetState
from twinstudio.domain.consent import (
    BiometricRelease,
    BiometricReleaseDocument,
    ConsentDocument,
    ConsentState,
    DigitalReplicaConsent,
)
from twinstudio.domain.garment import ColourSource, Fit, Garment, GarmentCategory, Length
from twinstudio.domain.generation import Campaign, CampaignBrief, Job, JobState
from twinstudio.domain.licence import Licence, LicenceState, LicenceTerms
from twinstudio.domain.parties import Organisation, OrganisationKind, Talent
from twinstudio.domain.policy import ProposedUse
from twinstudio.domain.text import FreeText, Name
from twinstudio.domain.twin import Twin, TwinState
from twinstudio.services.campaigns import CampaignStatusResult

T = TypeVar("T")


class ReasonPublic(BaseModel):
    code: str
    message: str


class ErrorDetail(BaseModel):
    type: str = Field(description="machine-readable error code, e.g. rights_refused")
    message: str
    reasons: list[ReasonPublic] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="how many items match, over all pages")
    limit: int
    offset: int


# ------------------------------------------------------------------ me


class MePublic(BaseModel):
    user_id: str
    email: str
    name: str
    role: Role
    organisation_id: str | None
    talent_id: str | None

    @classmethod
    def of(cls, p: Principal) -> MePublic:
        return cls(user_id=p.user_id, email=p.email, name=p.name, role=p.role,
                   organisation_id=p.organisation_id, talent_id=p.talent_id)


class OrganisationPublic(BaseModel):
    id: str
    kind: OrganisationKind
    name: str
    country: str | None
    created_at: datetime

    @classmethod
    def of(cls, o: Organisation) -> OrganisationPublic:
        return cls(**o.model_dump())


# ------------------------------------------------------------------ talents and twins


class TalentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Astrid Lund", "language": "en"}]})

    name: Name = Field(min_length=1, max_length=200)
    language: str = Field("en", min_length=2, max_length=35)
    agency_id: str | None = Field(None, max_length=40, description=(
        "agency representing the talent; agency users always add to their own agency"))


class TalentPublic(BaseModel):
    id: str
    name: str
    language: str
    agency_id: str | None
    synthetic: bool
    created_at: datetime
    twin_id: str
    twin_state: TwinState

    @classmethod
    def of(cls, t: Talent, twin: Twin) -> TalentPublic:
        return cls(id=t.id, name=t.name, language=t.language, agency_id=t.agency_id,
                   synthetic=t.synthetic, created_at=t.created_at, twin_id=twin.id,
                   twin_state=twin.state)


class TemplateInfo(BaseModel):
    id: str
    kind: str
    retain_until: datetime


class TwinPublic(BaseModel):
    id: str
    talent_id: str
    state: TwinState
    open_to_offers: bool = Field(description="brands without a licence of the twin may "
                                             "propose terms")
    created_at: datetime
    updated_at: datetime
    biometric_key: bool = Field(description="whether the twin's biometric data key exists "
                                            "(false once crypto-shredded)")
    templates: list[TemplateInfo] = Field(description="encrypted templates (never content)")

    @classmethod
    def of(cls, t: Twin, has_key: bool, templates: list[TemplateInfo]) -> TwinPublic:
        return cls(**t.model_dump(), biometric_key=has_key, templates=templates)


class PhotoCheck(BaseModel):
    model_config = ConfigDict(extra="allow")

    photo: str
    accepted: bool


class EnrolmentPublic(BaseModel):
    twin_id: str
    status: Literal["enrolled", "in_review", "refused"] = Field(description=(
        "enrolled: the twin is active; in_review: the face is near another twin's and a "
        "likeness review decides (review_id, candidates)"))
    enrolled: bool
    photos: list[PhotoCheck]
    reasons: list[ReasonPublic]
    review_id: str | None = Field(None, description="the likeness review (in_review only)")
    candidates: list[CandidatePublic] = Field(default_factory=list, description=(
        "twins within the identity threshold, closest first (in_review only)"))


# ------------------------------------------------------------------ consents and releases

_CONSENT_EXAMPLE = {
    "purpose": "Digital replica for fashion campaign imagery of licensed brands",
    "scope": {"channels": ["ecommerce", "social"], "territories": ["*"],
              "product_categories": ["tops", "outerwear"], "alterations": [],
              "prohibited_content": ["nudity"]},
    "rate_of_pay": {"currency": "EUR", "amount": 2000, "basis": "per_asset"},
    "starts": "2026-01-01", "ends": "2027-12-31", "language": "en"}


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"talent_id": "tal_0123456789abcdef01234567", "document": _CONSENT_EXAMPLE}]})

    talent_id: str = Field(max_length=40, description="the talent signs themself")
    document: ConsentDocument


class ConsentPublic(BaseModel):
    id: str
    talent_id: str
    twin_id: str
    state: ConsentState
    document: ConsentDocument
    document_hash: str
    signed_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    training_withdrawn_at: datetime | None = Field(
        default=None, description="when the talent withdrew the consent to train a model "
                                  "of the likeness (document.model_training)")

    @classmethod
    def of(cls, c: DigitalReplicaConsent) -> ConsentPublic:
        return cls(id=c.id, talent_id=c.talent_id, twin_id=c.twin_id, state=c.state,
                   document=c.document, document_hash=c.document_hash, signed_at=c.signed_at,
                   revoked_at=c.revoked_at, revocation_reason=c.revocation_reason,
                   training_withdrawn_at=c.training_withdrawn_at)


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "I no longer want my likeness used"}]})

    reason: FreeText = Field(min_length=1, max_length=500)


class RevocationPublic(BaseModel):
    consent_id: str | None
    licence_id: str | None
    suspended_licences: list[str]
    withdrawn_assets: list[str]
    flagged_for_takedown: list[str]
    destroyed_adapters: list[str] = Field(default_factory=list,
                                          description="the twin's LoRA versions destroyed")


class ReleaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"talent_id": "tal_0123456789abcdef01234567", "document": {
            "purpose": "Face template to check the identity of generated images",
            "retention_days": 365, "written_release": True, "explicit_consent": True,
            "language": "en"}}]})

    talent_id: str = Field(max_length=40)
    document: BiometricReleaseDocument


class ReleasePublic(BaseModel):
    id: str
    talent_id: str
    state: ConsentState
    document: BiometricReleaseDocument
    document_hash: str
    signed_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, r: BiometricRelease) -> ReleasePublic:
        return cls(id=r.id, talent_id=r.talent_id, state=r.state, document=r.document,
                   document_hash=r.document_hash, signed_at=r.signed_at,
                   revoked_at=r.revoked_at)


# ------------------------------------------------------------------ licences and policy

_TERMS_EXAMPLE = {
    "channels": ["ecommerce", "social"], "territories": ["SE", "FR"],
    "starts": "2026-01-01", "ends": "2026-12-31", "product_categories": ["tops", "outerwear"],
    "permitted_alterations": ["hair_color", "background"],
    "prohibited_content": ["nudity"], "exclusive_categories": [],
    "approval_required": True, "max_assets": 100,
    "intended_uses": "E-commerce product pages and social posts for the AW26 outerwear line",
    "representation": "counsel", "fees": {"currency": "EUR", "per_asset": 2500}}


class LicenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"twin_id": "twn_0123456789abcdef01234567", "brand_id": "brd_0123456789abcdef01234567",
         "terms": _TERMS_EXAMPLE}]})

    twin_id: str = Field(max_length=40)
    brand_id: str = Field(max_length=40)
    terms: LicenceTerms
    consent_id: str | None = Field(None, max_length=40)


class LicencePublic(BaseModel):
    id: str
    twin_id: str
    talent_id: str
    brand_id: str
    consent_id: str
    state: LicenceState
    state_reason: str | None
    terms: LicenceTerms
    document_hash: str
    granted_at: datetime
    updated_at: datetime
    assets_used: int

    @classmethod
    def of(cls, lic: Licence) -> LicencePublic:
        return cls(**lic.model_dump(exclude={"signatures"}))


class SignaturePublic(BaseModel):
    signer_id: str
    role: str
    valid: bool


class VerificationPublic(BaseModel):
    document_id: str
    valid: bool
    document_hash_ok: bool
    signatures: list[SignaturePublic]
    missing_signers: list[str]


class PolicyCheck(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"licence_id": "lic_0123456789abcdef01234567", "use": {
            "channel": "social", "territory": "FR", "date": "2026-12-01",
            "product_category": "outerwear", "alterations": ["hair_color"],
            "content_tags": []}}]})

    licence_id: str = Field(max_length=40)
    use: ProposedUse


class DecisionPublic(BaseModel):
    allowed: bool
    reasons: list[ReasonPublic]


# ------------------------------------------------------------------ assets and verify


class AssetPublic(BaseModel):
    id: str
    twin_id: str
    licence_id: str
    brand_id: str
    state: AssetState
    source: str
    alterations: list[str]
    retouched: bool
    parent_id: str | None
    state_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, a: Asset) -> AssetPublic:
        return cls(**a.model_dump())


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "taken down at the talent's request"}]})

    reason: FreeText = Field("withdrawn", min_length=1, max_length=500)


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "the hair colour is not mine"}]})

    reason: FreeText = Field(min_length=1, max_length=500)


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"channel": "social", "territory": "FR", "date": "2026-07-01"}]})

    channel: str = Field(min_length=1, max_length=20)
    territory: str = Field(pattern=r"^[A-Z]{2}$")
    date: date
    always_label: bool = False


class PublicationPublic(BaseModel):
    asset: AssetPublic
    publication_id: str
    labels: list[str]
    rendition_sha256: str


class VerifyPublic(BaseModel):
    verdict: str = Field(description="licensed, not_approved, licence_expired, withdrawn, "
                                     "tampered, unlicensed_likeness or unknown")
    asset_id: str | None
    asset_state: str | None = Field(description="the state of the asset the verdict is "
                                                "about (e.g. pending_approval)")
    twin_id: str | None
    licence_id: str | None
    signals_agree: bool
    signals: dict[str, Any] = Field(description="c2pa, watermark, fingerprint and face")
    elapsed_ms: float
    explanation: str


# ------------------------------------------------------------------ statements and audit


class StatementLinePublic(BaseModel):
    transaction_id: str
    date: date
    due_on: date
    counterparty_id: str
    counterparty: str
    licence_id: str
    kind: str
    channel: str | None
    asset_id: str | None
    gross: int
    commission: int
    platform_fee: int
    net: int


class StatementPublic(BaseModel):
    party_kind: str
    party_id: str
    party_name: str
    period: str
    currency: str
    totals: dict[str, int]
    by_counterparty: dict[str, int]
    by_channel: dict[str, int]
    by_asset: dict[str, int]
    due: dict[str, int]
    history: list[tuple[str, int]]
    lines: list[StatementLinePublic]
    licence_terms: dict[str, dict[str, Any]]


class ChainPublic(BaseModel):
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None


class AuditEventPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    type: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


# ------------------------------------------------------------------ garments and campaigns


class GarmentPublic(BaseModel):
    id: str
    brand_id: str | None
    name: str
    category: GarmentCategory
    product_category: str = Field(description="the licence product category it falls under")
    fit: Fit
    length: Length
    base_color: str
    colour_source: ColourSource = Field(description=(
        "given: the brand's fabric colour; image: measured in the product image"))
    colorways: list[str]
    pattern_sha256: str | None
    pattern_size_cm: float
    image_sha256: str | None = Field(description="the product image (packshot), if any")

    @classmethod
    def of(cls, g: Garment) -> GarmentPublic:
        return cls(id=g.id, brand_id=g.brand_id, name=g.name, category=g.category,
                   product_category=g.product_category, fit=g.fit, length=g.length,
                   base_color=g.fabric.base_color, colour_source=g.fabric.colour_source,
                   colorways=list(g.colorways), pattern_sha256=g.fabric.pattern_sha256,
                   pattern_size_cm=g.fabric.pattern_size_cm, image_sha256=g.image_sha256)


_BRIEF_EXAMPLE = {
    "name": "AW26 launch", "twins": "all_licensed",
    "looks": [["gar_0123456789abcdef01234567"]], "poses": ["relaxed", "contrapposto"],
    "formats": ["feed", "story"],
    "segments": [{"name": "nordic_winter", "scene": "gradient_frost", "season": "AW26",
                  "lighting": "cool"}],
    "markets": [{"channel": "social", "territory": "SE"}], "max_assets": 4}


class CampaignCreate(CampaignBrief):
    """A campaign brief (exactly what ``twinstudio campaign create`` reads from YAML or
    JSON), with the brand it is for: a brand user's own brand when left out."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={
        "examples": [{**_BRIEF_EXAMPLE, "brand_id": "brd_0123456789abcdef01234567"}]})

    brand_id: str | None = Field(None, max_length=40, description=(
        "the brand; brand users may leave it out (their own), admins name it"))

    def brief(self) -> CampaignBrief:
        return CampaignBrief.model_validate(self.model_dump(exclude={"brand_id"}))


class RefusalPublic(BaseModel):
    key: str = Field(description="the variant's idempotency key")
    twin_id: str
    garment_ids: list[str]
    pose: str
    scene: str
    format: str
    segment: str | None
    reasons: list[ReasonPublic]


class CampaignPlanPublic(BaseModel):
    campaign_id: str
    name: str
    brand_id: str
    variants: int = Field(description="the brief's variants: queued + already_queued + "
                                      "refused + beyond_cap")
    queued: int = Field(description="variants queued as jobs")
    already_queued: int = Field(description="variants an earlier plan already queued")
    beyond_cap: int = Field(description="allowed variants left out by max_assets")
    refused: list[RefusalPublic] = Field(description="variants the policy refused, never "
                                                     "rendered, with every reason")


class CampaignPublic(BaseModel):
    id: str
    name: str
    brand_id: str
    created_at: datetime
    brief: CampaignBrief
    jobs: dict[str, int] = Field(description="job count per state")
    total: int = Field(description="jobs in all")
    done: bool = Field(description="every job has ended (succeeded, failed or cancelled)")
    running: bool = Field(description="a run of this campaign is going on in this server")
    assets: dict[str, int] = Field(description="count of the campaign's assets per state")
    refused: int
    refusal_codes: dict[str, int] = Field(description="refused variants per reason code")
    refusals: list[RefusalPublic]
    failures: list[dict[str, str | None]]

    @classmethod
    def of(cls, campaign: Campaign, status: CampaignStatusResult, refusals: list[RefusalPublic],
           running: bool) -> CampaignPublic:
        codes: dict[str, int] = {}
        for refusal in refusals:
            for reason in refusal.reasons:
                codes[reason.code] = codes.get(reason.code, 0) + 1
        return cls(id=campaign.id, name=campaign.name, brand_id=campaign.brand_id,
                   created_at=campaign.created_at, brief=campaign.brief, jobs=status.jobs,
                   total=status.total, done=status.done, running=running,
                   assets=status.assets, refused=status.refused, refusal_codes=codes,
                   refusals=refusals, failures=[f.as_dict() for f in status.failures])


class CampaignSummaryPublic(BaseModel):
    id: str
    name: str
    brand_id: str
    created_at: datetime
    jobs: dict[str, int]


class RunPublic(BaseModel):
    campaign_id: str
    started: bool = Field(description="false when a run of it was already going on")
    queued: int = Field(description="jobs waiting when the run started")


class JobPublic(BaseModel):
    id: str
    campaign_id: str
    state: JobState
    attempts: int
    max_attempts: int
    last_error: str | None
    asset_id: str | None
    twin_id: str
    garment_ids: list[str]
    pose: str
    scene: str
    format: str
    segment: str | None
    updated_at: datetime

    @classmethod
    def of(cls, j: Job) -> JobPublic:
        r = j.request
        return cls(id=j.id, campaign_id=j.campaign_id, state=j.state, attempts=j.attempts,
                   max_attempts=j.max_attempts, last_error=j.last_error, asset_id=j.asset_id,
                   twin_id=j.twin_id, garment_ids=list(r.garment_ids), pose=r.pose,
                   scene=r.scene, format=r.format, segment=r.segment, updated_at=j.updated_at)


class EditPublic(BaseModel):
    asset: AssetPublic = Field(description="the edited version: a new asset, pending "
                                           "approval, with the original as ingredient")
    body_changed: bool = Field(description="the body gate found a body change "
                                           "(body_shape; labelled retouched)")
    body: dict[str, Any]
    identity: dict[str, Any]

