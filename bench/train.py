"""Seconds per step and peak memory of the per-twin LoRA training loop. Prints figures;
asserts nothing.

    .venv/bin/python bench/train.py                     # tiny models, CPU: 64 and 256 px
    .venv/bin/python bench/train.py --threads 1         # ... on one torch thread
    .venv/bin/python bench/train.py --full-size         # real architectures, GPU, 1024 px

Each recipe runs in its own process (so that its peak RSS is its own) on folders that
``twinstudio.generation.diffusion.testing`` writes with random weights, in diffusers'
layout, through ``training.train_lora`` as a training job would call it: four random
"photos" of other shapes than the square it trains at, rank 16, batch 1. For each size it
prints the time to load the folder and encode the photos (the call's time less its
steps), the median seconds per step after ``--warmup`` steps (``StepReport.seconds``:
forward, backward and the AdamW step), the LoRA's size, and the memory: the process's
peak RSS (``resource``) and, on CUDA, ``torch.cuda.max_memory_allocated``.

Tiny models (default) time the code path, not a real model: a few million parameters.
``--full-size`` builds SDXL base 1.0 (fp16, 2.6 G parameters in the UNet) and FLUX.2
[klein] 4B with Qwen3-4B (bf16) under ``--models-dir`` (reused when there) and trains at
1024 px, rank 16, in bfloat16 with gradient checkpointing (``--no-checkpointing`` turns
it off). Without a GPU it says so and stops.

Measured here (2 vCPUs shared with another job, no GPU, load average 3.5, ``--threads
1``), rank 16, median s/step at 64 / 256 px: sdxl (tiny UNet, 2.0 M parameters) 0.057 /
0.139, load + encode of four photos 1.2 / 1.5 s, peak RSS 557 MB; flux2-klein (0.1 M)
0.021 / 0.037, 1.3 / 1.2 s, 488 MB. The full-size figures are still to be measured on a
GPU.
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.diffusion import peak_rss_mb, quiet_torch

SHAPES = ((5, 4), (4, 5), (1, 1), (3, 4))   # h:w of the bench's photos


def examples(size: int) -> list[Any]:
    import numpy as np

    from twinstudio.generation.diffusion.training import TrainingExample

    rng = np.random.default_rng(0)
    out = []
    for i, (h, w) in enumerate(SHAPES):
        side = size + size // 4
        image = rng.integers(0, 255, (side * h // max(h, w), side * w // max(h, w), 3),
                             dtype=np.uint8)
        out.append(TrainingExample(image, f"a photo of tsx_bench person, view {i}"))
    return out


def run_recipe(job: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: build (or reuse) the folders, train, time the steps."""
    torch = quiet_torch(job["threads"])
    from twinstudio.generation.diffusion import testing
    from twinstudio.generation.diffusion.training import TrainingConfig, train_lora

    name, root = job["recipe"], Path(job["root"])
    cuda = torch.cuda.is_available() and job["full_size"]
    device = "cuda" if cuda else "cpu"
    out: dict[str, Any] = {"recipe": name, "threads": torch.get_num_threads(), "sizes": [],
                           "device": device}
    started = time.perf_counter()
    if job["full_size"]:
        marker = root / f"{name}.done"
        if not marker.exists():
            builder = (testing.build_full_size_sdxl if name == "sdxl"
                       else testing.build_full_size_flux2_klein)
            marker.write_text(str(builder(root, device="cuda")["base"]))
        base = Path(marker.read_text().strip())
        counts = testing.parameter_counts(f"full-{name}")
    else:
        builder = testing.build_tiny_sdxl if name == "sdxl" else testing.build_tiny_flux2_klein
        base = builder(root)["base"]
        counts = testing.parameter_counts(f"tiny-{name}")
    out["build_s"] = time.perf_counter() - started
    trained = "unet" if name == "sdxl" else "transformer"
    out["parameters"] = counts[trained]
    out["dtype"] = "bfloat16" if cuda else "float32"
    for size in job["sizes"]:
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        config = TrainingConfig(steps=job["warmup"] + job["steps"], rank=job["rank"],
                                resolution=size, checkpoint_every=0,
                                gradient_checkpointing=job["checkpointing"] if cuda else None)
        reports: list[Any] = []
        started = time.perf_counter()
        adapter = train_lora(name, base, examples(size), config, device=device,
                             on_step=reports.append)
        total = time.perf_counter() - started
        steps = [r.seconds for r in reports]
        measured = steps[job["warmup"]:] or steps
        out["sizes"].append({
            "size": size, "load_encode_s": total - sum(steps),
            "s_per_step": statistics.median(measured), "first_step_s": steps[0],
            "lora_mb": len(adapter.weights) / 2**20,
            "first_loss": adapter.losses[0], "last_loss": adapter.losses[-1],
            "cuda_peak_gb": torch.cuda.max_memory_allocated() / 2**30 if cuda else None})
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def report(result: dict[str, Any], job: dict[str, Any]) -> None:
    print(f"{result['recipe']}: {result['parameters'] / 1e6:,.1f} M parameters in the "
          f"trained model, {result['device']} {result['dtype']}, {result['threads']} torch "
          f"thread(s); folders written in {result['build_s']:.1f} s")
    for row in result["sizes"]:
        cuda = (f", {row['cuda_peak_gb']:.1f} GB CUDA peak" if row["cuda_peak_gb"] is not None
                else "")
        print(f"  {row['size']}x{row['size']}, rank {job['rank']}: load + encode "
              f"{row['load_encode_s']:.2f} s, {row['s_per_step']:.3f} s/step (median of "
              f"{job['steps']} after {job['warmup']} warm-up; first {row['first_step_s']:.3f}"
              f" s){cuda}; LoRA {row['lora_mb']:.2f} MB")
    print(f"  peak RSS of the process: {result['peak_rss_mb']:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-size", action="store_true")
    parser.add_argument("--recipes", default="sdxl,flux2-klein")
    parser.add_argument("--sizes", default=None, help="comma-separated square sizes")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per size")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's)")
    parser.add_argument("--no-checkpointing", action="store_true",
                        help="with --full-size: no gradient checkpointing")
    parser.add_argument("--models-dir", default=None,
                        help="where the full-size folders are written (default: a temp dir)")
    args = parser.parse_args()

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import torch

    gpu = torch.cuda.is_available()
    where = torch.cuda.get_device_name(0) if gpu else "CPU (no GPU present)"
    if args.full_size and not gpu:
        print("no GPU present: the full-size bench trains SDXL and FLUX.2 [klein] 4B LoRAs "
              "at 1024x1024 on CUDA. Run it on a machine with a GPU; nothing was timed.")
        return
    job: dict[str, Any] = {
        "threads": args.threads, "full_size": args.full_size, "rank": args.rank,
        "warmup": args.warmup, "checkpointing": not args.no_checkpointing,
        "steps": args.steps or (10 if args.full_size else 8),
        "sizes": [int(s) for s in (args.sizes or ("1024" if args.full_size else "64,256"))
                  .split(",")]}
    print(f"LoRA training, {'full-size' if args.full_size else 'tiny'} random-weight models "
          f"(the code path's cost; not real weights): torch {torch.__version__} on {where}, "
          f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at the start")
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        for name in [r.strip() for r in args.recipes.split(",") if r.strip()]:
            root = Path(args.models_dir or tmp) / name
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                result = pool.submit(run_recipe,
                                     {**job, "recipe": name, "root": str(root)}).result()
            report(result, job)


if __name__ == "__main__":
    main()
