"""Request size limits, enforced while the body streams in (not after it was buffered)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twinstudio.domain.errors import TooLarge

DEFAULT_MAX_BODY = 64 * 1024 * 1024  # a 60 MB image plus the multipart envelope


class BodyLimit:
    """Refuse a body over ``max_bytes`` with 413: at once from its Content-Length, or as
    soon as a streamed (chunked) body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _too_large(send, declared, limit)
                    return
        seen = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise TooLarge(_message(seen, limit))
            return message

        async def guarded(message: Message) -> None:
            # Whatever the app answers once the body overran (a parser may have turned
            # the error into a generic 400), the client gets the 413.
            nonlocal started
            if exceeded:
                if not started:
                    started = True
                    await _too_large(send, seen, limit)
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except TooLarge:
            if not started:
                await _too_large(send, seen, limit)


def _message(size: int, limit: int) -> str:
    return (f"request body is larger than the limit of {limit // (1024 * 1024)} MB"
            if limit >= 1024 * 1024 else
            f"request body of {size} bytes is larger than the limit of {limit} bytes")


async def _too_large(send: Send, size: int, limit: int) -> None:
    import json

    body = json.dumps({"error": {"type": "too_large", "message": _message(size, limit),
                                 "reasons": []}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
