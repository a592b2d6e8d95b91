"""The diffusion recipes: diffusers pipelines loaded once from folders a brand holds on
disk, then run per image (the ``Recipe`` protocol of ``types``).

* ``sdxl``: SDXL base with an OpenPose ControlNet (and a depth ControlNet), text to image
  from noise, or image to image from the studio render when ``strength`` is given; the
  face crop conditions it through an IP-Adapter when one is registered. Then a garment
  pass: the ControlNet inpainting pipeline repaints the (dilated) garment mask at a short
  strength, conditioned on the garment product images through the IP-Adapter, and only
  the pixels inside that mask are taken from it.
* ``flux2-klein``: FLUX.2 [klein] with reference images (the face crop, the full-body
  capture, the garment product images and the pose skeleton); image to image and the
  garment pass through ``Flux2KleinInpaintPipeline`` (in diffusers 0.42.1), which takes one
  reference image: there the references are tiled into one sheet.

The twin's LoRA (``loras``) is given per image as a file or folder, or as safetensors
bytes in memory (``RecipeInputs.lora_weights``, what ``training.train_lora`` returns).

Nothing is downloaded: ``HF_HUB_OFFLINE`` is set before diffusers is imported and every
load is ``local_files_only``. torch and diffusers are imported when a recipe is built,
never when this module is. Seeds drive a CPU ``torch.Generator``, so that an image is
the same for a seed on any device of one kind (CUDA kernels may still differ from CPU).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twinstudio.domain.models import RECIPE_ROLES
from twinstudio.generation.diffusion.loras import (  # noqa: F401  (re-exported)
    MAX_LORAS,
    WEIGHT_SUFFIXES,
)
from twinstudio.generation.diffusion.loras import Loras as _Loras
from twinstudio.generation.diffusion.loras import weights_file as _weights_file
from twinstudio.generation.diffusion.types import ModelFolder, Recipe, RecipeInputs

if TYPE_CHECKING:
    import torch
    from PIL import Image

MULTIPLE = 16              # width and height: SDXL (VAE 8 x UNet 2) and FLUX.2 (8 x 2x2)
MIN_REFERENCE_SIDE = 64    # FLUX.2 refuses reference images with a side under 64 px
MAX_REFERENCE_ASPECT = 8   # ... or longer than 8:1


def runtime(device_setting: str = "auto") -> tuple[str, torch.dtype]:
    """The device and dtype to run on: ``auto`` is CUDA when present (bfloat16 where the
    GPU supports it, else float16), else the CPU in float32; ``cpu``, ``cuda`` and
    ``cuda:N`` choose (a CUDA device that is not there is a ValueError)."""
    import torch

    setting = (device_setting or "auto").strip().lower()
    if setting == "auto":
        setting = "cuda" if torch.cuda.is_available() else "cpu"
    if setting == "cpu":
        return "cpu", torch.float32
    if setting == "cuda" or setting.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {device_setting!r}: no CUDA device is present")
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return setting, dtype
    raise ValueError(f"device {device_setting!r}: use auto, cpu, cuda or cuda:N")


def _diffusers() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import diffusers

    return diffusers


# ------------------------------------------------------------------ image helpers


def dilate_mask(mask: np.ndarray, px: int) -> np.ndarray:
    """``mask`` grown by ``px`` pixels (a square neighbourhood: Chebyshev distance)."""
    out = np.asarray(mask, dtype=bool)
    if px <= 0 or not out.any():
        return out.copy()
    h, w = out.shape
    padded = np.pad(out, px)
    across = np.zeros((h + 2 * px, w), dtype=bool)   # separable: along rows, then columns
    for dx in range(2 * px + 1):
        across |= padded[:, dx:dx + w]
    grown = np.zeros((h, w), dtype=bool)
    for dy in range(2 * px + 1):
        grown |= across[dy:dy + h]
    return grown


def _pil(array: np.ndarray) -> Image.Image:
    from PIL import Image

    a = np.asarray(array)
    if a.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {a.dtype}")
    if a.ndim == 2:
        return Image.fromarray(a, mode="L")
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"images must be (H, W, 3) uint8, got shape {a.shape}")
    return Image.fromarray(a[:, :, :3], mode="RGB")


def _mask_pil(mask: np.ndarray) -> Image.Image:
    from PIL import Image

    return Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L")


def _uint8(images: Any) -> np.ndarray:
    """A pipeline's ``output_type="np"`` batch (floats in [0, 1]) -> (H, W, 3) uint8."""
    a = np.asarray(images[0], dtype=np.float32)
    return (np.clip(a, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def reference_image(array: np.ndarray, *, min_side: int = MIN_REFERENCE_SIDE,
                    max_aspect: int = MAX_REFERENCE_ASPECT) -> Image.Image:
    """A reference image FLUX.2 accepts: upscaled (Lanczos) so that its short side is at
    least ``min_side``, and padded with black to at most ``max_aspect``:1."""
    from PIL import Image

    img = _pil(array)
    w, h = img.size
    if min(w, h) < min_side:
        scale = min_side / min(w, h)
        w, h = max(min_side, math.ceil(w * scale)), max(min_side, math.ceil(h * scale))
        img = img.resize((w, h), Image.Resampling.LANCZOS)
    if max(w, h) > max_aspect * min(w, h):
        side = math.ceil(max(w, h) / max_aspect)
        canvas = Image.new("RGB", (max(w, side), max(h, side)))
        canvas.paste(img, ((canvas.width - w) // 2, (canvas.height - h) // 2))
        img = canvas
    return img


def reference_sheet(arrays: list[np.ndarray], *, cell: int | None = None) -> Image.Image:
    """Several references tiled into one image (square cells, each image letterboxed in
    its cell, ceil(sqrt(n)) columns), for the pipelines that take one reference."""
    from PIL import Image

    if not arrays:
        raise ValueError("no reference images to tile")
    if cell is None:
        cell = max(MIN_REFERENCE_SIDE, min(512, max(max(a.shape[:2]) for a in arrays)))
    cols = math.ceil(math.sqrt(len(arrays)))
    rows = math.ceil(len(arrays) / cols)
    sheet = Image.new("RGB", (cols * cell, rows * cell))
    for i, a in enumerate(arrays):
        img = _pil(a)
        scale = cell / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS)
        x, y = (i % cols) * cell, (i // cols) * cell
        sheet.paste(img, (x + (cell - size[0]) // 2, y + (cell - size[1]) // 2))
    return sheet


def _steps_for(steps: int, strength: float) -> int:
    """Enough steps that ``int(steps * strength)`` (what the pipelines run) is >= 1."""
    return max(steps, math.ceil(1.0 / max(strength, 1e-6)))


def _check_inputs(inputs: RecipeInputs) -> None:
    w, h = inputs.width, inputs.height
    if w <= 0 or h <= 0 or w % MULTIPLE or h % MULTIPLE:
        raise ValueError(f"width and height must be positive multiples of {MULTIPLE}, "
                         f"got {w}x{h}")
    if inputs.steps < 1:
        raise ValueError(f"steps must be at least 1, got {inputs.steps}")
    if inputs.strength is not None and not 0.0 < inputs.strength <= 1.0:
        raise ValueError(f"strength must be in (0, 1], got {inputs.strength}")
    for name in ("pose", "depth", "studio"):
        a = np.asarray(getattr(inputs, name))
        if a.shape != (h, w, 3) or a.dtype != np.uint8:
            raise ValueError(f"{name} must be ({h}, {w}, 3) uint8, got {a.shape} {a.dtype}")
    for name in ("person_mask", "garment_mask"):
        a = np.asarray(getattr(inputs, name))
        if a.shape != (h, w):
            raise ValueError(f"{name} must be ({h}, {w}), got {a.shape}")


# ----------------------------------------------------------------- shared machinery


class _Placement:
    """Where the pipelines run: moved to the device, or (CUDA only) model CPU offload,
    whose hooks belong to one pipeline at a time (they share their modules)."""

    def __init__(self, device: str, cpu_offload: bool) -> None:
        self.device = device
        self.offload = bool(cpu_offload) and device.startswith("cuda")
        self._hooked: Any = None

    def place(self, pipe: Any) -> None:
        if not self.offload:
            pipe.to(self.device)

    def before_run(self, pipe: Any) -> None:
        if self.offload and self._hooked is not pipe:
            pipe.enable_model_cpu_offload(device=self.device)
            self._hooked = pipe

    def invalidate(self) -> None:
        """Something (diffusers' LoRA loading) re-hooked a pipeline: hook again."""
        self._hooked = None


def _roles(models: dict[str, ModelFolder], recipe: str) -> None:
    required, optional = RECIPE_ROLES[recipe]
    missing = sorted(required - set(models))
    if missing:
        raise ValueError(f"the {recipe} recipe needs a model for role "
                         f"{', '.join(repr(r) for r in missing)}")
    unexpected = sorted(set(models) - required - optional)
    if unexpected:
        raise ValueError(f"the {recipe} recipe has no role "
                         f"{', '.join(repr(r) for r in unexpected)} (roles: "
                         f"{', '.join(sorted(required | optional))})")
    for role, folder in models.items():
        if not Path(folder.path).exists():
            raise ValueError(f"{role}: model folder not found: {folder.path}")


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


# --------------------------------------------------------------------------- SDXL


class SdxlRecipe:
    """SDXL + OpenPose (+ depth) ControlNet, optional IP-Adapter (face; garments in the
    garment pass), optional separate inpainting checkpoint, the twin's LoRA per image."""

    name = "sdxl"
    required_roles, optional_roles = RECIPE_ROLES["sdxl"]

    def __init__(self, models: dict[str, ModelFolder], *, device: str, dtype: torch.dtype,
                 cpu_offload: bool = False, garment_strength: float = 0.6,
                 garment_dilate_px: int = 4, ip_adapter_scale: float = 0.6,
                 controlnet_scales: tuple[float, float] = (1.0, 0.5)) -> None:
        import torch

        _roles(models, self.name)
        d = _diffusers()
        self.models = dict(models)
        self.device, self.dtype = device, dtype
        self.garment_strength = float(garment_strength)
        self.garment_dilate_px = int(garment_dilate_px)
        self.ip_adapter_scale = float(ip_adapter_scale)
        self._placement = _Placement(device, cpu_offload)
        common = dict(dtype=dtype, local_files_only=True)

        nets = [d.ControlNetModel.from_pretrained(models["pose_controlnet"].path, **common)]
        self.controlnets = ["pose"]
        if "depth_controlnet" in models:
            nets.append(d.ControlNetModel.from_pretrained(models["depth_controlnet"].path,
                                                          **common))
            self.controlnets.append("depth")
        self._cn_scales = [float(s) for s in controlnet_scales][:len(nets)]
        controlnet = nets[0] if len(nets) == 1 else d.MultiControlNetModel(nets)

        self.pipe = d.StableDiffusionXLControlNetPipeline.from_pretrained(
            models["base"].path, controlnet=controlnet, add_watermarker=False, **common)
        self.ip_adapter = "ip_adapter" in models
        self._ip_weight: str | None = None
        if "inpaint" in models:
            self.inpaint_pipe = d.StableDiffusionXLControlNetInpaintPipeline.from_pretrained(
                models["inpaint"].path, controlnet=controlnet, add_watermarker=False, **common)
        else:
            self.inpaint_pipe = None
        for pipe in [self.pipe, self.inpaint_pipe]:
            if pipe is not None and self.ip_adapter:
                self._load_ip_adapter(pipe, Path(models["ip_adapter"].path))
        # from_pipe casts the shared modules to its dtype, float32 unless told
        if self.inpaint_pipe is None:
            self.inpaint_pipe = d.StableDiffusionXLControlNetInpaintPipeline.from_pipe(
                self.pipe, add_watermarker=False, dtype=dtype)
        self.img2img_pipe = d.StableDiffusionXLControlNetImg2ImgPipeline.from_pipe(
            self.pipe, add_watermarker=False, dtype=dtype)
        for pipe in (self.pipe, self.img2img_pipe, self.inpaint_pipe):
            pipe.set_progress_bar_config(disable=True)
            self._placement.place(pipe)
        self._loras = _Loras(self.pipe, on_change=self._placement.invalidate)
        self._inpaint_loras = (None if self.inpaint_pipe.unet is self.pipe.unet
                               else _Loras(self.inpaint_pipe,
                                           on_change=self._placement.invalidate))
        self._default_lora = Path(models["lora"].path) if "lora" in models else None
        self._torch = torch
        self._last: dict[str, Any] = {}

    def _load_ip_adapter(self, pipe: Any, folder: Path) -> None:
        weight = _weights_file(folder, ("ip-adapter.safetensors", "ip-adapter.bin"))
        pipe.load_ip_adapter(str(folder), subfolder="", weight_name=weight,
                             image_encoder_folder="image_encoder", local_files_only=True)
        self._ip_weight = weight

    # ------------------------------------------------------------------ helpers
    def _ip_kwargs(self, pipe: Any, images: list[np.ndarray], guidance: float
                   ) -> dict[str, Any]:
        """The IP-Adapter arguments of one call: the images at the recipe's scale, or,
        with none to give, zero embeddings at scale 0 (the adapter then adds nothing)."""
        if not self.ip_adapter:
            return {}
        if images:
            pipe.set_ip_adapter_scale(self.ip_adapter_scale)
            pils = [_pil(a) for a in images]
            return {"ip_adapter_image": [pils if len(pils) > 1 else pils[0]]}
        pipe.set_ip_adapter_scale(0.0)
        cfg = guidance > 1.0 and pipe.unet.config.time_cond_proj_dim is None
        dim = pipe.image_encoder.config.projection_dim
        # (negative, positive) x 1 image x dim; the pipeline moves them to its device
        return {"ip_adapter_image_embeds": [
            self._torch.zeros((2 if cfg else 1, 1, dim), dtype=self.dtype)]}

    def _control(self, inputs: RecipeInputs) -> tuple[Any, Any]:
        images = [_pil(inputs.pose)]
        if len(self.controlnets) > 1:
            images.append(_pil(inputs.depth))
            return images, list(self._cn_scales)
        return images[0], self._cn_scales[0]

    def _generator(self, seed: int) -> torch.Generator:
        return self._torch.Generator(device="cpu").manual_seed(int(seed))

    # ----------------------------------------------------------------- generate
    def generate(self, inputs: RecipeInputs) -> np.ndarray:
        _check_inputs(inputs)
        adapter = self._loras.activate_for(inputs, self._default_lora)
        control, scales = self._control(inputs)
        common = dict(prompt=inputs.prompt, negative_prompt=inputs.negative_prompt or None,
                      width=inputs.width, height=inputs.height,
                      guidance_scale=float(inputs.guidance),
                      controlnet_conditioning_scale=scales, output_type="np")
        face = [inputs.face] if inputs.face is not None and self.ip_adapter else []
        if inputs.strength is None:
            pipe, mode = self.pipe, "text2img"
            kwargs = dict(image=control, num_inference_steps=inputs.steps)
        else:
            pipe, mode = self.img2img_pipe, "img2img"
            kwargs = dict(image=_pil(inputs.studio), control_image=control,
                          strength=float(inputs.strength),
                          num_inference_steps=_steps_for(inputs.steps, inputs.strength))
        self._placement.before_run(pipe)
        with self._torch.inference_mode():
            out = pipe(**common, **kwargs, **self._ip_kwargs(pipe, face, inputs.guidance),
                       generator=self._generator(inputs.seed))
        image = _uint8(out.images)
        garment = bool(np.asarray(inputs.garment_mask).any())
        if garment:
            image = self._garment_pass(image, inputs, common, control)
        self._last = {"mode": mode, "steps": inputs.steps, "strength": inputs.strength,
                      "face": bool(face), "garment_pass": garment,
                      "garment_images": len(inputs.garment_images) if garment else 0,
                      "lora": adapter is not None, "lora_scale":
                      inputs.lora_scale if adapter is not None else None}
        return image

    def _garment_pass(self, image: np.ndarray, inputs: RecipeInputs,
                      common: dict[str, Any], control: Any) -> np.ndarray:
        mask = dilate_mask(inputs.garment_mask, self.garment_dilate_px)
        pipe = self.inpaint_pipe
        if self._inpaint_loras is not None:
            self._inpaint_loras.activate_for(inputs, self._default_lora)
        self._placement.before_run(pipe)
        with self._torch.inference_mode():
            out = pipe(**common, image=_pil(image), mask_image=_mask_pil(mask),
                       control_image=control, strength=self.garment_strength,
                       num_inference_steps=_steps_for(inputs.steps, self.garment_strength),
                       **self._ip_kwargs(pipe, list(inputs.garment_images), inputs.guidance),
                       generator=self._generator(inputs.seed))
        painted = _uint8(out.images)
        return np.where(mask[:, :, None], painted, image)   # outside the mask: untouched

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "recipe": self.name, "dtype": _dtype_name(self.dtype), "device": self.device,
            "cpu_offload": self._placement.offload,
            "scheduler": type(self.pipe.scheduler).__name__,
            "controlnets": list(self.controlnets),
            "controlnet_scales": list(self._cn_scales),
            "ip_adapter": self.ip_adapter,
            "ip_adapter_scale": self.ip_adapter_scale if self.ip_adapter else None,
            "inpaint_model": "inpaint" in self.models,
            "garment_pass": {"strength": self.garment_strength,
                             "dilate_px": self.garment_dilate_px,
                             "pipeline": type(self.inpaint_pipe).__name__},
            "models": {role: m.name for role, m in sorted(self.models.items())},
            "last": dict(self._last),
        }


# ----------------------------------------------------------------- FLUX.2 [klein]


class Flux2KleinRecipe:
    """FLUX.2 [klein] with reference images; img2img and the garment pass through its
    inpainting pipeline (one reference sheet)."""

    name = "flux2-klein"
    required_roles, optional_roles = RECIPE_ROLES["flux2-klein"]

    def __init__(self, models: dict[str, ModelFolder], *, device: str, dtype: torch.dtype,
                 cpu_offload: bool = False, garment_strength: float = 0.6,
                 garment_dilate_px: int = 4) -> None:
        import torch

        _roles(models, self.name)
        d = _diffusers()
        self.models = dict(models)
        self.device, self.dtype = device, dtype
        self.garment_strength = float(garment_strength)
        self.garment_dilate_px = int(garment_dilate_px)
        self._placement = _Placement(device, cpu_offload)
        common = dict(dtype=dtype, local_files_only=True)
        self.pipe = d.Flux2KleinPipeline.from_pretrained(models["base"].path, **common)
        if "inpaint" in models:
            self.inpaint_pipe = d.Flux2KleinInpaintPipeline.from_pretrained(
                models["inpaint"].path, **common)
        else:  # from_pipe casts the shared modules to its dtype, float32 unless told
            self.inpaint_pipe = d.Flux2KleinInpaintPipeline.from_pipe(self.pipe, dtype=dtype)
        for pipe in (self.pipe, self.inpaint_pipe):
            pipe.set_progress_bar_config(disable=True)
            self._placement.place(pipe)
        self.distilled = bool(self.pipe.config.is_distilled)
        self._loras = _Loras(self.pipe, on_change=self._placement.invalidate)
        self._inpaint_loras = (None if self.inpaint_pipe.transformer is self.pipe.transformer
                               else _Loras(self.inpaint_pipe,
                                           on_change=self._placement.invalidate))
        self._default_lora = Path(models["lora"].path) if "lora" in models else None
        self._torch = torch
        self._last: dict[str, Any] = {}

    def _references(self, inputs: RecipeInputs) -> list[np.ndarray]:
        refs = [a for a in (inputs.face, inputs.full_body) if a is not None]
        return [*refs, *inputs.garment_images, inputs.pose]

    def _negative(self, pipe: Any, inputs: RecipeInputs) -> dict[str, Any]:
        """The negative prompt's embeddings where the pipeline runs classifier-free
        guidance (the base, not distilled, model with guidance > 1); the pipeline itself
        would use an empty one."""
        if (not inputs.negative_prompt or inputs.guidance <= 1.0
                or pipe.config.is_distilled):
            return {}
        embeds, _ = pipe.encode_prompt(prompt=inputs.negative_prompt,
                                       device=pipe._execution_device)
        return {"negative_prompt_embeds": embeds}

    def _generator(self, seed: int) -> torch.Generator:
        return self._torch.Generator(device="cpu").manual_seed(int(seed))

    def _activate_lora(self, inputs: RecipeInputs) -> str | None:
        name = self._loras.activate_for(inputs, self._default_lora)
        if self._inpaint_loras is not None:
            self._inpaint_loras.activate_for(inputs, self._default_lora)
        return name

    def generate(self, inputs: RecipeInputs) -> np.ndarray:
        _check_inputs(inputs)
        adapter = self._activate_lora(inputs)
        refs = self._references(inputs)
        # a step-distilled model runs without guidance (the pipeline ignores it, noisily)
        guidance = 1.0 if self.distilled else float(inputs.guidance)
        common = dict(prompt=inputs.prompt, width=inputs.width, height=inputs.height,
                      guidance_scale=guidance, output_type="np")
        if inputs.strength is None:
            pipe, mode = self.pipe, "text2img"
            kwargs: dict[str, Any] = dict(image=[reference_image(a) for a in refs],
                                          num_inference_steps=inputs.steps)
        else:
            pipe, mode = self.inpaint_pipe, "img2img"
            full = np.ones((inputs.height, inputs.width), dtype=bool)
            kwargs = dict(image=_pil(inputs.studio), mask_image=_mask_pil(full),
                          image_reference=reference_sheet(refs),
                          strength=float(inputs.strength),
                          num_inference_steps=_steps_for(inputs.steps, inputs.strength))
        self._placement.before_run(pipe)
        with self._torch.inference_mode():
            out = pipe(**common, **kwargs, **self._negative(pipe, inputs),
                       generator=self._generator(inputs.seed))
        image = _uint8(out.images)
        garment = bool(np.asarray(inputs.garment_mask).any())
        if garment:
            image = self._garment_pass(image, inputs, common)
        self._last = {"mode": mode, "steps": inputs.steps, "strength": inputs.strength,
                      "guidance": guidance, "references": len(refs), "garment_pass": garment,
                      "garment_images": len(inputs.garment_images) if garment else 0,
                      "lora": adapter is not None, "lora_scale":
                      inputs.lora_scale if adapter is not None else None}
        return image

    def _garment_pass(self, image: np.ndarray, inputs: RecipeInputs,
                      common: dict[str, Any]) -> np.ndarray:
        mask = dilate_mask(inputs.garment_mask, self.garment_dilate_px)
        pipe = self.inpaint_pipe
        sheet = reference_sheet(list(inputs.garment_images)) if inputs.garment_images else None
        self._placement.before_run(pipe)
        with self._torch.inference_mode():
            out = pipe(**common, image=_pil(image), mask_image=_mask_pil(mask),
                       image_reference=sheet, strength=self.garment_strength,
                       num_inference_steps=_steps_for(inputs.steps, self.garment_strength),
                       **self._negative(pipe, inputs), generator=self._generator(inputs.seed))
        painted = _uint8(out.images)
        return np.where(mask[:, :, None], painted, image)

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "recipe": self.name, "dtype": _dtype_name(self.dtype), "device": self.device,
            "cpu_offload": self._placement.offload,
            "scheduler": type(self.pipe.scheduler).__name__,
            "distilled": self.distilled,
            "inpaint_model": "inpaint" in self.models,
            "garment_pass": {"strength": self.garment_strength,
                             "dilate_px": self.garment_dilate_px,
                             "pipeline": type(self.inpaint_pipe).__name__},
            "models": {role: m.name for role, m in sorted(self.models.items())},
            "last": dict(self._last),
        }


# -------------------------------------------------------------------------- registry

RECIPES: dict[str, type] = {"sdxl": SdxlRecipe, "flux2-klein": Flux2KleinRecipe}


def load_recipe(name: str, models: dict[str, ModelFolder], *, device: str,
                dtype: torch.dtype, cpu_offload: bool = False) -> Recipe:
    """The recipe ``name`` loaded from ``models`` (role -> folder); its roles are checked
    before anything loads (a ValueError names a missing or unexpected role)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}: use one of {', '.join(RECIPES)}")
    _roles(models, name)
    recipe: Recipe = RECIPES[name](models, device=device, dtype=dtype,
                                   cpu_offload=cpu_offload)
    return recipe
