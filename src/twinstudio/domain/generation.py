"""Generation as pure data and rules: formats, scenes, lighting, requests, campaign briefs
and their variant matrix, jobs and their state machine, what a backend is given and gives
back (``GenerationInputs``, ``GenerationResult``; pixels typed as ``Any``), and the QA
verdicts.

    job:  queued ──claim──> running ──> succeeded
            ▲                 │ └────> failed      (error, retries exhausted)
            └──retry/lease────┘ └────> cancelled   (rights withdrawn; also from queued)

A variant is one image: twin × garments × pose × scene × format × audience segment, with
the markets (channel, territory) it is made for. Its ``key`` (a hash of everything that
decides its pixels and its use) is the job's idempotency key, so re-running a campaign or
retrying a job never makes a second asset of the same variant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from itertools import product
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from twinstudio.domain.common import STORED as STORED  # re-exported: briefs are read with it
from twinstudio.domain.common import canonical_json, new_id, sha256_hex, utcnow
from twinstudio.domain.errors import InvalidTransition
from twinstudio.domain.garment import Garment
from twinstudio.domain.text import Name
from twinstudio.domain.vocabulary import (
    ALTERATION_CODES,
    ALTERATIONS,
    CHANNELS,
    CONTENT_TAG_CODES,
    CONTENT_TAGS,
    TERRITORIES,
    check_codes,
)

# ------------------------------------------------------------------------------ formats

Framing = Literal["full_body", "three_quarter", "portrait"]


class Format(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    aspect: str
    width: int
    height: int
    framing: Framing  # how much of the person the camera shows; the face is never cut


# Sizes are about 0.75 MP: large enough for faces to be checked and marks to survive,
# small enough for the CPU renderer. Wide formats frame from the knees up so that the
# face stays large enough to be recognised.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format(name="feed", aspect="4:5", width=768, height=960, framing="full_body"),
    Format(name="story", aspect="9:16", width=576, height=1024, framing="full_body"),
    Format(name="square", aspect="1:1", width=864, height=864, framing="three_quarter"),
    Format(name="product_page", aspect="2:3", width=704, height=1056, framing="full_body"),
    Format(name="banner", aspect="16:9", width=1024, height=576, framing="three_quarter"),
)}

# ------------------------------------------------------------------------ scenes, light


class Scene(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["cyclorama", "gradient", "set"]
    colours: tuple[str, ...]      # cyclorama: one; gradient: top and floor; set: wall, floor
    grain: float = 0.0            # paper / plaster texture strength (0..1)


SCENES: dict[str, Scene] = {s.name: s for s in (
    Scene(name="cyclorama_white", kind="cyclorama", colours=("#e9e7e3",), grain=0.25),
    Scene(name="cyclorama_sand", kind="cyclorama", colours=("#d8c6a8",), grain=0.4),
    Scene(name="cyclorama_sage", kind="cyclorama", colours=("#a9b8a0",), grain=0.4),
    Scene(name="cyclorama_blush", kind="cyclorama", colours=("#e2b9b4",), grain=0.4),
    Scene(name="gradient_dusk", kind="gradient", colours=("#3d3a5c", "#c98f7a"), grain=0.3),
    Scene(name="gradient_frost", kind="gradient", colours=("#c9dbe8", "#f2f4f6"), grain=0.3),
    Scene(name="gradient_ocean", kind="gradient", colours=("#1f5f7a", "#9fd3d8"), grain=0.3),
    Scene(name="set_plaster", kind="set", colours=("#cdbfae", "#8c7a66"), grain=0.7),
    Scene(name="set_concrete", kind="set", colours=("#a3a4a6", "#6d6e70"), grain=0.8),
)}


class Lighting(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    shadows: bool
    exposure: float     # multiplier on the rendered light
    warmth: float       # -1 cool .. +1 warm


LIGHTING: dict[str, Lighting] = {li.name: li for li in (
    Lighting(name="studio", shadows=True, exposure=1.0, warmth=0.0),
    Lighting(name="soft", shadows=False, exposure=1.05, warmth=0.05),
    Lighting(name="high_key", shadows=False, exposure=1.18, warmth=0.0),
    Lighting(name="golden", shadows=True, exposure=1.0, warmth=0.45),
    Lighting(name="cool", shadows=True, exposure=0.97, warmth=-0.35),
)}

# The poses a brief may name: the studio's pose library (``body3d.poses.LIBRARY``; a
# test keeps the two equal).
POSES: tuple[str, ...] = ("relaxed", "contrapposto", "hand_on_hip", "walking",
                          "three_quarter", "a_pose")

# A stored brief is read back with ``STORED``: its names were checked when it was
# planned, and a pose the studio no longer has must not hide the campaign.

MAX_GARMENTS = 3
MAX_CANDIDATES = 16


class GeneratorSpec(BaseModel):
    """Which backend makes a campaign's images and how: ``studio`` (the CPU render of the
    body twin) or ``diffusion`` with a recipe and registered models by role (see
    ``domain.models.RECIPE_ROLES``), the number of candidates per variant (best of N by
    the QA gates), steps, guidance and an optional img2img strength from the studio
    render. A brief without one gets the workspace's default (configuration)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["studio", "diffusion"] = "studio"
    recipe: str | None = None
    models: dict[str, str] = Field(default_factory=dict, max_length=8)  # role -> model
    candidates: int = Field(default=4, ge=1, le=MAX_CANDIDATES)
    steps: int = Field(default=30, ge=1, le=150)
    guidance: float = Field(default=5.0, ge=0.0, le=30.0)
    strength: float | None = Field(default=None, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _consistent(self) -> GeneratorSpec:
        from twinstudio.domain.models import NAME, RECIPES, ROLE_KINDS

        if self.backend == "studio":
            if self.recipe is not None or self.models:
                raise ValueError("the studio backend takes no recipe and no models")
            return self
        if self.recipe not in RECIPES:
            raise ValueError(f"the diffusion backend needs a recipe: one of "
                             f"{', '.join(RECIPES)}")
        for role, name in self.models.items():
            if role not in ROLE_KINDS:
                raise ValueError(f"unknown model role {role!r}: use "
                                 f"{', '.join(sorted(ROLE_KINDS))}")
            if not NAME.match(name):
                raise ValueError(f"models.{role}: {name!r} is not a model name")
        return self


def _known(kind: str, value: str, table: dict[str, Any]) -> str:
    if value not in table:
        raise ValueError(f"unknown {kind} {value!r}: use one of {', '.join(sorted(table))}")
    return value


SceneName = Annotated[str, AfterValidator(lambda v: _known("scene", v, SCENES))]
LightingName = Annotated[str, AfterValidator(lambda v: _known("lighting", v, LIGHTING))]
FormatName = Annotated[str, AfterValidator(lambda v: _known("format", v, FORMATS))]


class Market(BaseModel):
    """Where and how the image is meant to be used: checked by the policy per market."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str = Field(max_length=40)
    territory: str = Field(max_length=40)

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        check_codes("channel", [v], CHANNELS)
        return v

    @field_validator("territory")
    @classmethod
    def _territory(cls, v: str) -> str:
        check_codes("territory", [v], TERRITORIES)
        return v


class GenerationRequest(BaseModel):
    """One image to make. Checked by ``evaluate()`` before a backend sees it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    twin_id: str
    licence_id: str
    garment_ids: tuple[str, ...] = Field(min_length=1, max_length=MAX_GARMENTS)
    colourway: int = Field(default=0, ge=0, le=20)  # 0 the base colour, n the n-th colourway
    pose: str
    scene: SceneName
    lighting: LightingName = "studio"
    format: FormatName
    segment: str | None = None
    season: str | None = None
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    alterations: Annotated[tuple[str, ...], ALTERATION_CODES] = ()
    content_tags: Annotated[tuple[str, ...], CONTENT_TAG_CODES] = ()
    markets: tuple[Market, ...] = Field(min_length=1)
    use_date: date
    generator: GeneratorSpec | None = None   # None: the studio backend

    @property
    def key(self) -> str:
        """Idempotency key: the same variant always has the same key (a request made
        by the studio backend keeps the key it had before generators existed)."""
        data = self.model_dump(mode="json")
        if data["generator"] is None:
            del data["generator"]
        return sha256_hex(canonical_json(data))[:40]

    @property
    def backend(self) -> str:
        return self.generator.backend if self.generator else "studio"


# ------------------------------------------------------------------------ campaign brief


class Segment(BaseModel):
    """An audience segment: which scene, season and styling its images get."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_\-]+$")
    scene: SceneName
    season: Name | None = Field(default=None, max_length=20)
    lighting: LightingName = "studio"
    colourway: int = Field(default=0, ge=0, le=20)




MAX_VARIANTS = 5000
# How long a brief's lists may be: a brief that names more is not one campaign (and the
# variant matrix, at most MAX_VARIANTS, is checked before it is built).
MAX_BRIEF_TWINS = 500
MAX_LOOKS = 500
MAX_BRIEF_CHOICES = 50   # poses, formats, segments, scenes; the garments of a look
MAX_MARKETS = len(CHANNELS) * len(TERRITORIES)  # every channel in every territory
Id = Annotated[str, Field(min_length=1, max_length=40)]
TwinIds = Annotated[list[Id], Field(max_length=MAX_BRIEF_TWINS)]


class CampaignBrief(BaseModel):
    """A brief as a brand writes it (YAML or JSON). Unknown fields are errors.

    ``twins`` is a list of twin ids or ``"all_licensed"``; ``looks`` lists garment ids worn
    together (one look per variant); ``poses`` are names of ``POSES``; ``segments`` (or,
    without them, ``scenes``) decide scene, season, lighting and colourway; ``markets``
    say where the images will be used. Every name is checked when a brief is read (the
    garments and twins when it is planned); a stored brief is read with ``STORED``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name = Field(min_length=1, max_length=120)
    twins: Literal["all_licensed"] | TwinIds = "all_licensed"
    # a look is 1 to MAX_GARMENTS garments (``_looks`` says so); longer lists stop here
    looks: list[Annotated[list[Id], Field(max_length=MAX_BRIEF_CHOICES)]] = Field(
        min_length=1, max_length=MAX_LOOKS)
    poses: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1,
                                                              max_length=MAX_BRIEF_CHOICES)
    formats: list[FormatName] = Field(min_length=1, max_length=MAX_BRIEF_CHOICES)
    segments: list[Segment] = Field(default_factory=list, max_length=MAX_BRIEF_CHOICES)
    scenes: list[SceneName] = Field(default_factory=list, max_length=MAX_BRIEF_CHOICES)
    lighting: LightingName = "studio"
    markets: list[Market] = Field(min_length=1, max_length=MAX_MARKETS)
    use_date: date | None = None
    alterations: Annotated[list[str], ALTERATION_CODES] = Field(default_factory=list,
                                                                max_length=len(ALTERATIONS))
    content_tags: Annotated[list[str], CONTENT_TAG_CODES] = Field(default_factory=list,
                                                                  max_length=len(CONTENT_TAGS))
    max_assets: int | None = Field(default=None, ge=1, le=MAX_VARIANTS)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    generator: GeneratorSpec | None = None

    @field_validator("poses")
    @classmethod
    def _poses(cls, v: list[str], info: ValidationInfo) -> list[str]:
        if (info.context or {}).get("stored"):
            return v
        unknown = [pose for pose in v if pose not in POSES]
        if unknown:
            raise ValueError(f"unknown pose(s) {', '.join(map(repr, unknown))}: use one of "
                             f"{', '.join(POSES)}")
        return v

    @field_validator("looks")
    @classmethod
    def _looks(cls, v: list[list[str]]) -> list[list[str]]:
        for look in v:
            if not 1 <= len(look) <= MAX_GARMENTS:
                raise ValueError(f"a look has 1 to {MAX_GARMENTS} garments, got {len(look)}")
            if len(set(look)) != len(look):
                raise ValueError("a look names the same garment twice")
        return v

    @model_validator(mode="after")
    def _looks_like(self) -> CampaignBrief:
        if not self.segments and not self.scenes:
            raise ValueError("a brief needs segments or scenes")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError("segment names must be unique")
        return self


