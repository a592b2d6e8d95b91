"""``AsyncClient``: the API over an ``httpx.AsyncClient``. The same resources as
``Client``; each call returns an awaitable, each ``iter`` an async iterator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, TypeVar

import httpx

from twinstudio.client._core import DEFAULT_TIMEOUT, BaseClient, Call

T = TypeVar("T")


class AsyncClient(BaseClient):
    """The twinstudio API, async::

        async with AsyncClient("http://127.0.0.1:8000", api_key) as client:
            licence = await client.licences.get(licence_id)
            async for asset in client.assets.iter(licence_id=licence.id):
                ...

    The arguments are ``Client``'s; ``transport`` is an async httpx transport
    (``httpx.MockTransport`` serves both)."""

    def __init__(self, base_url: str | httpx.URL, api_key: str, *,
                 timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT, retries: int = 3,
                 backoff: float = 0.5, max_delay: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, api_key, timeout=timeout, retries=retries,
                         backoff=backoff, max_delay=max_delay, headers=headers)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self.headers,
                                       timeout=timeout, transport=transport)
        self._sleep = asyncio.sleep

    async def _request(self, call: Call[T]) -> T:
        call = call.keyed()
        attempt = 0
        while True:
            try:
                response = await self._http.send(self._build(self._http, call))
            except httpx.TransportError as error:
                delay = self._delay(call, attempt, None)
                if delay is None:
                    raise self._transport_error(error, call) from error
            else:
                delay = self._delay(call, attempt, response)
                if delay is None:
                    return self._read(call, response)
            await self._sleep(delay)
            attempt += 1

    async def _iterate(self, call: Call[Any], page_size: int) -> AsyncIterator[Any]:
        offset: int | None = 0
        while offset is not None:
            page = await self._request(call.page(page_size, offset))
            for item in page.items:
                yield item
            offset = self._next_offset(page, offset)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()
