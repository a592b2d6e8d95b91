"""A bounded admission gate for routes that run the perception models (issue 19).

The face, pose and garment models run one request at a time behind their locks
(``perception.faces``), so a burst of requests would otherwise pile up in the thread
pool, each holding its upload and decoded image, until the clients time out. The gate
bounds that: at most ``concurrency`` requests run the work, at most ``queue`` more wait
for a turn, each at most ``wait_seconds``; any other is refused at once with ``Busy``
(HTTP 503 with ``Retry-After``), as is one whose wait ran out.

It is made of two ``threading`` semaphores, for the sync route functions FastAPI runs in
its thread pool: a waiting request blocks its pool thread, never the event loop (the
gate is never used from ``async`` code). Settings: ``TWINSTUDIO_PERCEPTION_CONCURRENCY``,
``TWINSTUDIO_PERCEPTION_QUEUE``, ``TWINSTUDIO_PERCEPTION_WAIT_SECONDS``; one gate per app
(``bootstrap.perception_gate``), shared by every route that runs perception.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request

from twinstudio.api.schemas import ErrorResponse
from twinstudio.domain.errors import Busy

DEFAULT_CONCURRENCY = 2
DEFAULT_QUEUE = 4
DEFAULT_WAIT_SECONDS = 5.0


class AdmissionGate:
    """At most ``concurrency`` holders at once; at most ``queue`` more waiting, each at
    most ``wait_seconds``; anyone else refused at once (``Busy``)."""

    def __init__(self, concurrency: int = DEFAULT_CONCURRENCY, queue: int = DEFAULT_QUEUE,
                 wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        if concurrency < 1 or queue < 0 or wait_seconds < 0:
            raise ValueError("an admission gate needs concurrency >= 1, queue >= 0 and "
                             "wait_seconds >= 0")
        self.concurrency = concurrency
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.retry_after = max(1, math.ceil(wait_seconds))
        self._admitted = threading.BoundedSemaphore(concurrency + queue)  # run or wait
        self._running = threading.BoundedSemaphore(concurrency)
        self._count = threading.Lock()
        self._inside = 0

    @property
    def inside(self) -> int:
        """Requests admitted now (running or waiting)."""
        return self._inside

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one of the places for the ``with`` block; ``Busy`` when none is free now
        (running and queue full) or none became free within ``wait_seconds``."""
        if not self._admitted.acquire(blocking=False):
            raise Busy(f"busy: {self.concurrency} image analyses are running and "
                       f"{self.queue} waiting; try again in {self.retry_after} s",
                       retry_after=self.retry_after)
        try:
            with self._count:
                self._inside += 1
            if not self._running.acquire(timeout=self.wait_seconds):
                raise Busy(f"busy: no image analysis could start within "
                           f"{self.wait_seconds:g} s; try again in {self.retry_after} s",
                           retry_after=self.retry_after)
            try:
                yield
            finally:
                self._running.release()
        finally:
            with self._count:
                self._inside -= 1
            self._admitted.release()


async def perception_gate(request: Request) -> AdmissionGate:
    """The app's gate for perception work (a FastAPI dependency; ``create_api`` sets
    it). Async: it only reads the app's state, so it costs no pool thread."""
    gate: AdmissionGate = request.app.state.perception_gate
    return gate


PerceptionGate = Annotated[AdmissionGate, Depends(perception_gate)]

# the OpenAPI answer of a route behind the gate
BUSY: dict[int | str, dict[str, object]] = {503: {
    "model": ErrorResponse,
    "description": "Busy: the image analyses are at capacity (error type busy); try again "
                   "after the Retry-After header's seconds",
    "headers": {"Retry-After": {"description": "seconds to wait before trying again",
                                "schema": {"type": "integer"}}}}}
