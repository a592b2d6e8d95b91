"""What the per-twin LoRA training takes and gives (``training`` re-exports these), and
what its two model adapters (``training_sdxl``, ``training_flux2``) share: the photo's
square crop, the LoRA added to the frozen model (its initial weights a function of the
seed alone), the LoRA's parameters and their diffusers layout, and the per-step random
streams. torch, diffusers and peft load lazily."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from twinstudio.domain.training import TrainingStopped as DomainTrainingStopped

if TYPE_CHECKING:
    import torch

MULTIPLE = 16                       # the resolution: SDXL (VAE 8 x UNet 2), FLUX.2 (8 x 2x2)
TARGET_MODULES = ("to_k", "to_q", "to_v", "to_out.0")   # attention projections
RECIPES = ("sdxl", "flux2-klein")


@dataclass(frozen=True)
class TrainingExample:
    """One photo of the twin and its caption. The image is centre-cropped to a square
    and resized to the resolution (never written anywhere)."""

    image: np.ndarray        # (H, W, 3) uint8 RGB, any size
    caption: str             # e.g. "a photo of tsx_3f9a person, face close-up"


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. ``gradient_checkpointing`` None: on when the device is CUDA."""

    steps: int = 500
    rank: int = 16
    learning_rate: float = 1e-4
    resolution: int = 1024   # square side, a multiple of 16
    checkpoint_every: int = 50   # 0: no periodic checkpoints
    seed: int = 0
    batch_size: int = 1
    gradient_checkpointing: bool | None = None
    weight_decay: float = 1e-4   # AdamW's (diffusers' DreamBooth LoRA scripts' default)
    max_grad_norm: float = 1.0   # gradient clipping (likewise); 0: none

    def __post_init__(self) -> None:
        problems = config_problems(self)
        if problems:
            raise ValueError(f"training config: {'; '.join(problems)}")


