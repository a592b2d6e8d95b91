"""The diffusion recipes run for real (diffusers, torch) on tiny random models written
in diffusers' on-disk layout: roles checked before anything loads, sizes, determinism,
img2img, the IP-Adapter, the garment pass confined to its mask, the twin's LoRA, and
nothing reaching the network while loading or generating."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

from twinstudio.generation.diffusion import testing
from twinstudio.generation.diffusion.recipes import (
    RECIPES,
    Flux2KleinRecipe,
    SdxlRecipe,
    dilate_mask,
    load_recipe,
    reference_image,
    runtime,
)
from twinstudio.generation.diffusion.types import ModelFolder, RecipeInputs

pytestmark = pytest.mark.xdist_group("diffusion")

W, H = 64, 80   # multiples of 16, not square: catches a swapped width and height


def folders(paths: dict[str, Path], *roles: str) -> dict[str, ModelFolder]:
    return {role: ModelFolder(name=f"tiny-{role.replace('_', '-')}", kind="base", role=role,
                              path=paths[role], manifest_sha256="0" * 64) for role in roles}


def inputs(**changes) -> RecipeInputs:
    rng = np.random.default_rng(7)
    garment = np.zeros((H, W), dtype=bool)
    garment[30:62, 18:46] = True
    person = np.zeros((H, W), dtype=bool)
    person[8:76, 12:52] = True
    pose = np.zeros((H, W, 3), dtype=np.uint8)
    pose[10:70, 30:34] = (255, 85, 0)           # a limb or two on black
    pose[20:24, 16:48] = (0, 255, 170)
    depth = np.where(person[:, :, None], 200, 0).astype(np.uint8).repeat(3, axis=2)
    base = RecipeInputs(
        prompt="a photo of a woman in a red dress", negative_prompt="blurry", width=W,
        height=H, seed=11, steps=2, guidance=5.0, pose=pose, depth=depth,
        person_mask=person, garment_mask=np.zeros((H, W), dtype=bool),
        studio=rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
    if changes.pop("with_garment", False):
        changes.setdefault("garment_mask", garment)
        changes.setdefault("garment_images",
                           [rng.integers(0, 255, (48, 40, 3), dtype=np.uint8)])
    return dataclasses.replace(base, **changes)


FACE = np.random.default_rng(3).integers(0, 255, (40, 32, 3), dtype=np.uint8)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and steadily: with torch's two threads on
    two cores shared with another xdist worker a step took from 0.5 s to 25 s."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, dict[str, Path]]:
    root = tmp_path_factory.mktemp("tiny-models")
    sdxl = testing.build_tiny_sdxl(root, inpaint=True)
    flux = testing.build_tiny_flux2_klein(root, inpaint=True)
    return {
        "sdxl": {**sdxl, "lora": testing.build_tiny_sdxl_lora(root / "sdxl-lora",
                                                              sdxl["base"])},
        "flux2-klein": {**flux, "lora": testing.build_tiny_flux2_klein_lora(
            root / "flux2-klein-lora", flux["base"])},
    }


@pytest.fixture(scope="module")
def sdxl(tiny) -> SdxlRecipe:
    return load_recipe("sdxl", folders(tiny["sdxl"], "base", "pose_controlnet",
                                       "depth_controlnet", "ip_adapter"),
                       device="cpu", dtype=torch.float32, cpu_offload=True)


@pytest.fixture(scope="module")
def flux(tiny) -> Flux2KleinRecipe:
    return load_recipe("flux2-klein", folders(tiny["flux2-klein"], "base"), device="cpu",
                       dtype=torch.float32, cpu_offload=False)


# ----------------------------------------------------------------- before loading


def test_load_recipe_checks_roles_before_loading(tmp_path):
    nowhere = {"base": tmp_path / "no-base", "pose_controlnet": tmp_path / "no-pose",
               "ip_adapter": tmp_path / "no-ip"}
    with pytest.raises(ValueError, match="'pose_controlnet'"):
        load_recipe("sdxl", folders(nowhere, "base"), device="cpu", dtype=torch.float32)
    with pytest.raises(ValueError, match="no role 'ip_adapter'"):
        load_recipe("flux2-klein", folders(nowhere, "base", "ip_adapter"), device="cpu",
                    dtype=torch.float32)
    with pytest.raises(ValueError, match="unknown recipe"):
        load_recipe("sd15", folders(nowhere, "base"), device="cpu", dtype=torch.float32)
    with pytest.raises(ValueError, match="folder not found"):
        load_recipe("sdxl", folders(nowhere, "base", "pose_controlnet"), device="cpu",
                    dtype=torch.float32)
    assert set(RECIPES) == {"sdxl", "flux2-klein"}
    assert SdxlRecipe.required_roles == {"base", "pose_controlnet"}
    assert {"depth_controlnet", "ip_adapter", "lora"} <= SdxlRecipe.optional_roles
    assert Flux2KleinRecipe.required_roles == {"base"}


def test_runtime_on_this_machine():
    device, dtype = runtime("cpu")
    assert (device, dtype) == ("cpu", torch.float32)
    if torch.cuda.is_available():
        assert runtime("auto")[0] == "cuda"
        assert runtime("auto")[1] in (torch.bfloat16, torch.float16)
    else:
        assert runtime("auto") == ("cpu", torch.float32)
        with pytest.raises(ValueError, match="no CUDA"):
            runtime("cuda")
    with pytest.raises(ValueError):
        runtime("tpu")


def test_tiny_tokenizers_survive_a_save_and_a_load(tmp_path):
    from transformers import CLIPTokenizer, Qwen2Tokenizer

    clip = testing.clip_tokenizer()
    clip.save_pretrained(tmp_path / "clip")
    again = CLIPTokenizer.from_pretrained(tmp_path / "clip", local_files_only=True)
    assert len(again) == len(clip) == 524       # not the 2-token vocabulary of a bad load
    assert again.model_max_length == 77
    text = "a photo of a woman in a red dress"
    assert again(text).input_ids == clip(text).input_ids
    assert len(again(text).input_ids) > 5
    qwen = testing.qwen_tokenizer()
    qwen.save_pretrained(tmp_path / "qwen")
    again = Qwen2Tokenizer.from_pretrained(tmp_path / "qwen", local_files_only=True)
    assert len(again) == len(qwen) == 261
    chat = again.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                     add_generation_prompt=True, enable_thinking=False)
    assert chat.startswith("<|im_start|>user\n") and chat.endswith("</think>\n\n")
    assert again.convert_tokens_to_ids("<|im_start|>") in again(chat).input_ids


def test_full_size_architectures_instantiate_on_meta():
    sdxl = testing.parameter_counts("full-sdxl")
    assert sdxl["unet"] == 2_567_463_684          # SDXL base 1.0's UNet
    assert sdxl["text_encoder"] == 123_060_480    # CLIP ViT-L/14 text
    assert sdxl["text_encoder_2"] == 694_659_840  # OpenCLIP ViT-bigG/14 text + projection
    assert 1.2e9 < sdxl["controlnet"] < 1.3e9
    klein = testing.parameter_counts("full-flux2-klein")
    assert 3.8e9 < klein["transformer"] < 4.0e9   # "4B"
    assert 4.0e9 < klein["text_encoder"] < 4.1e9  # Qwen3-4B
    tiny = testing.parameter_counts("tiny-sdxl")
    assert sum(tiny.values()) < 5e6


# ------------------------------------------------------------------------- SDXL


def test_sdxl_size_type_and_seeds(sdxl):
    first = sdxl.generate(inputs())
    assert first.shape == (H, W, 3) and first.dtype == np.uint8
    assert np.array_equal(sdxl.generate(inputs()), first)
    assert not np.array_equal(sdxl.generate(inputs(seed=12)), first)
    p = sdxl.parameters
    assert p["recipe"] == "sdxl" and p["device"] == "cpu" and p["dtype"] == "float32"
    assert p["cpu_offload"] is False              # offload is for CUDA only
    assert p["controlnets"] == ["pose", "depth"] and p["ip_adapter"] is True
    assert p["scheduler"] == "EulerDiscreteScheduler"
    assert p["last"]["mode"] == "text2img" and p["last"]["garment_pass"] is False


def test_sdxl_img2img_from_the_studio_render(sdxl):
    text2img = sdxl.generate(inputs())
    img2img = sdxl.generate(inputs(strength=0.5))
    assert img2img.shape == (H, W, 3) and img2img.dtype == np.uint8
    assert not np.array_equal(img2img, text2img)
    assert np.array_equal(sdxl.generate(inputs(strength=0.5)), img2img)
    other_start = sdxl.generate(inputs(strength=0.5, studio=np.zeros((H, W, 3), np.uint8)))
    assert not np.array_equal(other_start, img2img)
    assert sdxl.parameters["last"]["mode"] == "img2img"


def test_sdxl_face_through_the_ip_adapter(sdxl):
    without = sdxl.generate(inputs())
    with_face = sdxl.generate(inputs(face=FACE))
    assert not np.array_equal(with_face, without)
    assert sdxl.parameters["last"]["face"] is True
    assert np.array_equal(sdxl.generate(inputs()), without)   # scale 0 again: no trace


def test_sdxl_garment_pass_stays_inside_its_mask(sdxl):
    first = sdxl.generate(inputs())
    request = inputs(with_garment=True)
    final = sdxl.generate(request)
    mask = dilate_mask(request.garment_mask, sdxl.garment_dilate_px)
    assert mask.sum() > request.garment_mask.sum()
    assert np.array_equal(final[~mask], first[~mask])
    assert np.abs(final[mask].astype(int) - first[mask]).mean() > 1.0
    assert sdxl.parameters["last"]["garment_pass"] is True
    # the product image conditions the pass
    other = sdxl.generate(inputs(with_garment=True, garment_images=[FACE]))
    assert not np.array_equal(other[mask], final[mask])


def test_sdxl_refuses_sizes_the_pipeline_cannot_run(sdxl):
    with pytest.raises(ValueError, match="multiples of 16"):
        sdxl.generate(inputs(width=72))
    with pytest.raises(ValueError, match=r"pose must be \(80, 64, 3\)"):
        sdxl.generate(inputs(pose=np.zeros((64, 64, 3), np.uint8)))


def test_sdxl_twin_lora(sdxl, tiny):
    plain = sdxl.generate(inputs())
    lora = tiny["sdxl"]["lora"]
    full = sdxl.generate(inputs(lora=lora))
    half = sdxl.generate(inputs(lora=lora, lora_scale=0.5))
    assert not np.array_equal(full, plain) and not np.array_equal(half, full)
    assert sdxl.parameters["last"]["lora"] is True
    assert np.array_equal(sdxl.generate(inputs(lora=lora / "pytorch_lora_weights.safetensors")),
                          full)
    assert len(sdxl._loras.loaded) == 1           # the same file, loaded once
    assert np.array_equal(sdxl.generate(inputs()), plain)   # switched off again


def test_sdxl_with_an_inpainting_checkpoint(tiny):
    recipe = load_recipe("sdxl", folders(tiny["sdxl"], "base", "pose_controlnet", "inpaint"),
                         device="cpu", dtype=torch.float32)
    assert recipe.inpaint_pipe.unet.config.in_channels == 9
    first = recipe.generate(inputs())
    request = inputs(with_garment=True)
    final = recipe.generate(request)
    mask = dilate_mask(request.garment_mask, recipe.garment_dilate_px)
    assert np.array_equal(final[~mask], first[~mask])
    assert not np.array_equal(final[mask], first[mask])
    assert recipe.parameters["inpaint_model"] is True
    assert recipe.parameters["controlnets"] == ["pose"]


@pytest.mark.parametrize("recipe", ["sdxl", "flux2-klein"])
def test_every_pipeline_keeps_the_runtime_dtype(tiny, recipe):
    # diffusers' from_pipe casts what it shares to float32 unless given a dtype: a bf16
    # SDXL on a GPU would silently double its memory (found at full size: 21 GB, OOM)
    roles = ("base", "pose_controlnet", "ip_adapter") if recipe == "sdxl" else ("base",)
    loaded = load_recipe(recipe, folders(tiny[recipe], *roles), device="cpu",
                         dtype=torch.bfloat16)
    pipes = ([loaded.pipe, loaded.img2img_pipe, loaded.inpaint_pipe] if recipe == "sdxl"
             else [loaded.pipe, loaded.inpaint_pipe])
    for pipe in pipes:
        for name, module in pipe.components.items():
            if isinstance(module, torch.nn.Module):
                assert module.dtype == torch.bfloat16, (type(pipe).__name__, name)
    assert loaded.parameters["dtype"] == "bfloat16"


def test_nothing_reaches_the_network(tiny, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted during a recipe")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    recipe = load_recipe("sdxl", folders(tiny["sdxl"], "base", "pose_controlnet",
                                         "ip_adapter"), device="cpu", dtype=torch.float32)
    assert recipe.generate(inputs(face=FACE, with_garment=True)).shape == (H, W, 3)
    klein = load_recipe("flux2-klein", folders(tiny["flux2-klein"], "base"), device="cpu",
                        dtype=torch.float32)
    assert klein.generate(inputs(face=FACE, with_garment=True)).shape == (H, W, 3)


# ---------------------------------------------------------------- FLUX.2 [klein]


def test_flux2_klein_runs_and_is_deterministic(flux):
    first = flux.generate(inputs(face=FACE, full_body=FACE))
    assert first.shape == (H, W, 3) and first.dtype == np.uint8
    assert np.array_equal(flux.generate(inputs(face=FACE, full_body=FACE)), first)
    assert not np.array_equal(flux.generate(inputs(seed=12, face=FACE, full_body=FACE)),
                              first)
    assert not np.array_equal(flux.generate(inputs()), first)   # references count
    p = flux.parameters
    assert p["recipe"] == "flux2-klein" and p["distilled"] is True
    assert p["scheduler"] == "FlowMatchEulerDiscreteScheduler"
    assert p["last"]["references"] == 1 and p["last"]["guidance"] == 1.0


def test_flux2_klein_img2img_and_garment_pass(flux):
    img2img = flux.generate(inputs(strength=0.5))
    assert img2img.shape == (H, W, 3)
    assert not np.array_equal(img2img, flux.generate(inputs()))
    request = inputs(with_garment=True)
    first = flux.generate(dataclasses.replace(request, garment_mask=np.zeros((H, W), bool)))
    final = flux.generate(request)
    mask = dilate_mask(request.garment_mask, flux.garment_dilate_px)
    assert np.array_equal(final[~mask], first[~mask])
    assert not np.array_equal(final[mask], first[mask])
    with pytest.raises(ValueError, match="multiples of 16"):
        flux.generate(inputs(height=88))


def test_flux2_klein_lora_and_inpaint_checkpoint(tiny):
    recipe = load_recipe("flux2-klein", folders(tiny["flux2-klein"], "base", "inpaint"),
                         device="cpu", dtype=torch.float32)
    assert recipe.inpaint_pipe.transformer is not recipe.pipe.transformer
    plain = recipe.generate(inputs(with_garment=True))
    tuned = recipe.generate(inputs(with_garment=True, lora=tiny["flux2-klein"]["lora"]))
    assert not np.array_equal(plain, tuned)
    assert np.array_equal(recipe.generate(inputs(with_garment=True)), plain)


def test_flux2_klein_base_model_runs_guidance_with_the_negative_prompt(tmp_path):
    paths = testing.build_tiny_flux2_klein(tmp_path, distilled=False)
    recipe = load_recipe("flux2-klein", folders(paths, "base"), device="cpu",
                         dtype=torch.float32)
    guided = recipe.generate(inputs(guidance=4.0))
    assert recipe.parameters["distilled"] is False
    assert recipe.parameters["last"]["guidance"] == 4.0
    assert not np.array_equal(recipe.generate(inputs(guidance=1.0)), guided)
    assert not np.array_equal(recipe.generate(inputs(guidance=4.0, negative_prompt="grainy")),
                              guided)


def test_reference_images_meet_flux2_limits():
    small = reference_image(np.zeros((20, 30, 3), np.uint8))
    assert min(small.size) >= 64
    long = reference_image(np.zeros((64, 1000, 3), np.uint8))
    assert max(long.size) / min(long.size) <= 8
