"""``twinstudio serve`` in a subprocess on a free port, over a small two-tenant workspace
(the API tests' world), for tests and benches that need a real server process: one that
can crash, and whose CPU and memory can be read."""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_workspace(workspace: Path, database_url: str | None = None) -> tuple[str, bytes]:
    """The API tests' two-tenant world in a real workspace, as of 1 June 2026; a brand
    admin's API key and a marked image (320x400 JPEG) of tenant a."""
    from tests.conftest import Clock
    from tests.support.images import encode, scene
    from tests.support.world import build_world
    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.domain.accounts import Role
    from twinstudio.provenance.keys import ensure_development_credentials
    from twinstudio.services.provenance import mark_asset
    from twinstudio.signing.passwords import Argon2Passwords
    from twinstudio.workspace import create_workspace

    create_workspace(workspace)
    settings = Settings(workspace=workspace, database_url=database_url)
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings, clock=Clock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)))
    ctx.passwords = Argon2Passwords(fast=True)
    world = build_world(ctx)
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
