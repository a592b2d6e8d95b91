"""Campaign runs started from the web portal or the REST API, in the background.

A request must answer at once (202), so the run goes on in a daemon thread of the server
process. ``ExecutorRunner`` (what ``twinstudio serve`` uses) has that thread drive the
``LocalExecutor``: worker processes, each with its own renderer and models.
``WorkerRunner`` runs workers as threads of this process with the components it is given
(tests inject a fake backend and fake QA measurements; bootstrap's default loads the
studio backend lazily). Both keep at most one run per campaign; the job queue in the database
makes a second start, or a start on another server, harmless anyway (leases).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

log = logging.getLogger("twinstudio.jobs")
Components = Callable[[], tuple[Any, Any]]  # () -> (generation backend, quality tools)


class _ThreadedRunner(ABC):
    """A ``CampaignRunner`` (``services.ports``): one daemon thread per running campaign;
    subclasses say how a run is done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def start(self, ctx: Any, campaign_id: str) -> bool:
        with self._lock:
            current = self._threads.get(campaign_id)
            if current is not None and current.is_alive():
                return False
            thread = threading.Thread(target=self._guarded, args=(ctx, campaign_id),
                                      name=f"campaign-{campaign_id}", daemon=True)
            self._threads[campaign_id] = thread
            thread.start()
        return True

    def running(self, campaign_id: str) -> bool:
        with self._lock:
            thread = self._threads.get(campaign_id)
            return thread is not None and thread.is_alive()

    def wait(self, campaign_id: str, timeout: float | None = None) -> bool:
        """Wait for the campaign's run to end (tests); True when it has."""
        with self._lock:
            thread = self._threads.get(campaign_id)
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _guarded(self, ctx: Any, campaign_id: str) -> None:
        try:
            self._run(ctx, campaign_id)
        except Exception:  # a background thread has nobody else to tell
            log.exception("campaign %s: the run stopped with an error", campaign_id)

    @abstractmethod
    def _run(self, ctx: Any, campaign_id: str) -> None:
        """Run the campaign's jobs to the end (each runner its own way)."""


class ExecutorRunner(_ThreadedRunner):
    """The production path: ``LocalExecutor`` worker processes, watched from a thread.
    ``executor()`` builds the executor of a run (bootstrap wires it)."""

    def __init__(self, executor: Callable[[], Any]) -> None:
        super().__init__()
        self.executor = executor

    def _run(self, ctx: Any, campaign_id: str) -> None:
        self.executor().run(ctx, campaign_id)


class WorkerRunner(_ThreadedRunner):
    """Workers as threads of this process, over the given components (built once, on
    the first run: the studio backend's models load only when a campaign runs).
    ``worker`` is the worker loop (``services.jobs.run_worker``, given by bootstrap)."""

    def __init__(self, components: Components, worker: Callable[..., Any], *,
                 workers: int = 1) -> None:
        super().__init__()
        self._components = components
        self._worker = worker
        self._built: tuple[Any, Any] | None = None
        self.workers = max(1, workers)

    def components(self) -> tuple[Any, Any]:
        with self._lock:
            if self._built is None:
                self._built = self._components()
            return self._built

    def _run(self, ctx: Any, campaign_id: str) -> None:
        import uuid

        backend, quality = self.components()
        tag = uuid.uuid4().hex[:6]
        threads = [threading.Thread(target=self._worker, args=(ctx,), kwargs={
            "backend": backend, "quality": quality, "worker_id": f"thread-{tag}-{i}",
            "campaign_id": campaign_id, "wait_for_leases": True}, daemon=True)
            for i in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


class BackgroundLoop:
    """A loop (``loop(stop_event)``, e.g. webhook delivery) in a daemon thread that the
    server starts with the app and stops on shutdown; ``stop`` waits for the round in
    progress to end (an attempt cut short is sent again by another worker anyway)."""

    def __init__(self, name: str, loop: Callable[[threading.Event], None]) -> None:
        self.name = name
        self._loop = loop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._guarded, name=self.name, daemon=True)
        self._thread.start()

    def _guarded(self) -> None:
        try:
            self._loop(self._stop)
        except Exception:
            log.exception("%s stopped with an error", self.name)

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
