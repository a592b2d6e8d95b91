"""The brand's generation pages: the garment catalogue (with an add form), campaigns (a
new-campaign form that shows the plan: queued, and refused with every reason), a
campaign's page with live job progress (a small ``fetch`` polling an HTML fragment, no
build step) and the gallery of its images with their QA result, state and a publish form
on approved ones (showing the labels of each rendition). Thin, like ``pages``: reads go
through ``Access``, writes call the services, every POST checks the CSRF token first."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from twinstudio.api.routers.campaigns import campaign_public
from twinstudio.api.routers.garments import own_brand
from twinstudio.api.uploads import read_image
from twinstudio.domain.asset import Asset
from twinstudio.domain.errors import InvalidInput, problems_of
from twinstudio.domain.garment import Fit, GarmentCategory, Length
from twinstudio.domain.generation import FORMATS, LIGHTING, POSES, SCENES, CampaignBrief
from twinstudio.domain.licence import LicenceState
from twinstudio.services.access import Access
from twinstudio.web.session import Visitor, check_csrf, render, signed_in

router = APIRouter()
Csrf = Annotated[str | None, Form()]


def qa_summary(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """A line for people: did the image pass the identity and body gates, and why not."""
    from twinstudio.services.quality import QaResult

    if not details:
        return None
    qa = QaResult.from_dict(details["qa"])
    parts = []
    if qa.identity.distance is not None:
        parts.append(f"face distance {qa.identity.distance:.2f}")
    if qa.body.checked:
        parts.append("body within tolerance" if qa.body.passed else "body changed")
    return {"passed": qa.passed, "text": ", ".join(parts), "why": qa.reasons,
            "edit_of": qa.edit_of}


def asset_cards(found: Visitor, assets: list[Asset]) -> list[dict[str, Any]]:
    """Each asset with its QA summary, the variant it shows and its publications."""
    with found.ctx.uow() as uow:
        cards = []
        for asset in assets:
            details = uow.asset_details.get(asset.id)
            request = (details or {}).get("reference", {}).get("request") or {}
            cards.append({"asset": asset, "qa": qa_summary(details), "request": request,
                          "publications": uow.asset_details.publications(asset.id)})
    return cards


def _brand_names(found: Visitor) -> dict[str, str]:
    return {o.id: o.name for o in found.access.organisations()}


# ------------------------------------------------------------------ garments


@router.get("/garments")
def garments(request: Request) -> Response:
    found = signed_in(request)
    access = found.access
    return render(request, found, "garments.html", garments=access.garments(),
                  may_add=access.may("brand.write"), names=_brand_names(found),
                  categories=[c.value for c in GarmentCategory],
                  fits=[f.value for f in Fit], lengths=[v.value for v in Length])


@router.post("/garments")
def add_garment_form(request: Request, name: Annotated[str, Form(max_length=120)],
                     category: Annotated[str, Form(max_length=40)],
                     fabric_color: Annotated[str, Form(max_length=7)],
                     fit: Annotated[str, Form(max_length=20)] = "regular",
                     length: Annotated[str, Form(max_length=20)] = "regular",
                     colorways: Annotated[str, Form(max_length=400)] = "",
                     pattern: Annotated[UploadFile | None, File()] = None,
                     image: Annotated[UploadFile | None, File()] = None,
                     colour_from_image: Annotated[bool, Form()] = False,
                     csrf_token: Csrf = None) -> Response:
    from twinstudio.services.garments import add_garment

    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    brand = own_brand(access, None)
    access.require("brand.write")
    data = read_image(pattern) if pattern is not None and pattern.filename else None
    packshot = read_image(image) if image is not None and image.filename else None
    # A colour input always sends a colour: the box says to measure it in the packshot.
    garment = add_garment(found.ctx, brand_id=brand, name=name.strip(), category=category,
                          fabric_color=None if colour_from_image else fabric_color, fit=fit,
                          length=length,
                          colorways=[c.strip() for c in colorways.split(",") if c.strip()],
                          pattern=data, image=packshot, actor=access.principal.actor)
    return RedirectResponse(f"/garments?added={garment.id}", status_code=303)


# ------------------------------------------------------------------ campaigns


@router.get("/campaigns")
def campaigns(request: Request) -> Response:
    found = signed_in(request)
    access = found.access
    shown = list(reversed(access.campaigns()))
    with found.ctx.uow() as uow:
        counts = {c.id: uow.jobs.counts(c.id) for c in shown}
    return render(request, found, "campaigns.html", campaigns=shown, counts=counts,
                  names=_brand_names(found), may_create=access.may("brand.write"))


def _form_options(access: Access) -> dict[str, Any]:
    """What the new-campaign form offers: the brand's licensed twins, its catalogue, the
    markets its licences cover, and the vocabulary of poses, formats and scenes."""
    brand = own_brand(access, None)
    licences = [lic for lic in access.licences(brand_id=brand)
                if lic.state is LicenceState.ACTIVE]
    with access.ctx.uow() as uow:
        talents = {lic.twin_id: uow.talents.get(lic.talent_id).name for lic in licences}
    markets = sorted({f"{c}/{t}" for lic in licences for c in lic.terms.channels
                      for t in lic.terms.territories if t != "*"})
    return {"twins": talents, "licences": licences, "garments": access.garments(brand),
            "poses": POSES, "formats": FORMATS, "scenes": list(SCENES),
            "lightings": list(LIGHTING), "markets": markets}


@router.get("/campaigns/new")
def new_campaign(request: Request) -> Response:
    found = signed_in(request)
    access = found.access
    access.require("brand.write")
    return render(request, found, "campaign_new.html", chosen={}, errors=[],
                  **_form_options(access))


@router.post("/campaigns/new")
async def create_campaign_form(request: Request) -> Response:
    from twinstudio.services.campaigns import create_campaign

    form = await request.form()
    found = signed_in(request)
    check_csrf(found, str(form.get("csrf_token") or ""))
    access = found.access
    brand = own_brand(access, None)
    access.require("brand.write")

    def many(name: str) -> list[str]:
        return [str(v) for v in form.getlist(name)][:200]

    chosen: dict[str, Any] = {k: many(k) for k in ("twins", "garments", "poses", "formats",
                                                   "scenes", "markets")}
    chosen.update({k: str(form.get(k) or "")[:200] for k in (
        "name", "twin_mode", "together", "lighting", "max_assets", "use_date")})
    garments = chosen["garments"]
    markets = [m.split("/", 1) for m in chosen["markets"] if "/" in m]
    raw: dict[str, Any] = {
        "name": chosen["name"].strip(),
        "twins": "all_licensed" if chosen["twin_mode"] != "chosen" else chosen["twins"],
        "looks": ([garments] if chosen["together"] and garments
                  else [[g] for g in garments]),
        "poses": chosen["poses"], "formats": chosen["formats"], "scenes": chosen["scenes"],
        "lighting": chosen["lighting"] or "studio",
        "markets": [{"channel": c, "territory": t} for c, t in markets],
        "max_assets": chosen["max_assets"] or None, "use_date": chosen["use_date"] or None}
    errors: list[str] = []
    try:
        brief = CampaignBrief.model_validate(raw)
        if raw["twins"] != "all_licensed" and not raw["twins"]:
            raise InvalidInput("twins: pick at least one twin, or all licensed twins")
        plan = create_campaign(found.ctx, brand_id=brand, brief=brief,
                               actor=access.principal.actor)
    except ValidationError as error:
        errors = [str(problem) for problem in problems_of(error.errors())]
    except InvalidInput as error:
        errors = error.lines()
    if errors:
        return render(request, found, "campaign_new.html", status=422, chosen=chosen,
                      errors=errors, **_form_options(access))
    return RedirectResponse(f"/campaigns/{plan.campaign.id}?planned=1", status_code=303)


def _campaign_view(request: Request, found: Visitor, campaign_id: str) -> dict[str, Any]:
    access = found.access
    status = campaign_public(access, campaign_id, request.app.state.runner)
    jobs = access.jobs(campaign_id)
    finished = sum(status.jobs.get(s, 0) for s in ("succeeded", "failed", "cancelled"))
    return {"campaign": status, "jobs": jobs, "finished": finished,
            "percent": round(100 * finished / status.total) if status.total else 100}


@router.get("/campaigns/{campaign_id}")
def campaign(request: Request, campaign_id: str) -> Response:
    found = signed_in(request)
    access = found.access
    view = _campaign_view(request, found, campaign_id)
    asset_ids = [j.asset_id for j in view["jobs"] if j.asset_id]
    assets = [a for a in access.assets() if a.id in set(asset_ids)
              or (a.parent_id is not None and a.parent_id in set(asset_ids))]
    licences = {lic.id: lic for lic in access.licences()}
    with found.ctx.uow() as uow:
        twins = {lic.twin_id: uow.talents.get(lic.talent_id).name
                 for lic in licences.values()}
    return render(request, found, "campaign.html", **view, cards=asset_cards(found, assets),
                  licences=licences, twins=twins, today=found.ctx.today().isoformat(),
                  may_run=access.may("brand.write"), may_publish=access.may("asset.publish"))


@router.get("/campaigns/{campaign_id}/progress")
def progress(request: Request, campaign_id: str) -> Response:
    """The progress fragment the campaign page polls."""
    found = signed_in(request)
    return render(request, found, "campaign_progress.html",
                  **_campaign_view(request, found, campaign_id))


@router.post("/campaigns/{campaign_id}/run")
def run(request: Request, campaign_id: str, csrf_token: Csrf = None) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    access.campaign(campaign_id)
    access.require("brand.write")
    request.app.state.runner.start(found.ctx, campaign_id)
    return RedirectResponse(f"/campaigns/{campaign_id}?started=1", status_code=303)


@router.post("/assets/{asset_id}/publish")
def publish(request: Request, asset_id: str, channel: Annotated[str, Form(max_length=20)],
            territory: Annotated[str, Form(max_length=2)],
            day: Annotated[date, Form(alias="date")], csrf_token: Csrf = None,
            back: Annotated[str, Form(max_length=200)] = "/assets") -> Response:
    """Publish an approved asset: the policy decides again; the rendition carries the
    disclosure labels (shown on the card afterwards)."""
    from twinstudio.services.assets import publish_asset

    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    access.asset(asset_id)
    access.require("asset.publish")
    publish_asset(found.ctx, asset_id, channel=channel, territory=territory.upper(), day=day,
                  actor=access.principal.actor)
    target = back if back.startswith("/") and not back.startswith("//") else "/assets"
    return RedirectResponse(f"{target}?published={asset_id}#{asset_id}", status_code=303)