def expand(brief: CampaignBrief, *, twins: list[tuple[str, str]], today: date,
           generator: GeneratorSpec | None = None) -> list[GenerationRequest]:
    """The brief's variant matrix, for ``twins`` given as (twin id, licence id) pairs.

    Twins vary fastest; the other combinations come in an order shuffled by the brief's
    seed, so that a ``max_assets`` cap still spreads the campaign over every twin, look,
    pose, style and format. Seeds derive from the brief's seed: reruns are identical.
    ``generator`` (default: the brief's) is recorded on every request.
    """
    generator = generator or brief.generator
    if generator is not None and generator.backend == "studio" and not generator.models:
        generator = None  # the studio backend is the default: same keys as before
    styles: list[tuple[str | None, str, str | None, str, int]] = (
        [(s.name, s.scene, s.season, s.lighting, s.colourway) for s in brief.segments]
        or [(None, scene, None, brief.lighting, 0) for scene in brief.scenes])
    total = len(brief.formats) * len(styles) * len(brief.poses) * len(brief.looks) * len(twins)
    if total > MAX_VARIANTS:  # before the matrix is built
        raise ValueError(f"the brief expands to {total} variants; at most {MAX_VARIANTS}")
    combos = list(product(brief.formats, styles, brief.poses, brief.looks))
    random.Random(brief.seed).shuffle(combos)
    out = []
    for index, ((fmt, style, pose, look), (twin_id, licence_id)) in enumerate(
            (c, t) for c in combos for t in twins):
        segment, scene, season, lighting, colourway = style
        out.append(GenerationRequest(
            twin_id=twin_id, licence_id=licence_id, garment_ids=tuple(look),
            colourway=colourway, pose=pose, scene=scene, lighting=lighting, format=fmt,
            segment=segment, season=season, seed=(brief.seed * 7919 + index) % (2**31 - 1),
            alterations=tuple(brief.alterations), content_tags=tuple(brief.content_tags),
            markets=tuple(brief.markets), use_date=brief.use_date or today,
            generator=generator))
    return out


