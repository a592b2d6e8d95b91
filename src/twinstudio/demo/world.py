"""The demo's workspace: 2 agencies, 3 brands and the 30 roster talents, each enrolled,
consenting and licensed to one or two brands; three licence proposals the rights checks
refuse; one consent and one licence revoked, one licence's quota used up.

A licence is a two-party act here as anywhere: the agencies list their talents' twins as
open to offers, each brand proposes its terms (signed by the brand) and each talent
accepts and signs (``services.proposals``).

Dates are relative to today so the demo tells the same story whenever it runs. Every
roster talent signs a biometric release and enrols their capture set through
``enrol_twin``, the path of ``twinstudio twin enrol``. dlib, trained on real faces, puts
many synthetic faces under its threshold: such a collision goes to a likeness review,
which the demo's compliance officer decides ``distinct`` (the roster generated them as
different people), as the audit chain records. Then somebody submits a roster talent's
photos again under a new talent record: that review is decided ``same_person``, the
duplicate's template is destroyed and the talent and their agency get a notice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from twinstudio.demo.roster import (
    ENROL_VIEWS,
    ROSTER_DISTINCT_REASON,
    ROSTER_RELEASE,
    RosterEntry,
    build_roster,
    enrol_roster,
    require_face_templates,
)
from twinstudio.domain.consent import ConsentDocument, DigitalReplicaConsent
from twinstudio.domain.errors import RightsRefused
from twinstudio.domain.licence import Licence, LicenceTerms
from twinstudio.domain.parties import Organisation, OrganisationKind, Talent
from twinstudio.domain.policy import Reason
from twinstudio.domain.twin import Twin
from twinstudio.services.accounts import demo_compliance_officer
from twinstudio.services.context import ServiceContext
from twinstudio.services.likeness import ReviewDecisionResult
from twinstudio.services.parties import add_organisation
from twinstudio.services.proposals import accept_proposal, propose_licence, set_open_to_offers
from twinstudio.services.rights import (
    grant_biometric_release,
    grant_consent,
    revoke_consent,
    revoke_licence,
)

# Synthetic people: no real person's name or likeness is used anywhere in the demo.
BRANDS = [("Nordvik Outerwear", "SE"), ("Maison Lumière", "FR"), ("Costa Azul Swim", "ES")]
AGENCIES = [("Polar Models", "SE"), ("Rive Gauche Management", "FR")]
ROSTER_SIZE = 30
ROSTER_SEED = 7
NORDVIK_TALENTS = 15  # talents 0-14; Maison Lumière licenses 8-19, Costa Azul 20-29

RosterProgress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoPerson:
    """A roster talent in the workspace: their twin and their digital replica consent."""

    talent: Talent
    twin: Twin
    consent: DigitalReplicaConsent

    @property
    def first_name(self) -> str:
        return self.talent.name.split()[0]


@dataclass(frozen=True)
class GrantAttempt:
    """A licence proposal the demo makes expecting the rights checks to refuse it, and
    what they answered (as the brand is told)."""

    label: str
    granted: bool
    reasons: list[Reason]


@dataclass(frozen=True)
class EnrolmentRefusal:
    """A roster talent whose enrolment was refused (the first reason)."""

    talent: str
    code: str
    message: str


@dataclass(frozen=True)
class EnrolmentSummary:
    """30 of 30 when all is well: ``reviewed`` of them through a likeness review decided
    distinct by ``reviewer``; ``duplicate`` is the same-person review the demo stages."""

    enrolled: int
    total: int
    reviewed: int
    reviewer: str
    reason: str
    refused: list[EnrolmentRefusal]
    seconds: float
    duplicate: ReviewDecisionResult | None = None


@dataclass(frozen=True)
class DemoWorld:
    """What the demo's later steps need of the workspace it built."""

    people: list[DemoPerson]
    agencies: list[Organisation]
    brands: list[Organisation]
    licences: dict[str, Licence]      # "nordvik-0", "lumiere-8", "costa-21", ...
    grant_attempts: list[GrantAttempt]
    enrolment: EnrolmentSummary

    @property
    def nordvik(self) -> Organisation:
        return self.brands[0]

    def first_name(self, index: int) -> str:
        return self.people[index].first_name


