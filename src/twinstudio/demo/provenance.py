"""The demo's provenance walk-through, on the campaign's own images: a published image's
signed master and a labelled rendition of it, copies of it as the internet would make
them (stripped, cropped, re-encoded; edited with the credential put back), an image that
is not ours, and an image of another twin after its licence is revoked, each verified.
The files are written to the workspace's ``assets`` folder."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from twinstudio.demo.campaign import CampaignDemoResult
from twinstudio.demo.frames import placeholder_frame
from twinstudio.demo.world import DemoWorld
from twinstudio.domain.asset import Asset, AssetState
from twinstudio.services.assets import asset_details, asset_master, list_assets
from twinstudio.services.context import ServiceContext
from twinstudio.services.garments import list_garments
from twinstudio.services.provenance import publication_rendition
from twinstudio.services.rights import revoke_licence
from twinstudio.services.verification import verify_image

# the licence the walk-through revokes when its twin has campaign images (talent 1's)
REVOKED_LICENCE = "nordvik-1"
LIVE = (AssetState.PENDING_APPROVAL, AssetState.APPROVED, AssetState.PUBLISHED)


@dataclass(frozen=True)
class VerifyCopyResult:
    """What ``verify`` made of one copy: verdict and the signal that found it."""

    file: str
    verdict: str
    asset_id: str | None
    c2pa: str
    watermark: str
    fingerprint: str


@dataclass(frozen=True)
class ProvenanceDemoResult:
    copies: list[VerifyCopyResult]
    revoked_talent: str | None          # whose licence the walk-through revoked
    files: list[Path]                   # the images verified, as written


def provenance_demo(ctx: ServiceContext, world: DemoWorld, campaign: CampaignDemoResult | None,
                    workspace: Path) -> ProvenanceDemoResult:
    """Verify copies of a published campaign image, then revoke the licence of another
    twin of the campaign and verify its image again. Without a campaign image there is
    nothing of ours to verify."""
    first, second = _walk_through_assets(ctx, world, campaign)
    if first is None:
        return ProvenanceDemoResult([], None, [])
    folder = workspace / "assets"
    folder.mkdir(exist_ok=True)
    master = asset_master(ctx, first.id)
    rendition = publication_rendition(ctx, first.id, channel="social", territory="FR",
                                      day=ctx.today(),
                                      product_category=_product_category(ctx, first),
                                      actor="demo")
    cases = [("the signed master", "master", master),
             ("the published rendition (labelled 'AI-generated')", "social-FR",
              rendition.image),
             ("a re-encoded crop without metadata", "crop", _stripped_crop(master)),
             ("an edited copy with the credential put back", "edited", _edited(master)),
             ("an unrelated image", "unrelated", placeholder_frame(999))]
    files = [_write(folder, f"{first.id}-{suffix}" if suffix != "unrelated" else suffix,
                    data) for _, suffix, data in cases]
    results = [verify_copy(ctx, label, data) for label, _, data in cases]
    revoked = None
    if second is not None:
        person = next(p for p in world.people if p.twin.id == second.twin_id)
        revoke_licence(ctx, second.licence_id, reason="talent asked to end it", actor="demo")
        image = asset_master(ctx, second.id)
        files.append(_write(folder, f"{second.id}-master", image))
        results.append(verify_copy(ctx, f"{person.first_name}'s image after the licence "
                                        "was revoked", image))
        revoked = person.talent.name
    return ProvenanceDemoResult(results, revoked, files)


def _walk_through_assets(ctx: ServiceContext, world: DemoWorld,
                         campaign: CampaignDemoResult | None
                         ) -> tuple[Asset | None, Asset | None]:
    """A published image of the campaign (else any live one; not talent 1's if another
    will do), and an image of another twin: a live unpublished one (talent 1's if there
    is one), else a live one, else any."""
    if campaign is None:
        return None, None
    nordvik = [lic.id for key, lic in world.licences.items() if key.startswith("nordvik-")]
    assets = [a for lic in nordvik for a in list_assets(ctx, licence_id=lic)]
    live = [a for a in assets if a.state in LIVE]
    if not live:
        return None, None
    published = {p.asset_id for p in campaign.approvals.published}
    preferred = world.licences[REVOKED_LICENCE].id
    first = min(live, key=lambda a: (a.id not in published, a.licence_id == preferred))
    # an unpublished one, so that the revocation withdraws it (a published one is only
    # flagged for takedown); whichever image of the campaign the workers made first
    others = sorted((a for a in assets if a.licence_id != first.licence_id),
                    key=lambda a: (a.state not in LIVE, a.id in published,
                                   a.licence_id != preferred))
    return first, others[0] if others else None


def _product_category(ctx: ServiceContext, asset: Asset) -> str:
    """The licence category of the image's first garment (as publishing reads it)."""
    request = asset_details(ctx, asset.id).request or {}
    garments = {g.id: g for g in list_garments(ctx, brand_id=asset.brand_id)}
    first = garments.get((request.get("garment_ids") or [""])[0])
    return first.product_category if first else "outerwear"


