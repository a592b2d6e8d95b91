"""The per-twin LoRA: trained on a twin's enrolment photos for the ``sdxl`` and
``flux2-klein`` recipes, on a pipeline folder in diffusers' layout, in memory.

``train_lora`` loads what training needs from the folder (``local_files_only``), encodes
each example once (``training_sdxl`` / ``training_flux2``: VAE latents and the pipeline's
own prompt encoding), adds peft's LoRA (``r = alpha = rank``, gaussian init, the attention
projections ``to_k``, ``to_q``, ``to_v``, ``to_out.0``) to the frozen UNet / transformer,
and runs AdamW over the LoRA parameters alone: the noise-prediction MSE under a DDPM
schedule (SDXL), the flow-matching objective (FLUX.2). It returns the LoRA as the
safetensors bytes diffusers' ``save_lora_weights`` writes (``load_lora_state`` turns them
into the state dict ``pipe.load_lora_weights`` takes; the recipes take them as
``RecipeInputs.lora_weights``).

Determinism: every step's randomness (its examples, timesteps and noise) comes from
``(config.seed, step)`` alone, and the LoRA's initial weights from the seed, so that a run
resumed from a checkpoint ends with the same weights, bit for bit on the CPU in float32,
as an uninterrupted run. A checkpoint is opaque bytes (``torch.save`` of the step, the
LoRA, the AdamW state and a fingerprint of the run: recipe, base folder, rank, examples,
the settings that change the result), handed to ``on_checkpoint`` every
``checkpoint_every`` steps and when ``should_stop()`` stops the run; the caller encrypts
and keeps it. Nothing here touches the filesystem but the base folder it reads: photos,
checkpoints and weights stay in memory.
"""

from __future__ import annotations

import hashlib
import io
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twinstudio.generation.diffusion.loras import load_lora_state, lora_bytes
from twinstudio.generation.diffusion.training_common import (
    RECIPES,
    StepReport,
    TrainedAdapter,
    TrainingConfig,
    TrainingExample,
    TrainingStopped,
    batch_indices,
    check_examples,
    config_problems,
    diffusers_lora_state,
    generator,
    lora_parameters,
    peft_name,
)

if TYPE_CHECKING:
    import torch

    from twinstudio.generation.diffusion.training_common import LoraModel

__all__ = ["LoraTrainer", "StepReport", "TrainedAdapter", "TrainingConfig", "TrainingExample",
           "TrainingStopped", "evaluate_loss", "load_lora_state", "train_lora"]

CHECKPOINT_FORMAT = "twinstudio-lora-checkpoint/1"
_SAMPLE = 1 << 20    # bytes read from each end of each base file for its fingerprint


def _model(recipe: str, base: Path, config: TrainingConfig, device: str,
           dtype: torch.dtype) -> LoraModel:
    if recipe == "sdxl":
        from twinstudio.generation.diffusion.training_sdxl import SdxlLora as Model
    else:
        from twinstudio.generation.diffusion.training_flux2 import Flux2KleinLora as Model
    checkpointing = config.gradient_checkpointing
    if checkpointing is None:
        checkpointing = device.startswith("cuda")
    return Model(base, rank=config.rank, seed=config.seed, device=device, dtype=dtype,
                 gradient_checkpointing=bool(checkpointing))


def _runtime(device: str, dtype: torch.dtype | None) -> torch.dtype:
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: no CUDA device is present")
    if dtype is not None:
        return dtype
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _check(recipe: str, base: Path, examples: Sequence[TrainingExample],
           config: TrainingConfig) -> Path:
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}: LoRA training is for "
                         f"{', '.join(RECIPES)}")
    problems = config_problems(config)
    if problems:
        raise ValueError(f"training config: {'; '.join(problems)}")
    check_examples(examples)
    base = Path(base)
    if not (base / "model_index.json").is_file():
        raise ValueError(f"{base}: not a pipeline folder in diffusers' layout "
                         "(no model_index.json)")
    return base


# ------------------------------------------------------------------- fingerprint


def _base_digest(base: Path) -> str:
    """The base folder's files: each one's path, size and first and last MiB (enough to
    tell two checkpoints apart without reading gigabytes; the registry verifies the
    files themselves against their manifest)."""
    h = hashlib.sha256()
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        size = path.stat().st_size
        h.update(f"{path.relative_to(base).as_posix()}\0{size}\0".encode())
        with path.open("rb") as f:
            h.update(f.read(_SAMPLE))
            if size > 2 * _SAMPLE:
                f.seek(size - _SAMPLE)
                h.update(f.read(_SAMPLE))
    return h.hexdigest()


