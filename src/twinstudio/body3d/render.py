"""Renderers of the body twin behind one protocol, each giving RGB, depth (metres), a
person mask, a body-part mask and COCO-17 keypoints projected from the model.

``RasterRenderer``: offscreen OpenGL on the CPU (Mesa llvmpipe through EGL, pyrender).
Measured on this machine: about 0.4 s for a 768x1024 frame with a shadowed key light,
fill and rim lights, 4x multisampling, a cyclorama backdrop, depth and the part pass.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from twinstudio.body3d.appearance import PARTS, Maps, vertex_parts
from twinstudio.body3d.garments import GarmentMesh
from twinstudio.body3d.twin import COCO17, PosedBody

Framing = Literal["full_body", "three_quarter", "portrait"]
PART_COLOURS = np.array([
    [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212],
    [0, 128, 128], [220, 190, 255], [170, 110, 40], [128, 0, 0],
    [255, 255, 255]], np.uint8)  # the last: garments
GARMENT_PART = len(PARTS) + 1  # part id of garment pixels (0 is the background)


@dataclass(frozen=True)
class View:
    framing: Framing = "full_body"
    yaw_degrees: float = 0.0       # the person turns: 0 front, 90 shows their left side, 180 back
    width: int = 768
    height: int = 1024
    backdrop: tuple[int, int, int] = (200, 200, 204)
    shadows: bool = True
    garment_masks: bool = False    # also a mask per garment (one more segmentation pass)


@dataclass
class RenderResult:
    rgb: np.ndarray                 # (H, W, 3) uint8
    depth: np.ndarray               # (H, W) float32 metres, 0 where nothing
    mask: np.ndarray                # (H, W) bool: the person
    parts: np.ndarray               # (H, W) uint8: 0 background, 1 + index into PARTS
    keypoints: dict[str, tuple[float, float, bool]]  # name -> (x, y, visible)
    camera: dict[str, list] = field(default_factory=dict)
    # with ``View.garment_masks``: (H, W) uint8, 0 none, 1 + the garment's ``owner``
    garments: np.ndarray | None = None


class Renderer(Protocol):
    def render(self, body: PosedBody, maps: Maps, view: View,
               garments: Sequence[GarmentMesh] = ()) -> RenderResult: ...


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    forward = target - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, -forward, eye
    return pose


def frame_camera(body: PosedBody, view: View, yfov: float) -> np.ndarray:
    """Camera pose that frames the person for ``view`` with the head never cut."""
    top = float(body.vertices[:, 1].max())
    k = body.keypoints
    bottom = {"full_body": 0.0,
              "three_quarter": float(0.5 * (k["left_knee"][1] + k["right_knee"][1])) - 0.05,
              "portrait": float(0.5 * (k["left_shoulder"][1] + k["right_shoulder"][1])) - 0.22,
              }[view.framing]
    margin = 0.06 * (top - bottom) + 0.04
    span = top - bottom + 2 * margin
    aspect = view.width / view.height
    band = body.vertices[body.vertices[:, 1] >= bottom]
    width_needed = 0.55 if view.framing == "portrait" else float(np.ptp(band[:, 0])) + 0.1
    distance = max(span / 2, width_needed / aspect / 2) / np.tan(yfov / 2)
    centre = np.array([float(np.median(body.vertices[:, 0])), bottom + span / 2 - margin,
                       float(np.median(body.vertices[:, 2]))])
    eye = centre + distance * np.array([0.0, 0.02, 1.0])
    return _look_at(eye, centre)


def _spin(body: PosedBody, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotation matrix and centre that turn ``body`` about its vertical axis."""
    angle = np.deg2rad(-degrees)
    rotation = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0],
                         [-np.sin(angle), 0, np.cos(angle)]])
    centre = np.array([np.median(body.vertices[:, 0]), 0.0, np.median(body.vertices[:, 2])])
    return rotation, centre


def turned(body: PosedBody, degrees: float) -> PosedBody:
    """The body turned about its vertical axis (the camera and lights stay put, as in a
    studio where the model turns on the spot): 90 shows the person's left side."""
    if not degrees:
        return body
    from dataclasses import replace

    rotation, centre = _spin(body, degrees)

    def spin(points: np.ndarray) -> np.ndarray:
        return (points - centre) @ rotation.T + centre

    return replace(body, vertices=spin(body.vertices),
                   keypoints={k: spin(v[None])[0] for k, v in body.keypoints.items()},
                   joints={k: spin(v[None])[0] for k, v in body.joints.items()})


def project(points: np.ndarray, camera_pose: np.ndarray, yfov: float, width: int,
            height: int) -> tuple[np.ndarray, np.ndarray]:
    """World points -> pixel (x right, y down) and camera depth, as the renderer sees."""
    focal = 0.5 * height / np.tan(0.5 * yfov)
    homogeneous = np.c_[points, np.ones(len(points))]
    local = (np.linalg.inv(camera_pose) @ homogeneous.T).T[:, :3]
    depth = -local[:, 2]
    x = focal * local[:, 0] / depth + width / 2
    y = -focal * local[:, 1] / depth + height / 2
    return np.stack([x, y], 1), depth


