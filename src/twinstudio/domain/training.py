"""Twin training: a per-twin LoRA made from the capture session, only with the talent's
consent to train, owned by the talent and destroyed when the talent says so.

The rules here are pure: who may have a model of their likeness trained (a digital
replica consent in force that says ``model_training: true`` and has not had it
withdrawn, a biometric release in force, an active twin), what a training asks for
(``TrainingParams``), the life of a training job and of an adapter version, the
trigger token and captions of the training photos, and the manifest that says whose an
exported adapter is. Storage, encryption and the loop itself live in the services and
adapters.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from twinstudio.domain.common import canonical_json, new_id, sha256_hex, utcnow
from twinstudio.domain.consent import (
    BiometricRelease,
    DigitalReplicaConsent,
    release_in_force,
)
from twinstudio.domain.errors import InvalidTransition
from twinstudio.domain.policy import Reason
from twinstudio.domain.twin import Twin, TwinState


class TrainingCode:
    """Refusal codes of twin training (stable API)."""

    CONSENT_MISSING = "training_consent_missing"
    RELEASE_MISSING = "biometric_release_missing"
    TWIN_NOT_ACTIVE = "twin_not_active"
    NO_PHOTOS = "training_photos_missing"
    BASE_MODEL_UNSUITABLE = "base_model_unsuitable"
    ADAPTER_DESTROYED = "adapter_destroyed"


# the recipes a twin adapter can be trained for, by the base pipeline's diffusers class
TRAINABLE_PIPELINES = {"StableDiffusionXLPipeline": "sdxl", "Flux2KleinPipeline": "flux2-klein"}
TRAINABLE_RECIPES = tuple(TRAINABLE_PIPELINES.values())
MAX_STEPS = 20_000
VIEWS = ("face close-up", "full body")


class TrainingParams(BaseModel):
    """What a training asks for. Defaults follow the per-subject LoRA recipes (rank 16,
    1e-4, 1024 px for SDXL and klein)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: int = Field(default=500, ge=1, le=MAX_STEPS)
    rank: int = Field(default=16, ge=1, le=256)
    learning_rate: float = Field(default=1e-4, gt=0, le=1e-2)
    resolution: int = Field(default=1024, ge=64, le=2048)
    checkpoint_every: int = Field(default=50, ge=1, le=MAX_STEPS)
    seed: int = Field(default=0, ge=0, le=2**31 - 2)

    @field_validator("resolution")
    @classmethod
    def _multiple_of_16(cls, v: int) -> int:
        if v % 16:
            raise ValueError(f"resolution must be a multiple of 16 (got {v})")
        return v


class TrainingStopped(Exception):
    """The trainer stopped when asked (Ctrl-C, a lost lease) after checkpointing ``step``."""

    def __init__(self, step: int) -> None:
        super().__init__(f"training stopped at step {step}")
        self.step = step


def base_recipe(kind: str, class_name: str | None) -> str | None:
    """The recipe a registered model can be trained for: a base pipeline of a trainable
    class, else None."""
    if kind != "base":
        return None
    return TRAINABLE_PIPELINES.get(class_name or "")


def training_consent(consents: list[DigitalReplicaConsent], today: date
                     ) -> DigitalReplicaConsent | None:
    """The newest consent of a twin in force today that allows training a model of the
    likeness (and has not had that withdrawn), if any."""
    for consent in reversed(consents):
        if (consent.is_in_force(today) and consent.document.model_training
                and consent.training_withdrawn_at is None):
            return consent
    return None


def training_refusals(twin: Twin, consents: list[DigitalReplicaConsent],
                      releases: list[BiometricRelease], today: date) -> list[Reason]:
    """Every reason a model of this twin's likeness may not be trained today (empty:
    it may). Decided before any photo is read."""
    reasons = []
    if twin.state is not TwinState.ACTIVE:
        reasons.append(Reason(code=TrainingCode.TWIN_NOT_ACTIVE,
                              message=f"twin {twin.id} is {twin.state.value}, not active"))
    if training_consent(consents, today) is None:
        reasons.append(Reason(
            code=TrainingCode.CONSENT_MISSING,
            message=f"twin {twin.id} has no digital replica consent in force that allows "
                    "training a model of the likeness (model_training: true, not withdrawn)"))
    if release_in_force(releases) is None:
        reasons.append(Reason(
            code=TrainingCode.RELEASE_MISSING,
            message=f"talent {twin.talent_id} has no biometric release in force: the "
                    "capture photos cannot be read (BIPA written release, GDPR Art. 9)"))
    return reasons


def trigger_token(twin_id: str) -> str:
    """The rare word that stands for this twin in captions and prompts (stable per twin,
    made of lower-case letters and digits so tokenizers keep it whole-ish)."""
    return "tsx" + hashlib.sha256(twin_id.encode()).hexdigest()[:6]


def caption(twin_id: str, view: str) -> str:
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}")
    return f"a photo of {trigger_token(twin_id)} person, {view}"


