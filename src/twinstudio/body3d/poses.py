"""Poses of the body twin, built from the rig's bones. A pose never changes body shape.

A pose is a set of bone rotations (axis-angle in degrees, anny's ``local-ref`` convention:
axes aligned with the world, each rotation relative to the parent bone, about the bone's
head) plus a turn of the whole body about the vertical axis. World axes of anny: +X is
the subject's left, +Y points behind them, +Z is up. So a rotation about Y swings a limb
sideways (abduction), about X forwards or backwards, about Z twists it.

Custom poses use the same JSON shape: {"name": ..., "turn_degrees": 0, "bones": {...}}.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_DEGREES = 150.0


class Pose(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60)
    turn_degrees: float = Field(default=0.0, ge=-180, le=180)
    bones: dict[str, tuple[float, float, float]] = Field(default_factory=dict)

    @field_validator("bones")
    @classmethod
    def _angles(cls, bones: dict[str, tuple[float, float, float]]
                ) -> dict[str, tuple[float, float, float]]:
        for bone, rotation in bones.items():
            if sum(a * a for a in rotation) ** 0.5 > MAX_DEGREES:
                raise ValueError(f"rotation of {bone} exceeds {MAX_DEGREES} degrees")
        return bones


def _mirror(rotation: tuple[float, float, float]) -> tuple[float, float, float]:
    """The same rotation for the other side (mirror through the sagittal X=0 plane)."""
    x, y, z = rotation
    return (x, -y, -z)


def _both(bone: str, left: tuple[float, float, float]) -> dict[str, tuple[float, float, float]]:
    return {f"{bone}.L": left, f"{bone}.R": _mirror(left)}


LIBRARY: dict[str, Pose] = {
    "a_pose": Pose(name="a_pose"),
    "relaxed": Pose(name="relaxed", bones={
        **_both("upperarm01", (0.0, 28.0, 0.0)), **_both("lowerarm01", (-8.0, 0.0, 0.0))}),
    "contrapposto": Pose(name="contrapposto", bones={
        **_both("upperarm01", (0.0, 26.0, 0.0)),
        "pelvis.L": (0.0, -4.0, 0.0), "pelvis.R": (0.0, -4.0, 0.0),
        "upperleg01.L": (-10.0, 4.0, 0.0), "lowerleg01.L": (16.0, 0.0, 0.0),
        "spine03": (0.0, 4.0, 0.0), "neck01": (0.0, -3.0, 0.0)}),
    "hand_on_hip": Pose(name="hand_on_hip", bones={
        "upperarm01.L": (0.0, -15.0, 0.0), "lowerarm01.L": (20.0, 110.0, 0.0),
        "upperarm01.R": _mirror((0.0, 28.0, 0.0))}),
    "walking": Pose(name="walking", bones={
        "upperleg01.L": (-22.0, 0.0, 0.0), "lowerleg01.L": (8.0, 0.0, 0.0),
        "upperleg01.R": (14.0, 0.0, 0.0), "lowerleg01.R": (22.0, 0.0, 0.0),
        "upperarm01.L": (14.0, 28.0, 0.0), "upperarm01.R": (-18.0, -28.0, 0.0)}),
    "three_quarter": Pose(name="three_quarter", turn_degrees=35.0, bones={
        **_both("upperarm01", (0.0, 28.0, 0.0))}),
}


def load_pose(name_or_path: str) -> Pose:
    """A library pose by name, or a custom pose from a JSON file."""
    if name_or_path in LIBRARY:
        return LIBRARY[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise ValueError(f"unknown pose {name_or_path!r}: use one of {', '.join(LIBRARY)} "
                         "or a JSON file")
    return Pose.model_validate(json.loads(path.read_text()))
