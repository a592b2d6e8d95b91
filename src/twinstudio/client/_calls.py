"""An API call described once (``Call``: method, path, body, how to read the answer,
whether it may be retried) and the small helpers that build one; the resources and
both clients use them (``_core`` holds the client base that sends them)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

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




def api_url(base_url: str | httpx.URL) -> str:
    """The API root: ``base_url`` itself when it ends with /api/v1, else that under it."""
    url = str(base_url).rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


def page_size_of(page_size: int) -> int:
    if not 1 <= page_size <= MAX_PAGE:
        raise ValueError(f"page_size: 1 to {MAX_PAGE}")
    return page_size