# --------------------------------------------------------------------------------- jobs


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


_JOB_NEXT: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.RUNNING: frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.QUEUED,
                                 JobState.CANCELLED}),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}
MAX_ATTEMPTS = 3
LEASE_SECONDS = 120


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("job"))
    campaign_id: str
    key: str
    twin_id: str
    licence_id: str
    request: GenerationRequest
    state: JobState = JobState.QUEUED
    attempts: int = 0
    max_attempts: int = MAX_ATTEMPTS
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_error: str | None = None
    asset_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def transition(self, target: JobState, *, now: datetime, **changes: Any) -> Job:
        if target not in _JOB_NEXT[self.state]:
            raise InvalidTransition(f"job {self.id} cannot go from {self.state.value} to "
                                    f"{target.value}")
        return self.model_copy(update={"state": target, "updated_at": now, **changes})


class CampaignState(StrEnum):
    OPEN = "open"          # jobs queued or running
    DONE = "done"          # every job ended


class Campaign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("cmp"))
    brand_id: str
    name: str
    brief: CampaignBrief
    created_at: datetime = Field(default_factory=utcnow)


# ----------------------------------------------------------------- backend in and out


@dataclass(frozen=True)
class ModelInput:
    """A registered model a request uses, by role (the backend verifies its files
    against ``files`` when it loads it)."""

    role: str
    name: str
    kind: str
    path: str
    licence: str
    manifest_sha256: str
    files: tuple[Any, ...]            # domain.models.ModelFile


