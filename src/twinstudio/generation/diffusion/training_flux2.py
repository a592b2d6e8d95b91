"""The FLUX.2 [klein] side of the per-twin LoRA training (``training``): the pipeline
folder loaded (``local_files_only``), each photo encoded once with the pipeline's own
helpers (``_encode_vae_image``: VAE mode, 2x2 patches, the VAE's batch-norm statistics;
``encode_prompt``: the Qwen3 hidden layers it stacks, and the text position ids;
``_prepare_latent_ids``), then the flow-matching loss of the transformer with its LoRA,
as diffusers' FLUX.2 DreamBooth LoRA script computes it: sigma-interpolated latents
``(1 - sigma) * x + sigma * noise`` at a timestep of the folder's flow-matching scheduler
(uniform weighting), packed into tokens, the target ``noise - x``."""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twinstudio.generation.diffusion.training_common import (
    TrainingExample,
    add_lora,
    pixels,
    square_crop,
)

if TYPE_CHECKING:
    import torch


class Flux2KleinLora:
    prefix = "transformer"

    def __init__(self, base: Path, *, rank: int, seed: int, device: str,
                 dtype: torch.dtype, gradient_checkpointing: bool) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from diffusers import FlowMatchEulerDiscreteScheduler, Flux2KleinPipeline

        self.device, self.dtype = device, dtype
        self.pipe: Any = Flux2KleinPipeline.from_pretrained(base, dtype=dtype,
                                                            local_files_only=True)
        self.pipe.set_progress_bar_config(disable=True)
        self.helpers = Flux2KleinPipeline           # its static packing helpers
        self.model = self.pipe.transformer
        add_lora(self.model, rank, seed)          # on the CPU: the same on every device
        self.pipe.to(device)
        # the training-time schedule: the scheduler as configured, before any
        # set_timesteps (1000 timesteps; klein's dynamic shifting is an inference matter)
        self.scheduler = FlowMatchEulerDiscreteScheduler.from_config(self.pipe.scheduler.config)
        if gradient_checkpointing:
            self.model.enable_gradient_checkpointing()
        self.model.train()
        self.guidance = bool(getattr(self.model.config, "guidance_embeds", False))
        self.latents: list[torch.Tensor] = []
        self.latent_ids: list[torch.Tensor] = []
        self.cond: list[tuple[torch.Tensor, torch.Tensor]] = []

    def encode(self, examples: Sequence[TrainingExample], resolution: int) -> None:
        """Latents and prompt embeddings of every example, once; then the VAE and the
        text encoder are let go (only the transformer trains)."""
        import torch

        pipe = self.pipe
        with torch.no_grad():
            for ex in examples:
                square, _ = square_crop(ex.image, resolution)
                x = pixels(square).to(self.device, pipe.vae.dtype)
                latent = pipe._encode_vae_image(image=x, generator=None)   # (1, 4C, h, w)
                self.latents.append(latent.to(self.dtype))
                self.latent_ids.append(self.helpers._prepare_latent_ids(latent).to(self.device))
                embeds, text_ids = pipe.encode_prompt(prompt=ex.caption, device=self.device)
                self.cond.append((embeds.to(self.dtype), text_ids.to(self.device)))
        self.pipe = None
        del pipe
        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    def loss(self, indices: list[int], gen: torch.Generator,
             u: torch.Tensor | None = None) -> torch.Tensor:
        """The flow-matching MSE on the examples ``indices`` at timesteps ``u`` (in [0, 1):
        drawn from ``gen`` when None) with noise from ``gen`` (all drawn on the CPU)."""
        import torch
        import torch.nn.functional as F

        latents = torch.cat([self.latents[i] for i in indices])
        n = len(indices)
        if u is None:
            u = torch.rand(n, generator=gen)
        noise = torch.randn(latents.shape, generator=gen).to(self.device, latents.dtype)
        schedule = self.scheduler
        index = (u * len(schedule.timesteps)).long().clamp(0, len(schedule.timesteps) - 1)
        timesteps = schedule.timesteps[index].to(self.device)
        sigmas = schedule.sigmas[index].to(self.device, torch.float32).view(n, 1, 1, 1)
        noisy = ((1.0 - sigmas) * latents.float() + sigmas * noise.float()).to(latents.dtype)
        packed = self.helpers._pack_latents(noisy)               # (B, h*w, C)
        embeds = torch.cat([self.cond[i][0] for i in indices])
        text_ids = torch.cat([self.cond[i][1] for i in indices])
        img_ids = torch.cat([self.latent_ids[i] for i in indices])
        guidance = (torch.ones(n, device=self.device, dtype=latents.dtype)
                    if self.guidance else None)
        pred = self.model(hidden_states=packed, timestep=(timesteps / 1000).to(latents.dtype),
                          guidance=guidance, encoder_hidden_states=embeds, txt_ids=text_ids,
                          img_ids=img_ids, return_dict=False)[0]
        pred = pred[:, :packed.size(1)]
        # the script unpacks the prediction to (B, C, h, w); packing the target instead
        # pairs the same elements (the MSE does not depend on their order)
        target = self.helpers._pack_latents(noise.float() - latents.float())
        return F.mse_loss(pred.float(), target)