def consent_document(language: str, today: date, *,
                     identity: list[str] | None = None) -> ConsentDocument:
    """The consent every roster talent signs; ``identity`` lists the identity alterations
    the talent allows (none but for one talent)."""
    return ConsentDocument.model_validate({
        "purpose": "Creation of a digital replica for fashion campaign imagery of licensed "
                   "brands, reviewed and approved by me before publication",
        "scope": {"channels": ["ecommerce", "social", "ooh", "print", "email", "video"],
                  "territories": ["*"],
                  "product_categories": ["tops", "bottoms", "dresses", "outerwear", "knitwear",
                                         "denim", "swimwear", "accessories"],
                  "alterations": identity or [],
                  "prohibited_content": ["nudity", "political", "weapons", "tobacco"]},
        "rate_of_pay": {"currency": "EUR", "amount": 2000, "basis": "per_asset"},
        "starts": (today - timedelta(days=60)).isoformat(),
        "ends": (today + timedelta(days=730)).isoformat(),
        "language": language,
    })


def licence_terms(today: date, **overrides: Any) -> LicenceTerms:
    """Nordvik's terms; the other brands' licences override some of them."""
    base: dict[str, Any] = {
        "channels": ["ecommerce", "social"], "territories": ["SE", "FR"],
        "starts": (today - timedelta(days=30)).isoformat(),
        "ends": (today + timedelta(days=335)).isoformat(),
        "product_categories": ["tops", "bottoms", "outerwear"],
        "permitted_alterations": ["hair_color", "makeup", "background", "lighting", "pose",
                                  "crop"],
        "prohibited_content": ["nudity", "lingerie", "swimwear", "alcohol", "tobacco",
                               "political", "religious", "weapons"],
        "exclusive_categories": [], "approval_required": True, "max_assets": 500,
        "intended_uses": "E-commerce product pages and social posts for the AW26 outerwear "
                         "line and what is worn with it",
        "representation": "counsel",
        "fees": {"currency": "EUR", "per_asset": 2500, "per_publication": {"social": 5000},
                 "flat_fee": 150000, "minimum_guarantee": 200000,
                 "agency_commission_percent": "20", "payment_terms_days": 30},
    }
    base.update(overrides)
    return LicenceTerms.model_validate(base)


def build_world(ctx: ServiceContext, workspace: Path,
                progress: RosterProgress | None = None) -> DemoWorld:
    """Populate a workspace from the synthetic roster (built once, then cached)."""
    today = ctx.today()
    agencies = [add_organisation(ctx, kind=OrganisationKind.AGENCY, name=n, country=c)
                for n, c in AGENCIES]
    brands = [add_organisation(ctx, kind=OrganisationKind.BRAND, name=n, country=c)
              for n, c in BRANDS]
    roster = build_roster(ctx, workspace, count=ROSTER_SIZE, seed=ROSTER_SEED,
                          agency_for=lambda i: agencies[i % 2].id, progress=progress)
    officer = demo_compliance_officer(ctx)
    started = time.perf_counter()
    enrolled = enrol_roster(ctx, roster, actor="operator", reviewer=officer.id,
                            progress=progress and (
                                lambda done, total, name: progress(done, total,
                                                                   f"enrolling {name}")))
    seconds = time.perf_counter() - started
    require_face_templates(ctx, enrolled)  # fails loudly: every roster twin has a template
    enrolment = EnrolmentSummary(
        enrolled=sum(e.enrolled for e in enrolled), total=len(enrolled),
        reviewed=sum(e.review is not None for e in enrolled), reviewer=officer.email,
        reason=ROSTER_DISTINCT_REASON, seconds=round(seconds, 1),
        refused=[EnrolmentRefusal(talent=e.entry.name, code=e.result.reasons[0]["code"],
                                  message=e.result.reasons[0]["message"])
                 for e in enrolled if e.result and e.result.status == "refused"],
        duplicate=_duplicate_enrolment(ctx, roster[0], agencies[1].id, officer.id))
    people = _consent(ctx, roster, today)
    licences = _grant_licences(ctx, people, brands, today)
    attempts = _attempt_refused_grants(ctx, people, brands, today)
    _revoke_and_use_up(ctx, licences, people, brands[0])
    return DemoWorld(people=people, agencies=agencies, brands=brands, licences=licences,
                     grant_attempts=attempts, enrolment=enrolment)


