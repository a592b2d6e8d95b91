"""Every command and sub-group of ``twinstudio`` renders its ``--help``; the command tree
and every help page equal those captured from the app before the CLI became a package
(golden files ``golden/commands.json`` and ``golden/help.txt``;
``TWINSTUDIO_UPDATE_GOLDEN=1`` rewrites them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from twinstudio.cli import app

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TWINSTUDIO_UPDATE_GOLDEN") == "1"
HEAVY = ("torch", "mediapipe", "dlib", "cv2", "fastapi", "anny", "warp", "diffusers", "ray")


def is_group(command: Any) -> bool:
    # typer vendors its own click (typer._click): test by shape, not by click's classes
    return hasattr(command, "commands")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group, depth first, in the order ``--help`` lists them."""
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append(path)
        if is_group(command):
            for name in command.list_commands(command.context_class(command)):
                walk(command.commands[name], (*path, name))

    walk(root, ())
    return found


def tree() -> dict[str, list[str]]:
    """Each command path -> its parameters (options with their flags, and arguments)."""
    root = typer.main.get_command(app)
    out: dict[str, list[str]] = {}
    for path in command_paths():
        command: Any = root
        for name in path:
            command = command.commands[name]
        out[" ".join(("twinstudio", *path))] = (
            [f"[{name}]" for name in command.commands] if is_group(command)
            else ["/".join(p.opts + p.secondary_opts) for p in command.params])
    return out


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_the_command_tree_is_the_one_captured_before_the_move() -> None:
    check("commands.json", json.dumps(tree(), indent=2) + "\n")


def test_every_command_and_group_renders_its_help_unchanged() -> None:
    runner = CliRunner()
    pages = []
    for path in command_paths():
        result = runner.invoke(app, [*path, "--help"], catch_exceptions=False,
                               env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.stdout, path
        pages.append(f"=== {' '.join(('twinstudio', *path, '--help'))}\n{result.stdout}")
    check("help.txt", "".join(pages))


def test_a_group_without_a_subcommand_prints_its_help() -> None:
    result = CliRunner().invoke(app, ["talent"], catch_exceptions=False)
    assert result.exit_code in (0, 2) and "Usage:" in result.output  # no_args_is_help
    assert "add" in result.output and "list" in result.output


def test_help_loads_no_heavy_library() -> None:
    code = ("import sys\n"
            "from typer.testing import CliRunner\n"
            "from twinstudio.cli import app\n"
            "result = CliRunner().invoke(app, ['--help'])\n"
            "assert result.exit_code == 0, result.output\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