def config_problems(config: TrainingConfig) -> list[str]:
    problems = []
    if not isinstance(config.resolution, int) or config.resolution <= 0 \
            or config.resolution % MULTIPLE:
        problems.append(f"resolution must be a positive multiple of {MULTIPLE}, "
                        f"got {config.resolution}")
    for name in ("steps", "rank", "batch_size"):
        value = getattr(config, name)
        if not isinstance(value, int) or value < 1:
            problems.append(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(config.checkpoint_every, int) or config.checkpoint_every < 0:
        problems.append(f"checkpoint_every must be 0 or more, got {config.checkpoint_every!r}")
    if not (isinstance(config.learning_rate, (int, float)) and config.learning_rate > 0
            and math.isfinite(config.learning_rate)):
        problems.append(f"learning_rate must be positive, got {config.learning_rate!r}")
    for name in ("weight_decay", "max_grad_norm"):
        value = getattr(config, name)
        if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
            problems.append(f"{name} must be 0 or more, got {value!r}")
    if not isinstance(config.seed, int):
        problems.append(f"seed must be an integer, got {config.seed!r}")
    return problems


@dataclass(frozen=True)
class StepReport:
    step: int                # 1-based: steps done so far
    total: int
    loss: float
    seconds: float           # this step's forward, backward and optimiser step


@dataclass(frozen=True)
class TrainedAdapter:
    weights: bytes           # safetensors bytes of the LoRA, diffusers' layout
    sha256: str              # of ``weights``
    recipe: str
    rank: int
    steps: int               # steps the weights have had in all (resumed ones included)
    losses: list[float]      # one per step run in this call


class TrainingStopped(DomainTrainingStopped):
    """``should_stop()`` said stop after ``step``; ``checkpoint`` (also given to
    ``on_checkpoint``) resumes from there. The services catch it as
    ``domain.training.TrainingStopped``."""

    def __init__(self, step: int, checkpoint: bytes | None = None) -> None:
        super().__init__(step)
        self.checkpoint = checkpoint


def check_examples(examples: Sequence[TrainingExample]) -> None:
    if not examples:
        raise ValueError("no training examples: give at least one photo with a caption")
    for i, ex in enumerate(examples):
        a = np.asarray(ex.image)
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3 or min(a.shape[:2]) < 1:
            raise ValueError(f"training example {i}: the image must be (H, W, 3) uint8 RGB, "
                             f"got {a.shape} {a.dtype}")
        if not isinstance(ex.caption, str) or not ex.caption.strip():
            raise ValueError(f"training example {i}: the caption is empty")


# ------------------------------------------------------------------------ the photo


def square_crop(image: np.ndarray, resolution: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The photo's shorter side resized to ``resolution`` (Lanczos), then its centre
    square: ((resolution, resolution, 3) uint8, (top, left) of the crop in the resized
    image), as SDXL's training scripts crop (SDXL's time ids carry both)."""
    from PIL import Image

    a = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
    h, w = a.shape[:2]
    scale = resolution / min(h, w)
    rh, rw = max(resolution, round(h * scale)), max(resolution, round(w * scale))
    img = Image.fromarray(a, mode="RGB")
    if (rh, rw) != (h, w):
        img = img.resize((rw, rh), Image.Resampling.LANCZOS)
    top, left = (rh - resolution) // 2, (rw - resolution) // 2
    img = img.crop((left, top, left + resolution, top + resolution))
    return np.asarray(img, dtype=np.uint8), (top, left)


def pixels(square: np.ndarray) -> torch.Tensor:
    """(R, R, 3) uint8 -> (1, 3, R, R) float32 in [-1, 1], as the VAEs take them."""
    import torch

    t = torch.from_numpy(np.array(square, dtype=np.uint8)).permute(2, 0, 1).float()
    return (t / 127.5 - 1.0).unsqueeze(0)


# ------------------------------------------------------------------------- randomness


def stream_seed(seed: int, *parts: object) -> int:
    """A 63-bit seed derived from ``seed`` and ``parts`` alone (sha256)."""
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def generator(seed: int, *parts: object) -> torch.Generator:
    import torch

    return torch.Generator(device="cpu").manual_seed(stream_seed(seed, *parts))


def batch_indices(seed: int, step: int, n: int, batch_size: int) -> list[int]:
    """The examples of step ``step`` (1-based): the batch_size next ones of a permutation
    of the n examples drawn per epoch from the seed."""
    import torch

    out = []
    for j in range(batch_size):
        i = (step - 1) * batch_size + j
        perm = torch.randperm(n, generator=generator(seed, "epoch", i // n))
        out.append(int(perm[i % n]))
    return out


# ------------------------------------------------------------------------- the LoRA


def add_lora(model: Any, rank: int, seed: int) -> None:
    """Freeze ``model`` and add peft's LoRA (gaussian A, zero B) to its attention
    projections; the initial weights depend on ``seed`` alone (the global RNG is put
    back as it was)."""
    import torch
    from peft import LoraConfig

    model.requires_grad_(False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(stream_seed(seed, "lora-init"))
        model.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian",
                                     target_modules=list(TARGET_MODULES)))


def lora_parameters(model: Any) -> list[tuple[str, torch.nn.Parameter]]:
    """The trainable (LoRA) parameters, by name, in a fixed order; cast to float32."""
    import torch

    params = sorted((n, p) for n, p in model.named_parameters() if p.requires_grad)
    if not params:
        raise RuntimeError("the model has no LoRA parameters to train")
    for _, p in params:
        if p.dtype != torch.float32:
            p.data = p.data.float()
    return params


def diffusers_lora_state(model: Any, prefix: str) -> dict[str, torch.Tensor]:
    """The LoRA as ``save_lora_weights`` packs it: peft's state dict in diffusers' layout,
    keys prefixed ``prefix.`` (``unet`` / ``transformer``), float32."""
    import torch
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft.utils import get_peft_model_state_dict

    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(model))
    return {f"{prefix}.{k}": v.detach().to("cpu", torch.float32) for k, v in layers.items()}


def peft_name(key: str, prefix: str) -> str:
    """A diffusers-layout LoRA key -> the name of the peft parameter it loads into."""
    if not key.startswith(prefix + "."):
        raise ValueError(f"LoRA key {key!r} is not for the {prefix}")
    name = key[len(prefix) + 1:]
    for old, new in ((".lora.down.", ".lora_A.default."), (".lora.up.", ".lora_B.default.")):
        name = name.replace(old, new)
    return name


class LoraModel(Protocol):
    """What the loop needs of a recipe's model adapter."""

    prefix: str
    model: Any

    def encode(self, examples: Sequence[TrainingExample], resolution: int) -> None: ...

    def loss(self, indices: list[int], gen: torch.Generator,
             u: torch.Tensor | None = None) -> torch.Tensor: ...
