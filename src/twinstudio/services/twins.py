"""Reads of twins: the list, one twin with its biometric key status and templates (their
metadata only: the encrypted content never leaves the biometrics service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twinstudio.domain.twin import Twin
from twinstudio.services.context import ServiceContext


@dataclass(frozen=True)
class TemplateInfoResult:
    id: str
    kind: str
    retain_until: datetime


@dataclass(frozen=True)
class TwinDetailsResult:
    twin: Twin
    biometric_key: bool                 # False once crypto-shredded (or never enrolled)
    templates: list[TemplateInfoResult]


def list_twins(ctx: ServiceContext) -> list[Twin]:
    """Every twin, oldest first."""
    with ctx.uow() as uow:
        return uow.twins.list()


def twin_of_talent(ctx: ServiceContext, talent_id: str) -> Twin:
    """The twin of a talent (NotFound for an unknown talent)."""
    with ctx.uow() as uow:
        return uow.twins.get_by_talent(talent_id)


def twin_details(ctx: ServiceContext, twin_id: str) -> TwinDetailsResult:
    """A twin, whether its biometric key exists, and its templates' metadata."""
    with ctx.uow() as uow:
        twin = uow.twins.get(twin_id)
        has_key = uow.biometrics.key(twin_id) is not None
        templates = [TemplateInfoResult(i, k, r)
                     for i, k, _, r in uow.biometrics.templates(twin_id)]
    return TwinDetailsResult(twin, has_key, templates)
