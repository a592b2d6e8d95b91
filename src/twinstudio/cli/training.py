"""Twin training: ``twin train`` (a per-twin LoRA with a progress bar, resumable),
``twin adapters``, ``twin adapter export|delete``, ``consent withdraw-training`` and the
``trainer run`` worker that trains what the API and the portal queued."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    TwinTyper,
    Workspace,
    context,
    group,
    out,
    print_json,
    print_list,
    print_result,
    writable_path,
)
from twinstudio.cli.rights import consent_app
from twinstudio.cli.twins import TwinArg, twin_app

adapter_app = TwinTyper(help="The twin's LoRA versions: list, export (signed), delete.")
twin_app.add_typer(adapter_app, name="adapter")
trainer_app = group("trainer", "Training worker: trains the twin LoRAs that the API and "
                               "the portal queued.")
AdapterArg = Annotated[str, typer.Argument(help="Adapter id")]


def _actor() -> str:
    return os.environ.get("USER") or "cli"


class _StopOnSignal:
    """Ctrl-C asks the trainer to checkpoint and stop (a second one aborts at once)."""

    def __init__(self) -> None:
        self.asked = threading.Event()

    def __call__(self) -> bool:
        return self.asked.is_set()


def _train_with_bar(ctx: Any, job_id: str | None, *, worker_id: str, total: int,
                    as_json: bool) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from twinstudio.services.training import run_training

    stop = _StopOnSignal()

    def run(on_step: Any) -> Any:
        while True:
            try:
                return run_training(ctx, job_id, worker_id=worker_id, on_step=on_step,
                                    should_stop=stop)
            except KeyboardInterrupt:
                if stop.asked.is_set():
                    raise
                stop.asked.set()  # the next step checkpoints and stops

    if as_json:
        return run(None)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), "loss {task.fields[loss]}", TimeElapsedColumn(),
                  TimeRemainingColumn(), console=out) as bar:
        task = bar.add_task(job_id or "training", total=total, loss="-")

        def show(report: Any) -> None:
            bar.update(task, completed=report.step, total=report.total,
                       loss=f"{report.loss:.4f}")

        return run(show)


def _print_run(result: Any, workspace: Path) -> None:
    if result is None:
        out.print("nothing to train")
        return
    if result.state == "succeeded":
        out.print(f"training {result.job_id}: adapter {result.adapter_id} stored (encrypted "
                  f"with the twin's key); loss {result.losses[0]:.4f} -> "
                  f"{result.losses[-1]:.4f}" if result.losses else
                  f"training {result.job_id}: adapter {result.adapter_id} stored")
    elif result.state == "queued":
        out.print(f"[yellow]stopped[/yellow] at step {result.step} (checkpoint kept); resume: "
                  f"twinstudio twin train --job {result.job_id} --workspace {workspace}")
    else:
        reasons = "; ".join(r["message"] for r in result.reasons) or result.error or ""
        out.print(f"training {result.job_id}: {result.state} {reasons}", markup=False)


@twin_app.command("train")
def twin_train(twin_id: Annotated[str | None, typer.Argument(help="Twin id")] = None,
               base: Annotated[str | None, typer.Option(
                   help="A registered base model (SDXL or FLUX.2 klein)")] = None,
               steps: Annotated[int, typer.Option(min=1, max=20_000)] = 500,
               rank: Annotated[int, typer.Option(min=1, max=256)] = 16,
               learning_rate: Annotated[float, typer.Option(min=1e-8, max=1e-2)] = 1e-4,
               resolution: Annotated[int, typer.Option(min=64, max=2048)] = 1024,
               checkpoint_every: Annotated[int, typer.Option(min=1)] = 50,
               seed: Annotated[int, typer.Option(min=0)] = 0,
               job: Annotated[str | None, typer.Option(
                   help="Resume this training job from its last checkpoint")] = None,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Train the twin's LoRA from its capture photos (consent to train and a release).

    A checkpoint every --checkpoint-every steps; Ctrl-C checkpoints and stops; --job JOB
    resumes from the last checkpoint."""
    from twinstudio.domain.errors import InvalidInput
    from twinstudio.domain.training import TrainingParams
    from twinstudio.services.training import get_job, request_training

    ctx = context(workspace)
    if job is None:
        if twin_id is None or base is None:
            raise InvalidInput("give TWIN and --base MODEL (or --job JOB to resume)")
        params = TrainingParams(steps=steps, rank=rank, learning_rate=learning_rate,
                                resolution=resolution, checkpoint_every=checkpoint_every,
                                seed=seed)
        queued = request_training(ctx, twin_id, base_model=base, params=params,
                                  actor=_actor())
        job = queued.id
        if not as_json:
            out.print(f"training {job} of twin {twin_id} on {base}: {steps} steps, rank "
                      f"{rank}, {resolution} px")
    total = get_job(ctx, job).params.steps
    result = _train_with_bar(ctx, job, worker_id=f"cli-{os.getpid()}", total=total,
                             as_json=as_json)
    if as_json:
        print_json(None if result is None else result.__dict__)
    else:
        _print_run(result, workspace)
    if result is not None and result.state == "queued":
        raise typer.Exit(130)
    if result is not None and result.state not in ("succeeded",):
        raise typer.Exit(3)


