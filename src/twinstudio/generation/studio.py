"""The ``studio`` backend (embedded default, CPU): the twin's body twin, wearing the
garments, posed, rendered by the raster renderer and placed in a scene, framed for the
format.

How a scene is made: the renderer draws the person on a neutral cyclorama with the key,
fill and rim lights; the backdrop's shading (floor falloff, the person's shadow) is kept
as a ratio to the neutral colour and re-coloured with the scene's colours (one colour, a
vertical gradient sweep, or a wall and floor with a horizon at the feet), with a paper or
plaster grain from the variant's seed. Lighting presets change shadows, exposure and
warmth. Framing comes from the camera (``body3d.render.frame_camera``): the head is never
cut and the garment's region is inside the frame.

Components are given at construction (diffusers style); ``generate`` checks its inputs
first, then runs numbered steps and reports their timings.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from twinstudio.domain.body import BodyProfile
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.generation import (
    FORMATS,
    LIGHTING,
    SCENES,
    GenerationInputs,
    GenerationResult,
    Scene,
)

NEUTRAL = (200, 200, 204)   # the backdrop colour the shading is measured against


@dataclass
class _Twin:
    fit: Any
    maps: Any
    poses: dict[str, Any]


class StudioBackend:
    """Renders the body twin; ``source`` names its IPTC digital source type."""

    name = "studio"
    source = "studio"

    def __init__(self, renderer: Any | None = None, *, cache_size: int = 8,
                 maps_dir: Path | None = None, garment_masks: bool = False) -> None:
        if renderer is None:
            from twinstudio.body3d.render import RasterRenderer

            renderer = RasterRenderer()
        if maps_dir is None:
            from twinstudio.body3d.model import default_cache_dir

            maps_dir = default_cache_dir() / "maps"
        self.renderer = renderer
        self.maps_dir = maps_dir
        self.garment_masks = garment_masks  # a mask per garment (the diffusion recipes')
        self._twins: OrderedDict[str, _Twin] = OrderedDict()
        self._cache_size = cache_size

    # -------------------------------------------------------------- body twin cache
    def _twin(self, inputs: GenerationInputs) -> _Twin:
        key = inputs.request.twin_id + ":" + inputs.body_version
        if key in self._twins:
            self._twins.move_to_end(key)
            return self._twins[key]
        from twinstudio.body3d.appearance import bake_maps
        from twinstudio.body3d.fit import BodyFit
        from twinstudio.body3d.poses import LIBRARY
        from twinstudio.body3d.twin import posed_body

        profile = BodyProfile.model_validate(inputs.body_profile)
        fit = BodyFit(phenotypes=inputs.body_fit["phenotypes"],
                      local_changes=inputs.body_fit["local_changes"])
        # baking the skin, hair and eye maps takes seconds: kept on disk per body version
        path = self.maps_dir / f"{inputs.body_version}.npz"
        maps = _load_maps(path)
        if maps is None:
            maps = bake_maps(posed_body(fit, LIBRARY["a_pose"]), profile.appearance,
                             seed=int(inputs.body_fit.get("maps_seed", 0)))
            _save_maps(path, maps)
        twin = _Twin(fit, maps, {})
        self._twins[key] = twin
        while len(self._twins) > self._cache_size:
            self._twins.popitem(last=False)
        return twin

    def _posed(self, twin: _Twin, pose_name: str) -> Any:
        from twinstudio.body3d.poses import load_pose
        from twinstudio.body3d.twin import posed_body

        if pose_name not in twin.poses:
            twin.poses[pose_name] = posed_body(twin.fit, load_pose(pose_name))
        return twin.poses[pose_name]

    # ------------------------------------------------------------------- generate
    def check(self, inputs: GenerationInputs) -> None:
        """Refuse what this backend cannot make, before any work."""
        from twinstudio.body3d.poses import load_pose

        request = inputs.request
        try:
            load_pose(request.pose)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        if len(inputs.garments) != len(request.garment_ids):
            raise InvalidInput("every garment of the request must be given")
        for key in ("phenotypes", "local_changes"):
            if key not in inputs.body_fit:
                raise InvalidInput(f"the body twin has no {key}; fit it first")

    def generate(self, inputs: GenerationInputs) -> GenerationResult:
        from twinstudio.body3d.garments import garment_meshes
        from twinstudio.body3d.render import View

        self.check(inputs)
        request = inputs.request
        timings: dict[str, float] = {}
        t = time.perf_counter()
        # 1. the body twin in the pose
        twin = self._twin(inputs)
        body = self._posed(twin, request.pose)
        timings["body"] = time.perf_counter() - t
        # 2. the garments as shells, in the variant's colourway
        t = time.perf_counter()
        meshes = []
        for owner, garment in enumerate(inputs.garments):
            colours = garment.colours()
            colour = colours[request.colourway % len(colours)]
            pattern = inputs.patterns.get(garment.id)
            meshes += [replace(mesh, owner=owner)
                       for mesh in garment_meshes(body, garment, colour, pattern)]
        timings["garments"] = time.perf_counter() - t
        # 3. render on the neutral cyclorama, framed for the format
        t = time.perf_counter()
        fmt = FORMATS[request.format]
        lighting = LIGHTING[request.lighting]
        view = View(framing=fmt.framing, width=fmt.width, height=fmt.height,
                    backdrop=NEUTRAL, shadows=lighting.shadows,
                    garment_masks=self.garment_masks)
        rendered = self.renderer.render(body, twin.maps, view, garments=meshes)
        timings["render"] = time.perf_counter() - t
        # 4. the scene and the light
        t = time.perf_counter()
        image = compose_scene(rendered.rgb, rendered.mask, SCENES[request.scene],
                              seed=request.seed, feet_y=_feet_y(rendered.keypoints, fmt.height))
        image = apply_lighting(image, exposure=lighting.exposure, warmth=lighting.warmth)
        timings["scene"] = time.perf_counter() - t
        return GenerationResult(
            image=image, reference=rendered.rgb,
            conditioning={"pose": rendered.keypoints, "depth": rendered.depth,
                          "mask": rendered.mask, "parts": rendered.parts,
                          "camera": rendered.camera, "garments": rendered.garments},
            source=self.source, timings=timings)


def _load_maps(path: Path) -> Any | None:
    from twinstudio.body3d.appearance import Maps

    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            return Maps(albedo=data["albedo"], roughness=data["roughness"],
                        material=data["material"])
    except (OSError, KeyError, ValueError):  # a damaged cache file is rebuilt
        return None


def _save_maps(path: Path, maps: Any) -> None:
    import io

    from twinstudio.fileio import atomic_write

    buffer = io.BytesIO()
    np.savez_compressed(buffer, albedo=maps.albedo, roughness=maps.roughness,
                        material=maps.material)
    atomic_write(path, buffer.getvalue())


def _feet_y(keypoints: dict[str, tuple[float, float, bool]], height: int) -> float:
    ankles = [keypoints[k][1] for k in ("left_ankle", "right_ankle") if k in keypoints]
    return float(max(ankles)) if ankles else float(height)


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float32)


def _grain(shape: tuple[int, int], seed: int, strength: float) -> np.ndarray:
    """Paper or plaster: fine noise over soft blotches, mean 1 (deterministic)."""
    if strength <= 0:
        return np.ones(shape, np.float32)
    import cv2

    rng = np.random.default_rng(seed)
    fine = rng.normal(0.0, 1.0, shape).astype(np.float32)
    coarse = cv2.resize(rng.normal(0.0, 1.0, (shape[0] // 24 + 2, shape[1] // 24 + 2)
                                   ).astype(np.float32), (shape[1], shape[0]),
                        interpolation=cv2.INTER_CUBIC)
    return 1.0 + strength * (0.03 * fine + 0.012 * coarse)


def compose_scene(rgb: np.ndarray, mask: np.ndarray, scene: Scene, *, seed: int,
                  feet_y: float) -> np.ndarray:
    """Re-colour the neutral backdrop of a render with ``scene``; the person is kept."""
    import cv2

    height, width = mask.shape
    shading = rgb.astype(np.float32) / np.array(NEUTRAL, np.float32)
    shading = shading.mean(axis=2, keepdims=True)  # the light falling on the backdrop
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    if scene.kind == "cyclorama":
        target = np.broadcast_to(_hex(scene.colours[0]), (height, width, 3))
    elif scene.kind == "gradient":
        top, bottom = _hex(scene.colours[0]), _hex(scene.colours[1])
        target = np.broadcast_to(top * (1 - rows) + bottom * rows, (height, width, 3))
    else:  # set: a wall meeting a floor just behind the feet, with a soft contact line
        wall, floor = _hex(scene.colours[0]), _hex(scene.colours[1])
        horizon = min(height - 1.0, feet_y - 0.03 * height)
        y = np.arange(height, dtype=np.float32)[:, None, None]
        blend = np.clip((y - horizon) / (0.012 * height), 0.0, 1.0)
        target = np.broadcast_to(wall * (1 - blend) + floor * blend, (height, width, 3))
    background = target * shading * _grain((height, width), seed, scene.grain)[..., None]
    # a soft matte: multisampled edges of the person keep their blend
    matte = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0)[..., None]
    out = rgb.astype(np.float32) * matte + background * (1 - matte)
    return np.clip(out, 0, 255).astype(np.uint8)


def apply_lighting(rgb: np.ndarray, *, exposure: float, warmth: float) -> np.ndarray:
    if exposure == 1.0 and warmth == 0.0:
        return rgb
    gains = np.array([1 + 0.08 * warmth, 1.0, 1 - 0.08 * warmth], np.float32) * exposure
    return np.clip(rgb.astype(np.float32) * gains, 0, 255).astype(np.uint8)