@dataclass
class GenerationInputs:
    """A checked request with everything a backend needs, resolved from the store."""

    request: GenerationRequest
    body_profile: dict[str, Any]      # BodyProfile as JSON
    body_fit: dict[str, Any]          # phenotypes, local_changes, maps_seed
    body_version: str                 # changes when the body twin is refitted
    garments: list[Garment]
    patterns: dict[str, Any]          # garment id -> tiling pattern (RGB array)
    # diffusion only: the models by role, and the references. The face crop and the
    # full-body photo come from the enrolment photos (biometric data: decrypted in memory
    # while a biometric release is in force, never stored again).
    models: dict[str, ModelInput] = field(default_factory=dict)
    garment_images: dict[str, Any] = field(default_factory=dict)  # garment id -> RGB
    face: Any | None = None
    full_body: Any | None = None
    # the twin's own LoRA for the request's base model (twin training), decrypted in
    # memory: it takes the place of a registered ``lora`` model
    adapter: TwinAdapterInput | None = None


@dataclass(frozen=True)
class TwinAdapterInput:
    """The newest version of the twin's adapter for the base model, in memory."""

    adapter_id: str
    version: int
    base_model: str
    sha256: str                       # of ``weights``
    weights: bytes                    # safetensors, diffusers' LoRA layout
    trigger_token: str                # the word the adapter learnt for the twin


