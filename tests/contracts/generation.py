"""Behaviour every ``GenerationBackend`` and ``QualityTools`` must have, written once and
run against the fakes (tests/unit/test_fake_contracts.py) and the real adapters
(tests/body/test_real_contracts.py), so that a fake cannot accept what the real adapter
refuses (issue 21).

GenerationBackend: ``check`` refuses, with ``InvalidInput``, an unknown pose, a request
whose garments were not all given, and a body twin that was never fitted; ``generate``
checks first, and gives an image of the format's exact size, a reference of that size
that is its own array (not the image itself), and a source type.
QualityTools: ``face_embedding`` of an image without a face is ``(None, {"faces": 0})``;
of the talent's photo, a 128-d embedding; ``compare_bodies`` gives the measures of the
reference and of the image, the same keys on both sides, or empty sides with a reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pytest

from tests.support.fakes import FIT, PROFILE
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.garment import Fabric, Garment, GarmentCategory
from twinstudio.domain.generation import FORMATS, GenerationInputs, GenerationRequest


def inputs(**request_changes: Any) -> GenerationInputs:
    tee = Garment(name="Tee", category=GarmentCategory.TEE, fabric=Fabric(base_color="#c23b3b"))
    request = GenerationRequest.model_validate({
        "twin_id": "twn_contract", "licence_id": "lic_contract", "garment_ids": [tee.id],
        "pose": "relaxed", "scene": "gradient_frost", "format": "square", "seed": 3,
        "markets": [{"channel": "social", "territory": "SE"}], "use_date": date(2026, 7, 1),
        **request_changes})
    return GenerationInputs(request=request, body_profile=PROFILE, body_fit=dict(FIT),
                            body_version="contract", garments=[tee], patterns={})


def backend_refuses_what_it_cannot_make(backend: Any) -> None:
    good = inputs()
    backend.check(good)
    with pytest.raises(InvalidInput, match="unknown pose 'moonwalk'"):
        backend.check(inputs(pose="moonwalk"))
    with pytest.raises(InvalidInput, match="every garment of the request must be given"):
        backend.check(replace(good, garments=[]))
    with pytest.raises(InvalidInput, match="the body twin has no phenotypes; fit it first"):
        backend.check(replace(good, body_fit={"maps_seed": 0}))
    with pytest.raises(InvalidInput):  # generate checks before any work
        backend.generate(inputs(pose="moonwalk"))


def backend_makes_the_format(backend: Any, format_name: str = "square") -> None:
    result = backend.generate(inputs(format=format_name))
    fmt = FORMATS[format_name]
    assert result.image.shape == (fmt.height, fmt.width, 3)
    assert result.image.dtype == np.uint8
    assert result.reference is not None and result.reference.shape[:2] == result.image.shape[:2]
    assert result.reference is not result.image  # its own array: QA compares the two
    assert result.source


def quality_sees_no_face_in_a_blank_image(quality: Any) -> None:
    blank = np.full((256, 256, 3), 200, np.uint8)
    embedding, info = quality.face_embedding(blank)
    assert embedding is None and info["faces"] == 0


def quality_embeds_a_face(quality: Any, photo: np.ndarray) -> None:
    embedding, info = quality.face_embedding(photo)
    assert embedding is not None and np.asarray(embedding).shape == (128,)
    assert info["faces"] >= 1


def quality_compares_bodies_on_the_same_lines(quality: Any, reference: np.ndarray,
                                              image: np.ndarray) -> None:
    before, after, info = quality.compare_bodies(reference, image)
    if before and after:
        assert set(before) == set(after)
    else:
        assert info.get("reason"), (before, after, info)