@twin_app.command("trainings")
def twin_trainings(twin_id: TwinArg, workspace: Workspace = DEFAULT_WS,
                   as_json: JsonFlag = False) -> None:
    """The twin's training jobs."""
    from twinstudio.services.training import list_jobs

    print_list(list_jobs(context(workspace), twin_id), as_json=as_json,
               columns=("job", "base model", "state", "step", "loss", "adapter"),
               row=lambda j: (j.id, j.base_model, j.state.value,
                              f"{j.step}/{j.params.steps}",
                              "-" if j.last_loss is None else f"{j.last_loss:.4f}",
                              j.adapter_id or "-"),
               json_of=lambda j: j.model_dump(mode="json"))


@twin_app.command("adapters")
def twin_adapters(twin_id: TwinArg, workspace: Workspace = DEFAULT_WS,
                  as_json: JsonFlag = False) -> None:
    """The twin's LoRA versions (base model, steps, date, hash), ended ones too."""
    from twinstudio.services.adapters import list_adapters

    print_list(list_adapters(context(workspace), twin_id), as_json=as_json,
               columns=("adapter", "base model", "version", "steps", "state", "created",
                        "sha256"),
               row=lambda a: (a.id, a.base_model, a.version, a.params.steps, a.state.value,
                              a.created_at.date().isoformat(), a.sha256),
               json_of=lambda a: a.model_dump(mode="json"))


@adapter_app.command("export")
def adapter_export(adapter_id: AdapterArg,
                   output: Annotated[Path, typer.Option("--output", "-o",
                                                        help="ZIP file to write")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Write the adapter (decrypted) with a manifest signed by the talent's key."""
    from twinstudio.fileio import atomic_write
    from twinstudio.services.adapters import export_adapter

    writable_path(output)
    exported = export_adapter(context(workspace), adapter_id, actor=_actor())
    atomic_write(output, exported.data, private=True)
    print_result({"file": str(output), "manifest": exported.manifest},
                 f"wrote {output}: weights {exported.manifest['weights_sha256']}, owner "
                 f"{exported.manifest['owner']}", as_json=as_json, markup=False)


@adapter_app.command("verify")
def adapter_verify(file: Annotated[Path, typer.Argument(help="An exported adapter ZIP")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Check an exported adapter's weights, manifest and signature."""
    from twinstudio.services.adapters import verify_export

    manifest = verify_export(context(workspace), file.read_bytes())
    print_result(manifest, f"{file}: genuine; adapter {manifest['adapter_id']} of "
                           f"{manifest['owner']}", as_json=as_json, markup=False)


@adapter_app.command("delete")
def adapter_delete(adapter_id: AdapterArg,
                   reason: Annotated[str, typer.Option(help="Why (audited)")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Erase one version's weights."""
    from twinstudio.services.adapters import delete_adapter

    ended = delete_adapter(context(workspace), adapter_id, reason=reason,
                           actor=_actor())
    print_result(ended.model_dump(mode="json"), f"adapter {ended.id}: deleted",
                 as_json=as_json)


@consent_app.command("withdraw-training")
def consent_withdraw_training(consent_id: Annotated[str, typer.Argument(help="Consent id")],
                              reason: Annotated[str, typer.Option(help="Why (audited)")],
                              workspace: Workspace = DEFAULT_WS,
                              as_json: JsonFlag = False) -> None:
    """Withdraw the consent to train (the rest stays): every adapter is destroyed."""
    from twinstudio.services.adapters import withdraw_training

    destroyed = withdraw_training(context(workspace), consent_id, reason=reason,
                                  actor=_actor())
    print_result({"consent_id": consent_id, "destroyed_adapters": destroyed},
                 f"consent {consent_id}: training withdrawn; {len(destroyed)} adapter(s) "
                 "destroyed", as_json=as_json)


@trainer_app.command("run")
def trainer_run(once: Annotated[bool, typer.Option(
                    help="Train what is queued now, then stop")] = False,
                poll: Annotated[float, typer.Option(min=0.1, max=3600)] = 5.0,
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Train queued jobs one after another (Ctrl-C checkpoints and stops).

    Jobs whose worker died are taken again once their lease ran out."""
    ctx = context(workspace)
    worker = f"trainer-{os.getpid()}"
    while True:
        result = _train_with_bar(ctx, None, worker_id=worker, total=0, as_json=as_json)
        if result is not None:
            if as_json:
                print_json(result.__dict__)
            else:
                _print_run(result, workspace)
            if result.state == "queued":
                raise typer.Exit(130)
            continue
        if once:
            return
        time.sleep(poll)
