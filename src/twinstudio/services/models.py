"""Use cases of the model registry: register a model folder a brand holds (its manifest,
licence and commercial clearance), list and show models, check that their files are
still those of their manifests, remove one; and resolve a generator's models for a job.

A model is registered by an operator (the CLI) who declares its licence; twinstudio
cannot read a licence from weights. What it can do is refuse: a non-commercial model
for a commercial licence (``domain.models.model_reasons``, at planning and again when a
job runs), a folder whose files changed since registration (when it is loaded), a model
of the wrong kind for its role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from twinstudio.domain.errors import ConfigurationError, Conflict, InvalidInput, Problem
from twinstudio.domain.generation import GeneratorSpec, ModelInput
from twinstudio.domain.models import (
    FileChange,
    ModelKind,
    RegisteredModel,
    changed_files,
    role_problems,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import ModelFolders, UnitOfWork


def _folders(ctx: ServiceContext) -> ModelFolders:
    if ctx.model_folders is None:
        raise ConfigurationError("the model registry needs the diffusion extra "
                                 "(pip install 'twinstudio[diffusion]')")
    return ctx.model_folders


def add_model(ctx: ServiceContext, *, name: str, path: str, kind: str, licence: str,
              commercial: bool, actor: str, replace: bool = False) -> RegisteredModel:
    """Register the model folder at ``path`` under ``name``: every file hashed into its
    manifest. A name is registered once unless ``replace`` (audited either way)."""
    try:
        model_kind = ModelKind(kind)
    except ValueError:
        raise InvalidInput(f"kind must be one of {', '.join(k.value for k in ModelKind)}",
                           problems=[Problem("kind", f"unknown kind {kind!r}", "enum")]
                           ) from None
    scan = _folders(ctx).scan(path, model_kind)   # InvalidInput with the reason
    try:
        model = RegisteredModel(name=name, kind=model_kind, path=scan.path,
                                layout=scan.layout,  # type: ignore[arg-type]
                                class_name=scan.class_name, licence=licence,
                                commercial=commercial, files=scan.files, added_by=actor,
                                added_at=ctx.now())
    except ValidationError as error:
        raise InvalidInput.of(error, "model") from None
    with ctx.uow() as uow:
        existing = uow.models.find(name)
        if existing is not None:
            if not replace:
                raise Conflict(f"a model named {name!r} is registered already (use --replace "
                               "to register the folder again)")
            uow.models.remove(name)
        uow.models.add(model)
        uow.audit.append(actor=actor, type="ModelRegistered", at=ctx.now(), payload={
            "name": name, "kind": model_kind.value, "path": scan.path, "licence": licence,
            "commercial": commercial, "manifest_sha256": model.manifest_sha256,
            "files": len(scan.files), "replaced": existing.manifest_sha256 if existing
            else None})
        uow.commit()
    return model


def list_models(ctx: ServiceContext, *, kind: str | None = None) -> list[RegisteredModel]:
    with ctx.uow() as uow:
        return uow.models.list(kind=ModelKind(kind) if kind else None)


def get_model(ctx: ServiceContext, name: str) -> RegisteredModel:
    with ctx.uow() as uow:
        return uow.models.get(name)


def remove_model(ctx: ServiceContext, name: str, *, actor: str) -> None:
    with ctx.uow() as uow:
        model = uow.models.get(name)
        uow.models.remove(name)
        uow.audit.append(actor=actor, type="ModelRemoved", at=ctx.now(), payload={
            "name": name, "manifest_sha256": model.manifest_sha256})
        uow.commit()


@dataclass
class ModelCheckResult:
    name: str
    ok: bool
    changes: list[FileChange]
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "error": self.error,
                "changes": [c.model_dump() for c in self.changes]}


def check_models(ctx: ServiceContext, names: list[str] | None = None
                 ) -> list[ModelCheckResult]:
    """Hash every file of each model again and compare with its manifest."""
    with ctx.uow() as uow:
        models = [uow.models.get(n) for n in names] if names else uow.models.list()
    out = []
    for model in models:
        try:
            scan = _folders(ctx).scan(model.path, model.kind)
        except InvalidInput as error:
            out.append(ModelCheckResult(model.name, False, [], str(error)))
            continue
        changes = changed_files(model.files, scan.files)
        out.append(ModelCheckResult(model.name, not changes, changes))
    return out


# ---------------------------------------------------------------- generators and jobs


def generator_models(uow: UnitOfWork, spec: GeneratorSpec | None
                     ) -> dict[str, RegisteredModel]:
    """The registered models of a diffusion generator by role; InvalidInput naming every
    problem (unknown recipe or role, a name not registered, a model of the wrong kind)."""
    if spec is None or spec.backend != "diffusion":
        return {}
    found = {role: uow.models.find(name) for role, name in spec.models.items()}
    problems = role_problems(spec.recipe or "", found)
    if problems:
        raise InvalidInput(f"generator: {problems[0]}" + (
            f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            problems=[Problem("generator.models", p, "invalid_model") for p in problems],
            source="brief")
    return {role: model for role, model in found.items() if model is not None}


def model_inputs(models: dict[str, RegisteredModel]) -> dict[str, ModelInput]:
    """What a backend is given of each model (it verifies the files when it loads)."""
    return {role: ModelInput(role=role, name=m.name, kind=m.kind.value, path=m.path,
                             licence=m.licence, manifest_sha256=m.manifest_sha256,
                             files=m.files) for role, m in models.items()}
