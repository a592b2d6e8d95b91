"""Input hygiene at the command line (issue 19, finding 10): every option that reads a
file reads it with a bound (``/dev/zero`` is refused in one line naming the limit, not
read until memory runs out), and names and reasons refuse control, bidirectional and
invisible characters in one line, exit 2, changing nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    World,
    build_world,
    invoke,
    proposed_use,
)
from tests.support.text import BAD_IN_NAMES

DEVICE = Path("/dev/zero")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield build_world(tmp_path, invoke)


# every command option that reads a file, with the limit its one line names
READERS: dict[str, tuple[Callable[[World, Path], tuple[str | Path, ...]], str]] = {
    "verify": (lambda w, f: ("verify", f), "60 MB for an image"),
    "twin match": (lambda w, f: ("twin", "match", f), "60 MB for an image"),
    "asset mark --image": (lambda w, f: ("asset", "mark", "--licence", w.licence, "--image", f,
                                         "--out", w.files / "out.png", "--source", "studio"),
                           "60 MB for an image"),
    "garment add --image": (lambda w, f: ("garment", "add", "--brand", w.brand, "--category",
                                          "coat", "--name", "Parka", "--image", f),
                            "60 MB for an image"),
    "garment add --pattern": (lambda w, f: ("garment", "add", "--brand", w.brand, "--category",
                                            "coat", "--name", "Parka", "--fabric-color",
                                            "#2f4f6f", "--pattern", f), "60 MB for an image"),
    "consent grant --document": (lambda w, f: ("consent", "grant", "--talent", w.talent,
                                               "--document", f), "1 MB for a JSON document"),
    "biometrics release --document": (lambda w, f: ("biometrics", "release", "--talent",
                                                    w.talent, "--document", f),
                                      "1 MB for a JSON document"),
    "licence grant --terms": (lambda w, f: ("licence", "grant", "--twin", w.twin, "--brand",
                                            w.rival_brand, "--terms", f),
                              "1 MB for a JSON document"),
    "policy check --use": (lambda w, f: ("policy", "check", "--licence", w.licence, "--use",
                                         f), "1 MB for a JSON document"),
    "twin body --profile": (lambda w, f: ("twin", "body", w.twin, "--profile", f),
                            "1 MB for a JSON document"),
    "campaign create --brief": (lambda w, f: ("campaign", "create", "--brand", w.brand,
                                              "--brief", f), "1 MB for a brief"),
}


def _one_line_exit_2(outcome) -> str:  # type: ignore[no-untyped-def]
    assert outcome.code == EXIT_BAD_INPUT, outcome
    assert "Traceback" not in outcome.stderr and "MemoryError" not in outcome.stderr
    lines = outcome.stderr_lines()
    assert len(lines) == 1, outcome
    return lines[0]


def test_every_option_that_reads_a_file_refuses_dev_zero_in_one_line(world: World) -> None:
    before = world.snapshot()
    for command, (make_args, limit) in READERS.items():
        line = _one_line_exit_2(world.run(*make_args(world, DEVICE)))
        assert line.startswith("error: /dev/zero: larger than the limit of "), (command, line)
        assert limit in line, (command, line)
    assert world.snapshot() == before


def test_a_folder_or_a_missing_file_is_one_line_too(world: World) -> None:
    for path, phrase in ((world.files, "is a folder"), (world.files / "nope.json",
                                                          "no such file")):
        for make_args, _ in (READERS["verify"], READERS["consent grant --document"],
                             READERS["campaign create --brief"]):
            assert phrase in _one_line_exit_2(world.run(*make_args(world, path)))


def test_a_file_of_exactly_the_limit_is_still_read(world: World) -> None:
    text = json.dumps(proposed_use()).encode()
    use = world.files / "padded.json"
    use.write_bytes(text + b" " * (1024 * 1024 - len(text)))
    assert use.stat().st_size == 1024 * 1024
    outcome = world.run(*READERS["policy check --use"][0](world, use), "--json")
    assert outcome.code == EXIT_OK and outcome.json()["allowed"], outcome


@pytest.mark.parametrize("kind", list(BAD_IN_NAMES))
def test_a_name_with_a_control_bidi_or_invisible_character_exits_2_in_one_line(
        world: World, kind: str) -> None:
    name = BAD_IN_NAMES[kind]
    before = world.snapshot()
    for args in (("talent", "add", "--name", name), ("brand", "add", "--name", name)):
        line = _one_line_exit_2(world.run(*args))
        assert "name: contains " in line and "(U+" in line, (kind, line)
        assert name not in line
    assert world.snapshot() == before


def test_a_reason_with_a_bidi_override_or_an_escape_exits_2_in_one_line(world: World) -> None:
    before = world.snapshot()
    for reason in ("changed my mind \u202e", "\x1b[2Jchanged my mind"):
        for args in (("consent", "revoke", world.consent, "--reason", reason),
                     ("licence", "revoke", world.licence, "--reason", reason)):
            line = _one_line_exit_2(world.run(*args))
            assert line.startswith("error: reason: contains "), line
    assert world.snapshot() == before
    revoked = world.run("consent", "revoke", world.consent, "--reason",
                        "I no longer do digital work.\nPlease stop.")
    assert revoked.code == EXIT_OK, revoked
