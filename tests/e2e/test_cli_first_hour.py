"""End-to-end: the bugs a newcomer met in their first hour with the CLI (issue 22).

Each test drives the real Typer app on a SQLite workspace built by the README's flow
(``tests.e2e.test_cli.build_world``).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    World,
    proposed_use,
    world,
)
from tests.support.images import encode, scene

__all__ = ["world"]  # the fixture, imported for pytest


def _mark(w: World, seed: int) -> tuple[str, Path]:
    source = w.files / f"frame{seed}.jpg"
    source.write_bytes(encode(scene(seed), quality=92))
    marked = w.files / f"marked{seed}.jpg"
    outcome = w.run("asset", "mark", "--licence", w.licence, "--image", source, "--out",
                    marked, "--source", "studio", "--json")
    assert outcome.code == EXIT_OK, outcome
    return outcome.json()["asset_id"], marked


# ------------------------------------------------------- 3. every failed field, one line each


def test_bad_options_name_every_failed_field_with_its_message(world: World) -> None:
    asset, _ = _mark(world, 22)
    outcome = world.run("asset", "publish", asset, "--channel", "socail", "--territory", "XX")
    assert outcome.code == EXIT_BAD_INPUT, outcome
    lines = outcome.stderr_lines()
    assert len(lines) == 2, outcome
    assert "channel" in lines[0] and "'socail'" in lines[0] and "social" in lines[0]
    assert "territory" in lines[1] and "'XX'" in lines[1]
    assert "pydantic" not in outcome.stderr and "further information" not in outcome.stderr

    rendition = world.run("asset", "rendition", asset, "--channel", "socail", "--territory",
                          "FR", "--category", "outerwear", "--out", world.files / "r.jpg")
    assert rendition.code == EXIT_BAD_INPUT, rendition
    assert rendition.stderr_lines() == [
        "error: publication: channel: unknown code(s) 'socail'; known: ecommerce, email, "
        "ooh, print, social, video"]


def test_a_document_names_every_failed_field_on_its_own_line(world: World) -> None:
    use = world.file("use.json", proposed_use(channel="socail", territory="XX",
                                              alterations=["hair_colour"]))
    outcome = world.run("policy", "check", "--licence", world.licence, "--use", use)
    assert outcome.code == EXIT_BAD_INPUT, outcome
    lines = outcome.stderr_lines()
    assert len(lines) == 3, outcome
    assert [line.split(": ")[2] for line in lines] == ["channel", "territory", "alterations"]
    assert all(line.startswith(f"error: {use}: ") for line in lines)
