"""The base of every resource: it describes calls and hands them to its client.

A resource's method builds a ``Call`` and returns ``client._request(call)``: the value
itself from ``Client``, an awaitable of it from ``AsyncClient`` (the annotations name
the sync type). ``iter`` returns ``client._iterate(call)``: an iterator from ``Client``,
an async iterator from ``AsyncClient``; either follows ``limit``/``offset`` until the
page's ``total``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twinstudio.client._calls import Call, page_size_of

if TYPE_CHECKING:  # pragma: no cover
    from twinstudio.client._core import BaseClient

DEFAULT_LIMIT = 50
DEFAULT_PAGE_SIZE = 100


class Resource:
    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def _do(self, call: Call[Any]) -> Any:
        return self._client._request(call)

    def _page(self, call: Call[Any], limit: int, offset: int) -> Any:
        return self._client._request(call.page(limit, offset))

    def _all(self, call: Call[Any], page_size: int) -> Any:
        return self._client._iterate(call, page_size_of(page_size))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client.base_url}>"
