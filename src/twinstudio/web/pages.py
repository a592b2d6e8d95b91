"""The portal's pages. Thin: each reads through the tenant-isolation helper (``Access``)
or calls a service, and renders a template. Every POST checks the CSRF token first."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from twinstudio.api.admission import PerceptionGate
from twinstudio.api.routers.assets import approver_party, asset_image
from twinstudio.api.routers.statements import render as render_statement
from twinstudio.api.uploads import read_image
from twinstudio.domain.accounts import BRAND_ROLES, Role
from twinstudio.domain.asset import AssetState
from twinstudio.domain.errors import InvalidInput, NotFound, TooManyAttempts, Unauthenticated
from twinstudio.domain.ledger import period_of
from twinstudio.domain.money import Money
from twinstudio.domain.passwords import MAX_PASSWORD
from twinstudio.services.adapters import list_adapters
from twinstudio.web.campaign_pages import qa_summary
from twinstudio.web.review_pages import notices_for
from twinstudio.web.session import (
    check_csrf,
    render,
    set_session,
    signed_in,
    visitor,
)

router = APIRouter()
Csrf = Annotated[str | None, Form()]


def _names(found) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Names of the parties a signed-in principal deals with (brands, talents)."""
    access = found.access
    names = {o.id: o.name for o in access.organisations()}
    names.update({t.id: t.name for t in access.talents()})
    licences = access.licences()  # read before the unit of work below: never nest them
    with found.ctx.uow() as uow:
        for lic in licences:
            names.setdefault(lic.talent_id, uow.talents.get(lic.talent_id).name)
            names.setdefault(lic.brand_id, uow.organisations.get(lic.brand_id).name)
    return names


def money(amount: int, currency: str) -> str:
    return Money(amount=amount, currency=currency).format()


# ------------------------------------------------------------------ sign in and out


@router.get("/")
def home(request: Request) -> Response:
    found = visitor(request)
    if found.principal is None:
        return RedirectResponse("/login", status_code=303)
    start = {Role.TALENT: "/my/twin", Role.AGENCY: "/talents", Role.COMPLIANCE: "/audit",
             Role.ADMIN: "/audit"}.get(found.principal.role, "/licences")
    return RedirectResponse(start, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, visitor(request), "login.html", next=_safe_next(next))


