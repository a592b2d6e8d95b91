"""Model folders with random weights, in diffusers' on-disk layout (like ``numpy.testing``:
for the tests and the bench, never for a brand's images).

No package ships real SDXL or FLUX.2 weights (../shared/notes), so the recipes' loading
and running code is exercised on folders written here: the *tiny* builders make models of
a few million parameters that run two steps at 64 px in well under a second on a CPU; the
*full-size* builders make the real architectures (SDXL base 1.0 with two SDXL ControlNets
and an IP-Adapter; FLUX.2 [klein] 4B) with random weights, for timing on a GPU.

Everything is built in code: the tokenizers too (a byte-level vocabulary, no merges
file from the hub). Nothing is downloaded. Each builder seeds ``torch.manual_seed`` so
that a folder is the same every time it is built.

Real-size configurations, and where their values come from:

* SDXL base 1.0 (``stabilityai/stable-diffusion-xl-base-1.0``, its ``unet``, ``vae``,
  ``text_encoder`` (CLIP ViT-L/14 text) and ``text_encoder_2`` (OpenCLIP ViT-bigG/14
  text) ``config.json`` files, as diffusers' SDXL docs and its single-file loader's
  ``SDXL`` defaults give them); the ControlNets are ``ControlNetModel.from_unet`` of that
  UNet (what diffusers' ``train_controlnet_sdxl.py`` builds and what
  ``diffusers/controlnet-depth-sdxl-1.0`` ships), with the conditioning embedding
  ``(16, 32, 96, 256)``; the IP-Adapter is ``h94/IP-Adapter``
  ``sdxl_models/ip-adapter_sdxl_vit-h``: a ViT-H/14 image encoder (projection 1024) and
  4 image tokens projected to the UNet's 2048-wide cross-attention.
* FLUX.2 [klein] 4B (``black-forest-labs/FLUX.2-klein-4B``, Apache-2.0): the transformer
  has 5 double-stream and 20 single-stream blocks, 24 heads of 128, ``in_channels`` 128,
  ``joint_attention_dim`` 7680 (= 3 x Qwen3-4B's 2560, the pipeline stacks hidden layers
  9, 18 and 27), ``mlp_ratio`` 3, RoPE axes (32, 32, 32, 32), ``rope_theta`` 2000, no
  guidance embedding (the values mflux's ``Flux2Transformer`` defaults to and which other
  ports of the checkpoint repeat); the text encoder is Qwen3-4B (hidden 2560, 36 layers, 32
  heads, 8 KV heads, head_dim 128, MLP 9728, vocabulary 151936, tied embeddings); the VAE
  is ``AutoencoderKLFlux2`` at diffusers' defaults (32 latent channels, 2x2 patches); the
  scheduler ``FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True)``;
  ``model_index.json`` has ``is_distilled: true``.

The tokenizers of the full-size folders are the same small byte-level ones as the tiny
folders' (the real vocabularies are not shipped by any package); their ids all lie inside
the real embedding tables, so the models run exactly as they would with the real ones.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

_DIFFUSERS_VERSION = "0.42.1"

# ---------------------------------------------------------------------------------------
# configurations

TINY_SDXL: dict[str, Any] = {
    # as diffusers' tests/pipelines/controlnet/test_controlnet_sdxl.py get_dummy_components,
    # except the VAE and the ControlNet's conditioning embedding (below)
    "unet": dict(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32,
        in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=80,  # 6 * 8 + 32 (text_encoder_2 projection)
        cross_attention_dim=64,                    # 32 + 32 (both text encoders' hidden)
    ),
    # The VAE and the ControlNet's conditioning embedding downsample 8 times, as SDXL's
    # do (the test file's two-block VAE downsamples twice: a 256 px image would make a
    # 128 x 128 latent, as a 1024 px image does on the real model).
    "conditioning_embedding_out_channels": (8, 16, 16, 32),
    "vae": dict(
        block_out_channels=[32, 32, 64, 64], in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
        layers_per_block=1, latent_channels=4, sample_size=64,
    ),
    "text_encoder": dict(
        hidden_size=32, intermediate_size=37, layer_norm_eps=1e-05, num_attention_heads=4,
        num_hidden_layers=5, vocab_size=1000, hidden_act="gelu", projection_dim=32,
        max_position_embeddings=77,
    ),
    "text_encoder_2": dict(
        hidden_size=32, intermediate_size=37, layer_norm_eps=1e-05, num_attention_heads=4,
        num_hidden_layers=5, vocab_size=1000, hidden_act="gelu", projection_dim=32,
        max_position_embeddings=77,
    ),
    "image_encoder": dict(
        hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
        image_size=32, patch_size=8, projection_dim=32, hidden_act="gelu",
    ),
}

FULL_SDXL: dict[str, Any] = {
    "unet": dict(
        sample_size=128, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(320, 640, 1280), layers_per_block=2,
        attention_head_dim=(5, 10, 20), transformer_layers_per_block=(1, 2, 10),
        cross_attention_dim=2048, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,  # 6 * 256 + 1280
        norm_num_groups=32,
    ),
    "conditioning_embedding_out_channels": (16, 32, 96, 256),
    "vae": dict(
        in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
        block_out_channels=[128, 256, 512, 512], layers_per_block=2, latent_channels=4,
        sample_size=1024, scaling_factor=0.13025, force_upcast=True,
    ),
    "text_encoder": dict(  # CLIP ViT-L/14 text tower
        hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
        vocab_size=49408, hidden_act="quick_gelu", projection_dim=768,
        max_position_embeddings=77, layer_norm_eps=1e-05,
    ),
    "text_encoder_2": dict(  # OpenCLIP ViT-bigG/14 text tower, with its projection
        hidden_size=1280, intermediate_size=5120, num_attention_heads=20, num_hidden_layers=32,
        vocab_size=49408, hidden_act="gelu", projection_dim=1280,
        max_position_embeddings=77, layer_norm_eps=1e-05,
    ),
    "image_encoder": dict(  # OpenCLIP ViT-H/14 image tower (IP-Adapter SDXL vit-h)
        hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=16,
        image_size=224, patch_size=14, projection_dim=1024, hidden_act="gelu",
        layer_norm_eps=1e-05,
    ),
}

_SDXL_SCHEDULER = dict(
    # stable-diffusion-xl-base-1.0 scheduler/scheduler_config.json
    num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
    steps_offset=1, timestep_spacing="leading", prediction_type="epsilon",
    interpolation_type="linear", use_karras_sigmas=False,
)

TINY_FLUX2_KLEIN: dict[str, Any] = {
    # as diffusers' tests/pipelines/flux2/test_pipeline_flux2_klein*.py get_dummy_components,
    # except the VAE (below), and that the text encoder has the 28 layers the pipeline's default
    # text_encoder_out_layers (9, 18, 27) read, so that the recipe runs the tiny folder
    # exactly as the real one; joint_attention_dim is then 3 x 16.
    "transformer": dict(
        patch_size=1, in_channels=4, num_layers=1, num_single_layers=1,
        attention_head_dim=16, num_attention_heads=2, joint_attention_dim=48,
        timestep_guidance_channels=256, axes_dims_rope=[4, 4, 4, 4], guidance_embeds=False,
    ),
    "text_encoder": dict(
        hidden_size=16, intermediate_size=16, num_hidden_layers=28, num_attention_heads=2,
        num_key_value_heads=2, head_dim=8, vocab_size=320, max_position_embeddings=512,
        tie_word_embeddings=True,
    ),
    "vae": dict(  # 8x down, as FLUX.2's (the test file's one-block VAE does not downsample)
        sample_size=32, in_channels=3, out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 8, 8, 8), layers_per_block=1, latent_channels=1,
        norm_num_groups=1, use_quant_conv=False, use_post_quant_conv=False,
    ),
    "is_distilled": True,
}

FULL_FLUX2_KLEIN: dict[str, Any] = {
    "transformer": dict(
        patch_size=1, in_channels=128, num_layers=5, num_single_layers=20,
        attention_head_dim=128, num_attention_heads=24, joint_attention_dim=7680,
        timestep_guidance_channels=256, mlp_ratio=3.0, axes_dims_rope=[32, 32, 32, 32],
        rope_theta=2000, eps=1e-6, guidance_embeds=False,
    ),
    "text_encoder": dict(  # Qwen3-4B
        hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
        num_key_value_heads=8, head_dim=128, vocab_size=151936, max_position_embeddings=40960,
        rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
    ),
    "vae": dict(),  # AutoencoderKLFlux2 defaults are FLUX.2's VAE
    "is_distilled": True,
}

_FLUX2_SCHEDULER = dict(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True)

# ---------------------------------------------------------------------------------------
# tokenizers, built in code


def _byte_chars() -> list[str]:
    """GPT-2's reversible byte -> printable character table (CLIP and Qwen use it)."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
            + list(range(ord("®"), ord("ÿ") + 1)))
    chars, extra = keep[:], 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


