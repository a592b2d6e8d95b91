"""Request size limits, enforced while the body streams in (not after it was buffered).

The limit is chosen by the body's kind, from its Content-Type: a multipart upload (an
image, capture photos) may be large; a web form (urlencoded) and every other body (JSON,
or no or another type) are small, so that no JSON route buffers or parses more than a
JSON limit. Settings: ``TWINSTUDIO_MAX_JSON_BYTES``, ``TWINSTUDIO_MAX_FORM_BYTES``.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twinstudio.domain.common import size_text
from twinstudio.domain.errors import TooLarge

DEFAULT_MAX_BODY = 64 * 1024 * 1024  # a 60 MB image plus the multipart envelope
DEFAULT_MAX_JSON = 1024 * 1024       # the largest document (a brief, terms) is a few KB
DEFAULT_MAX_FORM = 64 * 1024         # the portal's forms (a campaign form: a few KB)


def body_kind(content_type: str) -> str:
    """``upload`` (multipart/form-data), ``form`` (urlencoded) or ``json`` (anything else:
    application/json, no type, another type)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        return "upload"
    if media == "application/x-www-form-urlencoded":
        return "form"
    return "json"


class BodyLimit:
    """Refuse a body over its kind's limit with 413: at once from its Content-Length, or
    as soon as a streamed (chunked) body passes the limit. ``max_bytes`` bounds multipart
    uploads, ``max_form_bytes`` urlencoded forms and ``max_json_bytes`` every other body."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY, *,
                 max_json_bytes: int = DEFAULT_MAX_JSON,
                 max_form_bytes: int = DEFAULT_MAX_FORM) -> None:
        self.app = app
        self.limits = {"upload": max_bytes, "form": max_form_bytes, "json": max_json_bytes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        kind = body_kind(headers.get(b"content-type", b"").decode("latin-1"))
        limit = self.limits[kind]
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > limit:
            await _too_large(send, kind, limit)
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
                    raise TooLarge(_message(kind, limit))
            return message

        async def guarded(message: Message) -> None:
            # Whatever the app answers once the body overran (a parser may have turned
            # the error into a generic 400), the client gets the 413.
            nonlocal started
            if exceeded:
                if not started:
                    started = True
                    await _too_large(send, kind, limit)
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except TooLarge:
            if not started:
                await _too_large(send, kind, limit)


_WHAT = {"upload": "an upload (multipart/form-data)", "form": "a form",
         "json": "a JSON body (and any body that is not multipart/form-data)"}


def _message(kind: str, limit: int) -> str:
    return f"request body is larger than the limit of {size_text(limit)} for {_WHAT[kind]}"


async def _too_large(send: Send, kind: str, limit: int) -> None:
    message = _message(kind, limit)
    body = json.dumps({"error": {"type": "too_large", "message": message, "reasons": [
        {"code": f"{kind}_too_large", "message": message}]}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
