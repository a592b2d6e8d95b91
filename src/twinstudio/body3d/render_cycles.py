"""The Cycles renderer: Blender as a Python module (``bpy`` 4.5 LTS, the ``render`` extra).

Physically based: Principled BSDF skin with random-walk subsurface scattering, fabric
materials for garments, three area-light softboxes (key, fill, rim) on the same cyclorama
and camera as the raster renderer, OpenImageDenoise, and the AgX view transform. Presets:
``preview`` (few samples, denoised) and ``final``. The GPU is used when Cycles finds one.

Depth, the person and part masks and the keypoints come from a raster pass of the same
scene and camera (they are geometry, not light): the two renderers agree pixel for pixel.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from twinstudio.body3d.appearance import Maps
from twinstudio.body3d.garments import GarmentMesh
from twinstudio.body3d.render import (
    FILL_LIGHT,
    KEY_LIGHT,
    LIGHT_TARGET,
    RIM_LIGHT,
    RasterRenderer,
    RenderResult,
    View,
    _look_at,
    _turn_garment,
    cyclorama_geometry,
    frame_camera,
    turned,
)
from twinstudio.body3d.twin import PosedBody

Preset = Literal["preview", "final"]
SAMPLES = {"preview": 8, "final": 128}
_lock = threading.Lock()


def _image(bpy: Any, name: str, rgb: np.ndarray) -> Any:
    height, width = rgb.shape[:2]
    image = bpy.data.images.new(name, width, height, alpha=False)
    image.colorspace_settings.name = "sRGB"  # before the pixels: changing it resets them
    rgba = np.ones((height, width, 4), np.float32)
    rgba[..., :3] = rgb[::-1].astype(np.float32) / 255.0  # Blender's rows go up
    image.pixels.foreach_set(rgba.ravel())
    image.pack()
    return image


def _mesh(bpy: Any, name: str, positions: np.ndarray, triangles: np.ndarray,
          corner_uvs: np.ndarray | None) -> Any:
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(positions.tolist(), [], triangles.tolist())
    if corner_uvs is not None:
        layer = mesh.uv_layers.new(name="UVMap")
        layer.data.foreach_set("uv", corner_uvs.astype(np.float32).ravel())
    mesh.polygons.foreach_set("use_smooth", [True] * len(mesh.polygons))
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def _material(bpy: Any, name: str, texture: np.ndarray | None, *, roughness: float,
              colour: tuple[float, float, float] | None = None, skin: bool = False) -> Any:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = roughness
    if texture is not None:
        node = nodes.new("ShaderNodeTexImage")
        node.image = _image(bpy, f"{name}-albedo", texture)
        node.extension = "REPEAT"
        links.new(node.outputs["Color"], bsdf.inputs["Base Color"])
    elif colour is not None:
        bsdf.inputs["Base Color"].default_value = (*colour, 1.0)
    if skin:
        bsdf.subsurface_method = "RANDOM_WALK"
        bsdf.inputs["Subsurface Weight"].default_value = 0.18
        bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)  # red travels
        bsdf.inputs["Subsurface Scale"].default_value = 0.006  # metres
    return material


def _area_light(bpy: Any, name: str, position: np.ndarray, size: float, watts: float,
                colour: tuple[float, float, float]) -> None:
    from mathutils import Matrix

    light = bpy.data.lights.new(name, type="AREA")
    light.shape = "RECTANGLE"
    light.size, light.size_y = size, size * 1.4
    light.energy = watts
    light.color = colour
    obj = bpy.data.objects.new(name, light)
    obj.matrix_world = Matrix(_look_at(position.astype(float), LIGHT_TARGET).tolist())
    bpy.context.scene.collection.objects.link(obj)


def _use_gpu(bpy: Any) -> bool:
    try:
        preferences = bpy.context.preferences.addons["cycles"].preferences
        for kind in ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL"):
            try:
                preferences.compute_device_type = kind
            except TypeError:
                continue
            preferences.get_devices()
            gpus = [d for d in preferences.devices if d.type != "CPU"]
            if gpus:
                for device in preferences.devices:
                    device.use = device.type != "CPU"
                return True
    except (KeyError, AttributeError, RuntimeError):
        return False
    return False


class CyclesRenderer:
    """Photoreal stills of the body twin with Cycles (CPU here, GPU when present)."""

    def __init__(self, preset: Preset = "preview") -> None:
        self.preset = preset
        self._raster = RasterRenderer()

    def render(self, body: PosedBody, maps: Maps, view: View,
               garments: Sequence[GarmentMesh] = ()) -> RenderResult:
        geometry = self._raster.render(body, maps, replace(view, shadows=False),
                                       garments=garments)
        with _lock:
            rgb = self._cycles(body, maps, view, garments)
        return replace(geometry, rgb=rgb)

    def _cycles(self, body: PosedBody, maps: Maps, view: View,
                garments: Sequence[GarmentMesh]) -> np.ndarray:
        import bpy
        from mathutils import Matrix
        from PIL import Image

        if view.yaw_degrees:
            garments = [_turn_garment(g, body, view.yaw_degrees) for g in garments]
        body = turned(body, view.yaw_degrees)
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        scene.render.engine = "CYCLES"
        scene.cycles.device = "GPU" if _use_gpu(bpy) else "CPU"
        scene.cycles.samples = SAMPLES[self.preset]
        scene.cycles.use_denoising = True
        scene.cycles.denoiser = "OPENIMAGEDENOISE"
        scene.view_settings.view_transform = "AgX"
        scene.render.resolution_x, scene.render.resolution_y = view.width, view.height
        scene.render.resolution_percentage = 100
        scene.render.image_settings.file_format = "PNG"
        world = bpy.data.worlds.new("studio")
        world.use_nodes = True
        world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.15
        scene.world = world

        positions, _, triangles = cyclorama_geometry()
        backdrop = _mesh(bpy, "cyclorama", positions, triangles, None)
        backdrop.data.materials.append(_material(
            bpy, "backdrop", None, roughness=0.95,
            colour=tuple((np.array(view.backdrop) / 255.0) ** 2.2)))
        corner_uvs = body.uvs[body.face_uvs].reshape(-1, 2)
        skin = _mesh(bpy, "body", body.vertices, body.faces, corner_uvs)
        skin.data.materials.append(_material(bpy, "skin", maps.albedo, skin=True,
                                             roughness=float(np.median(maps.roughness))))
        for index, garment in enumerate(garments):
            soup = np.arange(len(garment.positions)).reshape(-1, 3)
            obj = _mesh(bpy, f"garment{index}", garment.positions, soup, garment.uvs)
            obj.data.materials.append(_material(bpy, f"fabric{index}", garment.texture,
                                                roughness=garment.roughness))

        camera = bpy.data.cameras.new("camera")
        camera.sensor_fit = "VERTICAL"
        camera.angle_y = float(RasterRenderer.YFOV)
        camera.clip_start, camera.clip_end = 0.05, 40.0
        camera_object = bpy.data.objects.new("camera", camera)
        camera_object.matrix_world = Matrix(frame_camera(body, view,
                                                         RasterRenderer.YFOV).tolist())
        scene.collection.objects.link(camera_object)
        scene.camera = camera_object
        _area_light(bpy, "key", KEY_LIGHT, 1.6, 900.0, (1.0, 0.96, 0.9))
        _area_light(bpy, "fill", FILL_LIGHT, 2.2, 260.0, (0.88, 0.92, 1.0))
        _area_light(bpy, "rim", RIM_LIGHT, 1.2, 500.0, (1.0, 0.98, 0.95))

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "frame.png"
            scene.render.filepath = str(target)
            bpy.ops.render.render(write_still=True)
            return np.asarray(Image.open(target).convert("RGB")).copy()