# a few merges so that the BPE model is a BPE model (common English pairs)
_MERGES = [("t", "h"), ("th", "e</w>"), ("a", "n"), ("i", "n"), ("e", "r"), ("o", "n"),
           ("a", "t"), ("e", "n"), ("o", "r"), ("s", "t")]


def clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer over bytes (524 ids: 512 byte symbols, 10 merges, 2 special),
    ``model_max_length`` 77."""
    from transformers import CLIPTokenizer

    chars = _byte_chars()
    vocab: dict[str, int] = {}
    for c in chars:
        vocab[c] = len(vocab)
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    for a, b in _MERGES:
        vocab.setdefault(a + b, len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=list(_MERGES), model_max_length=77)


# Qwen3's chat markup, reduced to what Flux2KleinPipeline uses (one user turn, the
# generation prompt, thinking switched off), in Qwen3's own format.
_QWEN3_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}"
    "<think>\n\n</think>\n\n{% endif %}{% endif %}"
)
_QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]


def qwen_tokenizer() -> Any:
    """A Qwen2 byte-level BPE tokenizer (261 ids) with Qwen3's chat markup."""
    from transformers import Qwen2Tokenizer

    vocab = {c: i for i, c in enumerate(_byte_chars())}
    for s in _QWEN_SPECIALS:
        vocab[s] = len(vocab)
    return Qwen2Tokenizer(vocab=vocab, merges=[], chat_template=_QWEN3_CHAT_TEMPLATE,
                          model_max_length=131072, extra_special_tokens=_QWEN_SPECIALS[1:])