def _examples_digest(examples: Sequence[TrainingExample]) -> str:
    import numpy as np

    h = hashlib.sha256()
    for ex in examples:
        a = np.ascontiguousarray(np.asarray(ex.image, dtype=np.uint8))
        h.update(f"{a.shape}\0{ex.caption}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _fingerprint(recipe: str, base: Path, examples: Sequence[TrainingExample],
                 config: TrainingConfig) -> dict[str, str]:
    """What a checkpoint must match to be resumed: everything that changes the weights
    (not ``steps``, ``checkpoint_every`` or gradient checkpointing)."""
    return {"recipe": recipe, "rank": str(config.rank), "base": _base_digest(base),
            "examples": _examples_digest(examples),
            "resolution": str(config.resolution), "seed": str(config.seed),
            "batch_size": str(config.batch_size),
            "learning_rate": repr(float(config.learning_rate)),
            "weight_decay": repr(float(config.weight_decay)),
            "max_grad_norm": repr(float(config.max_grad_norm))}


# -------------------------------------------------------------------- checkpoints


_DIFFERENT = {"base": "base (another model folder)",
              "examples": "examples (other photos or captions)"}


def _checkpoint(step: int, params: list[tuple[str, Any]], optimizer: Any,
                fingerprint: dict[str, str]) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "fingerprint": dict(fingerprint), "step": step,
                "lora": {n: p.detach().to("cpu").clone() for n, p in params},
                "optimizer": optimizer.state_dict()}, buf)
    return buf.getvalue()


