"""How fast does the studio backend make campaign images? Prints figures; asserts nothing.

    .venv/bin/python bench/generate.py [--people 3] [--images 24] [--workers 2]

Builds (or reuses, from the cache) a small synthetic roster in a temporary workspace,
enrols it, licenses it to one brand with a three-garment catalogue and plans a campaign
over every format, two poses and three scenes. Then:

1. one worker in this process runs ``--images`` jobs and reports where the time goes:
   policy (the rights re-check), render (body twin, garments, raster render, scene),
   QA (face identity and body fidelity gates) and storage (watermark, fingerprints,
   C2PA signing, the database), as shares of the total;
2. the local executor runs ``--images`` more jobs with ``--workers`` worker processes and
   reports images per minute, with and without the workers' start-up (loading anny,
   MediaPipe and dlib).

Baked appearance maps are cached under .cache/maps, so a second run skips the bake.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=3)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from datetime import timedelta

    from tests.conftest import consent_doc, terms

    from twinstudio.bootstrap import bootstrap, generation_components, local_executor
    from twinstudio.config import Settings
    from twinstudio.demo.roster import build_roster
    from twinstudio.domain.consent import BiometricReleaseDocument
    from twinstudio.domain.generation import CampaignBrief
    from twinstudio.domain.parties import OrganisationKind
    from twinstudio.domain.twin import TwinState
    from twinstudio.provenance.keys import ensure_development_credentials
    from twinstudio.services.campaigns import create_campaign
    from twinstudio.services.enrolment import enrol_twin
    from twinstudio.services.garments import add_garment
    from twinstudio.services.jobs import run_worker
    from twinstudio.services.parties import add_organisation, set_twin_state
    from twinstudio.services.rights import (
        grant_biometric_release,
        grant_consent,
        grant_licence,
    )
    from twinstudio.workspace import create_workspace

    workspace = Path(tempfile.mkdtemp(prefix="bench-generate-"))
    create_workspace(workspace)
    settings = Settings(workspace=workspace)
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings)
    today = ctx.today()
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Bench brand")
    entries = build_roster(ctx, workspace, count=args.people, seed=7)
    for entry in entries:
        grant_biometric_release(ctx, talent_id=entry.talent_id,
                                document=BiometricReleaseDocument(
                                    purpose="Face template for the QA identity gate",
                                    retention_days=365, written_release=True,
                                    explicit_consent=True, language="en"))
        result = enrol_twin(ctx, talent_id=entry.talent_id, actor="bench", photos=[
            (v, entry.captures[v].read_bytes()) for v in ("front", "three_quarter_left",
                                                          "three_quarter_right", "side")])
        with ctx.uow() as uow:
            twin = uow.twins.get_by_talent(entry.talent_id)
        if not result.enrolled:  # roster faces dlib cannot tell apart: activate anyway
            print(f"note: {entry.name} not enrolled ({result.reasons[0]['code']}); the "
                  "identity gate will fail for this twin")
            set_twin_state(ctx, twin.id, TwinState.ACTIVE, reason="bench", actor="bench")
        grant_consent(ctx, talent_id=entry.talent_id, document=consent_doc(today))
        grant_licence(ctx, twin_id=twin.id, brand_id=brand.id, terms=terms(
            starts=(today - timedelta(days=1)).isoformat(),
            ends=(today + timedelta(days=300)).isoformat(), exclusive_categories=[],
            max_assets=1000))
    garments = [add_garment(ctx, brand_id=brand.id, name=n, category=c, fabric_color=col,
                            actor="bench")
                for n, c, col in (("Parka", "coat", "#2f4f6f"), ("Jacket", "jacket", "#d9d4c7"),
                                  ("Tee", "tee", "#c23b3b"))]

    def plan(name: str, seed: int) -> str:
        brief = CampaignBrief.model_validate({
            "name": name, "looks": [[g.id] for g in garments],
            "poses": ["relaxed", "contrapposto"],
            "formats": ["feed", "story", "square", "product_page", "banner"],
            "scenes": ["gradient_frost", "set_concrete", "cyclorama_sand"],
            "markets": [{"channel": "social", "territory": "SE"}],
            "max_assets": args.images, "seed": seed})
        return create_campaign(ctx, brand_id=brand.id, brief=brief, actor="bench").campaign.id

    # 1. in this process: where the time goes
    first = plan("bench in-process", 1)
    backend, quality = generation_components()
    outcomes: list = []
    started = time.perf_counter()
    run_worker(ctx, backend=backend, quality=quality, worker_id="bench", campaign_id=first,
               on_outcome=outcomes.append)
    wall = time.perf_counter() - started
    steps = {"policy": [], "render": [], "qa": [], "store": []}
    for outcome in outcomes[1:]:  # the first job loads the models and bakes maps
        for step in steps:
            steps[step].append(outcome.timings.get(step, 0.0))
    total = sum(sum(v) for v in steps.values()) or 1.0
    print(f"one worker, {len(outcomes)} images in {wall:.1f} s (first image "
          f"{sum(outcomes[0].timings.get(s, 0) for s in steps):.1f} s with model loading)")
    for step, values in steps.items():
        print(f"  {step:7s} {100 * sum(values) / total:5.1f} %   median "
              f"{1000 * statistics.median(values):7.0f} ms per image")
    render_parts = {k: statistics.median(o.timings.get(k, 0.0) for o in outcomes[1:])
                    for k in ("render.body", "render.garments", "render.render",
                              "render.scene")}
    print("  render steps (median ms): " + ", ".join(
        f"{k.split('.')[1]} {1000 * v:.0f}" for k, v in render_parts.items()))
    # the provenance goal: signing, marking and fingerprinting together <= 10 % of render
    marking = {k: statistics.median(o.timings.get(f"store.{k}", 0.0) for o in outcomes[1:])
               for k in ("watermark", "fingerprint", "sign")}
    render = statistics.median(o.timings.get("render", 0.0) for o in outcomes[1:])
    encode = statistics.median(o.timings.get("store.encode", 0.0) for o in outcomes[1:])
    print("  provenance (median ms): " + ", ".join(
        f"{k} {1000 * v:.0f}" for k, v in marking.items())
        + f"; together {1000 * sum(marking.values()):.0f} ms = "
          f"{100 * sum(marking.values()) / render:.1f} % of the render's "
          f"{1000 * render:.0f} ms (goal <= 10 %); encoding the PNG master, which "
          f"storing needs anyway, {1000 * encode:.0f} ms")
    passed = sum(1 for o in outcomes if o.qa and o.qa.passed)
    print(f"  QA passed {passed} of {len(outcomes)}")

    # 2. worker processes: throughput
    second = plan("bench executor", 2)
    started = time.perf_counter()
    status = local_executor(settings, workers=args.workers).run(ctx, second)
    wall = time.perf_counter() - started
    with ctx.uow() as uow:
        jobs = uow.jobs.list(campaign_id=second)
        stamps = sorted(uow.assets.get(j.asset_id).created_at for j in jobs if j.asset_id)
    made = status.jobs["succeeded"]
    steady = ((len(stamps) - args.workers) / (stamps[-1] - stamps[args.workers - 1])
              .total_seconds() * 60) if len(stamps) > args.workers else float("nan")
    print(f"{args.workers} worker processes: {made} images in {wall:.1f} s = "
          f"{made / wall * 60:.1f} images per minute including start-up; "
          f"{steady:.1f} per minute once running")
    print(f"workspace: {workspace}")


if __name__ == "__main__":
    main()