def _write(folder: Path, stem: str, data: bytes) -> Path:
    path = folder / (stem + (".png" if data.startswith(b"\x89PNG") else ".jpg"))
    path.write_bytes(data)
    return path


def _stripped_crop(data: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    out = io.BytesIO()
    image.crop((w // 8, h // 8, w - w // 8, h - h // 8)).save(out, "JPEG", quality=70)
    return out.getvalue()


def _edited(master: bytes) -> bytes:
    """The master with a band of its pixels repainted (a garment recoloured, a face
    swapped would do the same) and the original Content Credential put back."""
    from PIL import Image

    image = Image.open(io.BytesIO(master)).convert("RGB")
    w, h = image.size
    band = image.crop((w // 4, h // 3, 3 * w // 4, h // 2))
    image.paste(Image.merge("RGB", band.split()[::-1]), (w // 4, h // 3))  # swap R and B
    out = io.BytesIO()
    if master.startswith(b"\x89PNG"):
        image.save(out, "PNG")
        return _with_chunks(out.getvalue(), _png_chunks(master, {b"caBX", b"iTXt"}))
    image.save(out, "JPEG", quality=95)
    edited = out.getvalue()
    return edited[:2] + jpeg_app11(master) + edited[2:]


def _png_chunks(png: bytes, kinds: set[bytes]) -> bytes:
    """The chunks of ``kinds`` of a PNG, in order, as bytes (a C2PA manifest is caBX)."""
    out, pos = b"", 8
    while pos + 8 <= len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        end = pos + 12 + length
        if png[pos + 4:pos + 8] in kinds:
            out += png[pos:end]
        pos = end
    return out


def _with_chunks(png: bytes, chunks: bytes) -> bytes:
    """``png`` with ``chunks`` inserted after its header chunk (where the manifest was)."""
    header_end = 8 + 12 + int.from_bytes(png[8:12], "big")
    return png[:header_end] + chunks + png[header_end:]


def jpeg_app11(jpeg: bytes) -> bytes:
    """The APP11 (C2PA/JUMBF) segments of a JPEG, in order."""
    out, pos = b"", 2
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and jpeg[pos + 1] != 0xDA:
        length = int.from_bytes(jpeg[pos + 2:pos + 4], "big")
        if jpeg[pos + 1] == 0xEB:
            out += jpeg[pos:pos + 2 + length]
        pos += 2 + length
    return out


def verify_copy(ctx: ServiceContext, label: str, image: bytes) -> VerifyCopyResult:
    """``verify_image`` of one copy, in short."""
    result = verify_image(ctx, image)
    signals = result.signals
    return VerifyCopyResult(file=label, verdict=result.verdict.value, asset_id=result.asset_id,
                            c2pa=signals.c2pa.state or "absent",
                            watermark=signals.watermark.confidence,
                            fingerprint=signals.fingerprint.method or "no match")