# ------------------------------------------------------------------ training jobs


class TrainingState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


_JOB_TRANSITIONS: dict[TrainingState, frozenset[TrainingState]] = {
    TrainingState.QUEUED: frozenset({TrainingState.RUNNING, TrainingState.CANCELLED}),
    # running -> queued: the worker stopped (Ctrl-C) or lost its lease; resumed later
    TrainingState.RUNNING: frozenset({TrainingState.QUEUED, TrainingState.SUCCEEDED,
                                      TrainingState.FAILED, TrainingState.CANCELLED}),
    TrainingState.SUCCEEDED: frozenset(),
    TrainingState.FAILED: frozenset(),
    TrainingState.CANCELLED: frozenset(),
}


class TrainingJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("trn"))
    twin_id: str
    base_model: str            # the registered base model's name
    recipe: str
    params: TrainingParams
    state: TrainingState = TrainingState.QUEUED
    step: int = 0              # the last step whose checkpoint is stored
    last_loss: float | None = None
    attempts: int = 0
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    adapter_id: str | None = None
    error: str | None = None
    requested_by: str
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def transition(self, target: TrainingState, *, now: datetime, **changes: Any
                   ) -> TrainingJob:
        if target not in _JOB_TRANSITIONS[self.state]:
            raise InvalidTransition(f"training job {self.id} cannot go from "
                                    f"{self.state.value} to {target.value}")
        return self.model_copy(update={"state": target, "updated_at": now, **changes})

    @property
    def done(self) -> bool:
        return not _JOB_TRANSITIONS[self.state]


# ------------------------------------------------------------------ adapters


class AdapterState(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"        # the talent (or agency) deleted it
    DESTROYED = "destroyed"    # a revocation destroyed it


class TwinAdapter(BaseModel):
    """One version of a twin's LoRA for one base model. The weights themselves are kept
    encrypted with the twin's own key, beside this record (never in it)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("adp"))
    twin_id: str
    talent_id: str
    consent_id: str
    job_id: str
    base_model: str
    base_manifest_sha256: str
    recipe: str
    version: int = Field(ge=1)
    params: TrainingParams
    sha256: str                 # of the plaintext weights (safetensors)
    size: int
    state: AdapterState = AdapterState.ACTIVE
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    end_reason: str | None = None

    def end(self, state: AdapterState, *, reason: str, now: datetime) -> TwinAdapter:
        if self.state is not AdapterState.ACTIVE:
            raise InvalidTransition(f"adapter {self.id} is already {self.state.value}")
        if state is AdapterState.ACTIVE:
            raise InvalidTransition("an adapter ends as deleted or destroyed")
        return self.model_copy(update={"state": state, "ended_at": now, "end_reason": reason})


def newest_adapter(adapters: list[TwinAdapter], base_model: str) -> TwinAdapter | None:
    """The newest active version made for ``base_model``."""
    found = [a for a in adapters if a.base_model == base_model and a.state is AdapterState.ACTIVE]
    return max(found, key=lambda a: a.version) if found else None


def adapter_refusal(adapters: list[TwinAdapter], base_model: str) -> Reason | None:
    """A job that would use the twin's adapter for ``base_model`` when none is active
    any more but one was made (deleted or destroyed): refused, not silently run without
    the likeness the brand asked for."""
    if newest_adapter(adapters, base_model) is not None:
        return None
    ended = [a for a in adapters if a.base_model == base_model]
    if not ended:
        return None
    last = max(ended, key=lambda a: a.version)
    return Reason(code=TrainingCode.ADAPTER_DESTROYED,
                  message=f"the twin's adapter for {base_model} was {last.state.value} "
                          f"({last.end_reason}); no image is made without it")


def adapter_manifest(adapter: TwinAdapter, *, talent_name: str, exported_at: datetime
                     ) -> dict[str, Any]:
    """What an exported adapter says of itself (signed by the workspace key)."""
    return {
        "kind": "twinstudio/twin-adapter/v1",
        "adapter_id": adapter.id, "version": adapter.version,
        "owner": {"talent_id": adapter.talent_id, "name": talent_name},
        "twin_id": adapter.twin_id, "consent_id": adapter.consent_id,
        "base_model": adapter.base_model,
        "base_manifest_sha256": adapter.base_manifest_sha256, "recipe": adapter.recipe,
        "params": adapter.params.model_dump(mode="json"),
        "trigger_token": trigger_token(adapter.twin_id),
        "weights_sha256": adapter.sha256, "weights_size": adapter.size,
        "weights_file": "pytorch_lora_weights.safetensors",
        "created_at": adapter.created_at.isoformat(), "exported_at": exported_at.isoformat(),
        "terms": "The weights are the talent's. They may be used only under a licence the "
                 "talent grants and must be destroyed when the talent withdraws consent.",
    }


def manifest_hash(manifest: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(manifest))
