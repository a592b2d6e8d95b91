"""The brand's garment catalogue. A pattern image is checked at the edge like a capture
(type sniffed from the bytes, pixel limits, decodable) and kept in the content store."""

from __future__ import annotations

from pydantic import ValidationError

from twinstudio.domain.errors import Conflict, InvalidInput
from twinstudio.domain.garment import Fabric, Garment
from twinstudio.domain.parties import OrganisationKind
from twinstudio.services.context import ServiceContext
from twinstudio.services.provenance import provenance_tools

MIN_PATTERN_SIDE = 16


def add_garment(ctx: ServiceContext, *, brand_id: str, name: str, category: str,
                fabric_color: str, fit: str = "regular", length: str = "regular",
                colorways: list[str] | None = None, pattern: bytes | None = None,
                pattern_size_cm: float = 12.0, actor: str) -> Garment:
    """Add a garment to ``brand_id``'s catalogue (names are unique per brand)."""
    pattern_sha = None
    if pattern is not None:
        decoded = provenance_tools(ctx).decode(pattern)  # InvalidInput with the reason
        if min(decoded.width, decoded.height) < MIN_PATTERN_SIDE:
            raise InvalidInput(f"pattern is {decoded.width}x{decoded.height}; at least "
                               f"{MIN_PATTERN_SIDE} px a side")
    try:
        garment = Garment(brand_id=brand_id, name=name, category=category, fit=fit,
                          length=length, colorways=colorways or [],
                          fabric=Fabric(base_color=fabric_color,
                                        pattern_size_cm=pattern_size_cm))
    except ValidationError as error:
        raise InvalidInput.of(error, "garment") from None
    now = ctx.now()
    with ctx.uow() as uow:
        uow.organisations.get(brand_id, OrganisationKind.BRAND)
        if uow.garments.by_name(brand_id, name) is not None:
            raise Conflict(f"the catalogue already has a garment named {name!r}")
        if pattern is not None:
            assert ctx.blobs is not None
            pattern_sha = ctx.blobs.put(pattern)
            garment = garment.model_copy(update={"fabric": garment.fabric.model_copy(
                update={"pattern_sha256": pattern_sha})})
        uow.garments.add(garment)
        uow.audit.append(actor=actor, type="GarmentAdded", at=now, payload={
            "garment_id": garment.id, "brand_id": brand_id, "name": name,
            "category": garment.category.value})
        uow.commit()
    return garment


def list_garments(ctx: ServiceContext, *, brand_id: str | None = None) -> list[Garment]:
    with ctx.uow() as uow:
        return uow.garments.list(brand_id=brand_id)
