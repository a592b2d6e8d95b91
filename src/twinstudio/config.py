"""All configuration, from ``TWINSTUDIO_*`` environment variables (one class, one place)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from twinstudio.domain.errors import ConfigurationError

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

    @model_validator(mode="after")
    def _safe_for_mode(self) -> Settings:
        if self.mode == "production":
            if self.master_key.get_secret_value() == DEV_MASTER_KEY:
                raise ConfigurationError(
                    "TWINSTUDIO_MASTER_KEY must be set in production mode "
                    "(the development key is refused)")
            if len(self.master_key.get_secret_value()) < 32:
                raise ConfigurationError("TWINSTUDIO_MASTER_KEY must be at least 32 characters")
        return self

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
