"""The README's walk-through, run as a new user would: every ``sh`` block between its
walk-through markers, copied from README.md itself (so the README cannot drift from the
CLI), in one bash process with ``set -euo pipefail`` in an empty folder, on the real
adapters (SQLite, anny, dlib and MediaPipe, the studio backend). It must end in an
allowed decision and a published image that verifies as licensed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
START = "<!-- walk-through:"
END = "<!-- /walk-through -->"


def walkthrough_script(text: str) -> str:
    """The sh blocks between the walk-through markers, in order."""
    assert text.count(START) == 1 and text.count(END) == 1, "walk-through markers"
    section = text[text.index(START):text.index(END)]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, flags=re.S | re.M)
    assert blocks, "no sh block in the walk-through"
    return "\n".join(blocks)


def test_the_readme_points_nowhere_outside_the_repository() -> None:
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target


def test_the_script_is_the_readme_s_blocks() -> None:
    text = "<!-- walk-through: x -->\n```sh\necho one\n```\nprose\n```text\nno\n```\n" \
           "```sh\necho two\n```\n<!-- /walk-through -->\n```sh\necho after\n```\n"
    assert walkthrough_script(text) == "echo one\n\necho two\n"


def test_the_readme_walkthrough_ends_in_a_published_verified_image(tmp_path: Path) -> None:
    script = tmp_path / "walkthrough.sh"
    script.write_text("set -euo pipefail\n" + walkthrough_script(
        README.read_text(encoding="utf-8")), encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TWINSTUDIO_") or k == "TWINSTUDIO_CACHE_DIR"}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               NO_COLOR="1", COLUMNS="120")
    done = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    out = done.stdout
    assert done.returncode == 0, f"exit {done.returncode}\n{out[-3000:]}\n{done.stderr[-3000:]}"
    assert re.search(r"twin twn_\w+: enrolled", out), out
    assert "worst of 7 measurements" in out
    assert re.search(r"^allowed$", out, flags=re.M), out         # the policy check
    assert "QA: passed" in out
    assert "published on social in SE" in out and "labels: AI-generated" in out
    assert "licensed: a twinstudio asset" in out                # verify of the rendition
    assert "net 75.00 EUR" in out                               # 25.00 approval + 50.00 post
    assert (tmp_path / "post.jpg").is_file()
    assert (tmp_path / "statement.pdf").read_bytes().startswith(b"%PDF")
