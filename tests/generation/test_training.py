"""The per-twin LoRA training loop for real (diffusers, peft, torch on the CPU) on tiny
random models in diffusers' layout: the loss falls, the weights load into the pipelines
by both of diffusers' paths and change their images, a resumed run ends bit for bit where
an uninterrupted one does, bad input is refused before anything loads, and the recipes
take the weights in memory as they take them from a folder."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.generation.test_diffusion_recipes import folders, inputs, one_thread
from twinstudio.generation.diffusion import testing
from twinstudio.generation.diffusion.recipes import load_recipe
from twinstudio.generation.diffusion.training import (
    StepReport,
    TrainingConfig,
    TrainingExample,
    TrainingStopped,
    evaluate_loss,
    load_lora_state,
    train_lora,
)

__all__ = ["one_thread"]   # fixture (autouse: one torch thread)

pytestmark = pytest.mark.xdist_group("diffusion")

RECIPES = ["sdxl", "flux2-klein"]
PREFIX = {"sdxl": "unet", "flux2-klein": "transformer"}
# Tiny random models learn slowly at the real learning rate (1e-4): 3e-2 moves them
# measurably in 20 steps (sdxl 1.130 -> 1.050, flux2-klein 1.499 -> 1.418 on EXAMPLES).
CONFIG = TrainingConfig(steps=20, rank=4, learning_rate=3e-2, resolution=64,
                        checkpoint_every=10, seed=5)

_rng = np.random.default_rng(21)
EXAMPLES = [   # two photos of other sizes and shapes than the resolution
    TrainingExample(_rng.integers(0, 255, (80, 64, 3), dtype=np.uint8),
                    "a photo of tsx_3f9a person"),
    TrainingExample(_rng.integers(0, 255, (64, 96, 3), dtype=np.uint8),
                    "a photo of tsx_3f9a person, face close-up"),
]


@pytest.fixture(scope="module", autouse=True)
def quiet():
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    for logging in (diffusers_logging, transformers_logging):
        logging.disable_progress_bar()
    yield
    for logging in (diffusers_logging, transformers_logging):
        logging.enable_progress_bar()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, dict[str, Path]]:
    root = tmp_path_factory.mktemp("tiny-models")
    return {"sdxl": testing.build_tiny_sdxl(root), "flux2-klein":
            testing.build_tiny_flux2_klein(root)}


@pytest.fixture(scope="module")
def trained(tiny):
    """One 20-step run per recipe, its checkpoints and step reports kept (lazily)."""
    runs: dict[str, dict] = {}

    def get(recipe: str) -> dict:
        if recipe not in runs:
            checkpoints: dict[int, bytes] = {}
            reports: list[StepReport] = []
            adapter = train_lora(recipe, tiny[recipe]["base"], EXAMPLES, CONFIG,
                                 on_checkpoint=checkpoints.__setitem__,
                                 on_step=reports.append)
            runs[recipe] = {"adapter": adapter, "checkpoints": checkpoints,
                            "reports": reports}
        return runs[recipe]

    return get


# ----------------------------------------------------------------------- training


@pytest.mark.parametrize("recipe", RECIPES)
def test_twenty_steps_lower_the_loss_on_a_fixed_batch(tiny, trained, recipe):
    run = trained(recipe)
    adapter = run["adapter"]
    assert (adapter.recipe, adapter.rank, adapter.steps) == (recipe, 4, 20)
    assert len(adapter.losses) == 20 and all(np.isfinite(adapter.losses))
    assert [r.step for r in run["reports"]] == list(range(1, 21))
    assert all(r.total == 20 and r.seconds > 0 for r in run["reports"])
    assert [r.loss for r in run["reports"]] == adapter.losses
    assert sorted(run["checkpoints"]) == [10, 20]
    base = tiny[recipe]["base"]
    before = evaluate_loss(recipe, base, EXAMPLES, CONFIG, draws=8)
    after = evaluate_loss(recipe, base, EXAMPLES, CONFIG, weights=adapter.weights, draws=8)
    assert after < 0.98 * before, (before, after)
    # the fixed batch is fixed: the same arguments, the same figure
    assert evaluate_loss(recipe, base, EXAMPLES, CONFIG, draws=8) == before


def _pipeline(recipe: str, base: Path):
    from diffusers import Flux2KleinPipeline, StableDiffusionXLPipeline

    if recipe == "sdxl":
        pipe = StableDiffusionXLPipeline.from_pretrained(base, local_files_only=True,
                                                         add_watermarker=False)
    else:
        pipe = Flux2KleinPipeline.from_pretrained(base, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _image(pipe) -> np.ndarray:
    extra = {"guidance_scale": 1.0} if type(pipe).__name__.startswith("Flux2") else {}
    out = pipe(prompt="a photo of tsx_3f9a person", width=64, height=64,
               num_inference_steps=2, output_type="np", **extra,
               generator=torch.Generator().manual_seed(3))
    return np.asarray(out.images[0])


@pytest.mark.parametrize("recipe", RECIPES)
def test_trained_weights_load_into_the_pipeline_both_ways(tiny, trained, recipe, tmp_path):
    from diffusers import Flux2KleinPipeline, StableDiffusionXLPipeline

    adapter = trained(recipe)["adapter"]
    assert adapter.sha256 == hashlib.sha256(adapter.weights).hexdigest()
    state = load_lora_state(adapter.weights)
    prefix = PREFIX[recipe]
    assert state and all(k.startswith(f"{prefix}.") and (".lora.down." in k or ".lora.up." in k)
                         for k in state)
    # byte for byte what diffusers' save_lora_weights writes
    layers = {k.removeprefix(f"{prefix}."): v for k, v in state.items()}
    if recipe == "sdxl":
        StableDiffusionXLPipeline.save_lora_weights(tmp_path, unet_lora_layers=layers)
    else:
        Flux2KleinPipeline.save_lora_weights(tmp_path, transformer_lora_layers=layers)
    assert (tmp_path / "pytorch_lora_weights.safetensors").read_bytes() == adapter.weights

    pipe = _pipeline(recipe, tiny[recipe]["base"])
    plain = _image(pipe)
    pipe.load_lora_weights(load_lora_state(adapter.weights), adapter_name="twin")
    tuned = _image(pipe)
    assert np.abs(tuned - plain).max() > 1e-3
    pipe.load_lora_weights(str(tmp_path), adapter_name="twin_file", local_files_only=True)
    pipe.set_adapters(["twin_file"])
    assert np.array_equal(_image(pipe), tuned)


# ------------------------------------------------------------------------- resume


@pytest.mark.parametrize("recipe", RECIPES)
def test_a_run_resumed_from_a_checkpoint_ends_bit_identical(tiny, trained, recipe):
    run = trained(recipe)
    resumed = train_lora(recipe, tiny[recipe]["base"], EXAMPLES, CONFIG,
                         resume=run["checkpoints"][10])
    assert resumed.losses == run["adapter"].losses[10:]
    assert resumed.sha256 == run["adapter"].sha256
    assert resumed.weights == run["adapter"].weights


@pytest.mark.parametrize("recipe", RECIPES)
def test_should_stop_writes_a_checkpoint_and_the_run_resumes_from_it(tiny, trained,
                                                                     recipe):
    base, seen = tiny[recipe]["base"], []
    checkpoints: dict[int, bytes] = {}
    torch.manual_seed(1234)   # the global RNG plays no part
    with pytest.raises(TrainingStopped) as stopped:
        train_lora(recipe, base, EXAMPLES, CONFIG, on_checkpoint=checkpoints.__setitem__,
                   on_step=lambda r: seen.append(r.step), should_stop=lambda: len(seen) >= 4)
    assert stopped.value.step == 4 and seen == [1, 2, 3, 4]
    assert sorted(checkpoints) == [4] and stopped.value.checkpoint == checkpoints[4]
    resumed = train_lora(recipe, base, EXAMPLES, CONFIG, resume=checkpoints[4])
    assert len(resumed.losses) == 16
    assert resumed.sha256 == trained(recipe)["adapter"].sha256


def test_the_seed_alone_decides_the_weights(tiny, trained):
    first = trained("flux2-klein")["adapter"]
    torch.manual_seed(99)
    assert train_lora("flux2-klein", tiny["flux2-klein"]["base"], EXAMPLES,
                      CONFIG).sha256 == first.sha256
    other = train_lora("flux2-klein", tiny["flux2-klein"]["base"], EXAMPLES,
                       dataclasses.replace(CONFIG, seed=6))
    assert other.sha256 != first.sha256


# ---------------------------------------------------------------------- bad input


def test_bad_input_is_refused_before_anything_loads(tiny, trained, tmp_path):
    base = tiny["sdxl"]["base"]
    with pytest.raises(ValueError, match="resolution must be a positive multiple of 16"):
        TrainingConfig(resolution=72)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        TrainingConfig(steps=0)
    with pytest.raises(ValueError, match="no training examples"):
        train_lora("sdxl", base, [], CONFIG)
    with pytest.raises(ValueError, match=r"example 1: the image must be \(H, W, 3\) uint8"):
        train_lora("sdxl", base, [EXAMPLES[0], TrainingExample(
            np.zeros((64, 64), np.uint8), "a photo")], CONFIG)
    with pytest.raises(ValueError, match="example 0: the caption is empty"):
        train_lora("sdxl", base, [TrainingExample(EXAMPLES[0].image, " ")], CONFIG)
    with pytest.raises(ValueError, match="unknown recipe 'sd15'"):
        train_lora("sd15", base, EXAMPLES, CONFIG)
    with pytest.raises(ValueError, match="not a pipeline folder"):
        train_lora("sdxl", base.parent / "nowhere", EXAMPLES, CONFIG)
    checkpoint = trained("sdxl")["checkpoints"][10]
    for other, problem in [(dataclasses.replace(CONFIG, learning_rate=1e-3), "learning_rate"),
                           (dataclasses.replace(CONFIG, rank=8), "rank"),
                           (dataclasses.replace(CONFIG, resolution=32), "resolution"),
                           (dataclasses.replace(CONFIG, seed=1), "seed")]:
        with pytest.raises(ValueError, match=f"another run: {problem}"):
            train_lora("sdxl", base, EXAMPLES, other, resume=checkpoint)
    with pytest.raises(ValueError, match=r"another run: examples \(other photos"):
        train_lora("sdxl", base, EXAMPLES[:1], CONFIG, resume=checkpoint)
    with pytest.raises(ValueError, match="another run: recipe 'sdxl', not 'flux2-klein'"):
        train_lora("flux2-klein", tiny["flux2-klein"]["base"], EXAMPLES, CONFIG,
                   resume=checkpoint)
    other_base = testing.build_tiny_flux2_klein(tmp_path, seed=1)["base"]
    with pytest.raises(ValueError, match=r"another run: base \(another model folder\)"):
        train_lora("flux2-klein", other_base, EXAMPLES, CONFIG,
                   resume=trained("flux2-klein")["checkpoints"][10])
    with pytest.raises(ValueError, match="past the 5 steps configured"):
        train_lora("sdxl", base, EXAMPLES, dataclasses.replace(CONFIG, steps=5),
                   resume=checkpoint)
    with pytest.raises(ValueError, match="not a LoRA training checkpoint"):
        train_lora("sdxl", base, EXAMPLES, CONFIG, resume=b"not a checkpoint")
    with pytest.raises(ValueError, match="not a safetensors file"):
        load_lora_state(b"\x08\x00\x00\x00\x00\x00\x00\x00{}")


# ------------------------------------------------------ the recipes take it in memory


@pytest.mark.parametrize("recipe", RECIPES)
def test_the_recipe_takes_the_lora_in_memory_as_from_a_folder(tiny, trained, recipe,
                                                              tmp_path):
    adapter = trained(recipe)["adapter"]
    (tmp_path / "pytorch_lora_weights.safetensors").write_bytes(adapter.weights)
    roles = ("base", "pose_controlnet") if recipe == "sdxl" else ("base",)
    loaded = load_recipe(recipe, folders(tiny[recipe], *roles), device="cpu",
                         dtype=torch.float32)
    plain = loaded.generate(inputs())
    from_folder = loaded.generate(inputs(lora=tmp_path))
    in_memory = loaded.generate(inputs(lora_weights=adapter.weights,
                                       lora_sha256=adapter.sha256))
    assert not np.array_equal(from_folder, plain)
    assert np.array_equal(in_memory, from_folder)
    assert loaded.parameters["last"]["lora"] is True
    assert np.array_equal(loaded.generate(inputs(lora_weights=adapter.weights)), in_memory)
    assert len(loaded._loras.loaded) == 2        # the folder once, the bytes once
    assert np.array_equal(loaded.generate(inputs()), plain)   # switched off again
    with pytest.raises(ValueError, match="sha256 is"):
        loaded.generate(inputs(lora_weights=adapter.weights, lora_sha256="0" * 64))
    with pytest.raises(ValueError, match="not both"):
        loaded.generate(inputs(lora=tmp_path, lora_weights=adapter.weights))
    with pytest.raises(ValueError, match="without lora_weights"):
        loaded.generate(inputs(lora_sha256=adapter.sha256))


def test_gradient_checkpointing_and_batches_change_nothing_but_memory(tiny, monkeypatch):
    from diffusers import Flux2Transformer2DModel

    calls = []
    original = Flux2Transformer2DModel.enable_gradient_checkpointing
    monkeypatch.setattr(Flux2Transformer2DModel, "enable_gradient_checkpointing",
                        lambda self, *a, **k: (calls.append(1), original(self, *a, **k)))
    base = tiny["flux2-klein"]["base"]
    config = dataclasses.replace(CONFIG, steps=3, batch_size=3)
    plain = train_lora("flux2-klein", base, EXAMPLES, config)
    assert calls == []                          # off on the CPU unless asked
    checkpointed = train_lora("flux2-klein", base, EXAMPLES,
                              dataclasses.replace(config, gradient_checkpointing=True))
    assert calls == [1]
    assert checkpointed.weights == plain.weights
