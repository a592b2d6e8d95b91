"""CLI commands of generation: the garment catalogue, campaigns (plan, run, status), the
asset life cycle (approve, reject, publish, edit, show, export) and body twins. Registered
on the main app by ``cli.py``; same conventions (exit codes 2/3/4, ``--json``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from twinstudio.cli import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    _print_json,
    _read_image_file,
    _validation_line,
    app,
    asset_app,
    context,
    handled,
    out,
    twin_app,
    writable_path,
)
from twinstudio.domain.errors import InvalidInput
from twinstudio.fileio import atomic_write

garment_app = typer.Typer(help="The brand's garment catalogue.", no_args_is_help=True)
campaign_app = typer.Typer(help="Campaigns: briefs expanded into rights-checked images.",
                           no_args_is_help=True)

MAX_BRIEF_BYTES = 1_000_000


def _parse_day(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"--date {value!r} is not a date such as 2026-12-01") from None


# ------------------------------------------------------------------------- garments


@garment_app.command("add")
@handled
def garment_add(
    brand: Annotated[str, typer.Option(help="Brand id")],
    category: Annotated[str, typer.Option(help="tee, long_sleeve_top, tank, shirt, dress, "
                                               "skirt, trousers, shorts, jacket, coat")],
    name: Annotated[str, typer.Option(help="Name in the catalogue (unique per brand)")],
    fabric_color: Annotated[str, typer.Option(help="Base colour, e.g. '#aa3344'")],
    fit: Annotated[str, typer.Option(help="slim, regular or loose")] = "regular",
    length: Annotated[str, typer.Option(help="cropped, regular or long")] = "regular",
    colorways: Annotated[str | None, typer.Option(
        help="Other colours, comma-separated ('#112233,#445566')")] = None,
    pattern: Annotated[Path | None, typer.Option(help="A tiling pattern image")] = None,
    pattern_size_cm: Annotated[float, typer.Option(help="Pattern repeat in cm")] = 12.0,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Add a garment to a brand's catalogue."""
    from twinstudio.services.garments import add_garment

    data = _read_image_file(pattern) if pattern else None
    garment = add_garment(context(workspace), brand_id=brand, name=name, category=category,
                          fabric_color=fabric_color, fit=fit, length=length,
                          colorways=[c.strip() for c in colorways.split(",") if c.strip()]
                          if colorways else [], pattern=data,
                          pattern_size_cm=pattern_size_cm, actor=brand)
    if as_json:
        _print_json(garment.model_dump(mode="json"))
        return
    out.print(f"garment {garment.id} added: {garment.name} ({garment.category.value}, "
              f"{garment.product_category})")


