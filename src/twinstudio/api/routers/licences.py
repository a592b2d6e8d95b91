"""Licences of twins to brands: propose, revoke, show, list, verify signatures.

A licence is a two-party act: ``POST /licences`` records the brand's proposal (202, the
proposal); the licence exists once the talent's side accepts it
(``POST /licence-proposals/{id}/accept``, ``api/routers/proposals.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.proposal_schemas import ProposalCreate, ProposalPublic
from twinstudio.api.routers.consents import revocation
from twinstudio.api.schemas import (
    LicencePublic,
    Page,
    RevocationPublic,
    RevokeRequest,
    VerificationPublic,
)
from twinstudio.domain.licence import LicenceState
from twinstudio.services.proposals import propose_licence
from twinstudio.services.rights import revoke_licence, verify_licence

router = APIRouter(prefix="/licences", tags=["licences"])


@router.get("", openapi_extra=isolation(list="licence"))
def list_licences(access: AccessDep, paging: PagingDep, twin_id: str | None = None,
                  brand_id: str | None = None,
                  state: LicenceState | None = None) -> Page[LicencePublic]:
    found = access.licences(twin_id=twin_id, brand_id=brand_id)
    return paging.page([LicencePublic.of(lic) for lic in found
                        if state is None or lic.state is state])


@router.get("/{licence_id}", openapi_extra=isolation(object="licence", param="licence_id",
                                                     action="read"))
def read_licence(licence_id: str, access: AccessDep) -> LicencePublic:
    return LicencePublic.of(access.licence(licence_id))


@router.post("", status_code=202, openapi_extra=isolation(
    body={"twin_id": "twin_any", "brand_id": "brand", "consent_id": "consent_any"},
    action="licence.propose"))
def create_licence(body: ProposalCreate, access: AccessDep,
                   response: Response) -> ProposalPublic:
    """Propose a licence of a twin to the caller's brand: 202 with the proposal (state
    ``proposed``, signed by the brand), not a licence. The licence exists once the talent,
    or an agency that represents the talent, accepts it at
    ``POST /licence-proposals/{id}/accept`` (``Location`` names the proposal); they may
    refuse it, the brand may withdraw it, and unanswered it expires.

    A brand may propose only for a twin it already has a licence of (in any state) or
    that the talent lists as open to offers; any other twin answers 404 exactly as one
    that does not exist. Refused (403, every reason) when the rights checks would refuse
    the licence today (consent, exclusivity, vague uses)."""
    access.brand(body.brand_id)
    access.require("licence.propose")
    proposal = propose_licence(access.ctx, twin_id=body.twin_id, brand_id=body.brand_id,
                               terms=body.terms, consent_id=body.consent_id,
                               days=body.expires_in_days, actor=access.principal.actor)
    response.headers["Location"] = f"/api/v1/licence-proposals/{proposal.id}"
    return ProposalPublic.of(proposal)


@router.post("/{licence_id}/revoke", openapi_extra=isolation(
    object="licence", param="licence_id", action="licence.revoke"))
def revoke(licence_id: str, body: RevokeRequest, access: AccessDep) -> RevocationPublic:
    access.licence(licence_id)
    access.require("licence.revoke")
    return revocation(revoke_licence(access.ctx, licence_id, reason=body.reason,
                                     actor=access.principal.actor))


@router.get("/{licence_id}/verification", openapi_extra=isolation(
    object="licence", param="licence_id", action="read"))
def verify(licence_id: str, access: AccessDep) -> VerificationPublic:
    """Recompute the licence's hash from its stored terms and check both signatures."""
    access.licence(licence_id)
    return VerificationPublic(**verify_licence(access.ctx, licence_id).as_dict())
