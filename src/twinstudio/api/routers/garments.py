"""The brand's garment catalogue: list, show, add (multipart, with an optional pattern
image and an optional product image, a packshot, each checked at the edge like every
upload). Without ``fabric_color`` the base colour is measured in the packshot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import GarmentPublic, Page
from twinstudio.api.uploads import read_image
from twinstudio.domain.accounts import Role
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.garment import Fit, GarmentCategory, Length
from twinstudio.services.garments import add_garment

router = APIRouter(prefix="/garments", tags=["garments"])


def own_brand(access: AccessDep, brand_id: str | None) -> str:
    """The brand a write is for: the one named (it must be visible), else the caller's."""
    if brand_id:
        return access.brand(brand_id).id
    principal = access.principal
    if principal.role in (Role.BRAND_EDITOR, Role.BRAND_ADMIN) and principal.organisation_id:
        return principal.organisation_id
    access.require("brand.write")  # the talent's side and compliance: 403 first
    raise InvalidInput("brand_id: name the brand")


@router.get("", openapi_extra=isolation(list="garment"))
def list_garments(access: AccessDep, paging: PagingDep, brand_id: str | None = None,
                  category: GarmentCategory | None = None) -> Page[GarmentPublic]:
    """A brand sees its own catalogue; compliance and admin every brand's."""
    found = [g for g in access.garments(brand_id) if category is None or g.category is category]
    return paging.page([GarmentPublic.of(g) for g in found])


@router.get("/{garment_id}", openapi_extra=isolation(object="garment", param="garment_id",
                                                     action="read"))
def read_garment(garment_id: str, access: AccessDep) -> GarmentPublic:
    return GarmentPublic.of(access.garment(garment_id))


@router.post("", status_code=201, openapi_extra=isolation(body={"brand_id": "brand"},
                                                          action="brand.write"))
def create_garment(
    access: AccessDep,
    name: Annotated[str, Form(min_length=1, max_length=120, examples=["Fjell parka"])],
    category: Annotated[GarmentCategory, Form(examples=["coat"])],
    fabric_color: Annotated[str | None, Form(max_length=7, examples=["#2f4f6f"], description=(
        "base colour, e.g. '#aa3344'; leave it out to measure it in the image"))] = None,
    brand_id: Annotated[str | None, Form(max_length=40, description=(
        "the brand; brand users may leave it out (their own), admins name it"))] = None,
    fit: Annotated[Fit, Form()] = Fit.REGULAR,
    length: Annotated[Length, Form()] = Length.REGULAR,
    colorways: Annotated[str, Form(max_length=400, examples=["#7a2e2e,#dddddd"],
                                   description="other colours, comma-separated")] = "",
    pattern_size_cm: Annotated[float, Form(gt=0.5, le=200)] = 12.0,
    pattern: Annotated[UploadFile | None, File(
        description="a tiling pattern image (JPEG, PNG or WebP)")] = None,
    image: Annotated[UploadFile | None, File(description=(
        "the product image, a packshot: the garment on a plain background (JPEG, PNG or "
        "WebP, at least 64 px a side)"))] = None,
) -> GarmentPublic:
    """Add a garment to the brand's catalogue (brand editors and admins). Names are unique
    per brand (409); an image that is not an image, a bomb, too small or too large is
    refused (422, 413). Without ``fabric_color`` the base colour is the garment's dominant
    colour in ``image`` (``colour_source`` "image"); one of the two is required."""
    brand = own_brand(access, brand_id)
    access.require("brand.write")
    data = read_image(pattern) if pattern is not None and pattern.filename else None
    packshot = read_image(image) if image is not None and image.filename else None
    return GarmentPublic.of(add_garment(
        access.ctx, brand_id=brand, name=name.strip(), category=category.value,
        fabric_color=fabric_color or None, fit=fit.value, length=length.value,
        colorways=[c.strip() for c in colorways.split(",") if c.strip()], pattern=data,
        pattern_size_cm=pattern_size_cm, image=packshot, actor=access.principal.actor))
