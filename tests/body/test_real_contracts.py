"""The real adapters against the contract the fakes are held to
(tests/contracts/generation.py): the studio backend (anny body twin, raster render) and
the perception QA tools (dlib faces, MediaPipe pose) on a real portrait and a render."""

from __future__ import annotations

import numpy as np
import pytest

from tests.contracts import generation as contract
from tests.support.faces import PEOPLE

pytestmark = pytest.mark.xdist_group("anny")


@pytest.fixture(scope="module")
def studio():  # type: ignore[no-untyped-def]
    from twinstudio.generation.studio import StudioBackend

    return StudioBackend()


def test_the_studio_backend_refuses_what_it_cannot_make(studio):
    contract.backend_refuses_what_it_cannot_make(studio)


def test_the_studio_backend_makes_the_format(studio):
    contract.backend_makes_the_format(studio, "square")


def test_the_perception_quality_tools_hold_to_the_contract(studio, real_faces):
    from PIL import Image

    from twinstudio.generation.qa import PerceptionQuality

    quality = PerceptionQuality()
    contract.quality_sees_no_face_in_a_blank_image(quality)
    photo = np.asarray(Image.open(real_faces / PEOPLE["person_a"][0]).convert("RGB"))
    contract.quality_embeds_a_face(quality, photo)
    made = studio.generate(contract.inputs(format="feed"))
    contract.quality_compares_bodies_on_the_same_lines(quality, made.reference, made.image)
