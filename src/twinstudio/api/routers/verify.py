"""Verify any image: is it one of ours, whose twin, which licence, still valid?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from twinstudio.api.admission import BUSY, PerceptionGate
from twinstudio.api.deps import AccessDep, isolation
from twinstudio.api.schemas import VerifyPublic
from twinstudio.api.uploads import read_image
from twinstudio.services.verification import verify_image

router = APIRouter(tags=["verify"])


@router.post("/verify", openapi_extra=isolation(role="read"), responses=BUSY)
def verify(access: AccessDep, gate: PerceptionGate, image: Annotated[UploadFile, File(
        description="any image (JPEG, PNG or WebP, at most 60 MB and 50 megapixels; "
                    "analysed at most 2048 px on its longer side)")]) -> VerifyPublic:
    """The verdict and each signal (C2PA credential, watermark, fingerprint, face). Runs
    behind the perception gate: 503 with Retry-After when it is full."""
    with gate.admit():  # a sync route: the work runs in the thread pool, never the loop
        return VerifyPublic(**verify_image(access.ctx, read_image(image)).as_dict())
