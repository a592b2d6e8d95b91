"""The demo's provenance: the marked assets written out, a labelled rendition made, and
copies of them verified as the internet would make them (stripped, cropped, re-encoded),
before and after a licence is revoked."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from twinstudio.demo.frames import placeholder_frame
from twinstudio.demo.world import DemoWorld
from twinstudio.services.context import ServiceContext
from twinstudio.services.provenance import MarkResult, publication_rendition
from twinstudio.services.rights import revoke_licence
from twinstudio.services.verification import verify_image


@dataclass(frozen=True)
class VerifyCopyResult:
    """What ``verify`` made of one copy: verdict and the signal that found it."""

    file: str
    verdict: str
    asset_id: str | None
    c2pa: str
    watermark: str
    fingerprint: str


def provenance_demo(ctx: ServiceContext, world: DemoWorld, marked: dict[str, MarkResult],
                    workspace: Path) -> list[VerifyCopyResult]:
    """Write the marked assets, make a labelled rendition, and verify copies of them."""
    folder = workspace / "assets"
    folder.mkdir(exist_ok=True)
    first, second = marked["nordvik-0"], marked["nordvik-1"]
    for result in marked.values():
        (folder / f"{result.asset.id}.jpg").write_bytes(result.image)
    rendition = publication_rendition(ctx, first.asset.id, channel="social", territory="FR",
                                      day=ctx.today(), product_category="outerwear",
                                      actor="demo")
    (folder / f"{first.asset.id}-social-FR.jpg").write_bytes(rendition.image)
    cases = [("the signed master", first.image),
             ("the published rendition (labelled 'AI-generated')", rendition.image),
             ("a re-encoded crop without metadata", _stripped_crop(first.image)),
             ("an unrelated image", placeholder_frame(999))]
    results = [verify_copy(ctx, label, data) for label, data in cases]
    revoke_licence(ctx, world.licences["nordvik-1"].id, reason="talent asked to end it",
                   actor="demo")
    results.append(verify_copy(ctx, f"{world.first_name(1)}'s asset after the licence was "
                                    "revoked", second.image))
    return results


def _stripped_crop(data: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    out = io.BytesIO()
    image.crop((w // 8, h // 8, w - w // 8, h - h // 8)).save(out, "JPEG", quality=70)
    return out.getvalue()


def verify_copy(ctx: ServiceContext, label: str, image: bytes) -> VerifyCopyResult:
    """``verify_image`` of one copy, in short."""
    result = verify_image(ctx, image)
    signals = result.signals
    return VerifyCopyResult(file=label, verdict=result.verdict.value, asset_id=result.asset_id,
                            c2pa=signals.c2pa.state or "absent",
                            watermark=signals.watermark.confidence,
                            fingerprint=signals.fingerprint.method or "no match")
