"""A fake studio backend and fake QA measurements for generation tests: no models, so
campaigns run in milliseconds (integration, API and web tests share them)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tests.support.images import scene
from twinstudio.domain.generation import GenerationInputs, GenerationResult

EMBEDDING = np.full(128, 0.05)
PROFILE = {"sex": "female", "age": 27, "appearance": {"skin_tone": 5},
           "measurements": {"height_cm": 175, "bust_cm": 86, "waist_cm": 66,
                            "hips_cm": 94, "inseam_cm": 82}}
FIT = {"phenotypes": {"gender": 0.0}, "local_changes": {}, "maps_seed": 0}
BODY = {"shoulder": 1.0, "bust": 1.05, "waist": 0.6, "hip": 0.8, "leg": 1.7}


class FakeBackend:
    """Draws a procedural frame per request; records what it was asked to make."""

    name = "studio"

    def __init__(self, delay: float = 0.0) -> None:
        self.made: list[str] = []
        self.delay = delay

    def check(self, inputs: GenerationInputs) -> None:
        pass

    def generate(self, inputs: GenerationInputs) -> GenerationResult:
        if self.delay:
            time.sleep(self.delay)
        self.made.append(inputs.request.key)
        image = scene(inputs.request.seed % 1000, 384, 480)
        return GenerationResult(image=image, reference=image, conditioning={},
                                source="studio", timings={"render": self.delay})


class FakeQuality:
    """QA measurements under the test's control."""

    def __init__(self, embedding: np.ndarray = EMBEDDING, body_change: float = 0.0) -> None:
        self.embedding = embedding
        self.body_change = body_change

    def face_embedding(self, rgb: Any) -> tuple[Any, dict[str, Any]]:
        return self.embedding, {"faces": 1}

    def compare_bodies(self, reference: Any, image: Any, *, same_scene: bool = True
                       ) -> tuple[dict, dict, dict]:
        changed = {k: v * (1 + self.body_change) if k == "waist" else v
                   for k, v in BODY.items()}
        return dict(BODY), changed, {}




def enrol_template(ctx, talent_id: str, twin_id: str) -> None:
    """A face template stored as enrolment stores it (the fake QA returns EMBEDDING)."""
    import json

    from twinstudio.domain.consent import BiometricReleaseDocument
    from twinstudio.services.biometrics import store_template
    from twinstudio.services.rights import grant_biometric_release

    grant_biometric_release(ctx, talent_id=talent_id, document=BiometricReleaseDocument(
        purpose="Identity template for the QA gate", retention_days=365,
        written_release=True, explicit_consent=True, language="en"))
    with ctx.uow() as uow:
        store_template(ctx, uow, twin_id=twin_id, kind="face",
                       data=json.dumps({"mean": EMBEDDING.tolist(), "photos": {}}).encode(),
                       actor="test")
        uow.commit()


