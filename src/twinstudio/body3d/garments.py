"""Garments as textured shells on the posed body (no cloth simulation).

Tops, sleeves, trousers and shorts are the body's own surface in the garment's region,
pushed out along the normals by the fit's ease. Skirts, dresses and coats hang from the
waist as a flared surface: rings whose radius follows the body down to the hips, then
widens towards the hem and always clears the legs (so a walking pose stays inside).
Every shell gets cylindrical texture coordinates in centimetres, so a fabric pattern
tiles at its real size and never follows the body's UV seams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinstudio.body3d.appearance import PARTS, hex_to_rgb, vertex_parts
from twinstudio.body3d.twin import PosedBody
from twinstudio.domain.garment import EASE_CM, Garment, GarmentCategory, Length

FLARE = {GarmentCategory.SKIRT: 0.28, GarmentCategory.DRESS: 0.34, GarmentCategory.COAT: 0.12}
RADIUS_REFERENCE = 0.15  # metres: the arc that one unit of u covers, for texture scale
SEGMENTS = 64


@dataclass
class GarmentMesh:
    positions: np.ndarray   # (3F, 3) triangle soup
    normals: np.ndarray     # (3F, 3)
    uvs: np.ndarray         # (3F, 2) in pattern repeats
    texture: np.ndarray     # (S, S, 3) uint8, tiled (repeat wrap)
    roughness: float


def fabric_texture(colour: str, pattern: np.ndarray | None = None, size: int = 256,
                   seed: int = 0) -> np.ndarray:
    """One tile of fabric: the pattern image if given, else the colour with a fine weave."""
    if pattern is not None:
        from PIL import Image

        tile = np.asarray(Image.fromarray(pattern).convert("RGB").resize((size, size)))
        return tile.copy()
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    weave = 1.0 + 0.05 * np.sin(xx * 1.6) * np.sin(yy * 1.6) + 0.03 * rng.standard_normal(
        (size, size))
    return np.clip(hex_to_rgb(colour)[None, None] * weave[..., None], 0, 255).astype(np.uint8)


def _levels(body: PosedBody) -> dict[str, float]:
    k = body.keypoints
    hip = float(0.5 * (k["left_hip"][1] + k["right_hip"][1]))
    knee = float(0.5 * (k["left_knee"][1] + k["right_knee"][1]))
    ankle = float(0.5 * (k["left_ankle"][1] + k["right_ankle"][1]))
    shoulder = float(0.5 * (k["left_shoulder"][1] + k["right_shoulder"][1]))
    return {"hip": hip, "knee": knee, "ankle": ankle, "shoulder": shoulder,
            "waist": hip + 0.1, "thigh": hip - 0.45 * (hip - knee)}


def _region(body: PosedBody, garment: Garment) -> np.ndarray:
    """Vertices the garment covers (as a shell)."""
    names = np.array(PARTS)[vertex_parts(body)]
    y = body.vertices[:, 1]
    level = _levels(body)
    k = body.keypoints
    torso = names == "torso"
    upper_arm = np.char.startswith(names, "upper_arm")
    lower_arm = np.char.startswith(names, "lower_arm")
    legs = np.char.startswith(names, "upper_leg") | np.char.startswith(names, "lower_leg")
    cat, length = garment.category, garment.length

    def short_sleeves() -> np.ndarray:
        near = np.zeros(len(y), bool)
        for side in ("left", "right"):
            shoulder, elbow = k[f"{side}_shoulder"], k[f"{side}_elbow"]
            reach = 0.55 * np.linalg.norm(elbow - shoulder)
            near |= np.linalg.norm(body.vertices - shoulder, axis=1) < reach
        return upper_arm & near

    top_bottom = {Length.CROPPED: level["waist"], Length.REGULAR: level["hip"] - 0.03,
                  Length.LONG: level["hip"] - 0.12}[length]
    if cat in (GarmentCategory.TEE, GarmentCategory.TANK, GarmentCategory.LONG_SLEEVE,
               GarmentCategory.SHIRT, GarmentCategory.JACKET, GarmentCategory.COAT,
               GarmentCategory.DRESS):
        # a dress's bodice overlaps its skirt, which starts at the waist
        bottom = level["waist"] - 0.04 if cat is GarmentCategory.DRESS else top_bottom
        if cat in (GarmentCategory.JACKET, GarmentCategory.COAT):
            bottom = level["hip"] - 0.08
        region = torso & (y >= bottom) & (y < level["shoulder"] + 0.06)
        if cat is GarmentCategory.TEE:
            region |= short_sleeves()
        elif cat in (GarmentCategory.LONG_SLEEVE, GarmentCategory.SHIRT,
                     GarmentCategory.JACKET, GarmentCategory.COAT):
            region |= upper_arm | lower_arm
        return region
    if cat is GarmentCategory.TROUSERS:
        hem = {Length.CROPPED: level["ankle"] + 0.5 * (level["knee"] - level["ankle"]),
               Length.REGULAR: level["ankle"] + 0.04, Length.LONG: level["ankle"]}[length]
        return ((torso & (y < level["waist"])) | legs) & (y > hem)
    if cat is GarmentCategory.SHORTS:
        hem = {Length.CROPPED: level["hip"] - 0.25 * (level["hip"] - level["knee"]),
               Length.REGULAR: level["thigh"],
               Length.LONG: level["knee"] + 0.05}[length]
        return ((torso & (y < level["waist"])) | legs) & (y > hem)
    return np.zeros(len(y), bool)  # skirts: only the flared surface


def _soup(positions: np.ndarray, normals: np.ndarray, faces: np.ndarray,
          centre: np.ndarray, pattern_size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triangle soup with cylindrical UVs (repeats of the pattern), seam-safe."""
    corners = positions[faces].reshape(-1, 3)
    corner_normals = normals[faces].reshape(-1, 3)
    angle = np.arctan2(corners[:, 0] - centre[0], corners[:, 2] - centre[2])
    period = 2 * np.pi * RADIUS_REFERENCE / pattern_size
    u = (angle / (2 * np.pi)) * period
    v = corners[:, 1] / pattern_size
    u = u.reshape(-1, 3)
    wraps = u.max(1) - u.min(1) > period / 2  # faces across the seam at the back
    u[wraps] = np.where(u[wraps] < 0, u[wraps] + period, u[wraps])
    return corners, corner_normals, np.stack([u.ravel(), v], 1)


