"""``twinstudio serve`` in a subprocess on a free port, over a small two-tenant workspace
(the API tests' world), for tests and benches that need a real server process: one that
can crash, and whose CPU and memory can be read (``cpu_seconds``, ``memory_mb``)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.world import World


def _command() -> list[str]:
    """``twinstudio`` from the same source as the caller's (a checkout's ``src`` on
    PYTHONPATH wins over the installed one)."""
    return [sys.executable, "-m", "twinstudio.cli"]


def _pythonpath() -> str:
    import twinstudio

    source = str(Path(twinstudio.__file__).resolve().parents[1])
    rest = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join([source, *(str(Path(p).resolve()) for p in rest.split(os.pathsep)
                                      if p)])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        pending.extend(int(c) for c in children)
    return pids


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and all its descendants so far."""
    total = 0
    for current in _tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def memory_mb(pid: int, field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` of the process tree, in MB."""
    total = 0
    for current in _tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += next((int(line.split()[1]) for line in status.splitlines()
                       if line.startswith(f"{field}:")), 0)
    return total / 1024


def reset_peak(pid: int) -> None:
    """Start the peak (``VmHWM``) of the process tree again from its resident size."""
    for current in _tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            Path(f"/proc/{current}/clear_refs").write_text("5")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_world_workspace(workspace: Path, database_url: str | None = None) -> World:
    """The API tests' two-tenant world in a real workspace, as of 1 June 2026 (its
    ``ctx`` reads the same store as a server started on the workspace)."""
    from tests.conftest import Clock
    from tests.support.webhooks import offline_resolver
    from tests.support.world import build_world
    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.domain.network import AllowList
    from twinstudio.net.outbound import GuardedSender
    from twinstudio.provenance.keys import ensure_development_credentials
    from twinstudio.signing.passwords import Argon2Passwords
    from twinstudio.workspace import create_workspace

    create_workspace(workspace)
    settings = Settings(workspace=workspace, database_url=database_url)
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings, clock=Clock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)))
    ctx.passwords = Argon2Passwords(fast=True)
    ctx.webhook_sender = GuardedSender(AllowList.parse(["127.0.0.1"]),
                                       resolver=offline_resolver, timeout=2)
    return build_world(ctx)


def build_workspace(workspace: Path, database_url: str | None = None) -> tuple[str, bytes]:
    """``build_world_workspace``; a brand admin's API key and a marked image (320x400
    JPEG) of tenant a."""
    from tests.support.images import encode, scene
    from twinstudio.domain.accounts import Role
    from twinstudio.services.provenance import mark_asset

    world = build_world_workspace(workspace, database_url)
    ctx = world.ctx
    marked = mark_asset(ctx, licence_id=world.a.licence, source="studio",
                        image=encode(scene(5, 320, 400), quality=90))
    return world.key(Role.BRAND_ADMIN), marked.image


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.is_file() else ""


@contextmanager
def serve(workspace: Path, *, env: dict[str, str] | None = None, workers: int = 1,
          database_url: str | None = None, seconds: float = 120) -> Iterator[Served]:
    """``twinstudio serve`` on ``workspace`` until the block ends (``env``: more
    ``TWINSTUDIO_*`` settings). Yields once it answers; stops it with SIGINT (SIGKILL if
    it does not end)."""
    import httpx

    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TWINSTUDIO_")}
    environment.update({"TWINSTUDIO_WORKSPACE": str(workspace), **(env or {})})
    environment["PYTHONPATH"] = _pythonpath()
    if "TWINSTUDIO_CACHE_DIR" in os.environ:
        environment["TWINSTUDIO_CACHE_DIR"] = os.environ["TWINSTUDIO_CACHE_DIR"]
    if database_url:
        environment["TWINSTUDIO_DATABASE_URL"] = database_url
    log = workspace / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*_command(), "serve", "--workspace", str(workspace), "--port", str(port),
             "--workers", str(workers), "--no-access-log"], env=environment, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}:\n"
                                   f"{served.output()[-3000:]}")
            try:
                if httpx.get(f"{served.url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve did not answer within {seconds} s")
            time.sleep(0.3)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
