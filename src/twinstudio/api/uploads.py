"""Uploaded images at the edge: bounded reads and type sniffing before any decoding
(decoding itself refuses bombs and oversize pixels: ``provenance.images``)."""

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
        raise InvalidInput(f"{name} is empty")
    try:
        sniff(data)
    except InvalidInput as error:
        raise InvalidInput(f"{name}: {error.message}") from None
    return data
