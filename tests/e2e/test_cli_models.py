"""End-to-end tests of the model registry commands and its API read routes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.e2e.test_cli import EXIT_BAD_INPUT, EXIT_INTEGRITY, EXIT_OK, World, world
from tests.integration.test_diffusion import model_folder

__all__ = ["world"]  # the fixture, imported for pytest


def _add(w: World, name: str, path: Path, kind: str, commercial: str = "yes"):
    return w.run("model", "add", name, "--path", path, "--kind", kind, "--licence",
                 "openrail++", "--commercial", commercial, "--json")


def test_model_add_list_show_and_check_name_every_changed_file(world: World) -> None:
    base = model_folder(world.files / "base", "base")
    added = _add(world, "sdxl-base", base, "base")
    assert added.code == EXIT_OK, added
    data = added.json()
    assert data["files"] == 3 and data["commercial"] and data["layout"] == "pipeline"
    text = world.run("model", "add", "cn", "--path", model_folder(world.files / "cn",
                     "controlnet"), "--kind", "controlnet", "--licence", "Apache-2.0",
                     "--commercial", "no")
    assert text.code == EXIT_OK and "commercial use NOT allowed" in text.stdout
    listed = world.run("model", "list", "--json").json()
    assert [m["name"] for m in listed] == ["cn", "sdxl-base"]
    shown = world.run("model", "show", "sdxl-base", "--json").json()
    assert shown["manifest_sha256"] == data["manifest_sha256"]
    assert {f["path"] for f in shown["files"]} >= {"model_index.json"}
    assert world.run("model", "check").code == EXIT_OK
    (base / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"tampered")
    checked = world.run("model", "check")
    assert checked.code == EXIT_INTEGRITY
    assert "unet/diffusion_pytorch_model.safetensors (changed)" in checked.stderr
    again = world.run("model", "check", "--json").json()
    assert [r["ok"] for r in again] == [True, False]
    removed = world.run("model", "remove", "cn")
    assert removed.code == EXIT_OK
    assert [m["name"] for m in world.run("model", "list", "--json").json()] == ["sdxl-base"]


def test_model_add_refuses_bad_input_in_one_line(world: World) -> None:
    cn = model_folder(world.files / "cn", "controlnet")
    for args, message in (
            (("bad", "--path", world.files / "none", "--kind", "base"), "no such folder"),
            (("bad", "--path", cn, "--kind", "base"), "needs model_index.json"),
            (("bad", "--path", cn, "--kind", "vae"), "kind must be one of"),
            (("Bad Name", "--path", cn, "--kind", "controlnet"), "model name")):
        outcome = world.run("model", "add", *args, "--licence", "MIT", "--commercial", "yes")
        assert outcome.code == EXIT_BAD_INPUT, outcome
        assert message in outcome.stderr and "Traceback" not in outcome.stderr
    assert world.run("model", "list", "--json").json() == []
    refused = world.run("model", "add", "x", "--path", cn, "--kind", "controlnet",
                        "--licence", "MIT", "--commercial", "maybe")
    assert refused.code == EXIT_BAD_INPUT


def test_the_api_lists_models_without_their_server_paths(world: World) -> None:
    from twinstudio.bootstrap import build_api
    from twinstudio.cli import context
    from twinstudio.domain.accounts import Role
    from twinstudio.services.accounts import add_user, create_api_key

    assert _add(world, "sdxl-base", model_folder(world.files / "b", "base"), "base").code == 0
    ctx = context(world.workspace)
    user = add_user(ctx, email="brand@example.com", name="Brand", password="a long passphrase",
                    role=Role.BRAND_EDITOR, organisation_id=world.brand, actor="test")
    key = create_api_key(ctx, user_id=user.id, name="t", actor="test").secret
    api = TestClient(build_api(ctx), raise_server_exceptions=False)
    listed = api.get("/api/v1/models", headers={"X-API-Key": key})
    assert listed.status_code == 200, listed.text
    [model] = listed.json()["items"]
    assert model["name"] == "sdxl-base" and model["commercial"] is True
    assert "path" not in model and str(world.files) not in listed.text
    one = api.get("/api/v1/models/sdxl-base", headers={"X-API-Key": key})
    assert one.status_code == 200 and one.json()["manifest_sha256"] == model["manifest_sha256"]
    assert api.get("/api/v1/models/nope", headers={"X-API-Key": key}).status_code == 404
    assert api.get("/api/v1/models").status_code == 401
