"""The brand's garment catalogue. A pattern image and a product image (packshot) are
checked at the edge like a capture (type sniffed from the bytes, byte and pixel limits,
decompression bombs refused, decodable) and kept in the content store. Without a fabric
colour, the base colour is measured in the packshot (the ``GarmentColours`` port)."""

from __future__ import annotations

from pydantic import ValidationError

from twinstudio.domain.budgets import MAX_KEPT_PIXELS
from twinstudio.domain.errors import ConfigurationError, Conflict, InvalidInput
from twinstudio.domain.garment import ColourSource, Fabric, Garment
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.provenance import DecodedImage
from twinstudio.services.context import ServiceContext
from twinstudio.services.provenance import provenance_tools

MIN_PATTERN_SIDE = 16
MIN_IMAGE_SIDE = 64  # a packshot smaller than this shows no garment worth conditioning on


def _checked(ctx: ServiceContext, data: bytes, what: str, min_side: int) -> DecodedImage:
    """The decoded image, or InvalidInput naming ``what`` and the limit it breaks."""
    try:
        # kept and used at its size: the kept-image budget (16 MP)
        decoded = provenance_tools(ctx).decode(data, max_pixels=MAX_KEPT_PIXELS)
    except InvalidInput as error:
        raise InvalidInput(f"{what}: {error.message}", code=error.code) from None
    if min(decoded.width, decoded.height) < min_side:
        raise InvalidInput(f"{what} is {decoded.width}x{decoded.height}; at least "
                           f"{min_side} px a side")
    return decoded


def _colour_from_image(ctx: ServiceContext, rgb: object) -> str:
    if ctx.garment_colours is None:
        raise ConfigurationError("measuring a garment's colour in its image is not "
                                 "configured; give the fabric colour")
    colour = ctx.garment_colours.dominant_colour(rgb)
    if colour is None:
        raise InvalidInput("product image: no garment stands out from the background, so its "
                           "colour cannot be measured; give the fabric colour")
    return colour


def add_garment(ctx: ServiceContext, *, brand_id: str, name: str, category: str,
                fabric_color: str | None = None, fit: str = "regular",
                length: str = "regular", colorways: list[str] | None = None,
                pattern: bytes | None = None, pattern_size_cm: float = 12.0,
                image: bytes | None = None, actor: str) -> Garment:
    """Add a garment to ``brand_id``'s catalogue (names are unique per brand).

    ``image`` is the garment's product image (a packshot: the garment on a plain
    background), stored content-addressed as ``image_sha256``; when ``fabric_color`` is
    not given, the base colour is the garment's dominant colour in it (``colour_source``
    "image"). A fabric colour given always wins. Neither: InvalidInput."""
    if fabric_color is None and image is None:
        raise InvalidInput("fabric_color: give the garment's base colour (such as "
                           "'#aa3344') or a product image to take it from")
    if pattern is not None:
        _checked(ctx, pattern, "pattern", MIN_PATTERN_SIDE)
    source: ColourSource = "given"
    if image is not None:
        packshot = _checked(ctx, image, "product image", MIN_IMAGE_SIDE)
        if fabric_color is None:
            fabric_color, source = _colour_from_image(ctx, packshot.rgb), "image"
    assert fabric_color is not None
    try:
        garment = Garment(brand_id=brand_id, name=name, category=category, fit=fit,
                          length=length, colorways=colorways or [],
                          fabric=Fabric(base_color=fabric_color, colour_source=source,
                                        pattern_size_cm=pattern_size_cm))
    except ValidationError as error:
        raise InvalidInput.of(error, "garment") from None
    now = ctx.now()
    with ctx.uow() as uow:
        uow.organisations.get(brand_id, OrganisationKind.BRAND)
        if uow.garments.by_name(brand_id, name) is not None:
            raise Conflict(f"the catalogue already has a garment named {name!r}")
        # Blobs are written only once every check passed: a refused garment leaves none.
        if pattern is not None or image is not None:
            assert ctx.blobs is not None
            if pattern is not None:
                garment = garment.model_copy(update={"fabric": garment.fabric.model_copy(
                    update={"pattern_sha256": ctx.blobs.put(pattern)})})
            if image is not None:
                garment = garment.model_copy(update={"image_sha256": ctx.blobs.put(image)})
        uow.garments.add(garment)
        uow.audit.append(actor=actor, type="GarmentAdded", at=now, payload={
            "garment_id": garment.id, "brand_id": brand_id, "name": name,
            "category": garment.category.value, "base_color": garment.fabric.base_color,
            "colour_source": source, "image_sha256": garment.image_sha256})
        uow.commit()
    return garment


def list_garments(ctx: ServiceContext, *, brand_id: str | None = None) -> list[Garment]:
    with ctx.uow() as uow:
        return uow.garments.list(brand_id=brand_id)
