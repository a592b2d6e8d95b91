"""Dependencies of the API routes, as ``Annotated`` types: the service context, the
authenticated principal (``X-API-Key``), its tenant-isolation view, pagination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader

from twinstudio.api.schemas import Page
from twinstudio.domain.accounts import Principal
from twinstudio.domain.errors import Unauthenticated
from twinstudio.services.access import Access
from twinstudio.services.accounts import authenticate_api_key
from twinstudio.services.context import ServiceContext

T = TypeVar("T")
API_KEY_HEADER = "X-API-Key"
_api_key = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                        description="an API key from 'twinstudio apikey create'")


async def get_ctx(request: Request) -> ServiceContext:
    # async: no I/O, so no hop to the thread pool (each costs a context switch)
    return request.app.state.ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]


def get_principal(ctx: Ctx, key: Annotated[str | None, Security(_api_key)]) -> Principal:
    if not key:
        raise Unauthenticated(f"send an API key in the {API_KEY_HEADER} header")
    return authenticate_api_key(ctx, key)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_access(request: Request, ctx: Ctx, principal: CurrentPrincipal) -> Access:
    access = Access(ctx, principal)
    request.state.access = access  # the error handler redacts refusals by its scope
    return access


AccessDep = Annotated[Access, Depends(get_access)]


class Paging:
    def __init__(self, limit: int = 50, offset: int = 0) -> None:
        self.limit = limit
        self.offset = offset

    def page(self, items: Sequence[Any]) -> Page[Any]:
        return Page(items=list(items[self.offset:self.offset + self.limit]),
                    total=len(items), limit=self.limit, offset=self.offset)


async def get_paging(limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(get_paging)]


def isolation(**rule: Any) -> dict[str, Any]:
    """The route's tenant-isolation rule, published in the OpenAPI document as
    ``x-isolation`` so that the isolation matrix test can walk every route. Forms:

    - ``object=KIND, param=NAME, action=ACTION``: a path id of a tenant object
    - ``body={FIELD: KIND}, action=ACTION``: ids of tenant objects in the body
    - ``list=KIND``: a collection, filtered to the principal's scope
    - ``role=ACTION``: no tenant object; the role alone decides
    """
    return {"x-isolation": rule}


async def get_runner(request: Request) -> Any:
    """The campaign runner the app was made with (``create_api(runner=...)``)."""
    return request.app.state.runner


def get_quality(request: Request) -> Any:
    """The QA measurements for edits (``create_api(quality=...)``), built on first use."""
    return request.app.state.quality()


Runner = Annotated[Any, Depends(get_runner)]
Quality = Annotated[Any, Depends(get_quality)]
