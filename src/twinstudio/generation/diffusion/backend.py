"""The ``diffusion`` backend: on-model campaign images from weights a brand holds on disk,
conditioned on the body twin.

For each request: (1) the studio backend renders the body twin wearing the look in the
exact camera of the format (with a mask per garment); (2) the conditioning images are
made from that render at the pipeline's size (``conditioning``); (3) the prompt is built
from the request's checked fields (``domain.prompts``); (4) the recipe named by the
request's generator is loaded once per worker process (each model's files verified
against its manifest first) and (5) run for N seeds. Every candidate goes back to the
job, whose QA gates choose the best (``services.jobs``); the result also carries the
conditioning images to keep with the asset and what made it (recipe, steps, every
model's manifest hash) for the C2PA assertion.

Components are given at construction (diffusers style); ``check`` runs first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.generation import FORMATS, Candidate, GenerationInputs, GenerationResult
from twinstudio.domain.models import ModelKind, role_problems
from twinstudio.domain.prompts import build_prompt

SEED_STRIDE = 1_000_003   # candidate i of a variant runs seed + i * SEED_STRIDE


def candidate_seed(seed: int, index: int) -> int:
    return (seed + index * SEED_STRIDE) % (2**31 - 1)


class DiffusionBackend:
    """Runs a request's diffusion recipe; ``source`` names its IPTC digital source type
    (``trainedAlgorithmicMedia``)."""

    name = "diffusion"
    source = "diffusion"

    def __init__(self, studio: Any | None = None, *, device: str = "auto",
                 cpu_offload: bool = False, max_side: int | None = None,
                 loader: Any | None = None, keep_loaded: int = 1) -> None:
        if studio is None:
            from twinstudio.generation.studio import StudioBackend

            studio = StudioBackend(garment_masks=True)
        self.studio = studio
        self.device = device
        self.cpu_offload = cpu_offload
        self.max_side = max_side          # run smaller than the format, then upscale
        self._loader = loader             # (recipe, models, device, dtype, offload) -> Recipe
        self._recipes: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._keep = max(1, keep_loaded)  # pipelines kept in (GPU) memory at once

    # -------------------------------------------------------------------- checks
    def check(self, inputs: GenerationInputs) -> None:
        """Refuse what this backend cannot make, before any pixel work."""
        spec = inputs.request.generator
        if spec is None or spec.backend != "diffusion" or spec.recipe is None:
            raise InvalidInput("the diffusion backend needs a request whose generator is "
                               "'diffusion' with a recipe")
        problems = role_problems(spec.recipe, {  # type: ignore[arg-type]
            role: _Kind(ModelKind(m.kind), m.name) for role, m in inputs.models.items()})
        if set(spec.models) != set(inputs.models):
            problems.append("the request's models were not all resolved from the registry")
        if problems:
            raise InvalidInput(f"generator: {problems[0]}")
        self.studio.check(inputs)

    # ------------------------------------------------------------------- loading
    def _recipe(self, inputs: GenerationInputs) -> Any:
        from twinstudio.generation.diffusion.registry import verify
        from twinstudio.generation.diffusion.types import ModelFolder

        spec = inputs.request.generator
        assert spec is not None and spec.recipe is not None
        pipeline_models = {role: m for role, m in inputs.models.items() if role != "lora"}
        key = (spec.recipe, self.device, self.cpu_offload,
               tuple(sorted((role, m.manifest_sha256) for role, m in pipeline_models.items())))
        if key in self._recipes:
            self._recipes.move_to_end(key)
            return self._recipes[key]
        for model in inputs.models.values():  # every file as registered, or refused
            verify(model.path, model.files, model.name)
        folders = {role: ModelFolder(name=m.name, kind=m.kind, role=role, path=Path(m.path),
                                     manifest_sha256=m.manifest_sha256)
                   for role, m in pipeline_models.items()}
        while len(self._recipes) >= self._keep:   # free the GPU before the next one loads
            self._recipes.popitem(last=False)
        recipe = self._load(spec.recipe, folders)
        self._recipes[key] = recipe
        return recipe

    def _load(self, name: str, folders: dict[str, Any]) -> Any:
        if self._loader is not None:
            return self._loader(name, folders)
        from twinstudio.generation.diffusion.recipes import load_recipe, runtime

        device, dtype = runtime(self.device)
        return load_recipe(name, folders, device=device, dtype=dtype,
                           cpu_offload=self.cpu_offload)

    # ------------------------------------------------------------------ generate
    def generate(self, inputs: GenerationInputs) -> GenerationResult:
        from twinstudio.generation.diffusion.conditioning import (
            conditioning_from,
            pipeline_size,
            resize,
        )
        from twinstudio.generation.diffusion.types import RecipeInputs

        self.check(inputs)
        request = inputs.request
        spec = request.generator
        assert spec is not None
        timings: dict[str, float] = {}
        # 1. the body twin in the pose and camera of the format (the QA reference)
        t = time.perf_counter()
        studio = self.studio.generate(inputs)
        timings["studio"] = time.perf_counter() - t
        # 2. conditioning images at the pipeline's size
        t = time.perf_counter()
        fmt = FORMATS[request.format]
        width, height = pipeline_size(fmt.width, fmt.height, max_side=self.max_side)
        cond = conditioning_from(studio.image, studio.conditioning, list(request.garment_ids),
                                 width=width, height=height)
        prompt, negative = build_prompt(request, inputs.garments)
        adapter = inputs.adapter  # the twin's own LoRA: its trigger word names the twin
        if adapter is not None:
            prompt = f"a photo of {adapter.trigger_token} person, {prompt}"
        timings["conditioning"] = time.perf_counter() - t
        # 3. the recipe, loaded once per worker process (files verified first)
        t = time.perf_counter()
        recipe = self._recipe(inputs)
        timings["load"] = time.perf_counter() - t
        # 4. N candidates, one seed each
        lora = None if adapter is not None else inputs.models.get("lora")
        garment_images = [inputs.garment_images[g] for g in request.garment_ids
                          if g in inputs.garment_images]
        candidates = []
        t = time.perf_counter()
        for index in range(spec.candidates):
            seed = candidate_seed(request.seed, index)
            image = recipe.generate(RecipeInputs(
                prompt=prompt, negative_prompt=negative, width=width, height=height,
                seed=seed, steps=spec.steps, guidance=spec.guidance, pose=cond.pose,
                depth=cond.depth, person_mask=cond.person, garment_mask=cond.garment_union,
                studio=cond.studio if cond.studio is not None else studio.image,
                strength=spec.strength, face=inputs.face, full_body=inputs.full_body,
                garment_images=garment_images, lora=Path(lora.path) if lora else None,
                lora_weights=adapter.weights if adapter else None,
                lora_sha256=adapter.sha256 if adapter else None))
            candidates.append(Candidate(image=resize(image, fmt.width, fmt.height),
                                        seed=seed))
        timings["diffusion"] = time.perf_counter() - t
        generation = {
            "backend": "diffusion", "recipe": spec.recipe, "steps": spec.steps,
            "guidance": spec.guidance, "strength": spec.strength,
            "candidates": spec.candidates, "size": [width, height], "prompt": prompt,
            "models": [{"role": role, "name": m.name, "kind": m.kind,
                        "licence": m.licence, "manifest_sha256": m.manifest_sha256}
                       for role, m in sorted(inputs.models.items())],
            "lora_sha256": (adapter.sha256 if adapter else
                            lora.manifest_sha256 if lora else None),
            "adapter": ({"id": adapter.adapter_id, "version": adapter.version,
                         "base_model": adapter.base_model, "sha256": adapter.sha256}
                        if adapter else None),
            "references": {"face": inputs.face is not None,
                           "full_body": inputs.full_body is not None,
                           "garment_images": len(garment_images)},
            "runtime": dict(getattr(recipe, "parameters", {}) or {}),
        }
        return GenerationResult(
            image=candidates[0].image, reference=studio.reference,
            conditioning=studio.conditioning, source=self.source,
            timings={**{f"studio.{k}": v for k, v in studio.timings.items()}, **timings},
            candidates=candidates, conditioning_images=cond.images(), generation=generation)


@dataclass(frozen=True)
class _Kind:
    """What ``role_problems`` reads of a registered model: its kind and name."""

    kind: ModelKind
    name: str
