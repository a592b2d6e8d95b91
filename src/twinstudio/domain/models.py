"""The model registry as pure data and rules: a model a brand holds on disk (a folder in
diffusers layout), its manifest (every file's size and SHA-256), its licence and whether
that licence allows commercial use; which roles each diffusion recipe needs; and the
rule that refuses a non-commercial model for commercial use (``model_reasons``).

A registered model is loaded only when its files are exactly those of its manifest
(``changed_files`` names the first that differ), so that what the C2PA assertion says
made an image (each model's ``manifest_sha256``) is what ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from twinstudio.domain.common import canonical_json, sha256_hex, utcnow
from twinstudio.domain.policy import Reason, ReasonCode
from twinstudio.domain.vocabulary import COMMERCIAL_CHANNELS


class ModelKind(StrEnum):
    BASE = "base"                  # a whole pipeline (model_index.json)
    CONTROLNET = "controlnet"      # one component (config.json)
    IP_ADAPTER = "ip_adapter"      # adapter weights with their image encoder
    LORA = "lora"                  # low-rank adapter weights


Layout = Literal["pipeline", "component", "weights"]

# The roles a recipe gives its models, the kind each role takes, and what each recipe
# needs. ``inpaint`` is a separate inpainting checkpoint for the garment pass (default:
# the base pipeline's own components).
ROLE_KINDS: dict[str, ModelKind] = {
    "base": ModelKind.BASE, "inpaint": ModelKind.BASE,
    "pose_controlnet": ModelKind.CONTROLNET, "depth_controlnet": ModelKind.CONTROLNET,
    "ip_adapter": ModelKind.IP_ADAPTER, "lora": ModelKind.LORA,
}
RECIPE_ROLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # recipe: (required roles, optional roles)
    "sdxl": (frozenset({"base", "pose_controlnet"}),
             frozenset({"depth_controlnet", "ip_adapter", "inpaint", "lora"})),
    "flux2-klein": (frozenset({"base"}), frozenset({"inpaint", "lora"})),
}
RECIPES: tuple[str, ...] = tuple(RECIPE_ROLES)

NAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,63}$")
MAX_FILES = 10_000


class ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, max_length=500)    # relative, with '/' separators
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class RegisteredModel(BaseModel):
    """A model folder, its manifest and its licence (``commercial``: whether the licence
    allows commercial use, as the operator who registered it declared)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: ModelKind
    path: str                      # absolute folder path on the workers' shared disk
    layout: Layout
    class_name: str | None = None  # diffusers' _class_name (pipeline or component)
    licence: str = Field(min_length=1, max_length=120)
    commercial: bool
    files: tuple[ModelFile, ...] = Field(min_length=1, max_length=MAX_FILES)
    added_by: str
    added_at: datetime = Field(default_factory=utcnow)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError("a model name is 1-64 lower-case letters, digits, '.', '_' or "
                             "'-', starting with a letter or digit")
        return v

    @field_validator("licence")
    @classmethod
    def _licence(cls, v: str) -> str:
        if not v.isprintable() or v != v.strip():
            raise ValueError("the licence is a printable SPDX id or name")
        return v

    @property
    def manifest_sha256(self) -> str:
        """The hash of the file list (paths, sizes, hashes): what the C2PA assertion
        names, and what changes when any file changes."""
        return manifest_hash(self.files)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def manifest_hash(files: Iterable[ModelFile]) -> str:
    return sha256_hex(canonical_json(sorted((f.path, f.size, f.sha256) for f in files)))


class FileChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    change: Literal["changed", "missing", "added"]

    def __str__(self) -> str:
        return f"{self.path} ({self.change})"


def changed_files(expected: Sequence[ModelFile], found: Sequence[ModelFile]
                  ) -> list[FileChange]:
    """Every file that differs between the manifest and the folder, by path."""
    want = {f.path: f for f in expected}
    have = {f.path: f for f in found}
    out = [FileChange(path=p, change="missing") for p in sorted(want) if p not in have]
    out += [FileChange(path=p, change="changed") for p in sorted(want)
            if p in have and (have[p].size, have[p].sha256) != (want[p].size, want[p].sha256)]
    out += [FileChange(path=p, change="added") for p in sorted(have) if p not in want]
    return sorted(out, key=lambda c: c.path)


def role_problems(recipe: str, roles: dict[str, RegisteredModel | None]) -> list[str]:
    """What is wrong with the models a recipe is given: unknown or missing roles, names
    not registered, a model of the wrong kind for its role (empty: usable)."""
    if recipe not in RECIPE_ROLES:
        return [f"unknown recipe {recipe!r}: use one of {', '.join(RECIPES)}"]
    required, optional = RECIPE_ROLES[recipe]
    problems = [f"the {recipe} recipe needs a model for {role!r}"
                for role in sorted(required - set(roles))]
    problems += [f"the {recipe} recipe has no role {role!r} (roles: "
                 f"{', '.join(sorted(required | optional))})"
                 for role in sorted(set(roles) - required - optional)]
    for role, model in sorted(roles.items()):
        if role not in required | optional:
            continue
        if model is None:
            problems.append(f"{role}: no such model in the registry (add it with "
                            "'twinstudio model add')")
        elif model.kind is not ROLE_KINDS[role]:
            problems.append(f"{role}: model {model.name!r} is a {model.kind.value} model; "
                            f"the role takes a {ROLE_KINDS[role].value} model")
    return problems


def model_reasons(models: Iterable[RegisteredModel], channels: Iterable[str]) -> list[Reason]:
    """A model whose licence does not allow commercial use refuses every use on a
    commercial channel (every channel twinstudio licenses is one: ``COMMERCIAL_CHANNELS``)."""
    commercial = sorted(set(channels) & COMMERCIAL_CHANNELS)
    if not commercial:
        return []
    return [Reason(code=ReasonCode.MODEL_NOT_COMMERCIAL,
                   message=f"model {m.name!r} ({m.licence}) is not cleared for commercial use; "
                           f"the licence's channels {', '.join(commercial)} are commercial")
            for m in models if not m.commercial]
