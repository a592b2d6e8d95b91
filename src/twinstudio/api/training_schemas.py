"""Schemas of twin training: training jobs, adapter versions, what a brand may know."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from twinstudio.domain.text import FreeText
from twinstudio.domain.training import (
    AdapterState,
    TrainingJob,
    TrainingParams,
    TrainingState,
    TwinAdapter,
    trigger_token,
)


class TrainingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"base_model": "sdxl-base", "params": {"steps": 500, "rank": 16,
                                               "learning_rate": 0.0001, "resolution": 1024}}]})

    base_model: str = Field(min_length=1, max_length=64,
                            description="a registered base model (SDXL or FLUX.2 klein)")
    params: TrainingParams = Field(default_factory=TrainingParams)


class TrainingJobPublic(BaseModel):
    id: str
    twin_id: str
    base_model: str
    recipe: str
    params: TrainingParams
    state: TrainingState
    step: int = Field(description="the last step whose checkpoint is kept")
    last_loss: float | None
    attempts: int
    adapter_id: str | None
    error: str | None
    requested_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, j: TrainingJob) -> TrainingJobPublic:
        return cls(**j.model_dump(exclude={"lease_owner", "lease_expires_at"}))


class AdapterPublic(BaseModel):
    id: str
    twin_id: str
    talent_id: str
    consent_id: str
    job_id: str
    base_model: str
    base_manifest_sha256: str
    recipe: str
    version: int
    params: TrainingParams
    sha256: str = Field(description="SHA-256 of the weights (safetensors), as recorded in "
                                    "the C2PA assertion of every image made with them")
    size: int
    state: AdapterState
    trigger_token: str
    created_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @classmethod
    def of(cls, a: TwinAdapter) -> AdapterPublic:
        return cls(**a.model_dump(), trigger_token=trigger_token(a.twin_id))


class AdapterBasesPublic(BaseModel):
    """What a licensee sees of the twin's adapters: which base models have one."""

    twin_id: str
    base_models: list[str]


class ReasonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "I no longer want a model of my likeness kept"}]})

    reason: FreeText = Field(min_length=1, max_length=500)
