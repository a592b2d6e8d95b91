"""The local executor: N worker processes (default: the machine's cores) that claim jobs
from the database, render, check and store, until the campaign's queue is empty.

Processes are started with ``spawn`` (each builds its own renderer and models: OpenGL
contexts and model sessions must not cross a fork). The parent only watches the job
counts for the progress bar. Ctrl-C: every worker gives its running job back (queued,
the attempt not counted) and stops; ``campaign run`` resumes from there. A worker killed
outright (SIGKILL, power loss) leaves its job running under a lease that expires, after
which any worker takes it over; it cannot store a second asset because storing needs the
lease (``services.jobs``).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from twinstudio.domain.generation import LEASE_SECONDS

Progress = Callable[[Any], None]            # called with the campaign's status
Status = Callable[[Any, str], Any]          # (ctx, campaign id) -> CampaignStatusResult
# The entry point of a worker process, a module-level function (spawn pickles it by name):
# (settings JSON, campaign id, worker id, lease seconds, backend name, stop event) -> None
WorkerMain = Callable[..., None]


class LocalExecutor:
    """Runs a campaign's jobs in ``workers`` processes, each started on ``worker_main``
    (bootstrap gives the one that builds the services and the backend in the process)."""

    def __init__(self, settings: Any, *, worker_main: WorkerMain, status: Status,
                 workers: int | None = None, lease_seconds: float = LEASE_SECONDS,
                 backend: str = "auto") -> None:
        self.settings = settings
        self.worker_main = worker_main
        self.status = status
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.lease_seconds = lease_seconds
        self.backend = backend

    def run(self, ctx: Any, campaign_id: str, *, progress: Progress | None = None,
            poll_seconds: float = 0.5) -> Any:
        """Run the campaign's jobs to the end (or until interrupted); returns its status.

        On KeyboardInterrupt the workers finish or give back their current job and the
        interrupt is raised again once they have stopped."""
        spawn = mp.get_context("spawn")
        stop = spawn.Event()
        settings_json = json.dumps({**self.settings.model_dump(mode="json"),
                                    "master_key": self.settings.master_key.get_secret_value()})
        processes = [spawn.Process(
            target=self.worker_main, name=f"twinstudio-worker-{i}",
            args=(settings_json, campaign_id, f"worker-{os.getpid()}-{i}-"
                  f"{uuid.uuid4().hex[:6]}", self.lease_seconds, self.backend, stop))
            for i in range(self.workers)]
        for process in processes:
            process.start()
        try:
            while any(p.is_alive() for p in processes):
                if progress is not None:
                    progress(self.status(ctx, campaign_id))
                time.sleep(poll_seconds)
        except KeyboardInterrupt:
            stop.set()
            for process in processes:
                process.join(timeout=120)
            raise
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join(timeout=10)
        status = self.status(ctx, campaign_id)
        if progress is not None:
            progress(status)
        return status
