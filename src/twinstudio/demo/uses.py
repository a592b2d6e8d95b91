"""The demo's proposed uses: a dozen requests under the demo's licences, some within the
terms and some outside them, each decided by the policy with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from twinstudio.demo.world import DemoWorld
from twinstudio.domain.policy import Decision, ProposedUse
from twinstudio.services.context import ServiceContext
from twinstudio.services.rights import check_use


@dataclass(frozen=True)
class DemoUse:
    label: str
    licence: str               # licence id
    use: dict[str, Any]        # the proposed use, as a client would send it


@dataclass(frozen=True)
class UseDecisionResult:
    """A demo use and what the policy decided of it."""

    use: DemoUse
    decision: Decision


def demo_uses(world: DemoWorld, today: date) -> list[DemoUse]:
    lic = world.licences
    first = world.first_name
    day = (today + timedelta(days=3)).isoformat()
    late = (today + timedelta(days=400)).isoformat()

    def use(**kw: Any) -> dict[str, Any]:
        return {"channel": "social", "territory": "FR", "date": day,
                "product_category": "outerwear", "alterations": [], "content_tags": [], **kw}

    return [
        DemoUse(f"Nordvik: {first(0)} in a parka, Instagram France, new hair colour",
                lic["nordvik-0"].id, use(alterations=["hair_color"])),
        DemoUse(f"Nordvik: {first(0)}, e-commerce Sweden, background swap",
                lic["nordvik-0"].id, use(channel="ecommerce", territory="SE",
                                         alterations=["background"])),
        DemoUse(f"Nordvik: {first(0)} on a US billboard",
                lic["nordvik-0"].id, use(channel="ooh", territory="US")),
        DemoUse(f"Nordvik: {first(1)}, slimmed waist (body shape)",
                lic["nordvik-1"].id, use(alterations=["body_shape"])),
        DemoUse(f"Nordvik: {first(1)} with a beer in hand",
                lic["nordvik-1"].id, use(content_tags=["alcohol"])),
        DemoUse(f"Nordvik: {first(2)}, 4th asset on a 3-asset licence",
                lic["nordvik-2"].id, use()),
        DemoUse(f"Nordvik: {first(7)} after the licence was revoked",
                lic["nordvik-7"].id, use()),
        DemoUse(f"Nordvik: {first(3)}, a post dated after the licence ends",
                lic["nordvik-3"].id, use(date=late)),
        DemoUse(f"Maison Lumière: {first(8)} in a dress, Paris metro poster",
                lic["lumiere-8"].id, use(channel="ooh", product_category="dresses")),
        DemoUse(f"Maison Lumière: {first(13)}, after revoking consent",
                lic["lumiere-13"].id, use(product_category="dresses")),
        DemoUse(f"Maison Lumière: {first(14)}, TV spot in Germany, knitwear",
                lic["lumiere-14"].id, use(channel="video", territory="DE",
                                          product_category="knitwear")),
        DemoUse(f"Costa Azul: {first(21)}, swimwear page in Spain",
                lic["costa-21"].id, use(channel="ecommerce", territory="ES",
                                        product_category="swimwear")),
        DemoUse(f"Costa Azul: {first(21)}, swimwear with nudity, Portugal",
                lic["costa-21"].id, use(channel="social", territory="PT",
                                        product_category="swimwear", content_tags=["nudity"])),
    ]


def decide_uses(ctx: ServiceContext, world: DemoWorld) -> list[UseDecisionResult]:
    """Each demo use, decided by the policy under its licence."""
    return [UseDecisionResult(item, check_use(ctx, item.licence,
                                              ProposedUse.model_validate(item.use)))
            for item in demo_uses(world, ctx.today())]
