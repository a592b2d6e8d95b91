"""What the sync and the async client share: a call described once (``Call``: method,
path, body, how to read the answer, whether it may be retried), the retry policy, and
how a request is built and an answer read. ``Client`` and ``AsyncClient`` only differ in
how they send (``_request``: a value, or a coroutine of it) and how they wait.

Retries: an idempotent call (GET, PUT, DELETE, a read-only POST, or a POST that carries
an ``Idempotency-Key``) is tried again on a connection error, a timeout, 429, 502, 503
and 504 (a keyed POST also on the 409 saying its first try is still running), after
``backoff * 2**n`` seconds (the answer's ``Retry-After`` instead when it has one), each
wait capped at ``max_delay``. Any other POST is sent once: sending it
again could do it twice. Every POST that creates something carries an
``Idempotency-Key`` (a uuid4 made once per call, the same on each of its retries), so
that a retried create gives the first answer instead of a second object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from twinstudio.client import resources as r
from twinstudio.client._calls import (
    API_KEY_HEADER,
    DEFAULT_TIMEOUT,
    IDEMPOTENCY_HEADER,
    RETRY_STATUSES,
    Call,
    Upload,
    api_url,
    file_part,
    in_flight,
    model,
    post,
)
from twinstudio.client.errors import (
    Timeout,
    TransportError,
    error_from_response,
    retry_after,
)

T = TypeVar("T")

__all__ = ["DEFAULT_TIMEOUT", "IDEMPOTENCY_HEADER", "BaseClient", "Call"]


class BaseClient(ABC):
    """Settings, resources and the retry policy; ``Client``/``AsyncClient`` send."""

    def __init__(self, base_url: str | httpx.URL, api_key: str, *,
                 timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT, retries: int = 3,
                 backoff: float = 0.5, max_delay: float = 30.0,
                 headers: Mapping[str, str] | None = None) -> None:
        if retries < 0 or backoff < 0 or max_delay < 0:
            raise ValueError("retries, backoff and max_delay cannot be negative")
        if not api_key:
            raise ValueError("api_key: an API key ('twinstudio apikey create')")
        self.base_url = api_url(base_url)
        self.retries = retries
        self.backoff = backoff
        self.max_delay = max_delay
        self.timeout = timeout
        self.headers = {API_KEY_HEADER: api_key, "Accept": "application/json",
                        "User-Agent": "twinstudio-client", **(headers or {})}
        self.me = r.Me(self)
        self.organisations = r.Organisations(self)
        self.talents = r.Talents(self)
        self.twins = r.Twins(self)
        self.consents = r.Consents(self)
        self.releases = r.Releases(self)
        self.licences = r.Licences(self)
        self.proposals = r.Proposals(self)
        self.policy = r.Policy(self)
        self.garments = r.Garments(self)
        self.campaigns = r.Campaigns(self)
        self.assets = r.Assets(self)
        self.statements = r.Statements(self)
        self.reviews = r.Reviews(self)
        self.notices = r.Notices(self)
        self.models = r.Models(self)
        self.audit = r.Audit(self)
        self.webhooks = r.Webhooks(self)

    @abstractmethod
    def _request(self, call: Call[T]) -> Any:
        """Send ``call`` (with its retries) and read the answer: the value in ``Client``,
        a coroutine of it in ``AsyncClient``."""

    @abstractmethod
    def _iterate(self, call: Call[Any], page_size: int) -> Any:
        """Every item of a paged list, page after page (an iterator or an async one)."""

    def verify(self, image: Upload) -> Any:
        """Verify any image (a path, bytes or (name, bytes)): is it one of ours, whose
        twin, which licence, still valid? (``VerifyPublic``; 503 Busy is retried.)"""
        from twinstudio.api.schemas import VerifyPublic

        return self._request(post("/verify", model(VerifyPublic), safe=True,
                                  files=[("image", file_part(image))]))

    # ---------------------------------------------------------- building and reading

    def _build(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        headers = {}
        if call.idempotency_key:
            headers[IDEMPOTENCY_HEADER] = call.idempotency_key
        return http.build_request(call.method, call.path, params=call.params or None,
                                  json=call.json, files=call.files, data=call.data,
                                  headers=headers)

    @staticmethod
    def _read(call: Call[T], response: httpx.Response) -> T:
        if response.is_success:
            return call.parse(response)
        raise error_from_response(response)

    def _delay(self, call: Call[Any], attempt: int,
               response: httpx.Response | None) -> float | None:
        """How long to wait before trying ``call`` again after ``attempt`` (0: the first
        try) got ``response`` (None: no answer); None: do not try again."""
        if attempt >= self.retries or not call.idempotent:
            return None
        if response is not None and response.status_code not in RETRY_STATUSES \
                and not (call.idempotency_key and in_flight(response)):
            return None
        wait = self.backoff * 2 ** attempt
        if response is not None:
            told = retry_after(response)
            if told is not None:
                wait = told
        return min(wait, self.max_delay)

    @staticmethod
    def _transport_error(error: httpx.TransportError, call: Call[Any]) -> TransportError:
        kind = Timeout if isinstance(error, httpx.TimeoutException) else TransportError
        return kind(f"{call.method} {call.path}: {type(error).__name__}: {error}")

    @staticmethod
    def _next_offset(page: Any, offset: int) -> int | None:
        """The offset of the next page, None after the last one."""
        offset += len(page.items)
        return offset if page.items and offset < page.total else None
