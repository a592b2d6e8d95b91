"""The perception routes' admission gate: bounded running, bounded waiting, refusals."""

from __future__ import annotations

import threading
import time

import pytest

from twinstudio.api.admission import AdmissionGate
from twinstudio.domain.errors import Busy


def _hold(gate: AdmissionGate, entered: threading.Event, leave: threading.Event,
          outcomes: list[str]) -> None:
    try:
        with gate.admit():
            entered.set()
            outcomes.append("ran")
            leave.wait(10)
    except Busy:
        outcomes.append("busy")


def _start(gate: AdmissionGate, leave: threading.Event, outcomes: list[str]
           ) -> tuple[threading.Thread, threading.Event]:
    entered = threading.Event()
    thread = threading.Thread(target=_hold, args=(gate, entered, leave, outcomes))
    thread.start()
    return thread, entered


def test_at_most_concurrency_run_at_once():
    gate = AdmissionGate(concurrency=2, queue=5, wait_seconds=5)
    running, peak, lock = 0, 0, threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with gate.admit():
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with lock:
                running -= 1

    threads = [threading.Thread(target=work) for _ in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2
    assert gate.inside == 0


def test_beyond_the_queue_is_refused_at_once_with_retry_after():
    gate = AdmissionGate(concurrency=1, queue=1, wait_seconds=30)
    leave, outcomes = threading.Event(), []
    first, entered = _start(gate, leave, outcomes)
    assert entered.wait(5)
    second, _ = _start(gate, leave, outcomes)  # waits in the queue
    deadline = time.monotonic() + 5
    while gate.inside < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    # refused at once: the refusal of a full queue, not of a wait that ran out
    with pytest.raises(Busy, match="are running and 1 waiting") as refused, gate.admit():
        pass  # pragma: no cover - refused before the block
    assert refused.value.code == "busy"
    assert refused.value.retry_after == 30
    leave.set()
    first.join()
    second.join()
    assert outcomes == ["ran", "ran"]  # the queued one ran when the first left


def test_a_wait_that_runs_out_is_refused():
    gate = AdmissionGate(concurrency=1, queue=3, wait_seconds=0.2)
    leave, outcomes = threading.Event(), []
    first, entered = _start(gate, leave, outcomes)
    assert entered.wait(5)
    with pytest.raises(Busy, match=r"within 0\.2 s") as refused, gate.admit():
        pass  # pragma: no cover
    assert refused.value.retry_after == 1
    leave.set()
    first.join()
    assert gate.inside == 0


def test_queue_zero_admits_only_the_running():
    gate = AdmissionGate(concurrency=1, queue=0, wait_seconds=5)
    leave, outcomes = threading.Event(), []
    first, entered = _start(gate, leave, outcomes)
    assert entered.wait(5)
    with pytest.raises(Busy), gate.admit():
        pass  # pragma: no cover
    leave.set()
    first.join()
    with gate.admit():  # free again
        pass


def test_places_are_released_when_the_work_raises():
    gate = AdmissionGate(concurrency=1, queue=0, wait_seconds=0)
    for _ in range(3):
        with pytest.raises(ValueError), gate.admit():
            raise ValueError("the analysis failed")
    assert gate.inside == 0
    with gate.admit():
        assert gate.inside == 1


def test_settings_are_checked():
    with pytest.raises(ValueError):
        AdmissionGate(concurrency=0)
    with pytest.raises(ValueError):
        AdmissionGate(queue=-1)
