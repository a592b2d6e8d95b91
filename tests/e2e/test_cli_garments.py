"""``twinstudio garment add --image``: a packshot stored with the garment and, without
``--fabric-color``, the base colour measured in it; bad images exit 2 in one line and
add nothing (the real Typer app on a SQLite workspace)."""

from __future__ import annotations

import hashlib

from tests.e2e.test_cli import EXIT_BAD_INPUT, EXIT_OK, World, world
from tests.support.images import declared_png, delta_e, packshot

__all__ = ["world"]  # the fixture, imported for pytest

NAVY = (20, 30, 70)


def _add(w: World, *args: str) -> object:
    return w.run("garment", "add", "--brand", w.brand, "--category", "shirt", *args)


def test_a_garment_added_from_its_packshot_takes_its_colour(world: World) -> None:
    image = world.files / "packshot.jpg"
    image.write_bytes(packshot(NAVY))
    added = _add(world, "--name", "Oxford shirt", "--image", image, "--json")
    assert added.code == EXIT_OK, added
    garment = added.json()
    assert garment["image_sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()
    assert garment["fabric"]["colour_source"] == "image"
    assert delta_e(garment["fabric"]["base_color"], NAVY) < 3.0
    plain = _add(world, "--name", "Given shirt", "--image", image, "--fabric-color",
                 "#aa3344")
    assert plain.code == EXIT_OK and "colour #aa3344" in plain.stdout
    assert "from the image" not in plain.stdout
    assert _add(world, "--name", "No image", "--fabric-color", "#2f4f6f").code == EXIT_OK
    listed = world.run("garment", "list", "--json").json()
    assert [g["image_sha256"] is not None for g in listed] == [True, True, False]
    # 80 columns do not hold the table with its full ids: a block of lines per garment
    table = world.run("garment", "list").stdout
    blocks = [dict([*line.split(None, 1), ""][:2] for line in block.splitlines())
              for block in table.strip().split("\n\n")]
    assert {b["name"]: b["image"] for b in blocks} == {
        "Oxford shirt": "yes", "Given shirt": "yes", "No image": ""}, table


def test_a_bad_packshot_or_no_colour_at_all_exits_2_and_adds_nothing(world: World) -> None:
    bomb = world.files / "bomb.png"
    bomb.write_bytes(declared_png(20000, 20000))
    text = world.files / "notes.jpg"
    text.write_text("not a picture\n" * 40)
    for args, phrase in (((), "give the garment's base colour"),
                         (("--image", bomb), "decompression bomb"),
                         (("--image", text), "not an image"),
                         (("--image", world.files / "missing.jpg"), "no such file")):
        outcome = _add(world, "--name", "Shirt", *args)
        assert outcome.code == EXIT_BAD_INPUT, outcome
        (line,) = outcome.stderr_lines()
        assert phrase in line, line
    assert world.run("garment", "list", "--json").json() == []
