"""Verify any image: is it one of ours, whose twin, which licence, still valid?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from twinstudio.api.deps import AccessDep, isolation
from twinstudio.api.schemas import VerifyPublic
from twinstudio.api.uploads import read_image
from twinstudio.services.verification import verify_image

router = APIRouter(tags=["verify"])


@router.post("/verify", openapi_extra=isolation(role="read"))
def verify(access: AccessDep, image: Annotated[UploadFile, File(
        description="any image (JPEG, PNG or WebP, at most 60 MB and 50 megapixels)")]
           ) -> VerifyPublic:
    """The verdict and each signal (C2PA credential, watermark, fingerprint, face)."""
    return VerifyPublic(**verify_image(access.ctx, read_image(image)).as_dict())
