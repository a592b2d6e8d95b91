"""Schemas of the model registry's read routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ModelFilePublic(BaseModel):
    path: str
    size: int
    sha256: str


class ModelPublic(BaseModel):
    """A registered model as every user may see it: what it is, its licence, whether
    commercial use is allowed and its manifest (the folder's path stays on the server)."""

    name: str
    kind: str = Field(description="base, controlnet, ip_adapter or lora")
    layout: str
    class_name: str | None
    licence: str
    commercial: bool = Field(description="whether its licence allows commercial use")
    manifest_sha256: str = Field(description="the hash the C2PA assertion names")
    size: int
    files: list[ModelFilePublic]
    added_at: datetime

    @classmethod
    def of(cls, m: Any) -> ModelPublic:
        return cls(name=m.name, kind=m.kind.value, layout=m.layout, class_name=m.class_name,
                   licence=m.licence, commercial=m.commercial,
                   manifest_sha256=m.manifest_sha256, size=m.size,
                   files=[ModelFilePublic(**f.model_dump()) for f in m.files],
                   added_at=m.added_at)
