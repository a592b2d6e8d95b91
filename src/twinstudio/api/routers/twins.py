"""Twins: list, show, and enrolment from a capture session (multipart photos)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from twinstudio.api.admission import BUSY, PerceptionGate
from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.proposal_schemas import OffersUpdate
from twinstudio.api.schemas import EnrolmentPublic, Page, TemplateInfo, TwinPublic
from twinstudio.api.uploads import read_image
from twinstudio.domain.errors import InvalidInput, RightsRefused
from twinstudio.domain.policy import Reason

router = APIRouter(prefix="/twins", tags=["twins"])
MAX_PHOTOS = 40


def _public(access: AccessDep, twin_id: str) -> TwinPublic:
    twin = access.twin(twin_id)
    with access.ctx.uow() as uow:
        has_key = uow.biometrics.key(twin_id) is not None
        templates = [TemplateInfo(id=i, kind=k, retain_until=r)
                     for i, k, _, r in uow.biometrics.templates(twin_id)]
    return TwinPublic.of(twin, has_key, templates)


@router.get("", openapi_extra=isolation(list="twin"))
def list_twins(access: AccessDep, paging: PagingDep) -> Page[TwinPublic]:
    page = paging.page(access.twins())
    page.items = [_public(access, t.id) for t in page.items]
    return page


@router.get("/{twin_id}", openapi_extra=isolation(object="twin", param="twin_id",
                                                  action="read"))
def read_twin(twin_id: str, access: AccessDep) -> TwinPublic:
    """State, biometric key status and templates (never their content)."""
    return _public(access, twin_id)


@router.post("/{twin_id}/enrolment", status_code=201, openapi_extra=isolation(
    object="twin", param="twin_id", action="twin.enrol"), responses={
        202: {"model": EnrolmentPublic, "description": (
            "In review: the face is within the identity threshold of another twin's; the "
            "twin waits (in_review) until a compliance user decides review_id")}, **BUSY})
def enrol(twin_id: str, access: AccessDep, response: Response, gate: PerceptionGate,
          photos: Annotated[list[UploadFile], File(
              description="3 to 40 capture photos (JPEG, PNG or WebP): a front and a side "
                          "or three-quarter view")]) -> EnrolmentPublic:
    """Check a capture session and enrol the twin (needs a biometric release in force).
    201: enrolled. 202: a look-alike of an enrolled twin, sent to a likeness review (status
    in_review, with the review and the candidates). A refused set answers 403 with a
    reason per problem, naming the photos."""
    twin = access.twin(twin_id)
    access.require("twin.enrol")
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(f"{len(photos)} photos; a capture session has at most {MAX_PHOTOS}")
    data = [(p.filename or f"photo-{i}", read_image(p)) for i, p in enumerate(photos)]
    from twinstudio.services.enrolment import enrol_twin

    with gate.admit():  # the capture checks and faces: behind the perception gate
        result = enrol_twin(access.ctx, talent_id=twin.talent_id, photos=data,
                            actor=access.principal.actor)
    if result.status == "in_review":
        response.status_code = 202
    elif not result.enrolled:
        reasons = [Reason(**r) for r in result.reasons]
        for photo in result.photos:
            if not photo.accepted:
                for r in photo.reasons:
                    reasons.append(Reason(code=f"photo_{r['code']}",
                                          message=f"{photo.photo}: {r['message']}"))
        raise RightsRefused("enrolment refused", reasons)
    return EnrolmentPublic(**result.as_dict())


@router.put("/{twin_id}/offers", openapi_extra=isolation(
    object="twin", param="twin_id", action="twin.offers"))
def set_offers(twin_id: str, body: OffersUpdate, access: AccessDep) -> TwinPublic:
    """The talent, or their agency, lists the twin as open to offers (brands without a
    licence of it may then propose terms: ``POST /licences``) or closes it again."""
    access.twin(twin_id)
    access.require("twin.offers")
    from twinstudio.services.proposals import set_open_to_offers

    set_open_to_offers(access.ctx, twin_id, open_=body.open, actor=access.principal.actor)
    return _public(access, twin_id)
