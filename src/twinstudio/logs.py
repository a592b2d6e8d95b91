"""Native libraries' logs: quiet by default, shown with ``--verbose`` or ``TWINSTUDIO_LOG=debug``.

MediaPipe 0.10.21 (its TF Lite runtime and absl/glog) and NVIDIA Warp write to file
descriptor 2 from C/C++, bypassing Python: "INFO: Created TensorFlow Lite XNNPACK delegate
for CPU.", "WARNING: All log messages before absl::InitializeLog() is called are written to
STDERR", "W0000 ... inference_feedback_manager.cc:114] Feedback manager requires ...",
"Warp CUDA warning: Could not find or load the NVIDIA CUDA driver ...". None of them obeys
``GLOG_minloglevel``, ``TF_CPP_MIN_LOG_LEVEL`` or absl's Python verbosity (absl logs
before ``absl::InitializeLog()``, which MediaPipe's Python wheel never calls), so the
adapters run model construction and inference inside ``quiet_native()``: fd 2 points at a
temporary file for that while, and Python's own ``sys.stderr`` (Rich progress bars, our
error lines) keeps writing to the real stderr. If the code inside fails, what the native
code wrote is replayed to stderr, so a native error message is never lost.

The setting travels in the environment, so that worker processes started with ``spawn``
follow the command that started them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any, TextIO

ENV = "TWINSTUDIO_LOG"

_lock = threading.Lock()
_depth = 0
_saved: dict[str, Any] = {}


def verbose() -> bool:
    """True when native logs should reach the terminal (``TWINSTUDIO_LOG=debug``)."""
    return os.environ.get(ENV, "").strip().lower() == "debug"


def configure() -> None:
    """Apply the setting to what is already loaded (called by the CLI's app callback)."""
    if "warp" in sys.modules:
        sys.modules["warp"].config.log_level = warp_log_level()


def warp_log_level() -> int:
    """Warp's Python log threshold: its INFO banners only when verbose."""
    import warp

    return int(warp.LOG_INFO if verbose() else warp.LOG_WARNING)


def _enter() -> None:
    global _depth
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        sys.stderr.flush()
        real = os.dup(2)
        sink = tempfile.TemporaryFile()  # noqa: SIM115 (closed in _leave)
        os.dup2(sink.fileno(), 2)
        python_side: TextIO = open(  # noqa: SIM115 (closed in _leave)
            os.dup(real), "w", buffering=1, encoding=getattr(sys.stderr, "encoding", None)
            or "utf-8", errors="backslashreplace")
        _saved.update(real=real, sink=sink, stderr=sys.stderr, python_side=python_side)
        sys.stderr = python_side


def _leave(failed: bool) -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth > 0:
            return
        real, sink = _saved.pop("real"), _saved.pop("sink")
        python_side = _saved.pop("python_side")
        sys.stderr = _saved.pop("stderr")
        python_side.close()
        os.dup2(real, 2)
        os.close(real)
        if failed:  # what the native code said may explain the failure
            sink.seek(0)
            captured = sink.read()
            if captured:
                sys.stderr.write(captured.decode("utf-8", "backslashreplace"))
                sys.stderr.flush()
        sink.close()


@contextlib.contextmanager
def quiet_native() -> Iterator[None]:
    """Keep what native code writes to fd 2 off the terminal (unless verbose)."""
    if verbose():
        yield
        return
    try:
        _enter()
    except OSError:  # no usable fd 2 (a daemon): nothing to protect
        yield
        return
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        _leave(failed)
