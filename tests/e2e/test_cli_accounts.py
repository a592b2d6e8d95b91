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
