"""Statements: what a talent earned, or a brand owes, in a month (JSON, CSV or PDF)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from twinstudio.api.deps import AccessDep, isolation
from twinstudio.api.schemas import StatementPublic
from twinstudio.domain.statements import Statement
from twinstudio.services.billing import brand_statement, talent_statement

router = APIRouter(tags=["statements"])
Period = Annotated[str, PathParam(pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                  description="a month, e.g. 2026-11")]
Format = Annotated[Literal["json", "csv", "pdf"], Query(description="json, csv or pdf")]
Currency = Annotated[str | None, Query(pattern=r"^[A-Z]{3}$",
                                       description="ISO 4217, when paid in several")]
_FILES = {200: {"content": {"application/json": {}, "text/csv": {}, "application/pdf": {}},
                "description": "the statement"}}


def render(statement: Statement, fmt: str) -> Response:
    if fmt == "json":
        return Response(StatementPublic(**statement.as_dict()).model_dump_json(),
                        media_type="application/json")
    from twinstudio.ledger import write_csv, write_pdf

    name = f"statement-{statement.party_id}-{statement.period}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        (write_csv if fmt == "csv" else write_pdf)(statement, path)
        data = path.read_bytes()
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/pdf"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/talents/{talent_id}/statements/{period}", response_class=Response,
            responses=_FILES, openapi_extra=isolation(object="talent", param="talent_id",
                                                      action="read"))
def talent(talent_id: str, period: Period, access: AccessDep, format: Format = "json",
           currency: Currency = None) -> Response:
    """A talent's earnings: by brand, channel and asset, commission, net, due dates."""
    access.talent(talent_id)
    return render(talent_statement(access.ctx, talent_id, period, currency), format)


@router.get("/brands/{brand_id}/statements/{period}", response_class=Response,
            responses=_FILES, openapi_extra=isolation(object="brand", param="brand_id",
                                                      action="read"))
def brand(brand_id: str, period: Period, access: AccessDep, format: Format = "json",
          currency: Currency = None) -> Response:
    """What a brand owes in a month, per talent."""
    access.brand(brand_id)
    return render(brand_statement(access.ctx, brand_id, period, currency), format)
