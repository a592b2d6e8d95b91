"""``Idempotency-Key`` on POSTs: a retried request answers what the first one answered.

A client that sends a POST again after a timeout cannot know whether the first one made
its object; with the same ``Idempotency-Key`` (and the same API key), the retry gets the
first answer back (status, body, ``Location``; marked ``Idempotent-Replayed: true``) and
nothing is made twice. The same key with another method, path or body answers 422
(``idempotency_key_reused``); while the first request still runs, 409
(``idempotency_key_in_flight``, ``Retry-After: 1``). Answers of 500 and more are not
kept (the retry runs again). Keys are kept ``KEEP_HOURS`` hours, per API key. A request
whose server died before it answered stays "in flight" for ``IN_FLIGHT_SECONDS``, then
runs again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twinstudio.api.errors import error_body
from twinstudio.services.context import ServiceContext

HEADER = b"idempotency-key"
KEEP_HOURS = 24
IN_FLIGHT_SECONDS = 300
MAX_KEY = 255
_KEPT_HEADERS = ("content-type", "location")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _answer(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Send, status: int, code: str, message: str,
                  extra: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await _answer(send, status, body, {"content-type": "application/json", **(extra or {})})


class Idempotency:
    """ASGI middleware over the API's POSTs (``api_prefix``) that carry the header."""

    def __init__(self, app: ASGIApp, *, ctx: ServiceContext, api_prefix: str) -> None:
        self.app = app
        self.ctx = ctx
        self.prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        credential = _header(scope, b"x-api-key")
        if (key is None or scope["method"] != "POST" or not credential
                or not scope["path"].startswith(self.prefix)):
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY or not key.isprintable() or not key.isascii():
            await _refuse(send, 422, "invalid_input", f"Idempotency-Key must be 1 to "
                          f"{MAX_KEY} printable ASCII characters (a UUID is usual)")
            return
        body = await _read(receive)
        fingerprint = hashlib.sha256(b"\n".join([
            scope["method"].encode(), scope["path"].encode(),
            scope.get("query_string", b""), body])).hexdigest()
        credential_hash = hashlib.sha256(credential.encode()).hexdigest()
        seen = await run_in_threadpool(self._claim, credential_hash, key, fingerprint)
        if seen is not None:
            await self._replay(send, seen, fingerprint)
            return
        await self._first(scope, body, send, credential_hash, key)

    def _claim(self, scope: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            uow.idempotency.forget_before(now - timedelta(hours=KEEP_HOURS))
            seen = uow.idempotency.claim(scope, key, fingerprint, now)
            if (seen is not None and seen["status"] is None
                    and seen["created_at"] < now - timedelta(seconds=IN_FLIGHT_SECONDS)):
                uow.idempotency.forget(scope, key)  # its server died: run it again
                seen = uow.idempotency.claim(scope, key, fingerprint, now)
            uow.commit()
        return seen

    async def _replay(self, send: Send, seen: dict[str, Any], fingerprint: str) -> None:
        if seen["fingerprint"] != fingerprint:
            await _refuse(send, 422, "idempotency_key_reused", "this Idempotency-Key was "
                          "used for another request (method, path or body); use a new key")
        elif seen["status"] is None:
            await _refuse(send, 409, "idempotency_key_in_flight", "the first request with "
                          "this Idempotency-Key is still running; retry in a moment",
                          {"retry-after": "1"})
        else:
            headers = json.loads(seen["headers"] or "{}")
            await _answer(send, seen["status"], bytes(seen["body"] or b""),
                          {**headers, "idempotent-replayed": "true"})

    async def _first(self, scope: Scope, body: bytes, send: Send, credential: str,
                     key: str) -> None:
        delivered = False
        status, headers, chunks = 500, {}, []

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.decode("latin-1").lower() in _KEPT_HEADERS:
                        headers[name.decode("latin-1").lower()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await run_in_threadpool(self._forget, credential, key)
            raise
        if status >= 500:
            await run_in_threadpool(self._forget, credential, key)
        else:
            await run_in_threadpool(self._finish, credential, key, status, headers,
                                    b"".join(chunks))

    def _forget(self, scope: str, key: str) -> None:
        with self.ctx.uow() as uow:
            uow.idempotency.forget(scope, key)
            uow.commit()

    def _finish(self, scope: str, key: str, status: int, headers: dict[str, str],
                body: bytes) -> None:
        with self.ctx.uow() as uow:
            uow.idempotency.finish(scope, key, status=status, headers=headers, body=body)
            uow.commit()


async def _read(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)