@dataclass
class Candidate:
    """One image of a best-of-N: the seed that made it."""

    image: Any                        # RGB uint8 (h, w, 3)
    seed: int


@dataclass
class GenerationResult:
    image: Any                        # RGB uint8 (h, w, 3) (the first candidate, if any)
    reference: Any                    # the body twin rendered in the same pose and camera
    conditioning: dict[str, Any]      # pose keypoints, depth, mask, camera
    source: str                       # a key of domain.asset.SOURCE_TYPES
    timings: dict[str, float]         # seconds per step
    # best of N: every candidate (the QA gates choose); empty: ``image`` is the only one
    candidates: list[Candidate] = field(default_factory=list)
    # images to keep with the asset (skeleton, depth, masks, studio render), RGB or bool
    conditioning_images: dict[str, Any] = field(default_factory=dict)
    # what made the image, for the C2PA assertion (recipe, steps, models and hashes)
    generation: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- QA

BODY_LINES = ("shoulder", "bust", "waist", "hip")
# Relative tolerance of each body measure against the reference (share of its value).
# Measured (bench/generate.py, tests/body/test_generation.py): crops and colour grades of
# studio images move the measures by at most about 1 %, the studio backend's scenes by
# about as much; a 5 % waist slimming moves the waist by 4.5-5.5 % and a 5 % leg
# lengthening the leg by about 5 %.
BODY_TOLERANCE = 0.025


def compare_body(measured: dict[str, float], reference: dict[str, float], *,
                 tolerance: float = BODY_TOLERANCE) -> list[dict[str, Any]]:
    """Every body measure that differs from the reference by more than ``tolerance``
    (relative). A measure missing on one side is a failure: it could not be checked."""
    failures = []
    for name, expected in sorted(reference.items()):
        got = measured.get(name)
        if got is None:
            failures.append({"measure": name, "expected": round(expected, 4), "got": None,
                             "change": None})
            continue
        change = (got - expected) / expected if expected else 0.0
        if abs(change) > tolerance:
            failures.append({"measure": name, "expected": round(expected, 4),
                             "got": round(got, 4), "change": round(change, 4)})
    return failures