def cyclorama_geometry() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seamless backdrop: floor curving up into a back wall (positions, normals, tris)."""
    profile, normals = [], []
    for zz in np.linspace(5.0, -1.5, 8):
        profile.append((zz, 0.0))
        normals.append((0.0, 1.0))
    radius, back = 1.2, -1.5
    for t in np.linspace(0, np.pi / 2, 24)[1:]:
        profile.append((back - radius * np.sin(t), radius - radius * np.cos(t)))
        normals.append((np.sin(t), np.cos(t)))
    for yy in np.linspace(radius, 6.0, 6)[1:]:
        profile.append((back - radius, yy))
        normals.append((1.0, 0.0))
    xs = np.linspace(-6, 6, 9)
    count = len(profile)
    positions = np.array([[xx, yy, zz] for xx in xs for (zz, yy) in profile], np.float32)
    normal = np.array([[0.0, ny, nz] for _ in xs for (nz, ny) in normals], np.float32)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    triangles = []
    for i in range(len(xs) - 1):
        for j in range(count - 1):
            a, b = i * count + j, i * count + j + 1
            c, d = (i + 1) * count + j, (i + 1) * count + j + 1
            triangles += [[a, c, b], [b, c, d]]
    return positions, normal, np.array(triangles, np.uint32)


# Studio lights shared by the renderers (positions in the render frame; they aim at the
# chest): a key from high front-left, a fill from the right, a rim from behind.
KEY_LIGHT = np.array([-2.6, 3.0, 3.2])
FILL_LIGHT = np.array([3.0, 1.4, 3.0])
RIM_LIGHT = np.array([1.2, 2.8, -3.0])
LIGHT_TARGET = np.array([0.0, 1.2, 0.0])


def _cyclorama(colour: tuple[int, int, int]):  # type: ignore[no-untyped-def]
    import pyrender

    positions, normal, triangles = cyclorama_geometry()
    material = pyrender.MetallicRoughnessMaterial(
        baseColorFactor=[*(np.array(colour) / 255.0), 1.0], metallicFactor=0.0,
        roughnessFactor=0.95)
    return pyrender.Mesh([pyrender.Primitive(positions=positions, normals=normal,
                                             indices=triangles, material=material)])


class RasterRenderer:
    """Offscreen OpenGL (EGL + Mesa llvmpipe on the CPU) through pyrender."""

    YFOV = np.deg2rad(30.0)

    def __init__(self) -> None:
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
        if not hasattr(np, "infty"):  # pyrender 0.1.45 still uses the NumPy 1 name
            np.infty = np.inf  # type: ignore[attr-defined]
        self._renderers: dict[tuple[int, int], object] = {}
        self._lock = threading.Lock()

    def _offscreen(self, width: int, height: int):  # type: ignore[no-untyped-def]
        import pyrender

        key = (width, height)
        if key not in self._renderers:
            self._renderers[key] = pyrender.OffscreenRenderer(width, height)
        return self._renderers[key]

    def render(self, body: PosedBody, maps: Maps, view: View,
               garments: Sequence[GarmentMesh] = ()) -> RenderResult:
        import pyrender
        import trimesh
        from pyrender.constants import RenderFlags

        if view.yaw_degrees:
            garments = [_turn_garment(g, body, view.yaw_degrees) for g in garments]
        body = turned(body, view.yaw_degrees)
        normals = trimesh.Trimesh(body.vertices, body.faces, process=False).vertex_normals
        parts = vertex_parts(body)
        face_part = parts[body.faces[:, 0]]
        texture = pyrender.Texture(source=maps.albedo, source_channels="RGB")
        metal_rough = np.zeros((*maps.roughness.shape, 3), np.uint8)
        metal_rough[..., 1] = (maps.roughness * 255).astype(np.uint8)
        material = pyrender.MetallicRoughnessMaterial(
            baseColorTexture=texture, metallicFactor=0.0, roughnessFactor=1.0,
            metallicRoughnessTexture=pyrender.Texture(source=metal_rough,
                                                      source_channels="RGB"))
        scene = pyrender.Scene(bg_color=[0, 0, 0, 0], ambient_light=[0.07, 0.07, 0.08])
        scene.add(_cyclorama(view.backdrop))
        nodes = {}
        owners: dict[object, int] = {}
        for index in range(len(PARTS)):
            chosen = face_part == index
            if not chosen.any():
                continue
            corners = np.stack([body.faces[chosen].reshape(-1),
                                body.face_uvs[chosen].reshape(-1)], 1)
            unique, inverse = np.unique(corners, axis=0, return_inverse=True)
            primitive = pyrender.Primitive(
                positions=body.vertices[unique[:, 0]].astype(np.float32),
                normals=normals[unique[:, 0]].astype(np.float32),
                texcoord_0=body.uvs[unique[:, 1]].astype(np.float32),
                indices=inverse.reshape(-1, 3).astype(np.uint32), material=material)
            nodes[scene.add(pyrender.Mesh([primitive]))] = index
        for garment in garments:
            cloth = pyrender.MetallicRoughnessMaterial(
                baseColorTexture=pyrender.Texture(
                    source=garment.texture, source_channels="RGB",
                    sampler=pyrender.Sampler(wrapS=10497, wrapT=10497)),  # GL_REPEAT
                metallicFactor=0.0, roughnessFactor=garment.roughness, doubleSided=True)
            primitive = pyrender.Primitive(
                positions=garment.positions.astype(np.float32),
                normals=garment.normals.astype(np.float32),
                texcoord_0=garment.uvs.astype(np.float32), material=cloth)
            node = scene.add(pyrender.Mesh([primitive]))
            nodes[node] = GARMENT_PART - 1
            owners[node] = garment.owner
        camera_pose = frame_camera(body, view, self.YFOV)
        scene.add(pyrender.PerspectiveCamera(yfov=self.YFOV, aspectRatio=view.width / view.height,
                                             znear=0.05, zfar=40.0), pose=camera_pose)
        key = pyrender.SpotLight(color=[1.0, 0.96, 0.9], intensity=95.0,
                                 innerConeAngle=np.deg2rad(14), outerConeAngle=np.deg2rad(32))
        scene.add(key, pose=_look_at(KEY_LIGHT, LIGHT_TARGET))
        scene.add(pyrender.DirectionalLight(color=[0.85, 0.9, 1.0], intensity=1.4),
                  pose=_look_at(FILL_LIGHT, LIGHT_TARGET))
        scene.add(pyrender.DirectionalLight(color=[1.0, 0.98, 0.95], intensity=4.0),
                  pose=_look_at(RIM_LIGHT, LIGHT_TARGET))
        seg_map = {node: PART_COLOURS[index].tolist() for node, index in nodes.items()}
        with self._lock:
            renderer = self._offscreen(view.width, view.height)
            rgb, depth = renderer.render(
                scene, flags=RenderFlags.SHADOWS_SPOT if view.shadows else RenderFlags.NONE)
            seg, _ = renderer.render(scene, flags=RenderFlags.SEG, seg_node_map=seg_map)
            owner_ids = None
            if view.garment_masks and owners:
                # the body occludes (black), each garment in its own colour
                colours = _owner_colours(max(owners.values()) + 1)
                owner_map = {node: [0, 0, 0] for node in nodes}
                owner_map.update({node: colours[o].tolist() for node, o in owners.items()})
                owner_seg, _ = renderer.render(scene, flags=RenderFlags.SEG,
                                               seg_node_map=owner_map)
                owner_ids = _snap(owner_seg, colours).astype(np.uint8)
        part_ids = _snap(seg)
        points = np.array([body.keypoints[name] for name in COCO17])
        pixels, distance = project(points, camera_pose, self.YFOV, view.width, view.height)
        keypoints = {}
        for name, (x, y), d in zip(COCO17, pixels, distance, strict=True):
            xi, yi = int(np.floor(x)), int(np.floor(y))
            inside = 0 <= xi < view.width and 0 <= yi < view.height
            # a keypoint lies inside the body: visible when no surface is far in front of it
            visible = bool(inside and depth[yi, xi] > 0 and depth[yi, xi] - d > -0.12)
            keypoints[name] = (float(x), float(y), visible)
        return RenderResult(rgb=np.ascontiguousarray(rgb[..., :3]),
                            depth=depth.astype(np.float32), mask=part_ids > 0,
                            parts=part_ids.astype(np.uint8), keypoints=keypoints,
                            camera={"pose": camera_pose.tolist(),
                                    "yfov_degrees": [float(np.degrees(self.YFOV))]},
                            garments=owner_ids if view.garment_masks else None)


def _turn_garment(garment: GarmentMesh, body: PosedBody, degrees: float) -> GarmentMesh:
    """A garment turned with its body (same axis as ``turned``)."""
    from dataclasses import replace

    rotation, centre = _spin(body, degrees)
    return replace(garment, positions=(garment.positions - centre) @ rotation.T + centre,
                   normals=garment.normals @ rotation.T)


def _owner_colours(count: int) -> np.ndarray:
    """Well-separated segmentation colours, one per garment of a look."""
    base = np.array([[255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0],
                     [0, 255, 255], [255, 0, 255]], np.uint8)
    return base[:max(1, min(count, len(base)))]


def _snap(seg: np.ndarray, colours: np.ndarray = PART_COLOURS) -> np.ndarray:
    """Ids from a segmentation pass (multisampling blends colours at borders: each
    pixel takes the nearest colour; 0 is background, 1 + i the i-th of ``colours``)."""
    palette = np.vstack([[0, 0, 0], colours]).astype(np.int32)
    flat = seg.reshape(-1, 3).astype(np.int32)
    key = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    palette_key = (palette[:, 0] << 16) | (palette[:, 1] << 8) | palette[:, 2]
    order = np.argsort(palette_key)
    found = order[np.clip(np.searchsorted(palette_key[order], key), 0, len(palette) - 1)]
    miss = palette_key[found] != key
    if miss.any():
        distances = ((flat[miss][:, None, :] - palette[None]) ** 2).sum(-1)
        found[miss] = distances.argmin(1)
    return found.reshape(seg.shape[:2])