@router.post("/login")
def login(request: Request, email: Annotated[str, Form(max_length=254)],
          password: Annotated[str, Form(max_length=MAX_PASSWORD)], csrf_token: Csrf = None,
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    from twinstudio.services.accounts import start_web_session

    found = visitor(request)
    check_csrf(found, csrf_token)
    try:
        started = start_web_session(found.ctx, email, password,
                                    client=request.client.host if request.client else None)
    except TooManyAttempts as error:
        page = render(request, found, "login.html", status=429, next=_safe_next(next),
                      email=email, error=f"{error.message.capitalize()}. Sign-in pauses "
                      "after repeated wrong passwords, to protect the account.")
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    except Unauthenticated as error:
        return render(request, found, "login.html", status=401, next=_safe_next(next),
                      email=email, error=error.message)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session(request, response, started.token)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Csrf = None) -> Response:
    from twinstudio.services.accounts import end_web_session
    from twinstudio.web.session import SESSION_COOKIE

    found = signed_in(request)
    check_csrf(found, csrf_token)
    end_web_session(found.ctx, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    set_session(request, response, None)
    return response


def _safe_next(target: str) -> str:
    """Only a path on this site (never an open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


# ------------------------------------------------------------------ talent side


@router.get("/my/twin")
def my_twin(request: Request) -> Response:
    found = signed_in(request)
    principal = found.principal
    assert principal is not None
    if principal.role is not Role.TALENT or not principal.talent_id:
        return RedirectResponse("/talents" if principal.role in (Role.AGENCY, Role.ADMIN)
                                else "/", status_code=303)
    access = found.access
    talent = access.talent(principal.talent_id)
    with found.ctx.uow() as uow:
        twin = uow.twins.get_by_talent(talent.id)
        has_key = uow.biometrics.key(twin.id) is not None
        templates = uow.biometrics.templates(twin.id)
        releases = uow.releases.list_for_talent(talent.id)
    consents = access.consents(twin.id)
    licences = access.licences(twin_id=twin.id)
    assets = access.assets(twin_id=twin.id)
    waiting = [p for p in access.proposals(twin_id=twin.id) if p.state.value == "proposed"]
    return render(request, found, "twin.html", talent=talent, twin=twin, has_key=has_key,
                  proposals=waiting,
                  notices=notices_for(found),
                  templates=[{"kind": k, "retain_until": r} for _, k, _, r in templates],
                  releases=releases, consents=consents, licences=licences,
                  pending=[a for a in assets if a.state is AssetState.PENDING_APPROVAL],
                  assets=assets, adapters=list_adapters(found.ctx, twin.id))


@router.get("/talents")
def talents(request: Request) -> Response:
    found = signed_in(request)
    access = found.access
    visible = access.talents()
    with found.ctx.uow() as uow:
        rows = [(t, uow.twins.get_by_talent(t.id)) for t in visible]
    licences = access.licences()
    counts = {twin.id: sum(lic.twin_id == twin.id for lic in licences) for _, twin in rows}
    return render(request, found, "talents.html", rows=rows, counts=counts,
                  period=period_of(found.ctx.today()), notices=notices_for(found))


@router.get("/consents")
def consents(request: Request) -> Response:
    found = signed_in(request)
    access = found.access
    return render(request, found, "consents.html", consents=access.consents(),
                  names=_names(found), may_revoke=access.may("consent.revoke"),
                  licences=access.licences(), money=money)


@router.get("/consents/{consent_id}/revoke")
def revoke_confirm(request: Request, consent_id: str) -> Response:
    found = signed_in(request)
    access = found.access
    consent = access.consent(consent_id)
    access.require("consent.revoke")
    affected = [lic for lic in access.licences() if lic.consent_id == consent_id]
    return render(request, found, "consent_revoke.html", consent=consent, affected=affected,
                  names=_names(found))


@router.post("/consents/{consent_id}/revoke")
def revoke(request: Request, consent_id: str, reason: Annotated[str, Form(max_length=500)],
           csrf_token: Csrf = None) -> Response:
    from twinstudio.services.rights import revoke_consent

    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    access.consent(consent_id)
    access.require("consent.revoke")
    if not reason.strip():
        raise InvalidInput("say why you revoke the consent")
    revoke_consent(found.ctx, consent_id, reason=reason.strip(), actor=access.principal.actor)
    return RedirectResponse("/consents?revoked=" + consent_id, status_code=303)


@router.get("/earnings")
def earnings(request: Request, period: str | None = None) -> Response:
    from twinstudio.services.billing import talent_statement

    found = signed_in(request)
    principal = found.principal
    assert principal is not None
    if not principal.talent_id:
        return RedirectResponse("/talents", status_code=303)
    found.access.talent(principal.talent_id)
    period = period or period_of(found.ctx.today())
    statement = talent_statement(found.ctx, principal.talent_id, period)
    peak = max([amount for _, amount in statement.history] + [1])
    bars = [{"period": p, "amount": a, "height": round(160 * a / peak),
             "label": money(a, statement.currency)} for p, a in statement.history]
    return render(request, found, "earnings.html", statement=statement, bars=bars,
                  money=lambda a: money(a, statement.currency), period=period,
                  talent_id=principal.talent_id)


@router.get("/statements/{talent_id}/{period}.{fmt}")
def statement_file(request: Request, talent_id: str, period: str, fmt: str) -> Response:
    from twinstudio.domain.ledger import parse_period
    from twinstudio.services.billing import talent_statement

    found = signed_in(request)
    found.access.talent(talent_id)
    if fmt not in ("csv", "pdf"):
        raise NotFound(f"no {fmt} statement")
    try:
        parse_period(period)
    except (ValueError, InvalidInput):
        raise InvalidInput(f"{period!r} is not a month such as 2026-11") from None
    return render_statement(talent_statement(found.ctx, talent_id, period), fmt)


# ------------------------------------------------------------------ licences and assets


@router.get("/licences")
def licences(request: Request) -> Response:
    found = signed_in(request)
    access = found.access
    return render(request, found, "licences.html", licences=access.licences(),
                  names=_names(found), money=money)


@router.get("/assets")
def assets(request: Request, state: str | None = None,
           licence_id: str | None = None) -> Response:
    found = signed_in(request)
    access = found.access
    every = access.assets()
    shown = [a for a in reversed(every)
             if (not state or a.state.value == state)
             and (not licence_id or a.licence_id == licence_id)]
    with found.ctx.uow() as uow:  # the QA result of generated images, for the approver
        qa = {a.id: qa_summary(uow.asset_details.get(a.id)) for a in shown}
    return render(request, found, "assets.html", assets=shown, total=len(every), qa=qa,
                  states=[s.value for s in AssetState], state=state or "",
                  licence_id=licence_id or "", licences=access.licences(),
                  names=_names(found), may_approve=access.may("asset.approve"),
                  brand=found.principal is not None and found.principal.role in BRAND_ROLES)


@router.get("/assets/{asset_id}/image")
def image(request: Request, asset_id: str) -> Response:
    found = signed_in(request)
    data, mime = asset_image(found.access, asset_id)
    return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=300"})


@router.post("/assets/{asset_id}/{decision}")
def decide(request: Request, asset_id: str, decision: str, csrf_token: Csrf = None,
           reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    from twinstudio.services.assets import approve_asset, reject_asset

    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    access.asset(asset_id)
    if decision not in ("approve", "reject"):
        raise NotFound(f"no action {decision!r}")
    access.require("asset.approve")
    party = approver_party(access, asset_id)
    if decision == "approve":
        approve_asset(found.ctx, asset_id, party_id=party, actor=access.principal.actor)
    else:
        reject_asset(found.ctx, asset_id, party_id=party,
                     reason=reason.strip() or "rejected by the talent",
                     actor=access.principal.actor)
    return RedirectResponse(f"/assets?decided={asset_id}", status_code=303)


# ------------------------------------------------------------------ verify and audit


@router.get("/verify")
def verify_form(request: Request) -> Response:
    return render(request, visitor(request), "verify.html", result=None)


@router.post("/verify")
def verify(request: Request, gate: PerceptionGate, image: Annotated[UploadFile, File()],
           csrf_token: Csrf = None) -> Response:
    """Anyone may verify an image: the verdict and every signal. Behind the perception
    gate, like the API's: a page with 503 and Retry-After when it is full."""
    from twinstudio.services.verification import verify_image

    found = visitor(request)
    check_csrf(found, csrf_token)
    with gate.admit():
        result = verify_image(found.ctx, read_image(image))
    return render(request, found, "verify.html", result=result,
                  filename=image.filename or "image")


@router.get("/audit")
def audit(request: Request) -> Response:
    from twinstudio.services.audit import recent_events, verify_audit

    found = signed_in(request)
    found.access.require("audit.read")
    chain = verify_audit(found.ctx)
    events = list(reversed(recent_events(found.ctx, 40)))
    return render(request, found, "audit.html", chain=chain, events=events,
                  today=date.today())

