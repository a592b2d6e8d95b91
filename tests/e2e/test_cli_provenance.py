"""End-to-end: `init` makes signing credentials, `asset mark` marks, `verify` answers."""

from __future__ import annotations

from tests.e2e.test_cli import EXIT_BAD_INPUT, EXIT_OK, World, world
from tests.support.images import decode, encode, scene

__all__ = ["world"]


def test_mark_then_verify_through_the_cli(world: World) -> None:
    source = world.files / "frame.jpg"
    source.write_bytes(encode(scene(11), quality=92))
    marked_path = world.files / "marked.jpg"
    outcome = world.run("asset", "mark", "--licence", world.licence, "--image", source,
                        "--out", marked_path, "--source", "studio", "--alteration",
                        "background", "--json")
    assert outcome.code == EXIT_OK, outcome
    asset_id = outcome.json()["asset_id"]
    assert world.run("asset", "approve", asset_id, "--by", world.talent).code == EXIT_OK

    verified = world.run("verify", marked_path, "--json")
    assert verified.code == EXIT_OK, verified
    result = verified.json()
    assert set(result) >= {"verdict", "asset_id", "twin_id", "licence_id", "signals"}
    assert set(result["signals"]) == {"c2pa", "watermark", "fingerprint", "face"}
    assert result["verdict"] == "licensed" and result["asset_id"] == asset_id
    assert result["twin_id"] == world.twin and result["licence_id"] == world.licence

    stripped = world.files / "stripped.jpg"
    stripped.write_bytes(encode(decode(marked_path.read_bytes()), quality=70))
    assert world.run("verify", stripped, "--json").json()["asset_id"] == asset_id

    assert world.run("licence", "revoke", world.licence, "--reason", "x").code == EXIT_OK
    assert world.run("verify", marked_path, "--json").json()["verdict"] == "withdrawn"
    listed = world.run("asset", "list", "--json").json()
    assert [(a["id"], a["state"]) for a in listed] == [(asset_id, "withdrawn")]


def test_verify_refuses_what_is_not_an_image(world: World) -> None:
    fake = world.files / "photo.jpg"
    fake.write_text("not an image at all")
    outcome = world.run("verify", fake, "--json")
    assert outcome.code == EXIT_BAD_INPUT and len(outcome.stderr_lines()) == 1
    unrelated = world.files / "other.jpg"
    unrelated.write_bytes(encode(scene(12)))
    assert world.run("verify", unrelated, "--json").json()["verdict"] == "unknown"


def test_unusable_output_paths_are_refused_before_anything_changes(world: World) -> None:
    source = world.files / "frame.jpg"
    source.write_bytes(encode(scene(13)))
    blocker = world.files / "afile"
    blocker.write_text("a file, not a folder")
    outcome = world.run("asset", "mark", "--licence", world.licence, "--image", source,
                        "--out", blocker / "out.jpg", "--source", "studio")
    assert outcome.code == EXIT_BAD_INPUT and len(outcome.stderr_lines()) == 1
    assert world.run("asset", "list", "--json").json() == []
    tiny = world.files / "tiny.png"
    tiny.write_bytes(encode(scene(14, 64, 64), "PNG"))
    small = world.run("asset", "mark", "--licence", world.licence, "--image", tiny,
                      "--out", world.files / "o.jpg", "--source", "studio")
    assert small.code == EXIT_BAD_INPUT and "short side" in small.stderr
    folder = world.run("statement", "--talent", world.talent, "--period", "2026-01",
                       "--csv", world.files)
    assert folder.code == EXIT_BAD_INPUT and "folder" in folder.stderr
