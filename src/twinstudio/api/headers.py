"""Security headers on every response of the site (API and portal), issue 19.

Every answer may not be framed (``X-Frame-Options: DENY`` and CSP ``frame-ancestors
'none'``: the revoke and approve pages cannot be laid under another site's clicks), is
never sniffed into another type (``nosniff``) and sends no referrer to other sites. The
Content-Security-Policy depends on what is answered:

- the portal's pages: only this site's own scripts, styles, fonts and images (``data:``
  images for the likeness-review photos); style *attributes* are allowed (the colour
  swatches and progress bars set them), inline scripts and ``<style>`` elements are not;
  forms post only here;
- the API's JSON: nothing may load at all;
- the API's docs page (Swagger UI): its script and styles from the CDN FastAPI uses.

A header a route set itself (e.g. a stricter Cache-Control) is left as it is.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
            "style-src-attr 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'")
COMMON = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
          "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"}


class SecurityHeaders:
    """ASGI middleware adding ``COMMON`` and the path's Content-Security-Policy."""

    def __init__(self, app: ASGIApp, *, api_prefix: str, docs_path: str) -> None:
        self.app = app
        self.api_prefix = api_prefix.rstrip("/") + "/"
        self.docs_path = docs_path

    def policy(self, path: str) -> str:
        if path == self.docs_path or path.startswith(self.docs_path + "/"):
            return DOCS_CSP
        return API_CSP if path.startswith(self.api_prefix) else PAGE_CSP

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policy(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, with_headers)
