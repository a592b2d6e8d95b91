"""The fakes the integration, API and web tests run on hold to the same contract as the
real adapters (tests/contracts/generation.py; the real side: tests/body/test_real_contracts.py):
a fake backend refuses what the studio backend refuses and makes the format's size, a
fake QA tool finds no face where there is none."""

from __future__ import annotations

from tests.contracts import generation as contract
from tests.support.fakes import FakeBackend, FakeQuality, ScriptedQuality
from tests.support.images import scene


def test_the_fake_backend_refuses_what_the_studio_backend_refuses():
    contract.backend_refuses_what_it_cannot_make(FakeBackend())


def test_the_fake_backend_makes_each_format():
    for name in ("square", "feed", "story"):
        contract.backend_makes_the_format(FakeBackend(), name)


def test_the_fake_quality_tools_see_no_face_in_a_blank_image():
    for quality in (FakeQuality(), ScriptedQuality([0.1])):
        contract.quality_sees_no_face_in_a_blank_image(quality)
        contract.quality_embeds_a_face(quality, scene(3, 256, 256))
    contract.quality_compares_bodies_on_the_same_lines(FakeQuality(), scene(1, 64, 64),
                                                       scene(2, 64, 64))