# ---------------------------------------------------------------------------------------
# module factories (shared by the tiny and the full-size builders)


def _sdxl_factories(cfg: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    tok = clip_tokenizer()
    ids = dict(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
               pad_token_id=tok.pad_token_id)
    controlnet_cfg = {k: v for k, v in cfg["unet"].items()
                      if k not in ("up_block_types", "out_channels", "sample_size")}
    controlnet_cfg["conditioning_embedding_out_channels"] = \
        cfg["conditioning_embedding_out_channels"]
    return {
        "unet": lambda: UNet2DConditionModel(**cfg["unet"]),
        "vae": lambda: AutoencoderKL(**cfg["vae"]),
        "text_encoder": lambda: CLIPTextModel(CLIPTextConfig(**cfg["text_encoder"], **ids)),
        "text_encoder_2": lambda: CLIPTextModelWithProjection(
            CLIPTextConfig(**cfg["text_encoder_2"], **ids)),
        "controlnet": lambda: ControlNetModel(**controlnet_cfg),
        "image_encoder": lambda: CLIPVisionModelWithProjection(
            CLIPVisionConfig(**cfg["image_encoder"])),
    }


def _flux2_factories(cfg: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    from diffusers import AutoencoderKLFlux2, Flux2Transformer2DModel
    from transformers import Qwen3Config, Qwen3ForCausalLM

    tok = qwen_tokenizer()
    ids = dict(pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
               bos_token_id=tok.eos_token_id)
    return {
        "transformer": lambda: Flux2Transformer2DModel(**cfg["transformer"]),
        "text_encoder": lambda: Qwen3ForCausalLM(Qwen3Config(**cfg["text_encoder"], **ids)),
        "vae": lambda: AutoencoderKLFlux2(**cfg["vae"]),
    }


def _ip_adapter_state_dict(unet_cfg: dict[str, Any], image_embed_dim: int,
                           generator: torch.Generator | None, num_tokens: int = 4,
                           std: float = 0.02) -> dict[str, torch.Tensor]:
    """An IP-Adapter (the plain, 4-token kind) for a UNet of this configuration, in the
    layout ``load_ip_adapter`` reads from one safetensors file: ``image_proj.*`` (the
    projection of the image embedding to ``num_tokens`` cross-attention tokens) and
    ``ip_adapter.{1,3,5,...}.to_{k,v}_ip.weight``, one pair per cross-attention layer in
    the order of ``unet.attn_processors``. ``generator=None``: shapes only (``meta``)."""
    from accelerate import init_empty_weights
    from diffusers import UNet2DConditionModel

    with init_empty_weights():
        unet = UNet2DConditionModel(**unet_cfg)
    cross = int(unet.config.cross_attention_dim)
    blocks = list(unet.config.block_out_channels)

    def rand(*shape: int) -> torch.Tensor:
        if generator is None:
            return torch.empty(*shape, device="meta")
        return torch.randn(*shape, generator=generator) * std

    sd = {
        "image_proj.proj.weight": rand(num_tokens * cross, image_embed_dim),
        "image_proj.proj.bias": torch.zeros(num_tokens * cross),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = blocks[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(blocks))[int(name[len("up_blocks.")])]
        else:
            hidden = blocks[int(name[len("down_blocks.")])]
        sd[f"ip_adapter.{key_id}.to_k_ip.weight"] = rand(hidden, cross)
        sd[f"ip_adapter.{key_id}.to_v_ip.weight"] = rand(hidden, cross)
        key_id += 2
    return sd


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _save(module: Any, folder: Path, dtype: torch.dtype | None) -> None:
    if dtype is not None:
        module.to(dtype)
    module.save_pretrained(folder)


def _sdxl_pipeline_folder(base: Path, make: dict[str, Callable[[], Any]], *, seed: int,
                          dtype: torch.dtype | None, ctx: Any,
                          unet: Callable[[], Any] | None = None) -> None:
    """An SDXL pipeline folder as ``stable-diffusion-xl-base-1.0`` lays it out."""
    from diffusers import EulerDiscreteScheduler

    # one module at a time, each freed once written (the full-size UNet is 10 GB in fp32)
    for i, name in enumerate(["unet", "vae", "text_encoder", "text_encoder_2"]):
        torch.manual_seed(seed + i)
        with ctx, torch.no_grad():
            module = (unet or make["unet"])() if name == "unet" else make[name]()
        _save(module, base / name, dtype)
        del module
    EulerDiscreteScheduler(**_SDXL_SCHEDULER).save_pretrained(base / "scheduler")
    for sub in ("tokenizer", "tokenizer_2"):
        clip_tokenizer().save_pretrained(base / sub)
    _write_json(base / "model_index.json", {
        "_class_name": "StableDiffusionXLPipeline",
        "_diffusers_version": _DIFFUSERS_VERSION,
        "force_zeros_for_empty_prompt": True,
        "feature_extractor": [None, None],
        "image_encoder": [None, None],
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    })


def _build_sdxl(root: Path, cfg: dict[str, Any], *, seed: int, dtype: torch.dtype | None,
                device: str | None, inpaint: bool = False) -> dict[str, Path]:
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    root = Path(root)
    base, pose, depth, ip = (root / "sdxl-base", root / "sdxl-controlnet-openpose",
                             root / "sdxl-controlnet-depth", root / "sdxl-ip-adapter")
    make = _sdxl_factories(cfg)
    ctx = torch.device(device) if device else contextlib.nullcontext()
    _sdxl_pipeline_folder(base, make, seed=seed, dtype=dtype, ctx=ctx)
    for i, (name, folder) in enumerate([("controlnet", pose), ("controlnet", depth),
                                        ("image_encoder", ip / "image_encoder")]):
        torch.manual_seed(seed + 10 + i)
        with ctx, torch.no_grad():
            module = make[name]()
        _save(module, folder, dtype)
        del module
    gen = torch.Generator().manual_seed(seed + 100)
    sd = _ip_adapter_state_dict(cfg["unet"], cfg["image_encoder"]["projection_dim"], gen)
    if dtype is not None:
        sd = {k: v.to(dtype) for k, v in sd.items()}
    save_file(sd, str(ip / "ip-adapter.safetensors"))
    folders = {"base": base, "pose_controlnet": pose, "depth_controlnet": depth,
               "ip_adapter": ip}
    if inpaint:  # an inpainting checkpoint: the UNet also reads the mask and masked image
        folders["inpaint"] = root / "sdxl-inpaint"
        _sdxl_pipeline_folder(folders["inpaint"], make, seed=seed + 20, dtype=dtype, ctx=ctx,
                              unet=lambda: UNet2DConditionModel(**{**cfg["unet"],
                                                                   "in_channels": 9}))
    return folders


def _build_flux2_klein(root: Path, cfg: dict[str, Any], *, seed: int,
                       dtype: torch.dtype | None, device: str | None,
                       inpaint: bool = False) -> dict[str, Path]:
    name = "flux2-klein" if cfg["is_distilled"] else "flux2-klein-base"
    folders = {"base": _flux2_klein_folder(Path(root) / name, cfg, seed=seed,
                                           dtype=dtype, device=device)}
    if inpaint:  # a second checkpoint for the garment pass (other weights, same layout)
        folders["inpaint"] = _flux2_klein_folder(Path(root) / f"{name}-inpaint", cfg,
                                                 seed=seed + 20, dtype=dtype, device=device)
    return folders


def _flux2_klein_folder(base: Path, cfg: dict[str, Any], *, seed: int,
                        dtype: torch.dtype | None, device: str | None) -> Path:
    from diffusers import FlowMatchEulerDiscreteScheduler

    make = _flux2_factories(cfg)
    ctx = torch.device(device) if device else contextlib.nullcontext()
    for i, name in enumerate(["transformer", "text_encoder", "vae"]):
        torch.manual_seed(seed + i)
        with ctx, torch.no_grad():
            module = make[name]()
        _save(module, base / name, dtype)
        del module
    FlowMatchEulerDiscreteScheduler(**_FLUX2_SCHEDULER).save_pretrained(base / "scheduler")
    qwen_tokenizer().save_pretrained(base / "tokenizer")
    _write_json(base / "model_index.json", {
        "_class_name": "Flux2KleinPipeline",
        "_diffusers_version": _DIFFUSERS_VERSION,
        "is_distilled": bool(cfg["is_distilled"]),
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "Qwen3ForCausalLM"],
        "tokenizer": ["transformers", "Qwen2TokenizerFast"],
        "transformer": ["diffusers", "Flux2Transformer2DModel"],
        "vae": ["diffusers", "AutoencoderKLFlux2"],
    })
    return base


# ---------------------------------------------------------------------------------------
# public builders


def build_tiny_sdxl(root: Path, *, seed: int = 0, inpaint: bool = False) -> dict[str, Path]:
    """Write a tiny SDXL base pipeline, an OpenPose and a depth ControlNet and an
    IP-Adapter folder (``image_encoder/`` + ``ip-adapter.safetensors``) under ``root``;
    returns role -> folder (``base``, ``pose_controlnet``, ``depth_controlnet``,
    ``ip_adapter``; with ``inpaint``, also an inpainting pipeline whose UNet takes 9
    channels). About 4 M parameters in all, float32."""
    return _build_sdxl(root, TINY_SDXL, seed=seed, dtype=None, device=None, inpaint=inpaint)


def build_tiny_flux2_klein(root: Path, *, seed: int = 0, inpaint: bool = False,
                           distilled: bool = True) -> dict[str, Path]:
    """Write a tiny FLUX.2 [klein] pipeline folder (transformer, Qwen3 text encoder,
    Qwen2 tokenizer, FLUX.2 VAE, flow-matching scheduler) under ``root``; returns
    ``{"base": folder}`` (with ``inpaint``, also a second such folder, other weights).
    ``distilled=False`` marks it as a base (not step-distilled) model, which runs
    classifier-free guidance, in folders named ``flux2-klein-base*``."""
    cfg = {**TINY_FLUX2_KLEIN, "is_distilled": distilled}
    return _build_flux2_klein(root, cfg, seed=seed, dtype=None, device=None,
                              inpaint=inpaint)


def build_full_size_sdxl(root: Path, *, seed: int = 0, dtype: torch.dtype = torch.float16,
                         device: str | None = None) -> dict[str, Path]:
    """The real SDXL base 1.0 architecture, two SDXL ControlNets and an IP-Adapter
    (vit-h), random weights, saved in ``dtype`` (about 5.7 G parameters, 11.4 GB in fp16).
    ``device="cuda"`` initialises the weights on the GPU (much faster)."""
    return _build_sdxl(root, FULL_SDXL, seed=seed, dtype=dtype, device=device)


def build_full_size_flux2_klein(root: Path, *, seed: int = 0,
                                dtype: torch.dtype = torch.bfloat16,
                                device: str | None = None) -> dict[str, Path]:
    """The real FLUX.2 [klein] 4B architecture with its Qwen3-4B text encoder, random
    weights, saved in ``dtype`` (about 8 G parameters, 16 GB in bf16)."""
    return _build_flux2_klein(root, FULL_FLUX2_KLEIN, seed=seed, dtype=dtype, device=device)


def parameter_counts(which: str) -> dict[str, int]:
    """Parameters of each module of a configuration (``tiny-sdxl``, ``full-sdxl``,
    ``tiny-flux2-klein``, ``full-flux2-klein``), counted on the ``meta`` device (nothing
    is allocated). ``controlnet`` is one ControlNet; the IP-Adapter's own projection
    layers are counted as ``ip_adapter``."""
    cfg, factories = {
        "tiny-sdxl": (TINY_SDXL, _sdxl_factories),
        "full-sdxl": (FULL_SDXL, _sdxl_factories),
        "tiny-flux2-klein": (TINY_FLUX2_KLEIN, _flux2_factories),
        "full-flux2-klein": (FULL_FLUX2_KLEIN, _flux2_factories),
    }[which]
    counts = {}
    for name, make in factories(cfg).items():
        with torch.device("meta"):
            module = make()
        counts[name] = sum(p.numel() for p in module.parameters())
    if "image_encoder" in cfg:
        sd = _ip_adapter_state_dict(cfg["unet"], cfg["image_encoder"]["projection_dim"], None)
        counts["ip_adapter"] = sum(v.numel() for v in sd.values())
    return counts


# ---------------------------------------------------------------------------------------
# LoRA weights for the tiny models (the twin-training issue writes real ones)


def _randomise_lora_b(model: torch.nn.Module, generator: torch.Generator,
                      std: float) -> None:
    # PEFT starts lora_B at zero (a LoRA that changes nothing); give it weights
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=generator) * std)


