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
        """What the studio backend refuses (tests/contracts/generation.py holds both)."""
        from twinstudio.body3d.poses import load_pose
        from twinstudio.domain.errors import InvalidInput

        try:
            load_pose(inputs.request.pose)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        if len(inputs.garments) != len(inputs.request.garment_ids):
            raise InvalidInput("every garment of the request must be given")
        for key in ("phenotypes", "local_changes"):
            if key not in inputs.body_fit:
                raise InvalidInput(f"the body twin has no {key}; fit it first")

    def generate(self, inputs: GenerationInputs) -> GenerationResult:
        from twinstudio.domain.generation import FORMATS

        self.check(inputs)
        if self.delay:
            time.sleep(self.delay)
        self.made.append(inputs.request.key)
        fmt = FORMATS[inputs.request.format]
        image = scene(inputs.request.seed % 1000, fmt.width, fmt.height)
        return GenerationResult(image=image, reference=image.copy(), conditioning={},
                                source="studio", timings={"render": self.delay})


class FakeQuality:
    """QA measurements under the test's control."""

    def __init__(self, embedding: np.ndarray = EMBEDDING, body_change: float = 0.0) -> None:
        self.embedding = embedding
        self.body_change = body_change

    def face_embedding(self, rgb: Any) -> tuple[Any, dict[str, Any]]:
        if float(np.asarray(rgb).std()) < 1.0:  # a blank frame: no face, as dlib says
            return None, {"faces": 0}
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




class FakeStudio:
    """A studio backend stand-in for the diffusion backend: a procedural frame of the
    format's size, a stick-figure's keypoints, a depth map, the person's mask and one
    mask per garment, as the real studio backend gives them (no body model)."""

    name = "studio"

    def __init__(self) -> None:
        self.made: list[str] = []

    def check(self, inputs: GenerationInputs) -> None:
        if not inputs.garments:
            raise ValueError("a look has garments")

    def generate(self, inputs: GenerationInputs) -> GenerationResult:
        from twinstudio.domain.generation import FORMATS

        request = inputs.request
        self.made.append(request.key)
        fmt = FORMATS[request.format]
        w, h = fmt.width, fmt.height
        image = scene(request.seed % 1000, w, h)
        keypoints = {name: (x * w, y * h, True) for name, (x, y) in STICK_FIGURE.items()}
        mask = np.zeros((h, w), bool)
        mask[int(0.08 * h):int(0.95 * h), int(0.35 * w):int(0.65 * w)] = True
        depth = np.where(mask, 2.5, 4.0).astype(np.float32)
        owners = np.zeros((h, w), np.uint8)
        for i in range(len(inputs.garments)):  # torso, then legs, then a coat's hem
            top, bottom = (0.25, 0.5) if i == 0 else (0.5, 0.9) if i == 1 else (0.2, 0.7)
            owners[int(top * h):int(bottom * h), int(0.36 * w):int(0.64 * w)] = i + 1
        image[mask] = (image[mask] * 0.4 + 90).astype(np.uint8)
        return GenerationResult(
            image=image, reference=image.copy(), source="studio", timings={"render": 0.0},
            conditioning={"pose": keypoints, "depth": depth, "mask": mask,
                          "parts": mask.astype(np.uint8), "camera": {}, "garments": owners})


# a person standing, as shares of the frame (x, y)
STICK_FIGURE = {
    "nose": (0.5, 0.12), "left_eye": (0.52, 0.11), "right_eye": (0.48, 0.11),
    "left_ear": (0.54, 0.12), "right_ear": (0.46, 0.12), "left_shoulder": (0.58, 0.22),
    "right_shoulder": (0.42, 0.22), "left_elbow": (0.61, 0.36), "right_elbow": (0.39, 0.36),
    "left_wrist": (0.62, 0.48), "right_wrist": (0.38, 0.48), "left_hip": (0.55, 0.5),
    "right_hip": (0.45, 0.5), "left_knee": (0.55, 0.7), "right_knee": (0.45, 0.7),
    "left_ankle": (0.55, 0.9), "right_ankle": (0.45, 0.9),
}


class FakeRecipe:
    """A diffusion recipe stand-in: deterministic noise over the studio render per seed;
    records every call."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def generate(self, inputs: Any) -> np.ndarray:
        self.calls.append(inputs)
        rng = np.random.default_rng(inputs.seed)
        noise = rng.integers(0, 60, inputs.studio.shape, dtype=np.int16)
        return np.clip(inputs.studio.astype(np.int16) + noise - 30, 0, 255).astype(np.uint8)

    @property
    def parameters(self) -> dict[str, Any]:
        return {"recipe": "fake"}


class ScriptedQuality(FakeQuality):
    """QA measurements whose face embedding is the next of ``distances`` (the distance of
    each call's face to EMBEDDING, in call order, cycling)."""

    def __init__(self, distances: list[float], body_change: float = 0.0) -> None:
        super().__init__(body_change=body_change)
        self.distances = distances
        self.calls = 0

    def face_embedding(self, rgb: Any) -> tuple[Any, dict[str, Any]]:
        if float(np.asarray(rgb).std()) < 1.0:
            return None, {"faces": 0}
        d = self.distances[self.calls % len(self.distances)]
        self.calls += 1
        direction = np.zeros(128)
        direction[0] = 1.0
        return EMBEDDING + d * direction, {"faces": 1}
