"""The model registry: diffusion weights a brand holds on disk, with their licences."""

from pathlib import Path
from typing import Annotated, Literal

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    context,
    err,
    group,
    out,
    print_fields,
    print_json,
    print_list,
    print_result,
)

model_app = group("model", "The model registry: local diffusion weights, their manifests "
                           "and licences.")
ModelArg = Annotated[str, typer.Argument(help="Model name")]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@model_app.command("add")
def model_add(
    name: ModelArg,
    path: Annotated[Path, typer.Option(help="The model's folder (diffusers layout)")],
    kind: Annotated[str, typer.Option(help="base, controlnet, ip_adapter or lora")],
    licence: Annotated[str, typer.Option(help="Its licence: an SPDX id or the licence's "
                                              "name, e.g. 'openrail++' or 'Apache-2.0'")],
    commercial: Annotated[Literal["yes", "no"], typer.Option(
        help="Does the licence allow commercial use? (read the model card)")],
    replace: Annotated[bool, typer.Option(
        help="Register the folder again under a name already registered")] = False,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Register a model folder (every file hashed into its manifest).

    Loading refuses the folder once any file changes; campaigns under a commercial
    licence refuse a model that is not cleared for commercial use."""
    from twinstudio.services.models import add_model

    model = add_model(context(workspace), name=name, path=str(path), kind=kind,
                      licence=licence, commercial=commercial == "yes", actor="operator",
                      replace=replace)
    print_result(_json(model), f"model {model.name} added: {model.kind.value}, "
                 f"{len(model.files)} files ({_size(model.size)}), manifest "
                 f"{model.manifest_sha256[:16]}, {model.licence}, commercial use "
                 f"{'allowed' if model.commercial else 'NOT allowed'}", as_json=as_json)


def _json(model) -> dict:  # type: ignore[no-untyped-def]
    return {**model.model_dump(mode="json", exclude={"files"}), "files": len(model.files),
            "size": model.size, "manifest_sha256": model.manifest_sha256}


@model_app.command("list")
def model_list(kind: Annotated[str | None, typer.Option(help="Only this kind")] = None,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List registered models."""
    from twinstudio.services.models import list_models

    print_list(list_models(context(workspace), kind=kind), as_json=as_json,
               columns=("model", "kind", "licence", "commercial", "files", "size", "manifest"),
               row=lambda m: (m.name, m.kind.value, m.licence, "yes" if m.commercial else "no",
                              len(m.files), _size(m.size), m.manifest_sha256[:16]),
               json_of=_json)


@model_app.command("show")
def model_show(name: ModelArg, workspace: Workspace = DEFAULT_WS,
               as_json: JsonFlag = False) -> None:
    """A model's folder, licence and manifest (every file with its size and SHA-256)."""
    from twinstudio.services.models import get_model

    model = get_model(context(workspace), name)
    if as_json:
        print_json({**_json(model), "files": [f.model_dump() for f in model.files]})
        return
    print_fields([("model", model.name), ("kind", model.kind.value), ("path", model.path),
                  ("layout", model.layout), ("class", model.class_name or ""),
                  ("licence", model.licence),
                  ("commercial use", "allowed" if model.commercial else "not allowed"),
                  ("manifest", model.manifest_sha256), ("added", model.added_at.isoformat()),
                  *[(f.path, f"{_size(f.size)} {f.sha256}") for f in model.files[:50]]])
    if len(model.files) > 50:
        out.print(f"... and {len(model.files) - 50} more files (--json lists them all)")


@model_app.command("check")
def model_check(names: Annotated[list[str] | None, typer.Argument(
                    help="Models to check (default: all)")] = None,
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Hash every file of the models again; exit 4 naming each file that changed."""
    from twinstudio.services.models import check_models

    results = check_models(context(workspace), names or None)
    if as_json:
        print_json([r.as_dict() for r in results])
    else:
        for r in results:
            if r.ok:
                out.print(f"[green]ok[/green] {r.name}")
            else:
                what = r.error or ", ".join(str(c) for c in r.changes)
                err.print(f"[red]changed[/red] {r.name}: {what}", markup=True)
    if any(not r.ok for r in results):
        raise typer.Exit(4)


@model_app.command("remove")
def model_remove(name: ModelArg, workspace: Workspace = DEFAULT_WS) -> None:
    """Remove a model from the registry (its files stay where they are)."""
    from twinstudio.services.models import remove_model

    remove_model(context(workspace), name, actor="operator")
    out.print(f"model {name} removed from the registry")
