"""``Client``: the API over a blocking ``httpx.Client``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any, TypeVar

import httpx

from twinstudio.client._core import DEFAULT_TIMEOUT, BaseClient, Call

T = TypeVar("T")


class Client(BaseClient):
    """The twinstudio API, blocking::

        with Client("http://127.0.0.1:8000", api_key) as client:
            plan = client.campaigns.create(brief)
            for asset in client.assets.iter(state="approved"):
                client.assets.publish(asset.id, channel="social", territory="SE",
                                      date="2026-07-01")

    ``base_url`` is the server (``/api/v1`` is added unless it is there). ``timeout``
    (seconds, or an ``httpx.Timeout``) bounds each try; ``retries`` more tries of an
    idempotent call after ``backoff * 2**n`` seconds; ``transport`` an httpx transport
    (``httpx.MockTransport`` in tests). Errors are ``twinstudio.client.ApiError``s.
    """

    def __init__(self, base_url: str | httpx.URL, api_key: str, *,
                 timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT, retries: int = 3,
                 backoff: float = 0.5, max_delay: float = 30.0,
                 transport: httpx.BaseTransport | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, api_key, timeout=timeout, retries=retries,
                         backoff=backoff, max_delay=max_delay, headers=headers)
        self._http = httpx.Client(base_url=self.base_url, headers=self.headers,
                                  timeout=timeout, transport=transport)
        self._sleep = time.sleep

    def _request(self, call: Call[T]) -> T:
        call = call.keyed()
        attempt = 0
        while True:
            try:
                response = self._http.send(self._build(self._http, call))
            except httpx.TransportError as error:
                delay = self._delay(call, attempt, None)
                if delay is None:
                    raise self._transport_error(error, call) from error
            else:
                delay = self._delay(call, attempt, response)
                if delay is None:
                    return self._read(call, response)
            self._sleep(delay)
            attempt += 1

    def _iterate(self, call: Call[Any], page_size: int) -> Iterator[Any]:
        offset: int | None = 0
        while offset is not None:
            page = self._request(call.page(page_size, offset))
            yield from page.items
            offset = self._next_offset(page, offset)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
