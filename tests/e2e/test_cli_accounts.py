"""``twinstudio user add`` and ``twinstudio apikey create`` end to end: the key printed
once opens the API as that user; bad roles and affiliations exit 2 with one line."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from twinstudio.cli import app, context

runner = CliRunner()


def test_user_add_and_apikey_create_open_the_api(tmp_path):
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", "--workspace", ws]).exit_code == 0
    brand = json.loads(runner.invoke(app, ["brand", "add", "--workspace", ws, "--name",
                                           "Nordvik", "--json"]).stdout)
    added = runner.invoke(app, ["user", "add", "--workspace", ws, "--email",
                                "Ana@Nordvik.example", "--role", "brand_admin",
                                "--organisation", brand["id"], "--password",
                                "long enough password", "--json"])
    assert added.exit_code == 0, added.stderr
    user = json.loads(added.stdout)
    assert user["email"] == "ana@nordvik.example" and "password_hash" not in user
    created = runner.invoke(app, ["apikey", "create", "--workspace", ws, "--user",
                                  "ana@nordvik.example", "--json"])
    assert created.exit_code == 0, created.stderr
    key = json.loads(created.stdout)["api_key"]
    from twinstudio.bootstrap import build_api

    client = TestClient(build_api(context(tmp_path / "ws")))
    me = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["role"] == "brand_admin"

    bad = runner.invoke(app, ["user", "add", "--workspace", ws, "--email", "x@example.com",
                              "--role", "brand_admin", "--password", "long enough password"])
    assert bad.exit_code == 2 and "organisation" in bad.stderr
    short = runner.invoke(app, ["user", "add", "--workspace", ws, "--email", "y@example.com",
                                "--role", "compliance", "--password", "short"])
    assert short.exit_code == 2 and "at least 10 characters" in short.stderr
    listed = json.loads(runner.invoke(app, ["user", "list", "--workspace", ws,
                                            "--json"]).stdout)
    assert [u["email"] for u in listed] == ["ana@nordvik.example"]


def _workspace_with_user(tmp_path) -> str:  # type: ignore[no-untyped-def]
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["init", "--workspace", ws]).exit_code == 0
    added = runner.invoke(app, ["user", "add", "--workspace", ws, "--email", "co@example.com",
                                "--role", "compliance", "--password", "long enough password"])
    assert added.exit_code == 0, added.stderr
    return ws


def test_user_add_refuses_weak_and_overlong_passwords_with_a_clear_message(tmp_path):
    ws = _workspace_with_user(tmp_path)
    for password, said in (("x" * 100_000, "at most 1024 characters (this one has 100000)"),
                           ("1234567890", "too common"), ("password12", "too common"),
                           (" " * 9 + "x", "at least 5 different characters")):
        refused = runner.invoke(app, ["user", "add", "--workspace", ws, "--email",
                                      "z@example.com", "--role", "compliance"],
                                env={"TWINSTUDIO_NEW_PASSWORD": password})
        assert refused.exit_code == 2 and said in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    listed = json.loads(runner.invoke(app, ["user", "list", "--workspace", ws,
                                            "--json"]).stdout)
    assert [u["email"] for u in listed] == ["co@example.com"]


def test_user_disable_enable_and_password_from_stdin(tmp_path):
    from twinstudio.domain.errors import Unauthenticated
    from twinstudio.services.accounts import authenticate_password

    ws = _workspace_with_user(tmp_path)
    key = json.loads(runner.invoke(app, ["apikey", "create", "--workspace", ws, "--user",
                                         "co@example.com", "--json"]).stdout)["api_key"]
    from twinstudio.bootstrap import build_api

    client = TestClient(build_api(context(tmp_path / "ws")))
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
    disabled = runner.invoke(app, ["user", "disable", "cO@example.com", "--workspace", ws])
    assert disabled.exit_code == 0 and "disabled" in disabled.stdout
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 401
    again = runner.invoke(app, ["user", "disable", "cO@example.com", "--workspace", ws])
    assert again.exit_code == 2 and "already disabled" in again.stderr
    assert runner.invoke(app, ["user", "enable", "cO@example.com",
                               "--workspace", ws]).exit_code == 0
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200

    weak = runner.invoke(app, ["user", "password", "cO@example.com", "--stdin",
                               "--workspace", ws], input="password12\n")
    assert weak.exit_code == 2 and "too common" in weak.stderr
    changed = runner.invoke(app, ["user", "password", "cO@example.com", "--stdin",
                                  "--workspace", ws], input="a new long passphrase\n")
    assert changed.exit_code == 0, changed.stderr
    prompted = runner.invoke(app, ["user", "password", "cO@example.com", "--workspace", ws],
                             input="prompted passphrase\nprompted passphrase\n")
    assert prompted.exit_code == 0, prompted.stderr
    ctx = context(tmp_path / "ws")
    assert authenticate_password(ctx, "cO@example.com", "prompted passphrase")
    for old in ("long enough password", "a new long passphrase"):
        try:
            authenticate_password(ctx, "co@example.com", old)
            raise AssertionError(f"{old!r} still signs in")
        except Unauthenticated:
            pass
    unknown = runner.invoke(app, ["user", "password", "no@example.com", "--stdin",
                                  "--workspace", ws], input="whatever it is\n")
    assert unknown.exit_code == 2 and "not found" in unknown.stderr


def test_apikey_create_with_an_expiry(tmp_path):
    from datetime import UTC, datetime, timedelta

    ws = _workspace_with_user(tmp_path)
    created = runner.invoke(app, ["apikey", "create", "--workspace", ws, "--user",
                                  "co@example.com", "--expires-in", "30", "--json"])
    assert created.exit_code == 0, created.stderr
    expires = datetime.fromisoformat(json.loads(created.stdout)["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    dated = runner.invoke(app, ["apikey", "create", "--workspace", ws, "--user",
                                "co@example.com", "--expires", "2099-01-31"])
    assert dated.exit_code == 0 and "valid until 2099-01-31 00:00 UTC" in dated.stdout
    for bad, said in ((["--expires", "2001-01-01"], "in the future"),
                      (["--expires", "31/01/2099"], "not a date"),
                      (["--expires", "2099-01-31", "--expires-in", "3"], "not both")):
        refused = runner.invoke(app, ["apikey", "create", "--workspace", ws, "--user",
                                      "co@example.com", *bad])
        assert refused.exit_code == 2 and said in refused.stderr, refused.stderr


def test_serve_marks_cookies_secure_when_asked_or_in_production(tmp_path, monkeypatch):
    import uvicorn

    ws = _workspace_with_user(tmp_path)
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda site, **_: served.append(site))
    for flags, expected in (([], False), (["--secure-cookies"], True),
                            (["--no-secure-cookies"], False)):
        assert runner.invoke(app, ["serve", "--workspace", ws, *flags]).exit_code == 0
        assert served[-1].state.secure_cookies is expected, flags
    monkeypatch.setenv("TWINSTUDIO_SECURE_COOKIES", "1")
    assert runner.invoke(app, ["serve", "--workspace", ws]).exit_code == 0
    assert served[-1].state.secure_cookies is True
