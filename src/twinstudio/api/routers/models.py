"""The model registry, read-only: which diffusion weights a brief may name, their
licences and manifests (models are registered by an operator with the CLI)."""

from __future__ import annotations

from fastapi import APIRouter

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.model_schemas import ModelPublic
from twinstudio.api.schemas import Page
from twinstudio.domain.models import ModelKind
from twinstudio.services.models import get_model, list_models

router = APIRouter(prefix="/models", tags=["models"])


@router.get("", openapi_extra=isolation(role="read"))
def list_registered(access: AccessDep, paging: PagingDep,
                    kind: ModelKind | None = None) -> Page[ModelPublic]:
    """Every registered model (not a tenant's object: the registry is the workspace's)."""
    return paging.page([ModelPublic.of(m) for m in
                        list_models(access.ctx, kind=kind.value if kind else None)])


@router.get("/{name}", openapi_extra=isolation(role="read"))
def read_model(name: str, access: AccessDep) -> ModelPublic:
    return ModelPublic.of(get_model(access.ctx, name))