def _duplicate_enrolment(ctx: ServiceContext, entry: RosterEntry, agency_id: str,
                         officer: str) -> ReviewDecisionResult | None:
    """Another agency registers a talent record with a roster talent's own capture set
    (a model signed twice, or someone using her photos): the set goes to review, the
    compliance officer decides ``same_person``, the duplicate's biometric data is destroyed
    and the roster talent and her agency are told."""
    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.enrolment import enrol_twin
    from twinstudio.services.likeness import decide_review
    from twinstudio.services.parties import add_talent

    talent, _ = add_talent(ctx, name=f"{entry.name} (second record)", language="en",
                           synthetic=True, agency_id=agency_id, actor=agency_id)
    grant_biometric_release(ctx, talent_id=talent.id, document=ROSTER_RELEASE)
    photos = [(f"{view}.png", entry.captures[view].read_bytes()) for view in ENROL_VIEWS]
    result = enrol_twin(ctx, talent_id=talent.id, photos=photos, actor=agency_id)
    if result.review_id is None:  # the same photos always collide; say so if they do not
        return None
    return decide_review(ctx, result.review_id, decision=ReviewDecision.SAME_PERSON,
                         reason=f"the same photos as {entry.name}'s enrolled capture set, "
                                "submitted under a second talent record by another agency",
                         actor=officer)


def _consent(ctx: ServiceContext, roster: list[RosterEntry], today: date) -> list[DemoPerson]:
    people = []
    for index, entry in enumerate(roster):
        # the talent and their twin, read together
        with ctx.uow() as uow:
            talent = uow.talents.get(entry.talent_id)
            twin = uow.twins.get_by_talent(entry.talent_id)
        identity = ["skin_tone"] if index == 5 else None
        consent = grant_consent(ctx, talent_id=talent.id,
                                document=consent_document(talent.language, today,
                                                          identity=identity))
        people.append(DemoPerson(talent, twin, consent))
    return people


def _licensed(ctx: ServiceContext, person: DemoPerson, brand: Organisation,
              terms: LicenceTerms) -> Licence:
    """The brand proposes ``terms``; the talent accepts and signs: the licence."""
    proposal = propose_licence(ctx, twin_id=person.twin.id, brand_id=brand.id, terms=terms,
                               actor=brand.id)
    return accept_proposal(ctx, proposal.id, actor=person.talent.id).licence


