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

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from twinstudio.client.errors import (
    Timeout,
    TransportError,
    error_from_response,
    retry_after,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

API_PREFIX = "/api/v1"
API_KEY_HEADER = "X-API-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IN_FLIGHT = "idempotency_key_in_flight"   # 409 while the key's first request runs
DEFAULT_TIMEOUT = 30.0
MAX_PAGE = 500  # the API's largest limit


def model(kind: type[M]) -> Callable[[httpx.Response], M]:
    """Read an answer as ``kind`` (a response schema of the API)."""
    return lambda response: kind.model_validate_json(response.content)


def raw(response: httpx.Response) -> bytes:
    return response.content


def body(value: Any) -> Any:
    """A request body part as JSON: a pydantic model dumped (dates as ISO strings), a
    mapping's values likewise; anything else as it is (the API validates it)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: body(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [body(v) for v in value]
    return value


def compact(**params: Any) -> dict[str, Any]:
    """Query parameters without the unset ones (None); enums by their value."""
    return {k: getattr(v, "value", v) for k, v in params.items() if v is not None}


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call, described: what ``_request`` sends and how it reads the answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    data: dict[str, str] | None = None
    creates: bool = False         # sends an Idempotency-Key (and may then be retried)
    safe: bool = False            # a POST that changes nothing (may be retried)
    idempotency_key: str | None = None

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "HEAD", "PUT", "DELETE") or self.safe or self.creates

    def keyed(self) -> Call[T]:
        """This call with the Idempotency-Key its retries will share (a new uuid4 unless
        the caller named one)."""
        if not self.creates or self.idempotency_key:
            return self
        return replace(self, idempotency_key=str(uuid.uuid4()))

    def page(self, limit: int, offset: int) -> Call[T]:
        return replace(self, params={**self.params, "limit": limit, "offset": offset})


def get(path: str, parse: Callable[[httpx.Response], T], **params: Any) -> Call[T]:
    return Call("GET", path, parse, params=compact(**params))


def post(path: str, parse: Callable[[httpx.Response], T], json: Any = None, *,
         creates: bool = False, safe: bool = False, idempotency_key: str | None = None,
         files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
         data: dict[str, str] | None = None, **params: Any) -> Call[T]:
    return Call("POST", path, parse, params=compact(**params),
                json=None if json is None else body(json), files=files, data=data,
                creates=creates, safe=safe, idempotency_key=idempotency_key)


# ------------------------------------------------------------------ uploads

Upload = str | os.PathLike[str] | bytes | tuple[str, bytes]


def sniffed_mime(data: bytes) -> str:
    """The image type by its first bytes (the API sniffs again; this names the part)."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def file_part(upload: Upload, default_name: str = "image") -> tuple[str, bytes, str]:
    """A multipart file from a path, bytes or (name, bytes), read now so that a retry
    sends the same bytes."""
    if isinstance(upload, tuple):
        name, data = upload
    elif isinstance(upload, (bytes, bytearray, memoryview)):
        name, data = default_name, bytes(upload)
    else:
        path = Path(upload)
        name, data = path.name, path.read_bytes()
    return name, data, sniffed_mime(data)


def in_flight(response: httpx.Response) -> bool:
    """The API's 409 for a request whose Idempotency-Key is still being answered (the
    first try runs on): worth asking again after its Retry-After."""
    if response.status_code != 409:
        return False
    try:
        return response.json()["error"]["type"] == IN_FLIGHT
    except (ValueError, TypeError, KeyError):
        return False


# ------------------------------------------------------------------ the shared base


def api_url(base_url: str | httpx.URL) -> str:
    """The API root: ``base_url`` itself when it ends with /api/v1, else that under it."""
    url = str(base_url).rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class BaseClient:
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
        from twinstudio.client import resources as r

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

    def _request(self, call: Call[T]) -> Any:  # pragma: no cover - both clients define it
        raise NotImplementedError

    def _iterate(self, call: Call[Any], page_size: int) -> Any:  # pragma: no cover
        raise NotImplementedError

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


def page_size_of(page_size: int) -> int:
    if not 1 <= page_size <= MAX_PAGE:
        raise ValueError(f"page_size: 1 to {MAX_PAGE}")
    return page_size

