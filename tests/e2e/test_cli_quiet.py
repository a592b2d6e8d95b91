"""Native libraries' logs (MediaPipe's TF Lite and absl, Warp) stay off the terminal of
``twinstudio`` commands; ``--verbose`` lets them through; a failure replays them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.images import encode, scene
from twinstudio.logs import quiet_native

NATIVE = ("inference_feedback_manager", "TensorFlow Lite", "XNNPACK", "W0000",
          "absl::InitializeLog", "Warp")


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINSTUDIO_")}
    if "TWINSTUDIO_CACHE_DIR" in os.environ:
        env["TWINSTUDIO_CACHE_DIR"] = os.environ["TWINSTUDIO_CACHE_DIR"]
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "twinstudio.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
                          check=False)


@pytest.fixture
def workspace_and_image(tmp_path: Path) -> tuple[Path, Path]:
    workspace = tmp_path / "ws"
    assert cli("init", "--workspace", workspace, cwd=tmp_path).returncode == 0
    image = tmp_path / "frame.jpg"  # no face: dlib finds none, MediaPipe's detector looks
    image.write_bytes(encode(scene(5, 384, 480)))
    return workspace, image


def test_twin_match_loads_mediapipe_without_a_native_log_line(
        workspace_and_image: tuple[Path, Path], tmp_path: Path) -> None:
    workspace, image = workspace_and_image
    done = cli("twin", "match", image, "--workspace", workspace, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
    assert [line for line in done.stderr.splitlines()
            if any(marker in line for marker in NATIVE)] == [], done.stderr

    verbose = cli("--verbose", "twin", "match", image, "--workspace", workspace, "--json",
                  cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stdout == done.stdout
    assert "TensorFlow Lite" in verbose.stderr  # the XNNPACK delegate's INFO line


def test_what_native_code_wrote_is_replayed_when_the_code_inside_fails(
        capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWINSTUDIO_LOG", raising=False)
    with quiet_native():
        os.write(2, b"native chatter\n")
        print("our own line", file=sys.stderr)
    assert capfd.readouterr().err == "our own line\n"

    with pytest.raises(RuntimeError), quiet_native():
        os.write(2, b"native: model file is corrupt\n")
        raise RuntimeError("could not build the model")
    assert "native: model file is corrupt" in capfd.readouterr().err
