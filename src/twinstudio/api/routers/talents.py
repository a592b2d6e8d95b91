"""Talents (the people whose twins these are)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import ValidationError

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import Page, TalentCreate, TalentPublic
from twinstudio.domain.accounts import Role
from twinstudio.domain.errors import InvalidInput
from twinstudio.services.parties import add_talent

router = APIRouter(prefix="/talents", tags=["talents"])


@router.get("", openapi_extra=isolation(list="talent"))
def list_talents(access: AccessDep, paging: PagingDep) -> Page[TalentPublic]:
    """Talents the caller acts for (all of them for compliance and admin)."""
    talents = access.talents()
    page = paging.page(talents)
    with access.ctx.uow() as uow:
        page.items = [TalentPublic.of(t, uow.twins.get_by_talent(t.id)) for t in page.items]
    return page


@router.get("/{talent_id}", openapi_extra=isolation(object="talent", param="talent_id",
                                                    action="read"))
def read_talent(talent_id: str, access: AccessDep) -> TalentPublic:
    talent = access.talent(talent_id)
    with access.ctx.uow() as uow:
        return TalentPublic.of(talent, uow.twins.get_by_talent(talent.id))


@router.post("", status_code=201, openapi_extra=isolation(
    body={"agency_id": "agency"}, action="talent.create"))
def create_talent(body: TalentCreate, access: AccessDep) -> TalentPublic:
    """Register a talent and their (enrolling) twin. An agency user registers talents
    of its own agency."""
    agency_id = body.agency_id
    if agency_id is not None:
        access.organisation(agency_id)
    access.require("talent.create")
    if access.principal.role is Role.AGENCY:
        agency_id = access.principal.organisation_id
    try:
        talent, twin = add_talent(access.ctx, name=body.name, language=body.language,
                                  agency_id=agency_id, actor=access.principal.actor)
    except ValidationError as error:
        raise InvalidInput.of(error, "talent") from None
    return TalentPublic.of(talent, twin)
