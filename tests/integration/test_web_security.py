"""Web hardening (issue 19, finding 9): security headers on every answer of the API and
the portal, Secure cookies in production mode (a setting, and ``serve``'s option), and
anonymous CSRF tokens the server signed, so that a planted ``ts_csrf`` cookie with a
matching form field (login CSRF) is refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from twinstudio.bootstrap import build_site
from twinstudio.config import Settings
from twinstudio.domain.accounts import Role
from twinstudio.services.accounts import add_user, create_api_key
from twinstudio.signing.passwords import Argon2Passwords

EMAIL, PASSWORD = "officer@example.com", "correct horse battery"
MASTER = "a-production-master-key-of-40-characters!"


@pytest.fixture
def officer(ctx):  # type: ignore[no-untyped-def]
    ctx.passwords = Argon2Passwords(fast=True)
    user = add_user(ctx, email=EMAIL, name="Officer", role=Role.COMPLIANCE, password=PASSWORD)
    return create_api_key(ctx, user_id=user.id, name="tests").secret


def _token(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                       "csrf_token": token}, follow_redirects=False)


def test_every_answer_of_the_api_and_the_portal_carries_the_security_headers(ctx, officer):
    client = TestClient(build_site(ctx), raise_server_exceptions=False)
    answers = {
        "portal page": client.get("/login"),
        "portal redirect": client.get("/", follow_redirects=False),
        "portal 404": client.get("/no/such/page"),
        "static file": client.get("/static/style.css"),
        "api 200": client.get("/api/v1/me", headers={"X-API-Key": officer}),
        "api 401": client.get("/api/v1/licences"),
        "api 413": client.post("/api/v1/verify", content=b"x" * 100,
                               headers={"Content-Length": str(10**9)}),
        "api docs": client.get("/api/v1/docs"),
    }
    for what, answer in answers.items():
        headers = answer.headers
        assert headers.get("X-Frame-Options") == "DENY", what
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), what
        assert headers.get("X-Content-Type-Options") == "nosniff", what
        assert headers.get("Referrer-Policy") == "same-origin", what
    page_csp = answers["portal page"].headers["Content-Security-Policy"]
    assert "script-src 'self';" in page_csp and "unsafe-inline' " not in page_csp.replace(
        "style-src-attr 'unsafe-inline'", "")
    assert answers["api 200"].headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answers["api 413"].status_code == 413


def test_the_portal_pages_have_no_inline_script():
    from pathlib import Path

    import twinstudio.web

    templates = Path(twinstudio.web.__file__).parent / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert "javascript:" not in text and not re.search(r"\son[a-z]+=", text), template.name


def test_cookies_are_secure_in_production_mode_and_not_in_development(ctx, officer, tmp_path,
                                                                     monkeypatch):
    production = Settings(workspace=tmp_path / "ws", mode="production", master_key=MASTER)
    assert production.secure_cookies is True
    assert Settings(workspace=tmp_path / "ws").secure_cookies is False
    monkeypatch.setenv("TWINSTUDIO_SECURE_COOKIES", "false")  # e.g. TLS ends elsewhere
    assert Settings(workspace=tmp_path / "ws", mode="production",
                    master_key=MASTER).secure_cookies is False
    monkeypatch.setenv("TWINSTUDIO_SECURE_COOKIES", "true")
    assert Settings(workspace=tmp_path / "ws").secure_cookies is True

    client = TestClient(build_site(ctx, settings=production), base_url="https://testserver")
    form = client.get("/login")
    assert "Secure" in form.headers["set-cookie"] and "HttpOnly" in form.headers["set-cookie"]
    signed_in = _login(client, _token(client))
    assert signed_in.status_code == 303
    session = signed_in.headers["set-cookie"]
    assert session.startswith("ts_session=") and "Secure" in session

    monkeypatch.delenv("TWINSTUDIO_SECURE_COOKIES")
    development = TestClient(build_site(ctx, settings=Settings(workspace=tmp_path / "ws")))
    assert "Secure" not in development.get("/login").headers["set-cookie"]


def test_a_planted_csrf_cookie_with_a_matching_form_field_is_refused_at_login(ctx, officer):
    site = build_site(ctx)
    other_site = build_site(ctx, csrf_secret=b"another site's secret, not ours!")
    genuine_elsewhere = _token(TestClient(other_site))
    for planted in ("A" * 43, "1780000000.bm9uY2U.bWFj", genuine_elsewhere):
        client = TestClient(site)
        client.cookies.set("ts_csrf", planted)
        refused = _login(client, planted)
        assert refused.status_code == 403, planted
        assert "security token" in refused.text and "ts_session" not in refused.cookies


def test_the_normal_login_still_works_and_its_token_is_good_in_every_process(ctx, officer):
    settings = Settings()
    first, second = build_site(ctx, settings=settings), build_site(ctx, settings=settings)
    browser = TestClient(first)
    token = _token(browser)
    assert browser.cookies.get("ts_csrf") == token
    moved = TestClient(second)  # the same browser, answered by another worker process
    moved.cookies.set("ts_csrf", token)
    signed_in = _login(moved, token)
    assert signed_in.status_code == 303 and signed_in.cookies.get("ts_session")
    assert moved.get("/audit").status_code == 200


def test_an_anonymous_token_expires_after_twelve_hours(ctx, officer, clock):
    client = TestClient(build_site(ctx))
    token = _token(client)
    clock.advance(hours=12, seconds=1)
    assert _login(client, token).status_code == 403
    assert _login(client, _token(client)).status_code == 303  # a fresh page, a fresh token