def build_tiny_sdxl_lora(root: Path, base: Path, *, rank: int = 4, seed: int = 0,
                         std: float = 0.5) -> Path:
    """A LoRA for the tiny SDXL UNet at ``base``, written as ``train_dreambooth_lora_sdxl``
    writes one (``pytorch_lora_weights.safetensors`` in ``root``); returns ``root``."""
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    unet = UNet2DConditionModel.from_pretrained(Path(base) / "unet", local_files_only=True)
    torch.manual_seed(seed)
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian",
                                target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
    _randomise_lora_b(unet, torch.Generator().manual_seed(seed), std)
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    StableDiffusionXLPipeline.save_lora_weights(Path(root), unet_lora_layers=layers)
    return Path(root)


def build_tiny_flux2_klein_lora(root: Path, base: Path, *, rank: int = 4, seed: int = 0,
                                std: float = 0.5) -> Path:
    """A LoRA for the tiny FLUX.2 [klein] transformer at ``base`` (attention of the
    double-stream blocks), in diffusers' LoRA layout; returns ``root``."""
    from diffusers import Flux2KleinPipeline, Flux2Transformer2DModel
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    transformer = Flux2Transformer2DModel.from_pretrained(Path(base) / "transformer",
                                                          local_files_only=True)
    torch.manual_seed(seed)
    transformer.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian",
                                       target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
    _randomise_lora_b(transformer, torch.Generator().manual_seed(seed), std)
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(transformer))
    Flux2KleinPipeline.save_lora_weights(Path(root), transformer_lora_layers=layers)
    return Path(root)