def _read_checkpoint(data: bytes, fingerprint: dict[str, str]) -> dict[str, Any]:
    import torch

    try:
        state = torch.load(io.BytesIO(bytes(data)), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several kinds for bytes that are not its own
        raise ValueError(f"resume: not a LoRA training checkpoint ({exc})") from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError("resume: not a LoRA training checkpoint of this format "
                         f"({CHECKPOINT_FORMAT})")
    theirs = state.get("fingerprint", {})
    differ = [k for k in fingerprint if theirs.get(k) != fingerprint[k]]
    if differ:
        what = ", ".join(_DIFFERENT.get(k, f"{k} {theirs.get(k)!r}, not {fingerprint[k]!r}")
                         for k in differ)
        raise ValueError(f"resume: the checkpoint was made for another run: {what}")
    return state


def _restore(state: dict[str, Any], params: list[tuple[str, Any]], optimizer: Any) -> int:
    import torch

    lora = state["lora"]
    names = [n for n, _ in params]
    if sorted(lora) != names:
        raise ValueError("resume: the checkpoint's LoRA layers are not this model's")
    with torch.no_grad():
        for name, p in params:
            if tuple(lora[name].shape) != tuple(p.shape):
                raise ValueError(f"resume: {name} has shape {tuple(lora[name].shape)} in the "
                                 f"checkpoint, {tuple(p.shape)} here")
            p.copy_(lora[name])
    optimizer.load_state_dict(state["optimizer"])
    return int(state["step"])


# ------------------------------------------------------------------------ training


def train_lora(recipe: str, base: Path, examples: Sequence[TrainingExample],
               config: TrainingConfig, *, device: str = "cpu",
               dtype: torch.dtype | None = None, resume: bytes | None = None,
               on_checkpoint: Callable[[int, bytes], None] | None = None,
               on_step: Callable[[StepReport], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> TrainedAdapter:
    """Train the twin's LoRA for ``recipe`` on the pipeline folder ``base``.

    ``dtype`` None: float32 on the CPU, bfloat16 (else float16) on CUDA; the LoRA's own
    parameters and AdamW's state are float32 whatever the base's dtype. ``resume``: the
    bytes of a checkpoint of this same run (a ValueError names what differs otherwise);
    the steps after it run. ``on_step`` hears every step; ``on_checkpoint(step, bytes)``
    gets a checkpoint every ``config.checkpoint_every`` steps; ``should_stop()`` is asked
    after every step but the last, and when it says stop, a checkpoint of that step goes
    to ``on_checkpoint`` (and rides on the exception) and ``TrainingStopped`` is raised.
    Input problems are ValueErrors raised before any model loads."""
    import torch

    base = _check(recipe, base, examples, config)
    fingerprint = _fingerprint(recipe, base, examples, config)
    state = _read_checkpoint(resume, fingerprint) if resume is not None else None
    if state is not None and int(state["step"]) > config.steps:
        raise ValueError(f"resume: the checkpoint is at step {state['step']}, past the "
                         f"{config.steps} steps configured")
    dtype = _runtime(device, dtype)
    model = _model(recipe, base, config, device, dtype)
    model.encode(examples, config.resolution)
    params = lora_parameters(model.model)
    trainable = [p for _, p in params]
    optimizer = torch.optim.AdamW(trainable, lr=float(config.learning_rate),
                                  weight_decay=float(config.weight_decay))
    start = _restore(state, params, optimizer) if state is not None else 0
    losses: list[float] = []
    for step in range(start + 1, config.steps + 1):
        started = time.perf_counter()
        loss = model.loss(batch_indices(config.seed, step, len(examples), config.batch_size),
                          generator(config.seed, "step", step))
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"the training loss is {value} at step {step}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(trainable, float(config.max_grad_norm))
        optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        losses.append(value)
        if on_step is not None:
            on_step(StepReport(step=step, total=config.steps, loss=value, seconds=seconds))
        saved: bytes | None = None
        if config.checkpoint_every and step % config.checkpoint_every == 0 \
                and on_checkpoint is not None:
            saved = _checkpoint(step, params, optimizer, fingerprint)
            on_checkpoint(step, saved)
        if step < config.steps and should_stop is not None and should_stop():
            if saved is None:
                saved = _checkpoint(step, params, optimizer, fingerprint)
                if on_checkpoint is not None:
                    on_checkpoint(step, saved)
            raise TrainingStopped(step, saved)
    weights = lora_bytes(diffusers_lora_state(model.model, model.prefix))
    return TrainedAdapter(weights=weights, sha256=hashlib.sha256(weights).hexdigest(),
                          recipe=recipe, rank=config.rank, steps=config.steps,
                          losses=losses)


def evaluate_loss(recipe: str, base: Path, examples: Sequence[TrainingExample],
                  config: TrainingConfig, *, weights: bytes | None = None,
                  draws: int = 4, seed: int = 0, device: str = "cpu",
                  dtype: torch.dtype | None = None) -> float:
    """The training objective on a fixed batch: every example at ``draws`` evenly spread
    timesteps, with noise from ``seed``, under the LoRA ``weights`` (as ``train_lora``
    returns them; None: the base model alone). The same arguments give the same batch,
    so two LoRAs (or none and one) compare on it."""
    import torch

    base = _check(recipe, base, examples, config)
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    model = _model(recipe, base, config, device, _runtime(device, dtype))
    model.encode(examples, config.resolution)
    params = dict(lora_parameters(model.model))
    if weights is not None:
        _load_lora(params, load_lora_state(weights), model.prefix)
    total = 0.0
    with torch.no_grad():
        for i in range(len(examples)):
            for k in range(draws):
                u = torch.tensor([(k + 0.5) / draws])
                total += float(model.loss([i], generator(seed, "eval", i, k), u))
    return total / (len(examples) * draws)


def _load_lora(params: dict[str, Any], state: dict[str, Any], prefix: str) -> None:
    import torch

    named = {peft_name(k, prefix): v for k, v in state.items()}
    if sorted(named) != sorted(params):
        raise ValueError("the LoRA weights are not for this model and rank (their layers "
                         "differ)")
    with torch.no_grad():
        for name, value in named.items():
            if tuple(value.shape) != tuple(params[name].shape):
                raise ValueError(f"LoRA layer {name}: shape {tuple(value.shape)}, the "
                                 f"model's is {tuple(params[name].shape)} (another rank?)")
            params[name].copy_(value)


class LoraTrainer:
    """``services.ports.AdapterTrainer`` over ``train_lora``: a training's parameters and
    examples as the services give them, on the configured device (``auto``: CUDA when
    there is one). torch and diffusers load on the first training."""

    def __init__(self, device: str = "auto") -> None:
        self.device = device

    def train(self, recipe: str, base_path: str, examples: Sequence[tuple[Any, str]],
              params: Any, *, resume: bytes | None,
              on_checkpoint: Callable[[int, bytes], None],
              on_step: Callable[[Any], None] | None,
              should_stop: Callable[[], bool] | None) -> TrainedAdapter:
        from twinstudio.generation.diffusion.recipes import runtime

        device, _ = runtime(self.device)
        config = TrainingConfig(steps=params.steps, rank=params.rank,
                                learning_rate=params.learning_rate,
                                resolution=params.resolution,
                                checkpoint_every=params.checkpoint_every, seed=params.seed)
        return train_lora(recipe, Path(base_path),
                          [TrainingExample(image=image, caption=text)
                           for image, text in examples], config, device=device,
                          resume=resume, on_checkpoint=on_checkpoint, on_step=on_step,
                          should_stop=should_stop)
