"""Outbound POSTs for webhooks (adapter over httpx), safe against request forgery.

The host is resolved once; every address it resolves to must be public (or named by the
allow-list), and the request then goes to the address that was checked, with the
original ``Host`` header and TLS server name, so a DNS answer that changes between the
check and the connection (rebinding) cannot redirect it. Redirects are not followed (a
3xx is a failed attempt), and the answer's body is never read beyond a small cap.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import httpx

from twinstudio.domain.network import AllowList, IPAddress, forbidden_reason, url_problem
from twinstudio.services.ports import SendOutcome

Resolver = Callable[[str, int], list[IPAddress]]
MAX_ANSWER_BYTES = 64 * 1024


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address: itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0])
                              for info in infos))


class GuardedSender:
    """A ``WebhookSender``: POSTs only to public addresses unless ``allow`` names the
    target; ``timeout`` seconds per attempt (connect, write and read together)."""

    def __init__(self, allow: AllowList | None = None, *, timeout: float = 10.0,
                 resolver: Resolver = resolve,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.allow = allow or AllowList()
        self.timeout = timeout
        self._resolve = resolver
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                    transport=transport, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def _checked(self, url: str) -> tuple[str | None, IPAddress | None]:
        problem = url_problem(url)
        if problem:
            return problem, None
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError) as error:
            return f"{host} does not resolve ({error.__class__.__name__})", None
        if not addresses:
            return f"{host} does not resolve", None
        reason = forbidden_reason(host, addresses, self.allow)
        return reason, (None if reason else addresses[0])

    def target_problem(self, url: str) -> str | None:
        return self._checked(url)[0]

    def send(self, url: str, headers: dict[str, str], body: bytes) -> SendOutcome:
        problem, address = self._checked(url)
        if problem or address is None:
            return SendOutcome(None, 0, f"refused: {problem}")
        parts = urlsplit(url)
        host = parts.hostname or ""
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = literal + (f":{parts.port}" if parts.port else "")
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        request_headers = {**headers, "host": parts.netloc.rsplit("@", 1)[-1]}
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        start = time.perf_counter()
        try:
            with self._client.stream("POST", pinned, content=body, headers=request_headers,
                                     extensions=extensions) as answer:
                read = 0
                for chunk in answer.iter_bytes():
                    read += len(chunk)
                    if read >= MAX_ANSWER_BYTES:
                        break
                status = answer.status_code
        except httpx.TimeoutException:
            return SendOutcome(None, _ms(start), f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as error:
            return SendOutcome(None, _ms(start),
                               f"{error.__class__.__name__}: {str(error)[:200]}")
        error = None if 200 <= status < 300 else f"answered {status}"
        return SendOutcome(status, _ms(start), error)


def _ms(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)
