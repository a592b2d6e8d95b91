"""The diffusion backend on a real store (SQLite and PostgreSQL), without diffusers: the
model registry (manifests, kinds, changed files), the generator on briefs and jobs,
``model_not_commercial`` and every other refusal before any pixel, best of N by the QA
gates with every candidate's scores kept, conditioning stored with the asset, and what
made the image in the signed C2PA assertion. The pipelines are a fake recipe here;
tests/integration/test_diffusion_tiny.py runs the real ones with tiny models."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.test_generation import _run, brief, gctx, world
from tests.support.fakes import FakeRecipe, FakeStudio, ScriptedQuality
from twinstudio.domain.errors import Conflict, InvalidInput
from twinstudio.domain.generation import FORMATS, GeneratorSpec, expand
from twinstudio.generation.diffusion.backend import DiffusionBackend, candidate_seed
from twinstudio.generation.diffusion.registry import ModelChanged
from twinstudio.services.assets import approve_asset, publish_asset
from twinstudio.services.campaigns import campaign_status, create_campaign
from twinstudio.services.models import add_model, check_models, list_models
from twinstudio.services.verification import verify_image

__all__ = ["gctx", "world"]  # fixtures


def model_folder(root: Path, kind: str, seed: int = 0) -> Path:
    """A folder in diffusers layout with (meaningless) weight bytes."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    if kind == "base":
        (root / "model_index.json").write_text(json.dumps(
            {"_class_name": "StableDiffusionXLPipeline", "unet": ["diffusers", "UNet"]}))
        (root / "unet").mkdir()
        (root / "unet" / "config.json").write_text("{}")
        (root / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(
            rng.bytes(4096))
    else:
        (root / "config.json").write_text(json.dumps({"_class_name": "ControlNetModel"}))
        (root / "diffusion_pytorch_model.safetensors").write_bytes(rng.bytes(2048))
    (root / ".cache").mkdir()
    (root / ".cache" / "ignored.lock").write_text("hub bookkeeping is not part of a model")
    return root


@pytest.fixture
def models(gctx, tmp_path):
    base = add_model(gctx, name="sdxl-base", path=str(model_folder(tmp_path / "b", "base")),
                     kind="base", licence="CreativeML-OpenRAIL++-M", commercial=True,
                     actor="operator")
    pose = add_model(gctx, name="sdxl-openpose",
                     path=str(model_folder(tmp_path / "p", "controlnet", 1)),
                     kind="controlnet", licence="openrail++", commercial=True,
                     actor="operator")
    return {"base": base, "pose": pose, "root": tmp_path}


GENERATOR = {"backend": "diffusion", "recipe": "sdxl", "candidates": 3, "steps": 4,
             "models": {"base": "sdxl-base", "pose_controlnet": "sdxl-openpose"}}


def diffusion(recipe: FakeRecipe | None = None) -> tuple[DiffusionBackend, FakeRecipe, list]:
    recipe = recipe or FakeRecipe()
    loads: list[tuple[str, dict]] = []

    def loader(name: str, folders: dict) -> FakeRecipe:
        loads.append((name, folders))
        return recipe

    return DiffusionBackend(FakeStudio(), loader=loader, max_side=256), recipe, loads


# ----------------------------------------------------------------------------- registry


def test_a_registered_model_records_every_file_and_a_change_is_named(gctx, models):
    base = models["base"]
    assert {f.path for f in base.files} == {"model_index.json", "unet/config.json",
                                            "unet/diffusion_pytorch_model.safetensors"}
    assert base.layout == "pipeline" and base.class_name == "StableDiffusionXLPipeline"
    assert [m.name for m in list_models(gctx)] == ["sdxl-base", "sdxl-openpose"]
    assert all(r.ok for r in check_models(gctx))
    weights = Path(base.path) / "unet" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[100] ^= 0xFF  # one flipped byte, same size
    weights.write_bytes(bytes(data))
    (Path(base.path) / "extra.bin").write_bytes(b"x")
    result = {r.name: r for r in check_models(gctx)}
    assert result["sdxl-openpose"].ok and not result["sdxl-base"].ok
    assert [(c.path, c.change) for c in result["sdxl-base"].changes] == [
        ("extra.bin", "added"), ("unet/diffusion_pytorch_model.safetensors", "changed")]
    from twinstudio.generation.diffusion.registry import verify

    with pytest.raises(ModelChanged, match=r"unet/diffusion_pytorch_model.safetensors "
                                           r"\(changed\)"):
        verify(base.path, base.files, base.name)


def test_the_registry_refuses_folders_that_are_not_models_of_their_kind(gctx, models):
    root: Path = models["root"]
    with pytest.raises(InvalidInput, match="no such folder"):
        add_model(gctx, name="gone", path=str(root / "nowhere"), kind="base",
                  licence="MIT", commercial=True, actor="operator")
    with pytest.raises(InvalidInput, match=r"needs model_index\.json"):
        add_model(gctx, name="cn-as-base", path=models["pose"].path, kind="base",
                  licence="MIT", commercial=True, actor="operator")
    with pytest.raises(InvalidInput, match="not a ControlNet"):
        add_model(gctx, name="unet-as-cn", path=str(Path(models["base"].path) / "unet"),
                  kind="controlnet", licence="MIT", commercial=True, actor="operator")
    with pytest.raises(InvalidInput, match="kind must be one of"):
        add_model(gctx, name="x", path=models["pose"].path, kind="vae", licence="MIT",
                  commercial=True, actor="operator")
    with pytest.raises(InvalidInput, match="model name"):
        add_model(gctx, name="Bad Name", path=models["pose"].path, kind="controlnet",
                  licence="MIT", commercial=True, actor="operator")
    with pytest.raises(Conflict, match="registered already"):
        add_model(gctx, name="sdxl-base", path=models["base"].path, kind="base",
                  licence="MIT", commercial=True, actor="operator")
    replaced = add_model(gctx, name="sdxl-base", path=models["base"].path, kind="base",
                         licence="MIT", commercial=False, actor="operator", replace=True)
    assert not replaced.commercial
    assert [m.name for m in list_models(gctx)] == ["sdxl-base", "sdxl-openpose"]


# ------------------------------------------------------------------ rights before pixels


def test_a_non_commercial_model_refuses_a_commercial_licence_before_any_job(gctx, world,
                                                                            models):
    add_model(gctx, name="flux-dev", path=str(model_folder(models["root"] / "f", "base", 2)),
              kind="base", licence="FLUX.1-dev-non-commercial", commercial=False,
              actor="operator")
    generator = {**GENERATOR, "models": {**GENERATOR["models"], "base": "flux-dev"}}
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                           brief=brief(world, generator=generator))
    assert plan.queued == 0 and len(plan.refused) == plan.variants == 4
    assert plan.refusal_codes() == {"model_not_commercial": 4}
    assert "flux-dev" in plan.refused[0].reasons[0].message
    backend, recipe, loads = diffusion()
    assert _run(gctx, backend=backend) == []
    assert loads == [] and recipe.calls == [] and backend.studio.made == []


