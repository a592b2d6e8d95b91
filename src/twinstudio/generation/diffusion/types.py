"""What a diffusion recipe is given and what it gives back (the contract between the
``DiffusionBackend``, which prepares the conditioning from the body twin, and the
recipes, which run diffusers pipelines on weights a brand holds on disk)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class ModelFolder:
    """A registered model on disk, its manifest already verified by the caller.

    ``role`` is what the recipe uses it for: ``base``, ``pose_controlnet``,
    ``depth_controlnet``, ``ip_adapter``, ``inpaint`` or ``lora``."""

    name: str
    kind: str                 # base | controlnet | ip_adapter | lora
    role: str
    path: Path
    manifest_sha256: str


@dataclass
class RecipeInputs:
    """One image to make. Every array has the pipeline's size (``width`` x ``height``,
    multiples of 16), in the exact camera of the studio render."""

    prompt: str
    negative_prompt: str
    width: int
    height: int
    seed: int
    steps: int
    guidance: float
    pose: np.ndarray                    # (H, W, 3) uint8: OpenPose-18 skeleton, black ground
    depth: np.ndarray                   # (H, W, 3) uint8: near bright, far/background black
    person_mask: np.ndarray             # (H, W) bool
    garment_mask: np.ndarray            # (H, W) bool: every garment of the look
    studio: np.ndarray                  # (H, W, 3) uint8: the studio render (img2img start)
    strength: float | None = None       # img2img strength from ``studio``; None: from noise
    face: np.ndarray | None = None      # (h, w, 3) uint8 face crop from the enrolment photos
    full_body: np.ndarray | None = None  # (h, w, 3) uint8 a full-body capture photo
    garment_images: list[np.ndarray] = field(default_factory=list)  # product images
    lora: Path | None = None            # the twin's LoRA weights: a file or a folder ...
    lora_weights: bytes | None = None   # ... or safetensors bytes in memory (never on disk)
    lora_sha256: str | None = None      # sha256 of ``lora_weights`` (checked; the cache key)
    lora_scale: float = 1.0


class Recipe(Protocol):
    """A diffusers pipeline (or two) loaded once, then run per image."""

    name: str
    required_roles: frozenset[str]
    optional_roles: frozenset[str]

    def generate(self, inputs: RecipeInputs) -> np.ndarray: ...   # (H, W, 3) uint8

    @property
    def parameters(self) -> dict[str, Any]: ...  # what ran (dtype, device, scheduler, ...)
