"""The people and organisations of twinstudio: talent (the model), agencies and brands."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from twinstudio.domain.common import new_id, utcnow
from twinstudio.domain.text import Name

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def validate_language(value: str) -> str:
    """A BCP 47 language tag such as ``fr`` or ``pt-BR`` (the talent's own language)."""
    if not _LANGUAGE.match(value):
        raise ValueError(f"language {value!r} is not a BCP 47 tag such as 'en', 'fr' or 'pt-BR'")
    return value


class OrganisationKind(StrEnum):
    AGENCY = "agency"
    BRAND = "brand"


class Talent(BaseModel):
    """A person whose likeness becomes a twin. The talent owns the twin."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("tal"))
    name: Name = Field(min_length=1, max_length=200)
    language: str = Field("en", max_length=35)
    agency_id: str | None = None
    synthetic: bool = False  # a made-up person of the synthetic roster, not a real one
    created_at: datetime = Field(default_factory=utcnow)
    last_interaction_at: datetime = Field(default_factory=utcnow)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return validate_language(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()


class Organisation(BaseModel):
    """An agency (represents talent) or a brand (licenses twins)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: OrganisationKind
    name: Name = Field(min_length=1, max_length=200)
    country: Name | None = Field(None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def new(cls, kind: OrganisationKind, name: str, country: str | None = None) -> Organisation:
        prefix = "agy" if kind is OrganisationKind.AGENCY else "brd"
        return cls(id=new_id(prefix), kind=kind, name=name.strip(), country=country)
