"""Browser sessions and CSRF for the portal.

The session cookie holds a random token (only its hash is stored, server side); each
session has its own CSRF token, which every state-changing form sends back. Visitors
without a session (the sign-in and verify forms) get a double-submit CSRF cookie whose
token the server signed (HMAC of the site's secret over its issue time and a random
nonce) and accepts for ``ANON_CSRF_HOURS``: a cookie and form field that someone planted
without the secret (login CSRF) are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from twinstudio.domain.accounts import Principal, Role
from twinstudio.domain.errors import PermissionDenied, Unauthenticated
from twinstudio.services.access import Access
from twinstudio.services.accounts import session_principal
from twinstudio.services.context import ServiceContext

SESSION_COOKIE = "ts_session"
ANON_CSRF_COOKIE = "ts_csrf"
ANON_CSRF_HOURS = 12
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@dataclass
class Visitor:
    """Who is looking at a page: a signed-in principal, or nobody."""

    ctx: ServiceContext
    principal: Principal | None
    csrf_token: str
    new_anon_token: bool = False

    @property
    def access(self) -> Access:
        if self.principal is None:
            raise Unauthenticated("sign in first")
        return Access(self.ctx, self.principal)


def visitor(request: Request) -> Visitor:
    ctx: ServiceContext = request.app.state.ctx
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            principal, csrf = session_principal(ctx, token)
            return Visitor(ctx, principal, csrf)
        except Unauthenticated:
            pass
    anon = request.cookies.get(ANON_CSRF_COOKIE)
    if anon and _anon_token_valid(request, anon):
        return Visitor(ctx, None, anon)
    return Visitor(ctx, None, _new_anon_token(request), new_anon_token=True)


def _anon_mac(request: Request, issued: str, nonce: str) -> str:
    secret: bytes = request.app.state.csrf_secret
    digest = hmac.new(secret, f"anon-csrf|{issued}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _new_anon_token(request: Request) -> str:
    """``<issued unix time>.<nonce>.<mac>`` (about 80 characters)."""
    issued = str(int(request.app.state.ctx.now().timestamp()))
    nonce = secrets.token_urlsafe(16)
    return f"{issued}.{nonce}.{_anon_mac(request, issued, nonce)}"


def _anon_token_valid(request: Request, token: str) -> bool:
    """Signed by this site and issued at most ANON_CSRF_HOURS ago."""
    parts = token.split(".")
    if len(token) > 120 or len(parts) != 3 or not parts[0].isdigit():
        return False
    issued, nonce, mac = parts
    if not hmac.compare_digest(mac, _anon_mac(request, issued, nonce)):
        return False
    age = request.app.state.ctx.now().timestamp() - int(issued)
    return -300 <= age <= ANON_CSRF_HOURS * 3600


def signed_in(request: Request) -> Visitor:
    found = visitor(request)
    if found.principal is None:
        raise Unauthenticated("sign in first")
    request.state.access = found.access  # refusals on the page are redacted by its scope
    return found


def check_csrf(found: Visitor, submitted: str | None) -> None:
    """Refuse a form whose CSRF token is missing or not this session's."""
    if not submitted or not hmac.compare_digest(submitted, found.csrf_token):
        raise PermissionDenied("the form's security token is missing or out of date; "
                               "reload the page and try again")


NAV: dict[Role, list[tuple[str, str]]] = {
    Role.TALENT: [("/my/twin", "My twin"), ("/consents", "Consents"), ("/assets", "Assets"),
                  ("/licences", "Where I'm used"), ("/proposals", "Proposals"),
                  ("/earnings", "Earnings"), ("/verify", "Verify")],
    Role.AGENCY: [("/talents", "Talents"), ("/licences", "Licences"),
                  ("/proposals", "Proposals"), ("/assets", "Assets"),
                  ("/consents", "Consents"), ("/webhooks", "Webhooks"),
                  ("/verify", "Verify")],
    Role.BRAND_EDITOR: [("/licences", "Licences"), ("/proposals", "Proposals"),
                        ("/garments", "Catalogue"), ("/campaigns", "Campaigns"),
                        ("/assets", "Gallery"), ("/verify", "Verify")],
    Role.BRAND_ADMIN: [("/licences", "Licences"), ("/proposals", "Proposals"),
                       ("/garments", "Catalogue"), ("/campaigns", "Campaigns"),
                       ("/assets", "Gallery"), ("/webhooks", "Webhooks"),
                       ("/verify", "Verify")],
    Role.COMPLIANCE: [("/audit", "Audit"), ("/reviews", "Likeness reviews"),
                      ("/licences", "Licences"), ("/campaigns", "Campaigns"),
                      ("/assets", "Assets"), ("/verify", "Verify")],
    Role.ADMIN: [("/audit", "Audit"), ("/reviews", "Likeness reviews"),
                 ("/talents", "Talents"), ("/licences", "Licences"),
                 ("/campaigns", "Campaigns"), ("/assets", "Assets"), ("/verify", "Verify")],
}


def render(request: Request, found: Visitor, template: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    nav = NAV.get(found.principal.role, []) if found.principal else [("/verify", "Verify")]
    response = templates.TemplateResponse(request, template, {
        "me": found.principal, "csrf_token": found.csrf_token, "nav": nav,
        "path": request.url.path, **context}, status_code=status)
    if found.new_anon_token:
        response.set_cookie(ANON_CSRF_COOKIE, found.csrf_token, httponly=True,
                            samesite="lax", secure=_secure(request))
    return response


def _secure(request: Request) -> bool:
    return bool(getattr(request.app.state, "secure_cookies", False))


def set_session(request: Request, response: Response, token: str | None) -> None:
    if token is None:
        response.delete_cookie(SESSION_COOKIE)
        return
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=_secure(request), max_age=12 * 3600)


def html_error(request: Request, status: int, code: str, message: str,
               reasons: list[dict[str, str]]) -> Response:
    """Errors on portal pages: sign-in when not signed in, else a page with the reasons."""
    if status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    titles = {403: "Not allowed", 404: "Not found", 409: "Not possible now",
              413: "Too large", 422: "Please check what you sent",
              429: "Too many attempts", 503: "Busy: please try again shortly"}
    return render(request, visitor(request), "error.html", status=status,
                  title=titles.get(status, "Something went wrong"), code=code,
                  message=message, reasons=reasons)
