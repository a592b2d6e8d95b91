"""Assets and their life cycle (mark, rendition, list, withdraw, approve, reject, publish,
edit, show, export) and ``verify``: is any image one of ours?"""

from pathlib import Path
from typing import Annotated

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Why,
    Workspace,
    app,
    context,
    group,
    out,
    parse_day,
    print_json,
    print_list,
    print_result,
    read_image_file,
    writable_path,
)
from twinstudio.fileio import atomic_write

asset_app = group("asset", "Assets: images of twins, marked with provenance.")

AssetArg = Annotated[str, typer.Argument(help="Asset id")]
Channel = Annotated[str, typer.Option(help="Channel of publication")]
PublicationDay = Annotated[str | None, typer.Option(
    "--date", help="Publication date (default today)")]


@asset_app.command("mark")
def asset_mark(
    licence: Annotated[str, typer.Option(help="Licence id the image is made under")],
    image: Annotated[Path, typer.Option(help="The image (JPEG, PNG or WebP)")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the marked image")],
    source: Annotated[str, typer.Option(help="studio | diffusion | composite (sets the IPTC "
                                             "digital source type)")],
    alteration: Annotated[list[str] | None, typer.Option(
        help="An alteration applied (repeatable)")] = None,
    retouched: Annotated[bool, typer.Option(help="Body shape was retouched")] = False,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Register an image as an asset and mark it: watermark, fingerprints, C2PA manifest.
    It then waits for the talent's approval when the licence requires it."""
    from twinstudio.services.assets import register_asset

    data = read_image_file(image)
    writable_path(out_path)
    result = register_asset(context(workspace), licence_id=licence, image=data, source=source,
                            alterations=alteration or [], retouched=retouched,
                            actor="operator")
    atomic_write(out_path, result.image)
    state = result.asset.state.value
    summary = {"asset_id": result.asset.id, "state": state, "code": f"{result.code:08x}",
               "twin_id": result.asset.twin_id, "licence_id": result.asset.licence_id,
               "mime": result.mime, "blob_sha256": result.blob_sha256, "out": str(out_path),
               "timings_ms": {k: round(v, 1) for k, v in result.timings_ms.items()}}
    print_result(summary, f"asset {result.asset.id} marked (code {summary['code']}), "
                 f"{state.replace('_', ' ')}; wrote {out_path}", as_json=as_json)


@asset_app.command("rendition")
def asset_rendition(
    asset_id: AssetArg,
    channel: Channel,
    territory: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 territory")],
    category: Annotated[str, typer.Option(help="Product category shown")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the rendition")],
    day: PublicationDay = None,
    always_label: Annotated[bool, typer.Option(help="Label as AI-generated everywhere")]
    = False,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """The rendition to publish: policy-checked, disclosure labels rendered in, signed with
    the master as ingredient."""
    from twinstudio.services.provenance import publication_rendition

    ctx = context(workspace)
    when = parse_day(day, ctx.today())
    writable_path(out_path)
    result = publication_rendition(ctx, asset_id, channel=channel, territory=territory,
                                   day=when, product_category=category,
                                   always_label=always_label, actor="operator")
    atomic_write(out_path, result.image)
    print_result({"asset_id": asset_id, "labels": result.labels, "out": str(out_path),
                  "blob_sha256": result.blob_sha256},
                 f"rendition of {asset_id} for {channel}/{territory}: labels "
                 f"{result.labels or 'none'}; wrote {out_path}", as_json=as_json)


@asset_app.command("list")
def asset_list(licence: Annotated[str | None, typer.Option(help="Only this licence")] = None,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List assets."""
    from twinstudio.services.assets import list_assets

    print_list(list_assets(context(workspace), licence_id=licence), as_json=as_json,
               columns=("asset", "twin", "licence", "state", "source", "created"),
               row=lambda a: (a.id, a.twin_id, a.licence_id, a.state.value, a.source,
                              a.created_at.strftime("%Y-%m-%d %H:%M")))


@asset_app.command("withdraw")
def asset_withdraw(asset_id: AssetArg, reason: Why = "withdrawn",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Withdraw an asset: from now on it verifies as 'withdrawn'."""
    from twinstudio.domain.asset import AssetState
    from twinstudio.services.provenance import set_asset_state

    asset = set_asset_state(context(workspace), asset_id, AssetState.WITHDRAWN, reason=reason,
                            actor="operator")
    print_result(asset.model_dump(mode="json"), f"asset {asset_id} withdrawn", as_json=as_json)


@app.command()
def verify(file: Annotated[Path, typer.Argument(help="Any image file")],
           workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Is this image one of ours, whose twin, which licence, is it still valid?"""
    from twinstudio.services.verification import verify_image

    result = verify_image(context(workspace), read_image_file(file))
    if as_json:
        print_json(result.as_dict())
        return
    colour = {"licensed": "green", "unknown": "yellow",
              "not_approved": "yellow"}.get(result.verdict, "red")
    out.print(f"[{colour}]{result.verdict}[/{colour}]: {result.explanation}")
    for key, value in (("asset_id", result.asset_id), ("asset_state", result.asset_state),
                       ("twin_id", result.twin_id), ("licence_id", result.licence_id)):
        if value:
            out.print(f"  {key}: {value}")
    c2pa, mark = result.signals.c2pa, result.signals.watermark
    out.print(f"  c2pa: present={c2pa.present} valid={c2pa.valid} trusted={c2pa.trusted}",
              markup=False)
    out.print(f"  watermark: {mark.confidence} ({mark.variant or 'not found'})", markup=False)
    out.print(f"  fingerprint: {result.signals.fingerprint.method or 'no match'}",
              markup=False)
    out.print(f"  face: {result.signals.face.summary}", markup=False)


@asset_app.command("approve")
def asset_approve(asset_id: AssetArg,
                  by: Annotated[str, typer.Option(help="Talent or agency id approving")],
                  workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Approve a pending asset (the talent or their agency)."""
    from twinstudio.services.assets import approve_asset

    asset = approve_asset(context(workspace), asset_id, party_id=by, actor=by)
    print_result(asset.model_dump(mode="json"), f"asset {asset_id} approved by {by}",
                 as_json=as_json)


@asset_app.command("reject")
def asset_reject(asset_id: AssetArg,
                 by: Annotated[str, typer.Option(help="Talent or agency id rejecting")],
                 reason: Why,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Reject a pending asset (the talent or their agency)."""
    from twinstudio.services.assets import reject_asset

    asset = reject_asset(context(workspace), asset_id, party_id=by, reason=reason, actor=by)
    print_result(asset.model_dump(mode="json"), f"asset {asset_id} rejected: {reason}",
                 as_json=as_json)


@asset_app.command("publish")
def asset_publish(asset_id: AssetArg, channel: Channel,
                  territory: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2")],
                  day: PublicationDay = None,
                  out_path: Annotated[Path | None, typer.Option(
                      "--out", help="Also write the rendition here")] = None,
                  workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Publish an approved asset: the policy decides again; the rendition carries the
    disclosure labels and a signed manifest; the publication fee is posted."""
    from twinstudio.services.assets import publish_asset

    ctx = context(workspace)
    when = parse_day(day, ctx.today())
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
    print_result(summary, f"asset {asset_id} published on {channel} in {territory} ({when}); "
                 f"labels: {', '.join(result.labels) or 'none'}", as_json=as_json)


@asset_app.command("edit")
def asset_edit(asset_id: AssetArg,
               image: Annotated[Path, typer.Option(help="The edited image")],
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Register a retouched version. A body change is refused unless the licence permits
    body_shape (then the version is labelled 'photographie retouchée' in France)."""
    from twinstudio.bootstrap import quality_tools
    from twinstudio.services.assets import edit_asset

    data = read_image_file(image)
    quality = quality_tools()
    result = edit_asset(context(workspace), asset_id, image=data, quality=quality,
                        actor="operator")
    if as_json:
        print_json({"asset": result.asset.model_dump(mode="json"),
                    "body_changed": result.body_changed, "body": result.body.as_dict(),
                    "identity": result.identity.as_dict()})
        return
    change = "body changed (body_shape, retouched)" if result.body_changed else "body unchanged"
    out.print(f"edit of {asset_id} registered as {result.asset.id}: {change}; pending approval")


@asset_app.command("show")
def asset_show(asset_id: AssetArg,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """An asset with its QA gates and publications."""
    from twinstudio.services.assets import asset_details

    details = asset_details(context(workspace), asset_id)
    asset, qa = details.asset, details.qa
    if as_json:
        print_json(details.as_dict())
        return
    out.print(f"asset {asset.id}: {asset.state.value}"
              + (f" ({asset.state_reason})" if asset.state_reason else ""))
    out.print(f"  twin {asset.twin_id}, licence {asset.licence_id}, source {asset.source}, "
              f"alterations {asset.alterations or 'none'}, retouched {asset.retouched}")
    if qa:
        identity = qa.identity.distance if qa.identity.distance is not None \
            else qa.identity.reason
        out.print(f"  QA: {'passed' if qa.passed else 'failed'}; identity {identity}; body "
                  f"{'ok' if qa.body.passed else qa.body.reason}")
    for p in details.publications:
        out.print(f"  published {p['channel']}/{p['territory']} {p['published_on']} labels "
                  f"{p['labels']}" + (" TAKEDOWN REQUESTED" if p["takedown_requested_at"]
                                      else ""))


@asset_app.command("export")
def asset_export(asset_id: AssetArg,
                 out_path: Annotated[Path, typer.Option("--out", help="File to write")],
                 workspace: Workspace = DEFAULT_WS) -> None:
    """Write the asset's signed master image to a file."""
    from twinstudio.services.assets import asset_master

    ctx = context(workspace)
    writable_path(out_path)
    atomic_write(out_path, asset_master(ctx, asset_id))
    out.print(f"wrote {out_path}")
