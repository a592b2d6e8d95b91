"""A person's body and appearance as the body twin needs them (pure data and rules).

Measurements are in centimetres, taken as a tailor takes them: height standing, bust at
the fullest point, under-bust just below it, natural waist at its narrowest, hips at the
fullest point of the seat, inseam from crotch to floor, shoulder width from acromion to
acromion. Skin tone uses the 10-step Monk Skin Tone scale (Google, CC BY 4.0), whose
swatches are listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twinstudio.domain.common import validate_hex_colour

# Monk Skin Tone scale: the ten published swatches, light to deep.
MONK_SKIN_TONES: dict[int, str] = {
    1: "#f6ede4", 2: "#f3e7db", 3: "#f7ead0", 4: "#eadaba", 5: "#d7bd96",
    6: "#a07e56", 7: "#825c43", 8: "#604134", 9: "#3a312a", 10: "#292420",
}


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class BodyMeasurements(BaseModel):
    """Plausible adult ranges are enforced so that a typo (176 mm for 176 cm) is caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    height_cm: float = Field(ge=140, le=215)
    bust_cm: float = Field(ge=65, le=160)
    waist_cm: float = Field(ge=48, le=150)
    hips_cm: float = Field(ge=70, le=170)
    inseam_cm: float = Field(ge=55, le=105)
    underbust_cm: float | None = Field(default=None, ge=55, le=150)
    shoulder_width_cm: float | None = Field(default=None, ge=28, le=60)

    @model_validator(mode="after")
    def _coherent(self) -> BodyMeasurements:
        if self.underbust_cm is not None and self.underbust_cm >= self.bust_cm:
            raise ValueError("underbust_cm must be smaller than bust_cm")
        if not 0.38 <= self.inseam_cm / self.height_cm <= 0.55:
            raise ValueError(f"an inseam of {self.inseam_cm} cm does not fit a height of "
                             f"{self.height_cm} cm (expected 38–55 % of height)")
        if self.waist_cm > 1.25 * max(self.bust_cm, self.hips_cm):
            raise ValueError("waist_cm is implausibly larger than bust and hips")
        return self

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Appearance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    skin_tone: int = Field(ge=1, le=10)  # Monk Skin Tone step
    hair_color: str = "#2b1d14"
    eye_color: str = "#4a3222"
    lip_color: str | None = None  # default: derived from the skin tone
    brow_color: str | None = None  # default: the hair's, a little darker
    brow_thickness_mm: float = Field(default=8.0, ge=3.0, le=14.0)
    brow_length_mm: float = Field(default=44.0, ge=30.0, le=60.0)
    brow_arch_mm: float = Field(default=0.0, ge=-2.0, le=6.0)  # middle raised over ends
    brow_tilt_mm: float = Field(default=0.0, ge=-5.0, le=5.0)  # outer end raised (+)
    iris_mm: float = Field(default=6.5, ge=5.0, le=8.0)  # radius
    hairline_mm: float = Field(default=62.0, ge=35.0, le=90.0)  # above the eyes
    eyeliner: float = Field(default=0.0, ge=0.0, le=1.0)  # darkness of the eyelids
    beard: Literal["none", "stubble", "moustache", "full"] = "none"

    @field_validator("hair_color", "eye_color", "lip_color", "brow_color")
    @classmethod
    def _colours(cls, value: str | None, info) -> str | None:  # type: ignore[no-untyped-def]
        return None if value is None else validate_hex_colour(value, info.field_name)

    @property
    def skin_hex(self) -> str:
        return MONK_SKIN_TONES[self.skin_tone]


class BodyProfile(BaseModel):
    """Everything needed to build a body twin: sex, age, measurements, appearance, and
    optionally the shape of the face.

    ``face`` weighs named face features of the body model (``nose_width``, ``eye_slant``,
    ...; the body-twin adapter lists them), each in [-1, 1], 0 being the model's average.
    A talent's own twin leaves it empty; the synthetic roster samples it so that its
    people have faces of their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sex: Sex
    age: int = Field(ge=18, le=90)
    measurements: BodyMeasurements
    appearance: Appearance
    face: dict[str, float] = Field(default_factory=dict)

    @field_validator("face")
    @classmethod
    def _face(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            if not name.replace("_", "").isalpha() or name != name.lower():
                raise ValueError(f"face feature {name!r} is not a lower_case name")
            if not -1.0 <= weight <= 1.0:
                raise ValueError(f"face feature {name} is {weight}; weights are in [-1, 1]")
        return value


@dataclass
class BodyFit:
    """The fitted parameters and, per measurement of the body, what the fit achieved;
    a measurement the profile gave also has its target and error (the optional ones,
    under-bust and shoulder width, may have neither)."""

    phenotypes: dict[str, float]
    local_changes: dict[str, float]
    rows: list[dict[str, float | str]] = field(default_factory=list)
    iterations: int = 0
    seconds: float = 0.0

    def error_mm(self, name: str) -> float | None:
        """How far the fit is from the measurement given, in mm (None: not given)."""
        row = next((r for r in self.rows if r["measurement"] == name), None)
        return None if row is None or "error_mm" not in row else float(row["error_mm"])

    @property
    def worst_error_mm(self) -> float | None:
        """The largest error over the measurements given (None: none was)."""
        errors = [abs(float(r["error_mm"])) for r in self.rows if "error_mm" in r]
        return max(errors) if errors else None

    def as_dict(self) -> dict[str, Any]:
        return {"phenotypes": self.phenotypes, "local_changes": self.local_changes,
                "measurements": self.rows, "worst_error_mm": self.worst_error_mm,
                "iterations": self.iterations, "seconds": round(self.seconds, 2)}

    def twin_fit(self, maps_seed: int = 0) -> dict[str, Any]:
        """What a twin's body record keeps of the fit: the parameters and the seed its
        appearance maps are baked with."""
        return {"phenotypes": self.phenotypes, "local_changes": self.local_changes,
                "maps_seed": maps_seed}
