"""The demo's campaign: Nordvik's catalogue, a brief over every twin it licenses, the
policy deciding each variant, the local executor rendering the allowed ones with the
studio backend, the QA gates, the talents approving part of the output and Nordvik
publishing some of it; then a contact sheet of everything that was made."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from twinstudio.bootstrap import local_executor
from twinstudio.config import Settings
from twinstudio.demo.catalogue import add_catalogue, brief_looks
from twinstudio.demo.world import DemoWorld
from twinstudio.domain.asset import AssetState
from twinstudio.domain.garment import Garment
from twinstudio.domain.generation import CampaignBrief
from twinstudio.services.assets import approve_asset, publish_asset, reject_asset
from twinstudio.services.biometrics import enrolled_face_templates
from twinstudio.services.campaigns import CampaignStatusResult, campaign_status, create_campaign
from twinstudio.services.context import ServiceContext

CAMPAIGN_SIZE = 64

# what the executor reports as it goes: the campaign's status
Progress = Callable[[CampaignStatusResult], None]


class Executor(Protocol):
    """Runs a campaign's jobs (``bootstrap.local_executor``: worker processes)."""

    workers: int

    def run(self, ctx: ServiceContext, campaign_id: str, *,
            progress: Progress | None = None) -> CampaignStatusResult: ...


def nordvik_brief(garments: dict[str, Garment], size: int = CAMPAIGN_SIZE,
                  twins: list[str] | None = None) -> CampaignBrief:
    """Nordvik's AW26 brief over its catalogue (``demo.catalogue``): every look a full
    outfit, three poses, five formats, three segments, two markets."""
    return CampaignBrief.model_validate({
        "name": "Nordvik AW26 launch",
        "twins": twins or "all_licensed",
        "looks": brief_looks(garments),
        "poses": ["relaxed", "contrapposto", "hand_on_hip"],
        "formats": ["feed", "story", "square", "product_page", "banner"],
        "segments": [
            {"name": "nordic_winter", "scene": "gradient_frost", "season": "AW26",
             "lighting": "cool"},
            {"name": "city", "scene": "set_concrete", "season": "AW26", "lighting": "studio",
             "colourway": 1},
            {"name": "warm_home", "scene": "cyclorama_sand", "season": "AW26",
             "lighting": "golden"},
        ],
        "markets": [{"channel": "social", "territory": "SE"},
                    {"channel": "ecommerce", "territory": "FR"}],
        "max_assets": size,
        # twins vary fastest: a cap of 64 over a dozen twins takes the first five or six
        # combinations, and with this seed those show every look, pose and segment
        "seed": 265,
    })


@dataclass(frozen=True)
class PublishedAsset:
    asset_id: str
    channel: str
    territory: str
    labels: list[str]


@dataclass(frozen=True)
class ApprovalsResult:
    """What the talents approved and rejected and what Nordvik published."""

    approved: int
    rejected: int
    published: list[PublishedAsset]


@dataclass(frozen=True)
class CampaignDemoResult:
    campaign_id: str
    name: str
    queued: int
    refused: int                        # variants the policy refused before rendering
    refusal_codes: dict[str, int]       # reason code -> variants refused for it
    beyond_cap: int
    status: CampaignStatusResult        # once the executor is done
    seconds: float
    workers: int
    images_per_minute: float | None
    approvals: ApprovalsResult
    contact_sheet: Path
    images_per_twin: dict[str, int] = field(default_factory=dict)  # talent name -> images
    # whose licence the provenance step revoked, and the asset states after it
    revoked_talent: str | None = None
    after_revocation: dict[str, int] | None = None


def run_campaign_demo(ctx: ServiceContext, world: DemoWorld, workspace: Path,
                      progress: Progress | None = None, *, size: int = CAMPAIGN_SIZE,
                      executor: Executor | None = None) -> CampaignDemoResult:
    """Nordvik's catalogue and brief over its licensed twins that have a face template,
    rendered by ``executor`` (default: worker processes with the studio backend), then
    approvals, publications and the contact sheet."""
    nordvik = world.nordvik
    garments = add_catalogue(ctx, nordvik.id, actor=nordvik.id)
    # the twins whose enrolment gave a face template: the identity gate needs one (a twin
    # the roster could not enrol would only make images that fail QA)
    enrolled = set(enrolled_face_templates(ctx))
    licensed = sorted({lic.twin_id for lic in world.licences.values()
                       if lic.brand_id == nordvik.id})
    twins = [t for t in licensed if t in enrolled]
    plan = create_campaign(ctx, brand_id=nordvik.id, brief=nordvik_brief(garments, size, twins),
                           actor=nordvik.id)
    started = time.perf_counter()
    executor = executor or local_executor(Settings(workspace=workspace),
                                          workers=os.cpu_count())
    status = executor.run(ctx, plan.campaign.id, progress=progress)
    seconds = time.perf_counter() - started
    approvals = _approve_and_publish(ctx, world, plan.campaign.id)
    names = {p.talent.id: p.talent.name for p in world.people}
    sheet = campaign_sheet(ctx, plan.campaign.id, workspace / "campaign" / "contact-sheet.png",
                           names=names)
    return CampaignDemoResult(
        campaign_id=plan.campaign.id, name=plan.campaign.name, queued=plan.queued,
        refused=len(plan.refused), refusal_codes=plan.refusal_codes(), beyond_cap=plan.beyond_cap,
        status=campaign_status(ctx, plan.campaign.id), seconds=round(seconds, 1),
        workers=executor.workers,
        images_per_minute=round(status.jobs["succeeded"] / seconds * 60, 1)
        if seconds else None,
        approvals=approvals, contact_sheet=sheet,
        images_per_twin=_images_per_twin(ctx, world, plan.campaign.id))


