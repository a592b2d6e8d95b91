"""The demo: a workspace with 30 talents, 2 agencies, 3 brands, consents and licences,
then a set of proposed uses decided by the policy, each explained, then billable events
posted to the ledger, last month closed and one talent's statement written (CSV + PDF),
then assets marked (C2PA, watermark, fingerprints) and copies of them verified.

Dates are relative to today so the demo tells the same story whenever it runs. Every
roster talent signs a biometric release and enrols their capture set through
``enrol_twin``, the path of ``twinstudio twin enrol``. dlib does not tell every pair of
synthetic faces apart, so a talent whose enrolment is refused (its reason shown in the
summary) has their twin activated without a face template, as the audit chain records.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.consent import ConsentDocument
from twinstudio.domain.errors import RightsRefused
from twinstudio.domain.ledger import BillableEvent, EventType, period_of
from twinstudio.domain.licence import Licence, LicenceTerms
from twinstudio.domain.money import Money
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.policy import ProposedUse
from twinstudio.domain.twin import TwinState
from twinstudio.ledger import write_csv, write_pdf
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.roster import build_roster, enrol_roster
from twinstudio.services.audit import verify_audit
from twinstudio.services.billing import check_ledger, close_period, post_event, talent_statement
from twinstudio.services.campaigns import campaign_status
from twinstudio.services.context import ServiceContext
from twinstudio.services.parties import add_organisation, set_twin_state
from twinstudio.services.provenance import mark_asset, publication_rendition
from twinstudio.services.rights import (
    check_use,
    grant_consent,
    grant_licence,
    revoke_consent,
    revoke_licence,
)
from twinstudio.services.verification import verify_image
from twinstudio.workspace import create_workspace, remove_workspace

# Synthetic people: no real person's name or likeness is used anywhere in the demo.
BRANDS = [("Nordvik Outerwear", "SE"), ("Maison Lumière", "FR"), ("Costa Azul Swim", "ES")]
AGENCIES = [("Polar Models", "SE"), ("Rive Gauche Management", "FR")]


@dataclass
class DemoUse:
    label: str
    licence: str
    use: dict[str, Any]


def _consent_doc(
    language: str, today: date, *, identity: list[str] | None = None
) -> ConsentDocument:
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


def _terms(today: date, **overrides: Any) -> LicenceTerms:
    base: dict[str, Any] = {
        "channels": ["ecommerce", "social"], "territories": ["SE", "FR"],
        "starts": (today - timedelta(days=30)).isoformat(),
        "ends": (today + timedelta(days=335)).isoformat(),
        "product_categories": ["tops", "outerwear"],
        "permitted_alterations": ["hair_color", "makeup", "background", "lighting", "pose",
                                  "crop"],
        "prohibited_content": ["nudity", "lingerie", "swimwear", "alcohol", "tobacco",
                               "political", "religious", "weapons"],
        "exclusive_categories": [], "approval_required": True, "max_assets": 500,
        "intended_uses": "E-commerce product pages and social posts for the AW26 outerwear "
                         "line",
        "representation": "counsel",
        "fees": {"currency": "EUR", "per_asset": 2500, "per_publication": {"social": 5000},
                 "flat_fee": 150000, "minimum_guarantee": 200000,
                 "agency_commission_percent": "20", "payment_terms_days": 30},
    }
    base.update(overrides)
    return LicenceTerms.model_validate(base)


def _first_names(world: dict[str, Any]) -> Any:
    return lambda i: world["people"][i][0].name.split()[0]


def build_demo(ctx: ServiceContext, workspace: Path,
               progress: Any = None) -> dict[str, Any]:
    """Populate a workspace from the synthetic roster (built once, then cached); return
    what the uses below need and the grant refusals."""
    today = ctx.today()
    agencies = [add_organisation(ctx, kind=OrganisationKind.AGENCY, name=n, country=c)
                for n, c in AGENCIES]
    brands = [add_organisation(ctx, kind=OrganisationKind.BRAND, name=n, country=c)
              for n, c in BRANDS]
    people = []
    roster = build_roster(ctx, workspace, count=30, seed=7,
                          agency_for=lambda i: agencies[i % 2].id, progress=progress)
    enrolled = enrol_roster(ctx, roster, actor="operator", progress=progress and (
        lambda done, total, name: progress(done, total, f"enrolling {name}")))
    refused_enrolment = []
    for entry, result in zip(roster, enrolled, strict=True):
        if result is None or result.enrolled:
            continue
        # dlib does not tell every pair of synthetic faces apart (bench/enrol.py): such a
        # twin is activated without a face template, and the audit chain and the summary
        # say so.
        refused_enrolment.append({"talent": entry.name, **result.reasons[0]})
        set_twin_state(ctx, result.twin_id, TwinState.ACTIVE, actor="operator",
                       reason=f"demo: enrolment refused ({result.reasons[0]['code']}); "
                              "activated without a face template")
    for index, entry in enumerate(roster):
        with ctx.uow() as uow:
            talent = uow.talents.get(entry.talent_id)
            twin = uow.twins.get_by_talent(entry.talent_id)
        identity = ["skin_tone"] if index == 5 else None
        consent = grant_consent(ctx, talent_id=talent.id,
                                document=_consent_doc(talent.language, today,
                                                      identity=identity))
        people.append((talent, twin, consent))

    def first(i: int) -> str:
        return people[i][0].name.split()[0]

    nordvik, lumiere, costa = brands
    licences: dict[str, Licence] = {}
    # Nordvik: exclusive outerwear for talents 0-9 in the Nordics and France.
    for i in range(10):
        licences[f"nordvik-{i}"] = grant_licence(
            ctx, twin_id=people[i][1].id, brand_id=nordvik.id,
            terms=_terms(today, territories=["SE", "NO", "DK", "FI", "FR"],
                         exclusive_categories=["outerwear"], max_assets=3 if i == 2 else 500))
    # Maison Lumière: dresses and tops in France and Belgium, talents 8-19, all channels.
    for i in range(8, 20):
        licences[f"lumiere-{i}"] = grant_licence(
            ctx, twin_id=people[i][1].id, brand_id=lumiere.id,
            terms=_terms(today, channels=["ecommerce", "social", "ooh", "print"],
                         territories=["FR", "BE"], product_categories=["dresses", "tops"],
                         intended_uses="Product pages, Instagram posts and Paris metro "
                                       "posters for the SS27 dress collection",
                         fees={"currency": "EUR", "per_asset": 3000,
                               "per_publication": {"social": 5000, "ooh": 40000},
                               "agency_commission_percent": "15",
                               "payment_terms_days": 45}))
    # Costa Azul: swimwear in Spain and Portugal, talents 20-29, no representation.
    for i in range(20, 30):
        licences[f"costa-{i}"] = grant_licence(
            ctx, twin_id=people[i][1].id, brand_id=costa.id,
            terms=_terms(today, territories=["ES", "PT"], product_categories=["swimwear"],
                         prohibited_content=["nudity", "alcohol"], representation="none",
                         intended_uses="Swimwear product pages on costaazul.example and its "
                                       "Instagram account for summer 2027",
                         fees={"currency": "EUR", "per_asset": 2200,
                               "agency_commission_percent": "20"}))

    refused = []
    attempts = [
        (f"Maison Lumière asks for outerwear with {first(0)} (Nordvik holds it exclusively)",
         people[0][1].id, lumiere.id,
         _terms(today, product_categories=["outerwear"], territories=["FR"])),
        (f"Costa Azul, without representation, asks for 'any use' of {first(9)}",
         people[9][1].id, costa.id,
         _terms(today, territories=["ES"], product_categories=["swimwear"],
                representation="none", intended_uses="Any use in all media")),
        (f"Nordvik asks to alter {first(9)}'s body shape", people[9][1].id, nordvik.id,
         _terms(today, product_categories=["tops"],
                permitted_alterations=["body_shape", "lighting"])),
    ]
    for label, twin_id, brand_id, terms in attempts:
        try:
            grant_licence(ctx, twin_id=twin_id, brand_id=brand_id, terms=terms)
            refused.append({"attempt": label, "granted": True, "reasons": []})
        except RightsRefused as error:
            refused.append({"attempt": label, "granted": False,
                            "reasons": [r.model_dump() for r in error.reasons]})

    # Talent 13 revokes their consent; Nordvik ends its licence with talent 7.
    revoke_consent(ctx, people[13][2].id, reason="talent withdrew from digital work")
    revoke_licence(ctx, licences["nordvik-7"].id, reason="campaign cancelled",
                   actor=nordvik.id)
    # Talent 2's licence has used its whole quota of 3 assets.
    with ctx.uow() as uow:
        lic = uow.licences.get(licences["nordvik-2"].id, for_update=True)
        uow.licences.update(lic.model_copy(update={"assets_used": 3}))
        uow.audit.append(actor="demo", type="LicenceAssetsCounted", at=ctx.now(),
                         payload={"licence_id": lic.id, "assets_used": 3})
        uow.commit()
    return {"people": people, "brands": brands, "licences": licences, "refused": refused,
            "enrolment": {"enrolled": len(roster) - len(refused_enrolment),
                          "refused": refused_enrolment}}


def demo_uses(world: dict[str, Any], today: date) -> list[DemoUse]:
    lic = world["licences"]
    first = _first_names(world)
    day = (today + timedelta(days=3)).isoformat()
    late = (today + timedelta(days=400)).isoformat()

    def use(**kw: Any) -> dict[str, Any]:
        return {"channel": "social", "territory": "FR", "date": day,
                "product_category": "outerwear", "alterations": [], "content_tags": [], **kw}

    return [
        DemoUse(f"Nordvik: {first(0)} in a parka, Instagram France, new hair colour",
                lic["nordvik-0"].id, use(alterations=["hair_color"])),
        DemoUse(f"Nordvik: {first(0)}, e-commerce Sweden, background swap",
                lic["nordvik-0"].id, use(channel="ecommerce", territory="SE",
                                         alterations=["background"])),
        DemoUse(f"Nordvik: {first(0)} on a US billboard",
                lic["nordvik-0"].id, use(channel="ooh", territory="US")),
        DemoUse(f"Nordvik: {first(1)}, slimmed waist (body shape)",
                lic["nordvik-1"].id, use(alterations=["body_shape"])),
        DemoUse(f"Nordvik: {first(1)} with a beer in hand",
                lic["nordvik-1"].id, use(content_tags=["alcohol"])),
        DemoUse(f"Nordvik: {first(2)}, 4th asset on a 3-asset licence",
                lic["nordvik-2"].id, use()),
        DemoUse(f"Nordvik: {first(7)} after the licence was revoked",
                lic["nordvik-7"].id, use()),
        DemoUse(f"Nordvik: {first(3)}, a post dated after the licence ends",
                lic["nordvik-3"].id, use(date=late)),
        DemoUse(f"Maison Lumière: {first(8)} in a dress, Paris metro poster",
                lic["lumiere-8"].id, use(channel="ooh", product_category="dresses")),
        DemoUse(f"Maison Lumière: {first(13)}, after revoking consent",
                lic["lumiere-13"].id, use(product_category="dresses")),
        DemoUse(f"Maison Lumière: {first(14)}, TV spot in Germany, knitwear",
                lic["lumiere-14"].id, use(channel="video", territory="DE",
                                          product_category="knitwear")),
        DemoUse(f"Costa Azul: {first(21)}, swimwear page in Spain",
                lic["costa-21"].id, use(channel="ecommerce", territory="ES",
                                        product_category="swimwear")),
        DemoUse(f"Costa Azul: {first(21)}, swimwear with nudity, Portugal",
                lic["costa-21"].id, use(channel="social", territory="PT",
                                        product_category="swimwear", content_tags=["nudity"])),
    ]


def bill_demo(ctx: ServiceContext, world: dict[str, Any], workspace: Path) -> dict[str, Any]:
    """Mark placeholder assets under a dozen licences (standing in for the generation
    issue's renders), post their approval and publication, close last month, write a
    statement."""
    now = ctx.now()
    posted = 0
    marked: dict[str, Any] = {}
    chosen = ["nordvik-0", "nordvik-1", "nordvik-3", "nordvik-4", "lumiere-8", "lumiere-9",
              "lumiere-10", "costa-20", "costa-21", "costa-22"]
    for seed, key in enumerate(chosen):
        licence = world["licences"][key]
        result = mark_asset(ctx, licence_id=licence.id, image=placeholder_frame(seed + 1),
                            source="studio", alterations=["background"], actor="demo")
        marked[key] = result
        channel = "social"
        for event in (
            BillableEvent(type=EventType.ASSET_APPROVED, licence_id=licence.id,
                          asset_id=result.asset.id, occurred_at=now),
            BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id=licence.id,
                          asset_id=result.asset.id, channel=channel, occurred_at=now),
        ):
            posted += post_event(ctx, event, actor="demo").posted
    world["marked"] = marked
    first_of_month = ctx.today().replace(day=1)
    last_month = period_of(first_of_month - timedelta(days=1))
    closed = close_period(ctx, last_month, actor="demo")
    talent = world["people"][0][0]
    period = period_of(ctx.today())
    statement = talent_statement(ctx, talent.id, period)
    folder = workspace / "statements"
    pdf, csv_file = folder / f"{talent.id}-{period}.pdf", folder / f"{talent.id}-{period}.csv"
    write_pdf(statement, pdf)
    write_csv(statement, csv_file)
    check = check_ledger(ctx)
    return {"events_posted": posted, "closed_period": last_month,
            "top_ups": sum(1 for c in closed if c["top_up"]),
            "statement": {"talent": talent.name, "period": period,
                          "net": statement.total("net"), "gross": statement.total("gross"),
                          "commission": statement.total("commission"),
                          "pdf": str(pdf), "csv": str(csv_file)},
            "ledger": check.as_dict()}


def placeholder_pixels(seed: int, width: int = 768, height: int = 1024):  # type: ignore[no-untyped-def]
    """A studio-like placeholder frame (backdrop, paper grain, shapes; RGB uint8) standing
    in for the studio backend's renders until the generation issue exists. No person is
    depicted. The tests use the same frames."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), tuple(int(x) for x in rng.integers(150, 240, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, s = rng.integers(0, width), rng.integers(0, height), int(rng.integers(10, 160))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + s, y + int(s * 1.5)], fill=colour)
        else:
            draw.rectangle([x, y, x + s, y + s // 2], fill=colour)
    pixels = np.asarray(image).astype(float) + rng.normal(0, 4, (height, width, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def placeholder_frame(seed: int) -> bytes:
    """``placeholder_pixels`` as a JPEG."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(placeholder_pixels(seed)).save(out, "JPEG", quality=92)
    return out.getvalue()


def provenance_demo(ctx: ServiceContext, world: dict[str, Any], workspace: Path
                    ) -> list[dict[str, Any]]:
    """Mark assets, make a labelled rendition, and verify copies the internet would make."""
    import io

    from PIL import Image

    folder = workspace / "assets"
    folder.mkdir(exist_ok=True)
    first, second = world["marked"]["nordvik-0"], world["marked"]["nordvik-1"]
    for result in world["marked"].values():
        (folder / f"{result.asset.id}.jpg").write_bytes(result.image)
    rendition = publication_rendition(ctx, first.asset.id, channel="social", territory="FR",
                                      day=ctx.today(), product_category="outerwear",
                                      actor="demo")
    (folder / f"{first.asset.id}-social-FR.jpg").write_bytes(rendition.image)
    lic = world["licences"]

    def stripped_crop(data: bytes) -> bytes:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        w, h = image.size
        out = io.BytesIO()
        image.crop((w // 8, h // 8, w - w // 8, h - h // 8)).save(out, "JPEG", quality=70)
        return out.getvalue()

    cases = [("the signed master", first.image),
             ("the published rendition (labelled 'AI-generated')", rendition.image),
             ("a re-encoded crop without metadata", stripped_crop(first.image)),
             ("an unrelated image", placeholder_frame(999))]
    results = [{"file": label, **_short(verify_image(ctx, data))} for label, data in cases]
    revoke_licence(ctx, lic["nordvik-1"].id, reason="talent asked to end it", actor="demo")
    results.append({"file": f"{_first_names(world)(1)}'s asset after the licence was revoked",
                    **_short(verify_image(ctx, second.image))})
    return results


def _short(result: dict[str, Any]) -> dict[str, Any]:
    signals = result["signals"]
    return {"verdict": result["verdict"], "asset_id": result["asset_id"],
            "c2pa": signals["c2pa"]["state"] or "absent",
            "watermark": signals["watermark"]["confidence"],
            "fingerprint": signals["fingerprint"]["method"] or "no match"}


def _campaign(ctx: ServiceContext, world: dict[str, Any], workspace: Path, *,
              quiet: bool, size: int) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from twinstudio.demo_campaign import run_campaign_demo

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                  transient=True, disable=quiet) as bar:
        task = bar.add_task("campaign: starting workers", total=None)

        def progress(status: dict[str, Any]) -> None:
            jobs = status["jobs"]
            bar.update(task, total=status["total"], completed=jobs["succeeded"]
                       + jobs["failed"] + jobs["cancelled"],
                       description=f"campaign: {jobs['running']} rendering")

        return run_campaign_demo(ctx, world, workspace, progress, size=size)


def _print_campaign(console: Console, campaign: dict[str, Any]) -> None:
    status = campaign["status"]
    refused = ", ".join(f"{n} x {code}" for code, n in sorted(campaign["refusal_codes"].items()))
    console.print(
        f"[bold]Campaign[/bold] {campaign['name']}: {campaign['queued']} variants queued, "
        f"{campaign['refused']} refused by the policy before rendering ({refused}); "
        f"{status['jobs']['succeeded']} images made by {campaign['workers']} workers in "
        f"{campaign['seconds']} s ({campaign['images_per_minute']} per minute)")
    console.print("QA and approval: " + ", ".join(
        f"{k} {v}" for k, v in sorted(status["assets"].items())) + f"; talents approved "
        f"{campaign['approved']} and rejected {campaign['rejected']}; "
        f"{len(campaign['published'])} published")
    console.print("After Nordvik's licence with talent 1 was revoked: " + ", ".join(
        f"{k} {v}" for k, v in sorted(campaign["after_revocation"].items())))
    console.print(f"Contact sheet: {campaign['contact_sheet']}")


def run_demo(workspace: Path, *, reset: bool, console: Console, as_json: bool,
             campaign_size: int = 64) -> None:
    if reset:
        remove_workspace(workspace)
    create_workspace(workspace)
    ensure_development_credentials(Settings(workspace=workspace).c2pa_dir)
    ctx = bootstrap(Settings(workspace=workspace))
    with ctx.uow() as uow:
        if uow.talents.list():
            from twinstudio.domain.errors import Conflict

            raise Conflict(f"{workspace} already holds data; run the demo with --reset")
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True,
                  disable=as_json) as bar:
        task = bar.add_task("synthetic roster (built once, then cached)", total=30)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total,
                       description=f"roster: {name}")

        world = build_demo(ctx, workspace, progress)
    results = []
    for item in demo_uses(world, ctx.today()):
        decision = check_use(ctx, item.licence, ProposedUse.model_validate(item.use))
        results.append({"use": item.label, "licence": item.licence, "request": item.use,
                        **decision.model_dump(mode="json")})
    campaign = _campaign(ctx, world, workspace, quiet=as_json, size=campaign_size) \
        if campaign_size else None
    billing = bill_demo(ctx, world, workspace)
    provenance = provenance_demo(ctx, world, workspace)
    if campaign:
        campaign["after_revocation"] = campaign_status(ctx, campaign["campaign_id"])["assets"]
    chain = verify_audit(ctx)
    summary = {"workspace": str(workspace.resolve()), "talents": len(world["people"]),
               "brands": len(world["brands"]), "licences": len(world["licences"]),
               "enrolment": world["enrolment"],
               "grant_attempts": world["refused"], "uses": results, "billing": billing,
               "provenance": provenance, "campaign": campaign,
               "audit": chain.model_dump(mode="json")}
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        return
    console.print(f"[bold]twinstudio demo[/bold] in {summary['workspace']}: "
                  f"{summary['talents']} talents, {summary['brands']} brands, "
                  f"{summary['licences']} licences granted")
    enrolment = summary["enrolment"]
    console.print(f"Enrolment through enrol_twin: {enrolment['enrolled']} twins enrolled; "
                  f"{len(enrolment['refused'])} refused and activated without a face "
                  "template: " + (", ".join(f"{r['talent']} ({r['code']})"
                                             for r in enrolment["refused"]) or "none"))
    grants = Table("licence request", "result", title="Licence requests refused at grant")
    for attempt in world["refused"]:
        grants.add_row(attempt["attempt"], "granted" if attempt["granted"] else "\n".join(
            f"{r['code']}: {r['message']}" for r in attempt["reasons"]))
    console.print(grants)
    table = Table("proposed use", "decision", title="Proposed uses, decided by evaluate()")
    for r in results:
        verdict = "[green]allowed[/green]" if r["allowed"] else "[red]refused[/red]\n" + \
            "\n".join(f"{x['code']}: {x['message']}" for x in r["reasons"])
        table.add_row(r["use"], verdict)
    console.print(table)
    st = billing["statement"]
    ledger_ok = "ok" if billing["ledger"]["ok"] else "BROKEN"
    console.print(
        f"Ledger {ledger_ok}: {billing['events_posted']} billable events posted, "
        f"{billing['closed_period']} closed with {billing['top_ups']} guarantee top-up(s). "
        f"{st['talent']} earned {Money(amount=st['net'], currency='EUR').format()} net in "
        f"{st['period']} (commission {Money(amount=st['commission'], currency='EUR').format()})"
        f"; statement: {st['pdf']}")
    marks = Table("image", "verdict", "c2pa", "watermark", "fingerprint",
                  title="Provenance: verify what the internet makes of our images")
    for row in provenance:
        marks.add_row(row["file"], row["verdict"], row["c2pa"], row["watermark"],
                      row["fingerprint"])
    console.print(marks)
    console.print(f"Marked assets and the labelled rendition: {workspace / 'assets'}")
    if campaign:
        _print_campaign(console, campaign)
    allowed = sum(r["allowed"] for r in results)
    console.print(f"{allowed} allowed, {len(results) - allowed} refused. Audit chain: "
                  + (f"ok, {chain.events} events" if chain.ok else f"BROKEN: {chain.problem}"))
    # Web portal and API (issue 8): demo logins with known passwords, and where to go.
    from twinstudio.services.accounts import create_demo_logins

    logins = create_demo_logins(ctx)
    console.print(f"Web portal and API: twinstudio serve --workspace {workspace}, then open "
                  "http://127.0.0.1:8000/ (API docs: /api/v1/docs). Demo logins:")
    for login in logins:
        console.print(f"  {login['role']:<12} {login['email']:<36} {login['password']}",
                      markup=False, highlight=False)
