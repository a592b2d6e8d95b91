"""The SDXL side of the per-twin LoRA training (``training``): the pipeline folder loaded
(``local_files_only``), each photo encoded once (VAE latents; both text encoders'
embeddings, the pooled embedding and the time ids, through the pipeline's own
``encode_prompt`` and ``_get_add_time_ids``), then the noise-prediction loss of the UNet
with its LoRA under a DDPM noise schedule built from the folder's scheduler config."""

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


class SdxlLora:
    prefix = "unet"

    def __init__(self, base: Path, *, rank: int, seed: int, device: str,
                 dtype: torch.dtype, gradient_checkpointing: bool) -> None:
        import torch

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from diffusers import DDPMScheduler, StableDiffusionXLPipeline

        self.device, self.dtype = device, dtype
        self.pipe: Any = StableDiffusionXLPipeline.from_pretrained(
            base, dtype=dtype, local_files_only=True, add_watermarker=False)
        self.pipe.set_progress_bar_config(disable=True)
        self.model = self.pipe.unet
        add_lora(self.model, rank, seed)          # on the CPU: the same on every device
        self.pipe.to(device)
        if dtype == torch.float16 and self.pipe.vae.config.force_upcast:
            self.pipe.vae.to(torch.float32)       # SDXL's VAE overflows in float16
        self.scheduler = DDPMScheduler.from_config(self.pipe.scheduler.config)
        self.prediction = self.scheduler.config.prediction_type
        if gradient_checkpointing:
            self.model.enable_gradient_checkpointing()
        self.model.train()
        self.latents: list[torch.Tensor] = []
        self.cond: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def encode(self, examples: Sequence[TrainingExample], resolution: int) -> None:
        """Latents and prompt embeddings of every example, once; then the VAE and the
        text encoders are let go (only the UNet trains)."""
        import torch

        pipe, vae = self.pipe, self.pipe.vae
        with torch.no_grad():
            for ex in examples:
                square, crop = square_crop(ex.image, resolution)
                x = pixels(square).to(self.device, vae.dtype)
                latent = vae.encode(x).latent_dist.mode() * vae.config.scaling_factor
                self.latents.append(latent.to(self.dtype))
                embeds, _, pooled, _ = pipe.encode_prompt(
                    ex.caption, device=self.device, num_images_per_prompt=1,
                    do_classifier_free_guidance=False)
                h, w = (int(s) for s in ex.image.shape[:2])
                time_ids = pipe._get_add_time_ids(
                    (h, w), crop, (resolution, resolution), dtype=embeds.dtype,
                    text_encoder_projection_dim=int(pipe.text_encoder_2.config.projection_dim))
                self.cond.append((embeds.to(self.dtype), pooled.to(self.dtype),
                                  time_ids.to(self.device, self.dtype)))
        self.pipe = None
        del pipe, vae
        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    def loss(self, indices: list[int], gen: torch.Generator,
             u: torch.Tensor | None = None) -> torch.Tensor:
        """The MSE of the UNet's prediction (noise, or velocity for a v-prediction
        checkpoint) on the examples ``indices``, noised at timesteps ``u`` (in [0, 1):
        drawn from ``gen`` when None) with noise from ``gen``. Every random number is
        drawn on the CPU, so that a step is the same on any device."""
        import torch
        import torch.nn.functional as F

        latents = torch.cat([self.latents[i] for i in indices])
        n = len(indices)
        if u is None:
            u = torch.rand(n, generator=gen)
        noise = torch.randn(latents.shape, generator=gen).to(self.device, latents.dtype)
        steps = int(self.scheduler.config.num_train_timesteps)
        t = (u * steps).long().clamp(0, steps - 1).to(self.device)
        noisy = self.scheduler.add_noise(latents, noise, t)
        embeds = torch.cat([self.cond[i][0] for i in indices])
        pooled = torch.cat([self.cond[i][1] for i in indices])
        time_ids = torch.cat([self.cond[i][2] for i in indices])
        pred = self.model(noisy, t, encoder_hidden_states=embeds,
                          added_cond_kwargs={"text_embeds": pooled, "time_ids": time_ids},
                          return_dict=False)[0]
        if self.prediction == "v_prediction":
            target = self.scheduler.get_velocity(latents, noise, t)
        elif self.prediction == "epsilon":
            target = noise
        else:
            raise ValueError(f"SDXL training: prediction type {self.prediction!r} is not "
                             "supported (epsilon or v_prediction)")
        return F.mse_loss(pred.float(), target.float())