def _grant_licences(ctx: ServiceContext, people: list[DemoPerson],
                    brands: list[Organisation], today: date) -> dict[str, Licence]:
    nordvik, lumiere, costa = brands
    licences: dict[str, Licence] = {}
    for person in people:  # the agencies invite proposals for their talents' twins
        set_open_to_offers(ctx, person.twin.id, open_=True,
                           actor=person.talent.agency_id or person.talent.id)
    # Nordvik: exclusive outerwear (and the tops and bottoms worn with it) for talents
    # 0-14 in the Nordics and France: its campaign shows at least ten of them.
    for i in range(NORDVIK_TALENTS):
        licences[f"nordvik-{i}"] = _licensed(
            ctx, people[i], nordvik,
            terms=licence_terms(today, territories=["SE", "NO", "DK", "FI", "FR"],
                                exclusive_categories=["outerwear"],
                                max_assets=3 if i == 2 else 500))
    # Maison Lumière: dresses and tops in France and Belgium, talents 8-19, all channels.
    for i in range(8, 20):
        licences[f"lumiere-{i}"] = _licensed(
            ctx, people[i], lumiere,
            terms=licence_terms(today, channels=["ecommerce", "social", "ooh", "print"],
                                territories=["FR", "BE"], product_categories=["dresses", "tops"],
                                intended_uses="Product pages, Instagram posts and Paris metro "
                                              "posters for the SS27 dress collection",
                                fees={"currency": "EUR", "per_asset": 3000,
                                      "per_publication": {"social": 5000, "ooh": 40000},
                                      "agency_commission_percent": "15",
                                      "payment_terms_days": 45}))
    # Costa Azul: swimwear in Spain and Portugal, talents 20-29, no representation.
    for i in range(20, 30):
        licences[f"costa-{i}"] = _licensed(
            ctx, people[i], costa,
            terms=licence_terms(today, territories=["ES", "PT"],
                                product_categories=["swimwear"],
                                prohibited_content=["nudity", "alcohol"], representation="none",
                                intended_uses="Swimwear product pages on costaazul.example and "
                                              "its Instagram account for summer 2027",
                                fees={"currency": "EUR", "per_asset": 2200,
                                      "agency_commission_percent": "20"}))
    return licences


def _attempt_refused_grants(ctx: ServiceContext, people: list[DemoPerson],
                            brands: list[Organisation], today: date) -> list[GrantAttempt]:
    nordvik, lumiere, costa = brands
    first = [p.first_name for p in people]
    requests = [
        (f"Maison Lumière asks for outerwear with {first[0]} (Nordvik holds it exclusively)",
         people[0].twin.id, lumiere.id,
         licence_terms(today, product_categories=["outerwear"], territories=["FR"])),
        (f"Costa Azul, without representation, asks for 'any use' of {first[9]}",
         people[9].twin.id, costa.id,
         licence_terms(today, territories=["ES"], product_categories=["swimwear"],
                       representation="none", intended_uses="Any use in all media")),
        (f"Nordvik asks to alter {first[9]}'s body shape", people[9].twin.id, nordvik.id,
         licence_terms(today, product_categories=["tops"],
                       permitted_alterations=["body_shape", "lighting"])),
    ]
    attempts = []
    for label, twin_id, brand_id, terms in requests:
        try:
            propose_licence(ctx, twin_id=twin_id, brand_id=brand_id, terms=terms,
                            actor=brand_id)
            attempts.append(GrantAttempt(label, granted=True, reasons=[]))
        except RightsRefused as error:
            attempts.append(GrantAttempt(label, granted=False, reasons=list(error.reasons)))
    return attempts


def _revoke_and_use_up(ctx: ServiceContext, licences: dict[str, Licence],
                       people: list[DemoPerson], nordvik: Organisation) -> None:
    # Talent 13 revokes their consent; Nordvik ends its licence with talent 7.
    revoke_consent(ctx, people[13].consent.id, reason="talent withdrew from digital work")
    revoke_licence(ctx, licences["nordvik-7"].id, reason="campaign cancelled",
                   actor=nordvik.id)
    # Talent 2's licence has used its whole quota of 3 assets. No service sets a licence's
    # count of assets (marking three would add assets and ledger entries to the story), so
    # the unit of work is written directly, with its audit event.
    with ctx.uow() as uow:
        lic = uow.licences.get(licences["nordvik-2"].id, for_update=True)
        uow.licences.update(lic.model_copy(update={"assets_used": 3}))
        uow.audit.append(actor="demo", type="LicenceAssetsCounted", at=ctx.now(),
                         payload={"licence_id": lic.id, "assets_used": 3})
        uow.commit()
