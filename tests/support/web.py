"""A site (an ASGI app) served by uvicorn on a free local port in a thread, for the
browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def loaded_width(img: Any) -> int:
    """The natural width of a page's image (a Playwright locator) once the browser has
    finished loading it: 0 when it failed. Reading ``naturalWidth`` right after a
    navigation races the image's own request."""
    img.evaluate("img => img.complete || new Promise(done => {"
                 " img.addEventListener('load', done); img.addEventListener('error', done);"
                 " setTimeout(done, 30000); })")
    return int(img.evaluate("img => img.naturalWidth"))
