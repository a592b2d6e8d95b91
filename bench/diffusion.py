"""Seconds per image and peak memory of the diffusion recipes. Prints figures; asserts
nothing.

    .venv/bin/python bench/diffusion.py                    # tiny models: 64 and 256 px, 4 steps
    .venv/bin/python bench/diffusion.py --threads 1        # ... on one torch thread
    .venv/bin/python bench/diffusion.py --full-size        # real architectures, GPU, 30 steps
    .venv/bin/python bench/diffusion.py --full-size --cpu-one-step   # no GPU: 1 step, CPU

Each recipe runs in its own process (so that its peak RSS is its own) on folders that
``twinstudio.generation.diffusion.testing`` writes with random weights, in diffusers'
layout, and loads through ``load_recipe`` as the backend does. For each size it prints the
load time, then the median seconds per image (after one warm-up image) of: text to image
(pose, and depth for sdxl); with the face crop (the IP-Adapter for sdxl, a reference image
for flux2-klein); the whole product path (face, one garment product image and the garment
pass); and image to image from a studio render (strength 0.6). Memory: the process's peak
RSS (``resource``) and, on CUDA, ``torch.cuda.max_memory_allocated``.

Tiny models (default) time the code path, not a real model: a few million parameters.
``--full-size`` builds SDXL base 1.0 with two SDXL ControlNets and an IP-Adapter (5.7 G
parameters, fp16, 11.4 GB on disk) and FLUX.2 [klein] 4B with Qwen3-4B (8 G parameters,
bf16, 16 GB) under ``--models-dir`` (reused when there), and times 1024x1024 at 30 steps.
Without a GPU it says so and stops, unless ``--cpu-one-step`` asks for one step on the
CPU in bfloat16 (a CPU figure; SDXL's full bundle needs about 14 GB of memory, klein 20 GB).

Measured here (2 vCPUs, no GPU, load average 1.6, ``--threads 1``), median s/image at
64 / 256 px, 4 steps: sdxl (5.2 M parameters: UNet, two ControlNets, IP-Adapter) text
to image 0.47 / 1.69, + face 0.56 / 1.95, + garment pass 0.84 / 3.79, img2img 0.35 /
1.25, peak RSS 645 MB; flux2-klein (0.1 M) 0.19 / 0.28, 0.20 / 0.33, 0.41 / 0.65, 0.18 /
0.37, 490 MB. With torch's default two threads on these two shared vCPUs the same runs
took 4-12x longer and varied from run to run (threads spinning on a busy host): time tiny
models with ``--threads 1``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROLES = {"sdxl": ("base", "pose_controlnet", "depth_controlnet", "ip_adapter"),
         "flux2-klein": ("base",)}


def bench_inputs(width: int, height: int, steps: int, *, seed: int = 1,
                 extras: tuple[str, ...] = ()) -> Any:
    """Synthetic conditioning of the backend's kind at (width, height)."""
    import dataclasses

    import numpy as np

    from twinstudio.generation.diffusion.types import RecipeInputs

    rng = np.random.default_rng(0)
    person = np.zeros((height, width), dtype=bool)
    person[height // 10: height * 9 // 10, width * 3 // 10: width * 7 // 10] = True
    garment = np.zeros((height, width), dtype=bool)
    garment[height * 3 // 10: height * 6 // 10, width * 3 // 10: width * 7 // 10] = True
    pose = np.zeros((height, width, 3), dtype=np.uint8)
    pose[height // 8: height * 7 // 8, width // 2 - 2: width // 2 + 2] = (255, 85, 0)
    pose[height // 4: height // 4 + 4, width // 4: width * 3 // 4] = (0, 255, 170)
    depth = (person[:, :, None] * np.linspace(120, 255, height)[:, None, None]).astype(
        np.uint8).repeat(3, axis=2)
    base = RecipeInputs(
        prompt="full-length studio photo of a fashion model wearing a red wool coat",
        negative_prompt="blurry, deformed", width=width, height=height, seed=seed, steps=steps,
        guidance=5.0, pose=pose, depth=depth, person_mask=person,
        garment_mask=np.zeros_like(garment),
        studio=rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
    available = {
        "face": rng.integers(0, 255, (max(64, height // 4), max(64, width // 5), 3),
                             dtype=np.uint8),
        "garment_mask": garment,
        "garment_images": [rng.integers(0, 255, (max(64, height // 2),) * 2 + (3,),
                                        dtype=np.uint8)],
        "studio_strength": 0.6,
    }
    wanted = {k: available[k] for k in extras}
    if "studio_strength" in wanted:
        wanted["strength"] = wanted.pop("studio_strength")
    return dataclasses.replace(base, **wanted)


VARIANTS = (("text2img", ()), ("+ face", ("face",)),
            ("+ face, garment pass", ("face", "garment_mask", "garment_images")),
            ("img2img 0.6", ("studio_strength",)))


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # kB on Linux


def quiet_torch(threads: int | None) -> Any:
    """torch on ``threads`` threads (None: its default), diffusers and transformers
    without their logs and progress bars (the bench prints its own figures)."""
    import torch
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    if threads:
        torch.set_num_threads(threads)
    for logging in (diffusers_logging, transformers_logging):
        logging.set_verbosity_error()
        logging.disable_progress_bar()
    return torch


def run_recipe(job: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: build (or reuse) the folders, load the recipe, time images."""
    torch = quiet_torch(job["threads"])
    from twinstudio.generation.diffusion import testing
    from twinstudio.generation.diffusion.recipes import load_recipe, runtime
    from twinstudio.generation.diffusion.types import ModelFolder

    name, root = job["recipe"], Path(job["root"])
    out: dict[str, Any] = {"recipe": name, "threads": torch.get_num_threads(), "sizes": []}
    device, dtype = runtime(job["device"])
    if job["dtype"] == "bfloat16":
        dtype = torch.bfloat16
    started = time.perf_counter()
    if job["full_size"]:
        builder = (testing.build_full_size_sdxl if name == "sdxl"
                   else testing.build_full_size_flux2_klein)
        marker = root / f"{name}.done"
        if not marker.exists():
            build_dtype = torch.float16 if name == "sdxl" else torch.bfloat16
            paths = builder(root, dtype=build_dtype,
                            device="cuda" if device.startswith("cuda") else None)
            marker.write_text("\n".join(f"{k}={v}" for k, v in paths.items()))
        paths = {k: Path(v) for k, v in (line.split("=", 1)
                                         for line in marker.read_text().splitlines())}
        counts = testing.parameter_counts(f"full-{name}")
    else:
        builder = testing.build_tiny_sdxl if name == "sdxl" else testing.build_tiny_flux2_klein
        paths = builder(root)
        counts = testing.parameter_counts(f"tiny-{name}")
    out["build_s"] = time.perf_counter() - started
    if name == "sdxl":   # the bundle as the recipe loads it: UNet, one ControlNet per role
        counts["controlnet"] *= 2
    out["parameters"] = sum(counts.values())
    models = {role: ModelFolder(name=role, kind="base", role=role, path=paths[role],
                                manifest_sha256="0" * 64) for role in ROLES[name]}
    started = time.perf_counter()
    recipe = load_recipe(name, models, device=device, dtype=dtype,
                         cpu_offload=job["cpu_offload"])
    out["load_s"] = time.perf_counter() - started
    out["device"], out["dtype"] = device, str(dtype).removeprefix("torch.")
    cuda = device.startswith("cuda")
    for size in job["sizes"]:
        row: dict[str, Any] = {"size": size, "variants": {}}
        for label, extras in VARIANTS[:job["variants"]]:
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            times = []
            for i in range(job["images"] + 1):      # the first one warms up
                image_inputs = bench_inputs(size, size, job["steps"], seed=i, extras=extras)
                if cuda:
                    torch.cuda.synchronize()
                started = time.perf_counter()
                recipe.generate(image_inputs)
                if cuda:
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - started)
            measured = times[1:] or times
            row["variants"][label] = {
                "s": statistics.median(measured), "first_s": times[0],
                "cuda_peak_gb": torch.cuda.max_memory_allocated() / 2**30 if cuda else None}
        out["sizes"].append(row)
    out["peak_rss_mb"] = peak_rss_mb()
    out["parameters_used"] = recipe.parameters
    return out


def report(result: dict[str, Any], steps: int) -> None:
    p = result["parameters"]
    print(f"{result['recipe']}: {p / 1e6:,.1f} M parameters, {result['device']} "
          f"{result['dtype']}, {result['threads']} torch thread(s); folders written in "
          f"{result['build_s']:.1f} s, recipe loaded in {result['load_s']:.1f} s")
    for row in result["sizes"]:
        parts = []
        for label, v in row["variants"].items():
            cuda = f", {v['cuda_peak_gb']:.1f} GB CUDA peak" if v["cuda_peak_gb"] else ""
            parts.append(f"{label} {v['s']:.3f} s{cuda}")
        print(f"  {row['size']}x{row['size']}, {steps} steps (median s/image): "
              + "; ".join(parts))
    print(f"  peak RSS of the process: {result['peak_rss_mb']:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-size", action="store_true")
    parser.add_argument("--cpu-one-step", action="store_true",
                        help="with --full-size and no GPU: time one step on the CPU")
    parser.add_argument("--recipes", default="sdxl,flux2-klein")
    parser.add_argument("--sizes", default=None, help="comma-separated square sizes")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--images", type=int, default=None, help="timed images per case")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's)")
    parser.add_argument("--cpu-offload", action="store_true")
    parser.add_argument("--models-dir", default=None,
                        help="where the full-size folders are written (default: a temp dir)")
    args = parser.parse_args()

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import torch

    gpu = torch.cuda.is_available()
    where = torch.cuda.get_device_name(0) if gpu else "CPU (no GPU present)"
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    job: dict[str, Any] = {"threads": args.threads, "cpu_offload": args.cpu_offload,
                           "full_size": args.full_size, "device": "auto", "dtype": None,
                           "variants": len(VARIANTS)}
    if args.full_size:
        if not gpu and not args.cpu_one_step:
            print("no GPU present: the full-size bench times SDXL at 1024x1024 and FLUX.2 "
                  "[klein] 4B at 30 steps on CUDA. Run it on a machine with a GPU, or add "
                  "--cpu-one-step for a one-step CPU figure.")
            return
        steps = args.steps or (30 if gpu else 1)
        sizes = [int(s) for s in (args.sizes or "1024").split(",")]
        images = args.images if args.images is not None else (2 if gpu else 0)
        if not gpu:
            job.update(dtype="bfloat16", variants=1)
            print(f"no GPU present: a CPU figure, text to image only, {steps} step(s), "
                  "bfloat16, no warm-up")
    else:
        steps = args.steps or 4
        sizes = [int(s) for s in (args.sizes or "64,256").split(",")]
        images = args.images if args.images is not None else 3
    print(f"diffusion recipes, {'full-size' if args.full_size else 'tiny'} random-weight "
          f"models (the code path's cost; not real weights' images): torch "
          f"{torch.__version__} on {where}, {os.cpu_count()} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    job.update(steps=steps, sizes=sizes, images=images)
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-diffusion-") as tmp:
        for name in recipes:
            root = Path(args.models_dir or tmp) / name
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                result = pool.submit(run_recipe,
                                     {**job, "recipe": name, "root": str(root)}).result()
            report(result, steps)


if __name__ == "__main__":
    main()