def test_a_brief_naming_unknown_or_ill_fitting_models_is_refused_whole(gctx, world, models):
    for models_, message in (
            ({"base": "nope", "pose_controlnet": "sdxl-openpose"}, "no such model"),
            ({"base": "sdxl-base"}, "needs a model for 'pose_controlnet'"),
            ({"base": "sdxl-openpose", "pose_controlnet": "sdxl-openpose"},
             "is a controlnet model")):
        with pytest.raises(InvalidInput, match=message):
            create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                            brief=brief(world, generator={**GENERATOR, "models": models_}))
    with pytest.raises(ValueError, match="needs a recipe"):
        GeneratorSpec(backend="diffusion")
    with pytest.raises(ValueError, match="takes no recipe"):
        GeneratorSpec(backend="studio", recipe="sdxl")


def test_every_policy_refusal_still_comes_before_any_pixel(gctx, world, models):
    backend, recipe, loads = diffusion()
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, generator=GENERATOR, markets=[{"channel": "ooh", "territory": "JP"}],
        alterations=["body_shape"]))
    assert plan.queued == 0
    codes = set(plan.refusal_codes())
    assert {"alteration_not_permitted"} <= codes and len(codes) >= 2
    assert _run(gctx, backend=backend) == [] and recipe.calls == [] and loads == []


# ---------------------------------------------------------------------------- run


