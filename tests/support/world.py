"""Two tenants side by side for API and web tests: each has an agency, a talent with an
active twin (with a body twin and a face template, so that campaigns run with the fake
backend), a biometric release, a consent, a brand with two garments, a licence, marked
assets, a planned campaign (two jobs queued, two variants refused), a licence proposal of
the brand waiting for the talent's answer, a webhook endpoint of the brand (registered
first, so the changes after it left deliveries in its outbox, none sent), and users in
every role; compliance and admin
users are global. The licence is granted on the operator's path; the proposal goes the
brands' way (``services.proposals``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import Clock, consent_doc, terms
from tests.support.fakes import EMBEDDING, FIT, PROFILE
from tests.support.images import encode, scene
from tests.support.webhooks import offline_resolver
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.accounts import Role
from twinstudio.domain.asset import AssetState
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.domain.generation import CampaignBrief
from twinstudio.domain.network import AllowList
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.domain.webhooks import EVENT_TYPES
from twinstudio.net.outbound import GuardedSender
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.services.accounts import add_user, create_api_key
from twinstudio.services.assets import approve_asset
from twinstudio.services.bodies import set_twin_body
from twinstudio.services.campaigns import create_campaign
from twinstudio.services.context import ServiceContext
from twinstudio.services.garments import add_garment
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.proposals import propose_licence
from twinstudio.services.provenance import mark_asset, set_asset_state
from twinstudio.services.rights import grant_biometric_release, grant_consent, grant_licence
from twinstudio.services.webhooks import register_endpoint
from twinstudio.signing.passwords import Argon2Passwords

PASSWORD = "correct horse battery"
TENANT_ROLES = (Role.TALENT, Role.AGENCY, Role.BRAND_EDITOR, Role.BRAND_ADMIN)
GLOBAL_ROLES = (Role.COMPLIANCE, Role.ADMIN)


@dataclass
class Tenant:
    tag: str
    agency: str
    brand: str
    talent: str
    twin: str
    release: str
    consent: str
    licence: str
    assets: list[str]
    garments: list[str] = field(default_factory=list)   # a parka (outerwear), a skirt
    campaign: str = ""
    jobs: list[str] = field(default_factory=list)
    proposal: str = ""   # the brand's licence proposal, waiting for the talent's answer
    webhook: str = ""    # the brand's webhook endpoint
    delivery: str = ""   # one of its deliveries (pending)
    training: str = ""   # a finished training of the twin's LoRA
    adapter: str = ""    # the adapter version it made (weights: a few test bytes)
    keys: dict[Role, str] = field(default_factory=dict)
    emails: dict[Role, str] = field(default_factory=dict)

    def ids(self) -> set[str]:
        return {self.agency, self.brand, self.talent, self.twin, self.release, self.consent,
                self.licence, *self.assets, *self.garments, self.campaign, *self.jobs,
                self.proposal, self.webhook, self.delivery, self.training, self.adapter}

    def of(self, kind: str) -> str:
        return {"talent": self.talent, "twin": self.twin, "twin_any": self.twin,
                "consent": self.consent, "consent_any": self.consent,
                "release": self.release, "licence": self.licence, "asset": self.assets[0],
                "brand": self.brand, "agency": self.agency, "garment": self.garments[0],
                "campaign": self.campaign, "proposal": self.proposal,
                "webhook": self.webhook, "delivery": self.delivery,
                "training": self.training, "adapter": self.adapter}[kind]


@dataclass
class World:
    ctx: ServiceContext
    a: Tenant
    b: Tenant
    keys: dict[Role, str]      # the global roles
    emails: dict[Role, str]

    def key(self, role: Role) -> str:
        return self.a.keys[role] if role in TENANT_ROLES else self.keys[role]

    def email(self, role: Role) -> str:
        return self.a.emails[role] if role in TENANT_ROLES else self.emails[role]


def as_(world: World, role: Role) -> dict[str, str]:
    """The API headers of ``role`` in tenant A (its key)."""
    return {"X-API-Key": world.key(role)}


def world_context(engine, tmp_path: Path, clock: Clock) -> ServiceContext:  # type: ignore[no-untyped-def]
    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings, engine=engine, clock=clock)
    ctx.passwords = Argon2Passwords(fast=True)  # tests check behaviour, not hash cost
    # no DNS in tests; the local receivers of webhook tests are allowed
    ctx.webhook_sender = GuardedSender(AllowList.parse(["127.0.0.1"]),
                                       resolver=offline_resolver, timeout=2)
    return ctx


def _tenant(ctx: ServiceContext, tag: str, seed: int) -> Tenant:
    agency = add_organisation(ctx, kind=OrganisationKind.AGENCY, name=f"Agency {tag}")
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name=f"Brand {tag}",
                             country="SE")
    webhook = register_endpoint(ctx, organisation_id=brand.id, actor="test",
                                url=f"http://127.0.0.1:9/hooks/{tag}",
                                events=list(EVENT_TYPES)).endpoint.id
    talent, twin = add_talent(ctx, name=f"Talent {tag}", agency_id=agency.id)
    release = grant_biometric_release(ctx, talent_id=talent.id, document=BiometricReleaseDocument(
        purpose="Face template to check the identity of generated images",
        retention_days=365, written_release=True, explicit_consent=True, language="en"))
    consent = grant_consent(ctx, talent_id=talent.id, document=consent_doc(ctx.today()))
    set_twin_state(ctx, twin.id, TwinState.ACTIVE, reason="test", actor="test")
    licence = grant_licence(ctx, twin_id=twin.id, brand_id=brand.id,
                            terms=terms(starts="2026-05-01", ends="2026-12-31",
                                        exclusive_categories=[],
                                        fees={"currency": "EUR", "per_asset": 2500,
                                              "flat_fee": 10000}))
    assets = []
    for i in range(2):
        marked = mark_asset(ctx, licence_id=licence.id, image=encode(
            scene(seed + i, 320, 400), quality=90), source="studio")
        assets.append(marked.asset.id)
    for asset_id in assets:
        set_asset_state(ctx, asset_id, AssetState.PENDING_APPROVAL, reason="qa passed",
                        actor="test")
    approve_asset(ctx, assets[1], party_id=talent.id, actor="test")  # posts its fee
    tenant = Tenant(tag, agency.id, brand.id, talent.id, twin.id, release.id, consent.id,
                    licence.id, assets, webhook=webhook)
    with ctx.uow() as uow:
        tenant.delivery = uow.webhooks.deliveries(endpoint_id=webhook)[-1].id
    _campaign(ctx, tenant)
    _adapter(ctx, tenant)
    tenant.proposal = propose_licence(
        ctx, twin_id=twin.id, brand_id=brand.id, actor="test",
        terms=terms(starts="2026-07-01", ends="2026-12-31", exclusive_categories=[],
                    channels=["print"], fees={"currency": "EUR", "per_asset": 3000})).id
    for role in TENANT_ROLES:
        email = f"{role.value}-{tag}@example.com"
        user = add_user(ctx, email=email, name=f"{role.value} {tag}", role=role,
                        password=PASSWORD,
                        organisation_id={Role.AGENCY: agency.id, Role.TALENT: None}.get(
                            role, brand.id),
                        talent_id=talent.id if role is Role.TALENT else None)
        tenant.keys[role] = create_api_key(ctx, user_id=user.id, name="tests").secret
        tenant.emails[role] = email
    return tenant


def face_template(ctx: ServiceContext, twin_id: str) -> None:
    """The face template enrolment would store (the fake QA measures EMBEDDING)."""
    import json

    from twinstudio.services.biometrics import store_template

    with ctx.uow() as uow:
        store_template(ctx, uow, twin_id=twin_id, kind="face",
                       data=json.dumps({"mean": EMBEDDING.tolist(), "photos": {}}).encode(),
                       actor="test")
        uow.commit()


def _adapter(ctx: ServiceContext, tenant: Tenant) -> None:
    """A training that ran and the adapter version it made, stored as the service stores
    one (weights encrypted with the twin's key); the weights are test bytes, not a LoRA."""
    import hashlib

    from twinstudio.domain.training import TrainingJob, TrainingParams, TrainingState, TwinAdapter
    from twinstudio.services.adapters import aad

    weights = f"adapter weights of tenant {tenant.tag}".encode()
    now = ctx.now()
    job = TrainingJob(twin_id=tenant.twin, base_model="world-base", recipe="sdxl",
                      params=TrainingParams(steps=2, resolution=64), state=TrainingState.SUCCEEDED,
                      step=2, requested_by="test", created_at=now, updated_at=now)
    adapter = TwinAdapter(twin_id=tenant.twin, talent_id=tenant.talent, consent_id=tenant.consent,
                          job_id=job.id, base_model="world-base", base_manifest_sha256="0" * 64,
                          recipe="sdxl", version=1, params=job.params,
                          sha256=hashlib.sha256(weights).hexdigest(), size=len(weights),
                          created_at=now)
    assert ctx.vault is not None
    with ctx.uow() as uow:
        wrapped = uow.biometrics.key(tenant.twin)
        assert wrapped is not None, "the world's twin has a face template, hence a key"
        uow.training.add_job(job.model_copy(update={"adapter_id": adapter.id}))
        uow.training.add_adapter(adapter, ctx.vault.encrypt(
            wrapped, weights, aad(tenant.twin, "adapter", adapter.id)))
        uow.commit()
    tenant.training, tenant.adapter = job.id, adapter.id


def _campaign(ctx: ServiceContext, tenant: Tenant) -> None:
    set_twin_body(ctx, twin_id=tenant.twin, profile=PROFILE, fit=FIT, actor="test")
    face_template(ctx, tenant.twin)
    parka = add_garment(ctx, brand_id=tenant.brand, name=f"Parka {tenant.tag}",
                        category="coat", fabric_color="#2f4f6f", actor="test")
    skirt = add_garment(ctx, brand_id=tenant.brand, name=f"Skirt {tenant.tag}",
                        category="skirt", fabric_color="#333333", actor="test")
    tenant.garments = [parka.id, skirt.id]
    plan = create_campaign(ctx, brand_id=tenant.brand, actor="test", brief=CampaignBrief(
        name=f"Launch {tenant.tag}", looks=[[parka.id], [skirt.id]], poses=["relaxed"],
        formats=["feed", "story"], scenes=["cyclorama_white"],
        markets=[{"channel": "social", "territory": "SE"}]))  # type: ignore[list-item]
    tenant.campaign = plan.campaign.id
    with ctx.uow() as uow:
        tenant.jobs = [j.id for j in uow.jobs.list(campaign_id=plan.campaign.id)]


def build_world(ctx: ServiceContext) -> World:
    a = _tenant(ctx, "a", 1)
    b = _tenant(ctx, "b", 11)
    keys, emails = {}, {}
    for role in GLOBAL_ROLES:
        email = f"{role.value}@example.com"
        user = add_user(ctx, email=email, name=role.value, role=role, password=PASSWORD)
        keys[role] = create_api_key(ctx, user_id=user.id, name="tests").secret
        emails[role] = email
    return World(ctx, a, b, keys, emails)
