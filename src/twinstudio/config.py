"""All configuration, from ``TWINSTUDIO_*`` environment variables (one class, one place)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from twinstudio.domain.errors import ConfigurationError
from twinstudio.domain.generation import GeneratorSpec
from twinstudio.domain.network import AllowList
from twinstudio.domain.proposals import DEFAULT_PROPOSAL_DAYS, MAX_PROPOSAL_DAYS
from twinstudio.domain.webhooks import RETRY_SCHEDULE

DEFAULT_WORKSPACE = Path("twinstudio-data")
DEV_MASTER_KEY = "development-only-master-key-do-not-use"


class Settings(BaseSettings):
    """``workspace`` holds the SQLite file, keys and blobs; ``database_url`` overrides the
    SQLite default (e.g. ``postgresql://user@host/db``). ``mode=production`` refuses
    development secrets."""

    model_config = SettingsConfigDict(env_prefix="TWINSTUDIO_", extra="ignore")

    workspace: Path = DEFAULT_WORKSPACE
    database_url: str | None = None
    mode: Literal["development", "production"] = "development"
    master_key: SecretStr = SecretStr(DEV_MASTER_KEY)
    # C2PA signing: a production chain (leaf first) and key; trust anchors for readers.
    # Unset: the workspace's development CA from 'twinstudio init' (refused in production).
    c2pa_cert_chain: Path | None = None
    c2pa_key: Path | None = None
    c2pa_trust_anchors: Path | None = None
    # processes that check the photos of one enrolment in parallel (1: in this process)
    capture_workers: int = Field(default=1, ge=1, le=16)
    # Generation (issue 15): what a campaign brief without a ``generator`` gets. With
    # ``generation_backend=diffusion``: the recipe, its registered models by role (JSON,
    # e.g. '{"base": "sdxl-base", "pose_controlnet": "sdxl-openpose"}'), candidates per
    # variant (best of N by the QA gates) and steps.
    generation_backend: Literal["studio", "diffusion"] = "studio"
    diffusion_recipe: str = "sdxl"
    diffusion_models: dict[str, str] = Field(default_factory=dict)
    diffusion_candidates: int = Field(default=4, ge=1, le=16)
    diffusion_steps: int = Field(default=30, ge=1, le=150)
    # where pipelines run: auto (CUDA when present, bf16/fp16; else CPU, fp32), cpu, cuda;
    # offload moves idle components to the CPU (small GPUs); max_side runs smaller than
    # the format and upscales (None: the format's size)
    diffusion_device: Literal["auto", "cpu", "cuda"] = "auto"
    diffusion_cpu_offload: bool = False
    diffusion_max_side: int | None = Field(default=None, ge=64, le=4096)
    # the portal's cookies carry Secure (browsers send them over HTTPS only); unset: on in
    # production mode, off in development (plain http://127.0.0.1)
    secure_cookies: bool | None = None
    # days a brand's licence proposal waits for the talent's answer before it lapses
    proposal_days: int = Field(default=DEFAULT_PROPOSAL_DAYS, ge=1, le=MAX_PROPOSAL_DAYS)
    # request bodies of the API and the portal (issue 19): JSON (and any body that is not
    # an upload) and urlencoded forms; multipart uploads keep the image limit (64 MB)
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_form_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    # routes that run the perception models (verify, enrolment, asset edit; issue 19): at
    # most ``concurrency`` run at once per server process, ``queue`` more wait at most
    # ``wait_seconds`` each; any other answers 503 with Retry-After (``api.admission``)
    perception_concurrency: int = Field(default=2, ge=1, le=64)
    perception_queue: int = Field(default=4, ge=0, le=1024)
    perception_wait_seconds: float = Field(default=5.0, ge=0, le=300)
    # webhooks (issue 20): targets that may be private although outbound requests reach
    # only public addresses (comma-separated host names, addresses or CIDR networks, e.g.
    # "127.0.0.1,hooks.internal,10.2.0.0/16"); seconds per attempt; the retry schedule
    # (comma-separated seconds after each failed attempt; empty: 5 s ... 8 h, about a
    # day); whether ``twinstudio serve`` delivers in a background thread of each process
    webhook_allow: str = ""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_retry_seconds: str = ""
    webhook_delivery: bool = True
    # how long a worker holds a delivery it is sending; a worker that dies mid-delivery
    # leaves it to the next worker once this runs out
    webhook_lease_seconds: int = Field(default=60, ge=2, le=3600)

    @model_validator(mode="after")
    def _safe_for_mode(self) -> Settings:
        if self.secure_cookies is None:
            self.secure_cookies = self.mode == "production"
        if self.mode == "production":
            if self.master_key.get_secret_value() == DEV_MASTER_KEY:
                raise ConfigurationError(
                    "TWINSTUDIO_MASTER_KEY must be set in production mode "
                    "(the development key is refused)")
            if len(self.master_key.get_secret_value()) < 32:
                raise ConfigurationError("TWINSTUDIO_MASTER_KEY must be at least 32 characters")
        return self

    def webhook_allow_list(self) -> AllowList:
        try:
            return AllowList.parse(self.webhook_allow.split(","))
        except ValueError as error:
            raise ConfigurationError(f"TWINSTUDIO_WEBHOOK_ALLOW: {error}") from None

    def webhook_schedule(self) -> tuple[int, ...]:
        """The retry schedule in seconds (``TWINSTUDIO_WEBHOOK_RETRY_SECONDS``)."""
        if not self.webhook_retry_seconds.strip():
            return RETRY_SCHEDULE
        try:
            schedule = tuple(int(p) for p in self.webhook_retry_seconds.split(","))
        except ValueError:
            schedule = ()
        if not schedule or any(s < 0 or s > 86400 for s in schedule):
            raise ConfigurationError("TWINSTUDIO_WEBHOOK_RETRY_SECONDS: comma-separated "
                                     "whole seconds from 0 to 86400, e.g. 5,30,120")
        return schedule

    def default_generator(self) -> GeneratorSpec | None:
        """The generator of briefs that name none (None: the studio backend)."""
        if self.generation_backend == "studio":
            return None
        try:
            return GeneratorSpec(backend="diffusion", recipe=self.diffusion_recipe,
                                 models=self.diffusion_models,
                                 candidates=self.diffusion_candidates,
                                 steps=self.diffusion_steps)
        except ValueError as error:
            raise ConfigurationError(f"TWINSTUDIO_DIFFUSION_*: {error}") from None

    def derived_secret(self, purpose: str) -> bytes:
        """A 32-byte secret for ``purpose`` derived from the master key: the same in every
        server process of the workspace, different for each purpose."""
        return hmac.new(self.master_key.get_secret_value().encode(),
                        f"twinstudio/{purpose}/v1".encode(), hashlib.sha256).digest()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.workspace / 'twinstudio.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.workspace / "keys"

    @property
    def c2pa_dir(self) -> Path:
        return self.workspace / "c2pa"

    @property
    def blobs_dir(self) -> Path:
        return self.workspace / "blobs"
