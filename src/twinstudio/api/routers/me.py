"""Who am I: the principal behind the API key."""

from __future__ import annotations

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import MePublic, OrganisationPublic, Page
from twinstudio.domain.parties import OrganisationKind

router = APIRouter(tags=["accounts"])


@router.get("/me", openapi_extra=isolation(role="read"))
def read_me(access: AccessDep) -> MePublic:
    """The user the API key acts for, with their role and affiliation."""
    return MePublic.of(access.principal)


@router.get("/organisations", openapi_extra=isolation(list="organisation"))
def list_organisations(access: AccessDep, paging: PagingDep,
                       kind: OrganisationKind | None = None) -> Page[OrganisationPublic]:
    """Agencies and brands the caller deals with (its own, and brands licensing its twins)."""
    return paging.page([OrganisationPublic.of(o) for o in access.organisations(kind)])