def _images_per_twin(ctx: ServiceContext, world: DemoWorld, campaign_id: str
                     ) -> dict[str, int]:
    """Talent name -> images the campaign made of their twin, most first."""
    name_of = {p.twin.id: p.talent.name for p in world.people}
    # no service lists a campaign's jobs: the unit of work is read directly
    with ctx.uow() as uow:
        made = Counter(name_of.get(j.twin_id, j.twin_id)
                       for j in uow.jobs.list(campaign_id=campaign_id) if j.asset_id)
    return dict(made.most_common())


def _approve_and_publish(ctx: ServiceContext, world: DemoWorld,
                         campaign_id: str) -> ApprovalsResult:
    """Talents approve two in three of their pending images and reject one with a
    reason; Nordvik publishes a dozen on Instagram Sweden and its French web shop."""
    talent_of = {p.twin.id: p.talent.id for p in world.people}
    # no service lists a campaign's assets: the unit of work is read directly
    with ctx.uow() as uow:
        jobs = uow.jobs.list(campaign_id=campaign_id)
        assets = [uow.assets.get(j.asset_id) for j in jobs if j.asset_id]
    pending = [a for a in assets if a.state is AssetState.PENDING_APPROVAL]
    approved: list[str] = []
    rejected: list[str] = []
    published: list[PublishedAsset] = []
    for i, asset in enumerate(pending):
        talent_id = talent_of[asset.twin_id]
        if i == 1:
            reject_asset(ctx, asset.id, party_id=talent_id, reason="my hair looks wrong here",
                         actor=talent_id)
            rejected.append(asset.id)
        elif i % 3 != 2:
            approve_asset(ctx, asset.id, party_id=talent_id, actor=talent_id)
            approved.append(asset.id)
    for i, asset_id in enumerate(approved[:12]):
        channel, territory = ("social", "SE") if i % 2 == 0 else ("ecommerce", "FR")
        result = publish_asset(ctx, asset_id, channel=channel, territory=territory,
                               day=ctx.today(), actor="nordvik")
        published.append(PublishedAsset(asset_id, channel, territory, result.labels))
    return ApprovalsResult(approved=len(approved), rejected=len(rejected),
                           published=published)


def campaign_sheet(ctx: ServiceContext, campaign_id: str, out: Path, *,
                   names: dict[str, str], columns: int = 8, height: int = 300) -> Path:
    """Every image of the campaign (masters), captioned with twin, format, pose, the
    look's garments, scene and state, in rows of ``columns``."""
    import io

    from matplotlib import get_data_path
    from PIL import Image, ImageDraw, ImageFont

    from twinstudio.fileio import atomic_write

    # no service reads a campaign's jobs, assets and marks: the unit of work is read directly
    with ctx.uow() as uow:
        jobs = [j for j in uow.jobs.list(campaign_id=campaign_id) if j.asset_id]
        talent_of = {t.id: t.talent_id for t in uow.twins.list()}
        garments = {g.id: g for g in uow.garments.list()}
        tiles = []
        for job in jobs:
            asset = uow.assets.get(job.asset_id)  # type: ignore[arg-type]
            mark = uow.marks.get(asset.id)
            tiles.append((job, asset, mark.blob_sha256))
    assert ctx.blobs is not None
    font = ImageFont.truetype(str(Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"),
                              11)
    cell_w, label = 240, 44
    rows = max(1, (len(tiles) + columns - 1) // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * (height + label)), (248, 248, 246))
    draw = ImageDraw.Draw(sheet)
    colours = {"pending_approval": (40, 110, 40), "approved": (20, 90, 160),
               "published": (120, 40, 140), "qa_failed": (190, 40, 40),
               "rejected": (150, 90, 20), "withdrawn": (110, 110, 110)}
    for i, (job, asset, sha) in enumerate(tiles):
        image = Image.open(io.BytesIO(ctx.blobs.get(sha))).convert("RGB")
        image.thumbnail((cell_w - 8, height - 4))
        x, y = (i % columns) * cell_w, (i // columns) * (height + label)
        sheet.paste(image, (x + (cell_w - image.width) // 2, y + (height - image.height) // 2))
        name = names.get(talent_of.get(asset.twin_id, ""), asset.twin_id).split()[0]
        request = job.request
        draw.text((x + 4, y + height + 1), f"{name} · {request.format} · {request.pose}",
                  fill=(20, 20, 20), font=font)
        look = " + ".join(garments[g].category.value.replace("_", " ")
                          for g in request.garment_ids if g in garments)
        draw.text((x + 4, y + height + 14), look, fill=(70, 70, 70), font=font)
        draw.text((x + 4, y + height + 27), f"{request.scene} · {asset.state.value}",
                  fill=colours.get(asset.state.value, (20, 20, 20)), font=font)
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG")
    atomic_write(out, buffer.getvalue())
    return out
