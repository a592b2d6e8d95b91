"""The garment catalogue and campaigns (plan, run, status, list)."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    BrandId,
    JsonFlag,
    OnlyBrand,
    Workspace,
    context,
    group,
    out,
    print_json,
    print_list,
    print_result,
    read_image_file,
    validate_document,
)
from twinstudio.domain.errors import InvalidInput

if TYPE_CHECKING:
    from twinstudio.services.campaigns import CampaignStatusResult

garment_app = group("garment", "The brand's garment catalogue.")
campaign_app = group("campaign", "Campaigns: briefs expanded into rights-checked images.")

CampaignArg = Annotated[str, typer.Argument(help="Campaign id")]


MAX_BRIEF_BYTES = 1024 * 1024


@garment_app.command("add")
def garment_add(
    brand: BrandId,
    category: Annotated[str, typer.Option(help="tee, long_sleeve_top, tank, shirt, dress, "
                                               "skirt, trousers, shorts, jacket, coat")],
    name: Annotated[str, typer.Option(help="Name in the catalogue (unique per brand)")],
    fabric_color: Annotated[str | None, typer.Option(
        help="Base colour, e.g. '#aa3344' (default: measured in --image)")] = None,
    fit: Annotated[str, typer.Option(help="slim, regular or loose")] = "regular",
    length: Annotated[str, typer.Option(help="cropped, regular or long")] = "regular",
    colorways: Annotated[str | None, typer.Option(
        help="Other colours, comma-separated ('#112233,#445566')")] = None,
    pattern: Annotated[Path | None, typer.Option(help="A tiling pattern image")] = None,
    pattern_size_cm: Annotated[float, typer.Option(help="Pattern repeat in cm")] = 12.0,
    image: Annotated[Path | None, typer.Option(
        help="Product image (packshot: the garment on a plain background)")] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Add a garment to a brand's catalogue. Without --fabric-color the base colour is the
    garment's dominant colour in --image."""
    from twinstudio.services.garments import add_garment

    data = read_image_file(pattern) if pattern else None
    packshot = read_image_file(image) if image else None
    garment = add_garment(context(workspace), brand_id=brand, name=name, category=category,
                          fabric_color=fabric_color, fit=fit, length=length,
                          colorways=[c.strip() for c in colorways.split(",") if c.strip()]
                          if colorways else [], pattern=data,
                          pattern_size_cm=pattern_size_cm, image=packshot, actor=brand)
    measured = " from the image" if garment.fabric.colour_source == "image" else ""
    print_result(garment.model_dump(mode="json"), f"garment {garment.id} added: {garment.name} "
                 f"({garment.category.value}, {garment.product_category}), colour "
                 f"{garment.fabric.base_color}{measured}", as_json=as_json)


@garment_app.command("list")
def garment_list(brand: OnlyBrand = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List garments."""
    from twinstudio.services.garments import list_garments

    print_list(list_garments(context(workspace), brand_id=brand), as_json=as_json,
               columns=("garment", "brand", "name", "category", "fit", "colours", "image"),
               row=lambda g: (g.id, g.brand_id or "", g.name, g.category.value, g.fit.value,
                              " ".join(g.colours()), "yes" if g.image_sha256 else ""))


# ------------------------------------------------------------------------ campaigns


def load_brief(path: Path) -> Any:
    """A brief from YAML (.yaml/.yml) or JSON; every problem is one InvalidInput line."""
    import yaml

    from twinstudio.domain.generation import CampaignBrief
    from twinstudio.fileio import read_bounded

    raw = read_bounded(path, MAX_BRIEF_BYTES, what="a brief")
    try:
        text = raw.decode("utf-8")
        data = (yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml")
                else json.loads(text))
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    except (yaml.YAMLError, json.JSONDecodeError, RecursionError) as error:
        first = str(error).splitlines()[0]
        raise InvalidInput(f"{path}: cannot parse: {first}") from None
    return validate_document(path, data, CampaignBrief, expected="a mapping at the top")


@campaign_app.command("create")
def campaign_create(brand: BrandId,
                    brief: Annotated[Path, typer.Option(help="Brief file (YAML or JSON)")],
                    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Plan a campaign: every variant is decided by the policy; allowed ones are queued,
    refused ones are recorded with their reasons and never rendered."""
    from twinstudio.services.campaigns import create_campaign

    plan = create_campaign(context(workspace), brand_id=brand, brief=load_brief(brief),
                           actor=brand)
    if as_json:
        print_json(plan.as_dict())
        return
    out.print(f"campaign {plan.campaign.id} ({plan.campaign.name}): {plan.variants} "
              f"variants: {plan.queued} queued, {plan.already_queued} already queued, "
              f"{len(plan.refused)} refused, {plan.beyond_cap} beyond max_assets")
    for code, count in sorted(plan.refusal_codes().items()):
        out.print(f"  refused {count} x {code}")
    if plan.queued:
        out.print(f"run it: twinstudio campaign run {plan.campaign.id} --workspace {workspace}")


@campaign_app.command("run")
def campaign_run(campaign_id: CampaignArg,
                 workers: Annotated[int | None, typer.Option(
                     min=1, max=64, help="Worker processes (default: cores)")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Run the campaign's queued jobs with a progress bar. Ctrl-C stops cleanly (running
    jobs are given back); run again to resume."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from twinstudio.bootstrap import local_executor
    from twinstudio.config import Settings

    ctx = context(workspace)
    executor = local_executor(Settings(workspace=workspace), workers=workers)
    if as_json:
        status = executor.run(ctx, campaign_id)
        print_json(status.as_dict())
        return
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=out) as bar:
        task = bar.add_task(f"{campaign_id} ({executor.workers} workers)", total=None)

        def show(status: "CampaignStatusResult") -> None:
            bar.update(task, total=status.total, completed=status.ended,
                       description=f"{campaign_id}: {status.jobs['running']} running, "
                                   f"{status.assets.get('qa_failed', 0)} QA failed")

        try:
            status = executor.run(ctx, campaign_id, progress=show)
        except KeyboardInterrupt:
            out.print("[yellow]stopped[/yellow]: running jobs were given back; run the same "
                      "command to resume")
            raise typer.Exit(130) from None
    _print_status(status)


def _print_status(status: "CampaignStatusResult") -> None:
    out.print(f"campaign {status.campaign_id} ({status.name}): "
              + ", ".join(f"{k} {v}" for k, v in status.jobs.items()) + f"; refused variants "
              f"{status.refused}")
    if status.assets:
        out.print("assets: " + ", ".join(f"{k} {v}" for k, v in sorted(status.assets.items())))
    for failure in status.failures[:10]:
        out.print(f"  failed {failure.job_id}: {failure.error}")


@campaign_app.command("status")
def campaign_status_cmd(campaign_id: CampaignArg,
                        workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Job counts, asset states and refusals of a campaign."""
    from twinstudio.services.campaigns import campaign_status

    status = campaign_status(context(workspace), campaign_id)
    if as_json:
        print_json(status.as_dict())
        return
    _print_status(status)


@campaign_app.command("list")
def campaign_list(brand: OnlyBrand = None,
                  workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List campaigns."""
    from twinstudio.services.campaigns import list_campaigns

    print_list(list_campaigns(context(workspace), brand_id=brand), as_json=as_json,
               columns=("campaign", "brand", "name", "jobs"),
               row=lambda s: (s.campaign.id, s.campaign.brand_id, s.campaign.name,
                              " ".join(f"{k}:{v}" for k, v in sorted(s.jobs.items()))),
               json_of=lambda s: s.as_dict())