@garment_app.command("list")
@handled
def garment_list(brand: Annotated[str | None, typer.Option(help="Only this brand")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List garments."""
    from twinstudio.services.garments import list_garments

    garments = list_garments(context(workspace), brand_id=brand)
    if as_json:
        _print_json([g.model_dump(mode="json") for g in garments])
        return
    table = Table("garment", "brand", "name", "category", "fit", "colours")
    for g in garments:
        table.add_row(g.id, g.brand_id or "", g.name, g.category.value, g.fit.value,
                      " ".join(g.colours()))
    out.print(table)


# ------------------------------------------------------------------------ campaigns


def load_brief(path: Path) -> Any:
    """A brief from YAML (.yaml/.yml) or JSON; every problem is one InvalidInput line."""
    import yaml

    from twinstudio.domain.generation import CampaignBrief

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    if len(raw) > MAX_BRIEF_BYTES:
        raise InvalidInput(f"{path}: larger than 1 MB; not a brief")
    try:
        text = raw.decode("utf-8")
        data = (yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml")
                else json.loads(text))
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    except (yaml.YAMLError, json.JSONDecodeError, RecursionError) as error:
        first = str(error).splitlines()[0]
        raise InvalidInput(f"{path}: cannot parse: {first}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a mapping at the top, got {type(data).__name__}")
    try:
        return CampaignBrief.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(_validation_line(str(path), error)) from None


@campaign_app.command("create")
@handled
def campaign_create(brand: Annotated[str, typer.Option(help="Brand id")],
                    brief: Annotated[Path, typer.Option(help="Brief file (YAML or JSON)")],
                    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Plan a campaign: every variant is decided by the policy; allowed ones are queued,
    refused ones are recorded with their reasons and never rendered."""
    from twinstudio.services.campaigns import create_campaign

    plan = create_campaign(context(workspace), brand_id=brand, brief=load_brief(brief),
                           actor=brand)
    if as_json:
        _print_json(plan.as_dict())
        return
    out.print(f"campaign {plan.campaign.id} ({plan.campaign.name}): {plan.queued} queued, "
              f"{len(plan.refused)} refused, {plan.beyond_cap} beyond max_assets")
    codes: dict[str, int] = {}
    for refusal in plan.refused:
        for reason in refusal["reasons"]:
            codes[reason["code"]] = codes.get(reason["code"], 0) + 1
    for code, count in sorted(codes.items()):
        out.print(f"  refused {count} x {code}")
    if plan.queued:
        out.print(f"run it: twinstudio campaign run {plan.campaign.id} --workspace {workspace}")


@campaign_app.command("run")
@handled
def campaign_run(campaign_id: Annotated[str, typer.Argument(help="Campaign id")],
                 workers: Annotated[int | None, typer.Option(
                     min=1, max=64, help="Worker processes (default: cores)")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Run the campaign's queued jobs with a progress bar. Ctrl-C stops cleanly (running
    jobs are given back); run again to resume."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from twinstudio.config import Settings
    from twinstudio.jobs.local import LocalExecutor

    ctx = context(workspace)
    executor = LocalExecutor(Settings(workspace=workspace), workers=workers)
    if as_json:
        status = executor.run(ctx, campaign_id)
        _print_json(status)
        return
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=out) as bar:
        task = bar.add_task(f"{campaign_id} ({executor.workers} workers)", total=None)

        def show(status: dict[str, Any]) -> None:
            jobs = status["jobs"]
            finished = jobs["succeeded"] + jobs["failed"] + jobs["cancelled"]
            bar.update(task, total=status["total"], completed=finished,
                       description=f"{campaign_id}: {jobs['running']} running, "
                                   f"{status['assets'].get('qa_failed', 0)} QA failed")

        try:
            status = executor.run(ctx, campaign_id, progress=show)
        except KeyboardInterrupt:
            out.print("[yellow]stopped[/yellow]: running jobs were given back; run the same "
                      "command to resume")
            raise typer.Exit(130) from None
    _print_status(status)


def _print_status(status: dict[str, Any]) -> None:
    jobs = status["jobs"]
    out.print(f"campaign {status['campaign_id']} ({status['name']}): "
              + ", ".join(f"{k} {v}" for k, v in jobs.items()) + f"; refused variants "
              f"{status['refused']}")
    if status["assets"]:
        out.print("assets: " + ", ".join(f"{k} {v}" for k, v in sorted(status["assets"].items())))
    for failure in status["failures"][:10]:
        out.print(f"  failed {failure['job_id']}: {failure['error']}")


@campaign_app.command("status")
@handled
def campaign_status_cmd(campaign_id: Annotated[str, typer.Argument(help="Campaign id")],
                        workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Job counts, asset states and refusals of a campaign."""
    from twinstudio.services.campaigns import campaign_status

    status = campaign_status(context(workspace), campaign_id)
    if as_json:
        _print_json(status)
        return
    _print_status(status)


@campaign_app.command("list")
@handled
def campaign_list(brand: Annotated[str | None, typer.Option(help="Only this brand")] = None,
                  workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List campaigns."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        campaigns = uow.campaigns.list(brand_id=brand)
        counts = {c.id: uow.jobs.counts(c.id) for c in campaigns}
    if as_json:
        _print_json([{"id": c.id, "brand_id": c.brand_id, "name": c.name,
                      "created_at": c.created_at.isoformat(), "jobs": counts[c.id]}
                     for c in campaigns])
        return
    table = Table("campaign", "brand", "name", "jobs")
    for c in campaigns:
        table.add_row(c.id, c.brand_id, c.name,
                      " ".join(f"{k}:{v}" for k, v in sorted(counts[c.id].items())))
    out.print(table)


# ---------------------------------------------------------------------------- assets


def asset_approve(asset_id: Annotated[str, typer.Argument(help="Asset id")],
                  by: Annotated[str, typer.Option(help="Talent or agency id approving")],
                  workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Approve a pending asset (the talent or their agency)."""
    from twinstudio.services.assets import approve_asset

    asset = approve_asset(context(workspace), asset_id, party_id=by, actor=by)
    if as_json:
        _print_json(asset.model_dump(mode="json"))
        return
    out.print(f"asset {asset_id} approved by {by}")


def asset_reject(asset_id: Annotated[str, typer.Argument(help="Asset id")],
                 by: Annotated[str, typer.Option(help="Talent or agency id rejecting")],
                 reason: Annotated[str, typer.Option(help="Why")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Reject a pending asset (the talent or their agency)."""
    from twinstudio.services.assets import reject_asset

    asset = reject_asset(context(workspace), asset_id, party_id=by, reason=reason, actor=by)
    if as_json:
        _print_json(asset.model_dump(mode="json"))
        return
    out.print(f"asset {asset_id} rejected: {reason}")


def asset_publish(asset_id: Annotated[str, typer.Argument(help="Asset id")],
                  channel: Annotated[str, typer.Option(help="Channel of publication")],
                  territory: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2")],
                  day: Annotated[str | None, typer.Option("--date", help="Publication date "
                                                                         "(default today)")]
                  = None,
                  out_path: Annotated[Path | None, typer.Option(
                      "--out", help="Also write the rendition here")] = None,
                  workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Publish an approved asset: the policy decides again; the rendition carries the
    disclosure labels and a signed manifest; the publication fee is posted."""
    from twinstudio.services.assets import publish_asset

    ctx = context(workspace)
    when = _parse_day(day, ctx.today())
    if out_path:
        writable_path(out_path)
    result = publish_asset(ctx, asset_id, channel=channel, territory=territory, day=when,
                           actor="operator")
    if out_path:
        atomic_write(out_path, result.image)
    summary = {"asset_id": asset_id, "publication_id": result.publication_id,
               "channel": channel, "territory": territory, "date": when.isoformat(),
               "labels": result.labels, "rendition_sha256": result.rendition_sha256,
               "out": str(out_path) if out_path else None}
    if as_json:
        _print_json(summary)
        return
    out.print(f"asset {asset_id} published on {channel} in {territory} ({when}); labels: "
              f"{', '.join(result.labels) or 'none'}")


def asset_edit(asset_id: Annotated[str, typer.Argument(help="Asset id")],
               image: Annotated[Path, typer.Option(help="The edited image")],
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Register a retouched version. A body change is refused unless the licence permits
    body_shape (then the version is labelled 'photographie retouchée' in France)."""
    from twinstudio.bootstrap import generation_components
    from twinstudio.services.assets import edit_asset

    data = _read_image_file(image)
    _, quality = generation_components()
    result = edit_asset(context(workspace), asset_id, image=data, quality=quality,
                        actor="operator")
    if as_json:
        _print_json({"asset": result.asset.model_dump(mode="json"),
                     "body_changed": result.body_changed, "body": result.body,
                     "identity": result.identity})
        return
    change = "body changed (body_shape, retouched)" if result.body_changed else "body unchanged"
    out.print(f"edit of {asset_id} registered as {result.asset.id}: {change}; pending approval")


def asset_show(asset_id: Annotated[str, typer.Argument(help="Asset id")],
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """An asset with its QA gates and publications."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        asset = uow.assets.get(asset_id)
        details = uow.asset_details.get(asset_id)
        publications = uow.asset_details.publications(asset_id)
        mark = uow.marks.get(asset_id)
    shown = {**asset.model_dump(mode="json"), "blob_sha256": mark.blob_sha256,
             "qa": details["qa"] if details else None,
             "request": details["reference"].get("request") if details else None,
             "publications": publications}
    if as_json:
        _print_json(shown)
        return
    out.print(f"asset {asset.id}: {asset.state.value}"
              + (f" ({asset.state_reason})" if asset.state_reason else ""))
    out.print(f"  twin {asset.twin_id}, licence {asset.licence_id}, source {asset.source}, "
              f"alterations {asset.alterations or 'none'}, retouched {asset.retouched}")
    if details:
        qa = details["qa"]
        out.print(f"  QA: {'passed' if qa['passed'] else 'failed'}; identity "
                  f"{qa['identity'].get('distance', qa['identity'].get('reason'))}; body "
                  f"{'ok' if qa['body']['passed'] else qa['body'].get('reason')}")
    for p in publications:
        out.print(f"  published {p['channel']}/{p['territory']} {p['published_on']} labels "
                  f"{p['labels']}" + (" TAKEDOWN REQUESTED" if p["takedown_requested_at"]
                                      else ""))


def asset_export(asset_id: Annotated[str, typer.Argument(help="Asset id")],
                 out_path: Annotated[Path, typer.Option("--out", help="File to write")],
                 workspace: Workspace = DEFAULT_WS) -> None:
    """Write the asset's signed master image to a file."""
    ctx = context(workspace)
    writable_path(out_path)
    with ctx.uow() as uow:
        mark = uow.marks.get(asset_id)
    assert ctx.blobs is not None
    atomic_write(out_path, ctx.blobs.get(mark.blob_sha256))
    out.print(f"wrote {out_path}")


# ------------------------------------------------------------------------ body twins


def twin_body(twin_id: Annotated[str, typer.Argument(help="Twin id")],
              profile: Annotated[Path, typer.Option(help="Body profile JSON: sex, age, "
                                                         "measurements, appearance")],
              workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Fit the twin's body twin to the talent's measurements and record it."""
    from twinstudio.body3d.fit import fit_body
    from twinstudio.cli import load_model
    from twinstudio.domain.body import BodyProfile
    from twinstudio.services.bodies import set_twin_body

    body = load_model(profile, BodyProfile)
    ctx = context(workspace)
    fitted = fit_body(body)
    fit = {"phenotypes": fitted.phenotypes, "local_changes": fitted.local_changes,
           "maps_seed": 0}
    set_twin_body(ctx, twin_id=twin_id, profile=body.model_dump(mode="json"), fit=fit,
                  actor="operator")
    if as_json:
        _print_json({"twin_id": twin_id, "fit": fitted.as_dict()})
        return
    worst = max(abs(float(r["error_mm"])) for r in fitted.rows) if fitted.rows else 0.0
    out.print(f"body twin of {twin_id} fitted in {fitted.seconds:.1f} s (worst measurement "
              f"{worst:.1f} mm off)")


def register(app: typer.Typer, asset_app: typer.Typer, twin_app: typer.Typer) -> None:
    """Add these commands to the main app (called once, when this module is imported)."""
    app.add_typer(garment_app, name="garment")
    app.add_typer(campaign_app, name="campaign")
    for name, func in (("approve", asset_approve), ("reject", asset_reject),
                       ("publish", asset_publish), ("edit", asset_edit), ("show", asset_show),
                       ("export", asset_export)):
        asset_app.command(name)(handled(func))
    twin_app.command("body")(handled(twin_body))


register(app, asset_app, twin_app)
