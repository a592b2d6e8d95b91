"""Seconds per frame of the body-twin renderers. Prints figures; asserts nothing.

    .venv/bin/python bench/render.py            # raster at 768x1024, 10 frames

Renders one roster person (posed, textured, on the cyclorama) and prints the first frame
(context creation and shader compile included) and the median of the next frames, with
and without shadows, then one Cycles preview frame (Blender 4.5 as a module; CPU here).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from twinstudio.body3d.appearance import bake_maps
from twinstudio.body3d.fit import fit_body
from twinstudio.body3d.poses import LIBRARY
from twinstudio.body3d.render import RasterRenderer, View
from twinstudio.body3d.twin import posed_body
from twinstudio.demo.roster_spec import sample_roster


def main() -> None:
    person = sample_roster(1, 7)[0]
    fitted = fit_body(person.profile)
    started = time.perf_counter()
    maps = bake_maps(posed_body(fitted, LIBRARY["a_pose"]), person.profile.appearance)
    print(f"texture bake (1024x1024): {time.perf_counter() - started:.2f} s")
    body = posed_body(fitted, LIBRARY["contrapposto"])
    renderer = RasterRenderer()
    for shadows in (True, False):
        times = []
        for _ in range(11):
            started = time.perf_counter()
            renderer.render(body, maps, View(shadows=shadows))
            times.append(time.perf_counter() - started)
        print(f"raster 768x1024 {'with' if shadows else 'without'} shadows: first "
              f"{times[0]:.2f} s, then median {statistics.median(times[1:]):.3f} s per frame "
              "(RGB, depth, person and part masks, keypoints)")
    from twinstudio.body3d.render_cycles import CyclesRenderer

    for preset in ("preview",):
        cycles = CyclesRenderer(preset)
        started = time.perf_counter()
        cycles.render(body, maps, View())
        print(f"cycles {preset} 768x1024 ({cycles_samples(preset)} samples, denoised): "
              f"{time.perf_counter() - started:.1f} s per frame")


def cycles_samples(preset: str) -> int:
    from twinstudio.body3d.render_cycles import SAMPLES

    return SAMPLES[preset]


if __name__ == "__main__":
    main()