def _radial(points: np.ndarray, centre: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Radius of the convex hull of ``points`` (x, z) around ``centre`` at each angle."""
    from scipy.spatial import ConvexHull

    if len(points) < 3:
        return np.zeros(len(angles))
    hull = points[ConvexHull(points).vertices]
    rel = hull - centre
    hull_angles = np.arctan2(rel[:, 0], rel[:, 1])
    order = np.argsort(hull_angles)
    return np.interp(angles, hull_angles[order], np.linalg.norm(rel, axis=1)[order],
                     period=2 * np.pi)


def _flared(body: PosedBody, garment: Garment, ease: float) -> tuple[np.ndarray, np.ndarray]:
    """A flared surface from the waist to the hem: positions (rings) and faces."""
    level = _levels(body)
    hem = {Length.CROPPED: level["thigh"], Length.REGULAR: level["knee"] - 0.04,
           Length.LONG: level["ankle"] + 0.1}[garment.length]
    if garment.category is GarmentCategory.COAT:
        hem = level["knee"] - 0.1 if garment.length is not Length.LONG else level["ankle"] + 0.2
    names = np.array(PARTS)[vertex_parts(body)]
    lower = (names == "torso") | np.char.startswith(names, "upper_leg") \
        | np.char.startswith(names, "lower_leg")
    body_points = body.vertices[lower]
    centre = np.median(body.vertices[names == "torso"][:, [0, 2]], axis=0)
    angles = np.linspace(-np.pi, np.pi, SEGMENTS, endpoint=False)
    heights = np.linspace(level["waist"], hem, 14)
    flare = FLARE.get(garment.category, 0.25)
    rings = []
    hip_radius = None
    for y in heights:
        band = body_points[np.abs(body_points[:, 1] - y) < 0.012][:, [0, 2]]
        radius = _radial(band, centre, angles) + ease
        if y <= level["hip"]:
            hip_radius = radius if hip_radius is None else np.maximum(hip_radius, radius)
            drop = (level["hip"] - y) / max(level["hip"] - hem, 1e-6)
            radius = np.maximum(radius, hip_radius * (1 + flare * drop))
        rings.append(np.stack([centre[0] + radius * np.sin(angles), np.full(SEGMENTS, y),
                               centre[1] + radius * np.cos(angles)], 1))
    positions = np.concatenate(rings)
    faces = []
    for r in range(len(rings) - 1):
        for s in range(SEGMENTS):
            a, b = r * SEGMENTS + s, r * SEGMENTS + (s + 1) % SEGMENTS
            c, d = a + SEGMENTS, b + SEGMENTS
            faces += [[a, c, b], [b, c, d]]
    return positions, np.array(faces)


def garment_meshes(body: PosedBody, garment: Garment, colour: str | None = None,
                   pattern: np.ndarray | None = None) -> list[GarmentMesh]:
    """The shells that draw ``garment`` (in ``colour``, default its base colour)."""
    import trimesh

    colour = colour or garment.fabric.base_color
    ease = EASE_CM[garment.fit] / 100.0
    if garment.category in (GarmentCategory.JACKET, GarmentCategory.COAT):
        ease = ease * 1.2 + 0.006  # worn over a layer
    texture = fabric_texture(colour, pattern)
    size = garment.fabric.pattern_size_cm / 100.0
    normals = trimesh.Trimesh(body.vertices, body.faces, process=False).vertex_normals
    centre = np.median(body.vertices[:, [0, 2]], axis=0)
    meshes = []
    region = _region(body, garment)
    chosen = region[body.faces].all(axis=1)
    if chosen.any():
        shell = body.vertices + normals * ease
        positions, corner_normals, uvs = _soup(shell, normals, body.faces[chosen],
                                               np.array([centre[0], 0, centre[1]]), size)
        meshes.append(GarmentMesh(positions, corner_normals, uvs, texture,
                                  garment.fabric.roughness))
    if garment.category in (GarmentCategory.SKIRT, GarmentCategory.DRESS, GarmentCategory.COAT):
        positions, faces = _flared(body, garment, ease)
        flared = trimesh.Trimesh(positions, faces, process=False)
        corners, corner_normals, uvs = _soup(positions, flared.vertex_normals, faces,
                                             np.array([centre[0], 0, centre[1]]), size)
        meshes.append(GarmentMesh(corners, corner_normals, uvs, texture,
                                  garment.fabric.roughness))
    return meshes
