"""Webhook test helpers: a resolver that needs no DNS, and a local receiver whose answers
a test scripts (ok, an error status, or hanging past the sender's timeout)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUBLIC = ipaddress.ip_address("93.184.215.14")  # a public address no test connects to


def offline_resolver(host: str, port: int) -> list:  # type: ignore[type-arg]
    """Literal addresses as themselves, ``localhost`` as loopback, ``*.example.com`` as
    one public address, ``*.internal`` as a private one; any other name fails as DNS
    would for a name that does not exist."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host == "localhost":
        return [ipaddress.ip_address("127.0.0.1")]
    if host.endswith(".example.com"):
        return [PUBLIC]
    if host.endswith(".internal"):
        return [ipaddress.ip_address("10.1.2.3")]
    raise OSError(f"{host} does not exist")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1. ``script`` holds the answers of the next
    requests: an int status, or ``"hang"`` (no answer for ``hang_seconds``); when it is
    empty every request gets 200."""

    hang_seconds: float = 5.0
    script: deque = field(default_factory=deque)  # type: ignore[type-arg]
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.received.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                        time.monotonic()))
                    answer = receiver.script.popleft() if receiver.script else 200
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 200
                try:
                    self.send_response(int(answer))
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The first ``count`` requests, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        with self._lock:
            raise AssertionError(f"{len(self.received)} of {count} webhooks arrived: "
                                 f"{[r.body[:80] for r in self.received]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
