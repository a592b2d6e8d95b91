"""``twinstudio serve`` as a user starts it: a real server process on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

TWINSTUDIO = str(Path(sys.executable).parent / "twinstudio")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 90) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer in {seconds} s")


@pytest.mark.xdist_group("serve")
def test_serve_with_several_workers_answers_from_each_process(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    subprocess.run([TWINSTUDIO, "init", "--workspace", str(workspace)], check=True,
                   capture_output=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINSTUDIO_")}
    process = subprocess.Popen(
        [TWINSTUDIO, "serve", "--workspace", str(workspace), "--port", str(port),
         "--workers", "2", "--no-access-log"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        answer = _wait_for(f"http://127.0.0.1:{port}/api/v1/openapi.json", process)
        assert answer.status_code == 200
        assert answer.json()["info"]["title"] == "twinstudio API"
        # an API call goes through the workspace's database in a worker process
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/licences",
                         timeout=5).status_code == 401
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) >= 2  # uvicorn's supervisor forked one process per worker
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "2 server processes" in output
    assert process.returncode == 0


def test_serve_refuses_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    result = subprocess.run([TWINSTUDIO, "serve", "--workspace", str(tmp_path / "none"),
                             "--workers", "2"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "is not a twinstudio workspace" in result.stderr + result.stdout