def test_a_diffusion_campaign_runs_end_to_end_best_of_n(gctx, world, models, clock):
    backend, recipe, loads = diffusion()
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                           brief=brief(world, generator=GENERATOR, formats=["feed"],
                                       looks=[[world["tee"].id, world["parka"].id]]))
    assert plan.queued == 1
    # candidate 0 is another face, 1 passes, 2 passes nearest: 2 is kept
    quality = ScriptedQuality([0.9, 0.3, 0.1])
    [outcome] = _run(gctx, backend=backend, quality=quality)
    assert outcome.state == "succeeded" and outcome.asset_state == "pending_approval"
    assert len(loads) == 1 and loads[0][0] == "sdxl"
    assert set(loads[0][1]) == {"base", "pose_controlnet"}
    job_seed = _job_request(gctx, plan).seed
    assert [c.seed for c in recipe.calls] == [candidate_seed(job_seed, i) for i in range(3)]
    first = recipe.calls[0]
    assert (first.width, first.height) == (192, 256)   # feed 768x960 at max_side 256
    assert first.pose.shape == (256, 192, 3) and first.garment_mask.any()
    assert "t-shirt" in first.prompt and "coat" in first.prompt
    details = _details(gctx, outcome.asset_id)
    qa = details["qa"]
    assert qa["chosen"] == 2 and qa["passed"]
    assert [round(c["identity_distance"], 3) for c in qa["candidates"]] == [0.9, 0.3, 0.1]
    assert [c["passed"] for c in qa["candidates"]] == [False, True, True]
    assert qa["candidates"][0]["reasons"]
    reference = details["reference"]
    assert reference["generation"]["seed"] == candidate_seed(job_seed, 2)
    assert set(reference["conditioning"]) == {
        "pose", "depth", "person_mask", "studio",
        f"garment_mask.{world['tee'].id}", f"garment_mask.{world['parka'].id}"}
    pose_png = gctx.blobs.get(reference["conditioning"]["pose"])
    assert gctx.provenance.decode(pose_png).width == 192
    # the asset is the format's size; approval, publication and verify as any asset
    approve_asset(gctx, outcome.asset_id, party_id=world["talent"].id, actor="talent")
    published = publish_asset(gctx, outcome.asset_id, channel="social", territory="SE",
                              day=clock.now.date(), actor="brand")
    image = gctx.provenance.decode(published.image)
    assert (image.width, image.height) == (FORMATS["feed"].width, FORMATS["feed"].height)
    verified = verify_image(gctx, published.image)
    assert verified.verdict == "licensed"
    generation = verified.as_dict()["signals"]["c2pa"]["generation"]
    assert generation["recipe"] == "sdxl" and generation["steps"] == 4
    assert generation["seed"] == candidate_seed(job_seed, 2)
    assert {m["name"]: m["manifest_sha256"] for m in generation["models"]} == {
        "sdxl-base": models["base"].manifest_sha256,
        "sdxl-openpose": models["pose"].manifest_sha256}
    assert "prompt" not in generation  # the prompt stays with the brand's record
    with gctx.uow() as uow:
        assert uow.assets.get(outcome.asset_id).source == "diffusion"


def test_no_candidate_passing_stores_the_best_as_qa_failed_with_every_reason(gctx, world,
                                                                            models):
    backend, _, _ = diffusion()
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=brief(world, generator=GENERATOR, formats=["feed"],
                                looks=[[world["parka"].id]]))
    [outcome] = _run(gctx, backend=backend, quality=ScriptedQuality([0.9, 0.7, 0.8]))
    assert outcome.asset_state == "qa_failed"
    qa = _details(gctx, outcome.asset_id)["qa"]
    assert qa["chosen"] == 1 and not any(c["passed"] for c in qa["candidates"])
    with gctx.uow() as uow:
        asset = uow.assets.get(outcome.asset_id)
        licence = uow.licences.get(world["licence"].id)
    assert "0.700" in asset.state_reason and licence.assets_used == 0


def test_a_weight_file_changed_after_registration_fails_the_job_naming_it(gctx, world,
                                                                        models):
    backend, recipe, loads = diffusion()
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                           brief=brief(world, generator=GENERATOR, formats=["feed"],
                                       looks=[[world["parka"].id]]))
    weights = Path(models["pose"].path) / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1])
    [outcome] = _run(gctx, backend=backend, quality=ScriptedQuality([0.1]))
    assert outcome.state == "failed"
    assert "diffusion_pytorch_model.safetensors (changed)" in outcome.reasons[0]["message"]
    assert loads == [] and recipe.calls == []
    status = campaign_status(gctx, plan.campaign.id)
    assert status.jobs["failed"] == 1 and status.assets == {}
    assert "sdxl-openpose" in status.failures[0].error


def test_the_pipeline_loads_once_per_worker_and_the_same_seed_gives_the_same_image(
        gctx, world, models):
    backend, recipe, loads = diffusion()
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand",
                    brief=brief(world, generator={**GENERATOR, "candidates": 1}))
    outcomes = _run(gctx, backend=backend, quality=ScriptedQuality([0.1]))
    assert len(outcomes) == 4 and len(loads) == 1 and len(recipe.calls) == 4
    again = FakeRecipe().generate(recipe.calls[0])
    assert np.array_equal(again, FakeRecipe().generate(recipe.calls[0]))


def test_studio_requests_keep_their_keys_and_backend(world):
    plain = brief(world)
    studio = brief(world, generator={"backend": "studio"})
    today = date(2026, 6, 1)
    a = expand(plain, twins=[("twn_x", "lic_x")], today=today)
    b = expand(studio, twins=[("twn_x", "lic_x")], today=today)
    assert [r.key for r in a] == [r.key for r in b]
    assert all(r.generator is None and r.backend == "studio" for r in a)
    c = expand(brief(world, generator=GENERATOR), twins=[("twn_x", "lic_x")], today=today)
    assert {r.key for r in c}.isdisjoint(r.key for r in a)
    assert all(r.backend == "diffusion" for r in c)


def _job_request(ctx, plan) -> Any:
    with ctx.uow() as uow:
        return uow.jobs.list(campaign_id=plan.campaign.id)[0].request


def _details(ctx, asset_id: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        return uow.asset_details.get(asset_id)
