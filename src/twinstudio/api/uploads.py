"""Images at the edge: uploads read bounded and sniffed before any decoding (decoding
itself refuses bombs and oversize pixels: ``provenance.images``); downscaled JPEGs of
stored photos for reviewers (the API's ``max_side``, the portal's thumbnails)."""

from __future__ import annotations

from fastapi import UploadFile

from twinstudio.domain.errors import InvalidInput, TooLarge
from twinstudio.provenance.images import MAX_BYTES, sniff


def read_image(upload: UploadFile, *, limit: int = MAX_BYTES) -> bytes:
    """The upload's bytes: refused over ``limit`` (413) or when the bytes are not a JPEG,
    PNG or WebP whatever the file is called (422)."""
    data = upload.file.read(limit + 1)
    name = upload.filename or "upload"
    if len(data) > limit:
        raise TooLarge(f"{name} is larger than {limit // (1024 * 1024)} MB")
    if not data:
        raise InvalidInput(f"{name} is empty", code="empty")
    try:
        sniff(data)
    except InvalidInput as error:
        raise InvalidInput(f"{name}: {error.message}", code=error.code) from None
    return data


def mime_of(data: bytes) -> str:
    """The image type of stored bytes (application/octet-stream when not an image)."""
    try:
        return sniff(data)
    except InvalidInput:
        return "application/octet-stream"


def thumbnail(data: bytes, max_side: int, *, quality: int = 82) -> bytes:
    """A JPEG of the image at most ``max_side`` pixels on its longer side (decoded through
    ``provenance.images.decode``: bombs and oversize images are refused, InvalidInput)."""
    import io

    from PIL import Image

    from twinstudio.provenance.images import decode

    rgb, _ = decode(data)
    image = Image.fromarray(rgb)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
