"""Garments as textured shells on the posed body (no cloth simulation).

Tops, sleeves, trousers and shorts are the body's own surface in the garment's region,
pushed out along the normals by the fit's ease; their hems and waistbands are cut
straight (each trouser leg at its own ankle), and straight or wide trousers widen from
mid-thigh to the hem instead of following the calf. Jackets and coats are worn over a
layer: outside the loosest top or trousers. Skirts, dresses, coats and jackets hang from
the waist as a flared surface: rings whose radius follows the body down to the hips, then
widens towards the hem and always clears the legs (so a walking pose stays inside; a
coat's also clears the trousers). Every shell gets cylindrical texture coordinates in
centimetres, so a fabric pattern tiles at its real size and never follows the body's UV
seams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinstudio.body3d.appearance import PARTS, hex_to_rgb, vertex_parts
from twinstudio.body3d.twin import PosedBody
from twinstudio.domain.garment import (
    EASE_CM,
    UPPER_BODY,
    Fit,
    Garment,
    GarmentCategory,
    Length,
)

FLARE = {GarmentCategory.SKIRT: 0.28, GarmentCategory.DRESS: 0.34, GarmentCategory.COAT: 0.12,
         GarmentCategory.JACKET: 0.03}
# garments with a part that hangs from the waist as a flared surface
HANGING = frozenset(FLARE)
RADIUS_REFERENCE = 0.15  # metres: the arc that one unit of u covers, for texture scale
SEGMENTS = 64
OVER_LAYER = 0.004     # metres: outerwear sits this far outside the loosest layer
OVER_SHELL = 0.003     # metres: a flared part sits this far outside the shell it meets
OVER_TROUSERS = 0.02   # metres more for a coat's skirt, over the trousers
# metres more ease at the hem of trousers than at mid-thigh: a straight or wide leg
# hangs from the thigh instead of following the calf (slim trousers do)
LEG_WIDENING = {Fit.SLIM: 0.0, Fit.REGULAR: 0.012, Fit.LOOSE: 0.025}


@dataclass
class GarmentMesh:
    positions: np.ndarray   # (3F, 3) triangle soup
    normals: np.ndarray     # (3F, 3)
    uvs: np.ndarray         # (3F, 2) in pattern repeats
    texture: np.ndarray     # (S, S, 3) uint8, tiled (repeat wrap)
    roughness: float
    owner: int = 0          # which garment of the look the shell draws (for its mask)


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


def _levels(body: PosedBody, side: str | None = None) -> dict[str, float]:
    """Heights of the body's landmarks: both sides' mean, or one side's (``"left"``)."""
    k = body.keypoints

    def at(name: str) -> float:
        if side is not None:
            return float(k[f"{side}_{name}"][1])
        return float(0.5 * (k[f"left_{name}"][1] + k[f"right_{name}"][1]))

    hip, knee, ankle, shoulder = at("hip"), at("knee"), at("ankle"), at("shoulder")
    return {"hip": hip, "knee": knee, "ankle": ankle, "shoulder": shoulder,
            "waist": hip + 0.1, "thigh": hip - 0.45 * (hip - knee)}


def _leg_levels(body: PosedBody, names: np.ndarray) -> dict[str, np.ndarray]:
    """Each vertex's own leg's levels (a leg that steps or bends has its own knee and
    ankle); the mean of both for the rest of the body."""
    left, right = _levels(body, "left"), _levels(body, "right")
    both = _levels(body)
    on_left, on_right = np.char.endswith(names, "_L"), np.char.endswith(names, "_R")
    return {key: np.where(on_left, left[key], np.where(on_right, right[key], both[key]))
            for key in both}


@dataclass(frozen=True)
class _Region:
    """What a shell covers: ``inside`` (vertices), and the straight cuts of its edges:
    ``cut`` vertices (the parts a hem or waistband crosses) are kept between the levels
    ``low`` (a hem) and ``high`` (a waistband), the corners of faces that straddle a cut
    pulled onto it, so that the edge is a clean line instead of the mesh's saw-tooth."""

    inside: np.ndarray
    cut: np.ndarray
    low: float | np.ndarray = -np.inf   # per vertex where each leg has its own hem
    high: float = np.inf


def _hem(level: dict[str, np.ndarray], garment: Garment) -> np.ndarray:
    """Where trousers or shorts end, per vertex (each leg at its own height)."""
    if garment.category is GarmentCategory.TROUSERS:
        return {Length.CROPPED: level["ankle"] + 0.5 * (level["knee"] - level["ankle"]),
                Length.REGULAR: level["ankle"] + 0.015,
                Length.LONG: level["ankle"] - 0.02}[garment.length]
    return {Length.CROPPED: level["hip"] - 0.25 * (level["hip"] - level["knee"]),
            Length.REGULAR: level["thigh"], Length.LONG: level["knee"] + 0.05}[garment.length]


def _region(body: PosedBody, garment: Garment) -> _Region:
    """Vertices the garment covers (as a shell), and where its edges are cut."""
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
    if cat in UPPER_BODY or cat is GarmentCategory.DRESS:
        # a dress's bodice and a coat's body overlap their flared part, from the waist
        bottom = level["waist"] - 0.04 if cat in HANGING else top_bottom
        region = torso & (y >= bottom) & (y < level["shoulder"] + 0.06)
        if cat is GarmentCategory.TEE:
            region |= short_sleeves()
        elif cat in (GarmentCategory.LONG_SLEEVE, GarmentCategory.SHIRT,
                     GarmentCategory.JACKET, GarmentCategory.COAT):
            region |= upper_arm | lower_arm
        return _Region(region, torso & (y < bottom + 0.05), low=bottom)
    if cat in (GarmentCategory.TROUSERS, GarmentCategory.SHORTS):
        hem = _hem(_leg_levels(body, names), garment)
        lower = (torso & (y < level["waist"])) | legs
        # the hem may cross into the feet (the parts follow each vertex's main bone)
        feet = np.char.startswith(names, "foot")
        return _Region(lower & (y > hem), torso | legs | feet, low=hem, high=level["waist"])
    return _Region(np.zeros(len(y), bool), np.zeros(len(y), bool))  # skirts: flared only


def _ease(body: PosedBody, garment: Garment) -> np.ndarray:
    """Ease per vertex, metres: the fit's, more over a layer (jackets, coats); regular
    and loose trousers widen from mid-thigh to the hem (a straight or wide leg, not a
    legging)."""
    ease = np.full(len(body.vertices), EASE_CM[garment.fit] / 100.0)
    if garment.category in (GarmentCategory.JACKET, GarmentCategory.COAT):
        # worn over a layer: outside the loosest top or trousers under it, whatever its fit
        ease = EASE_CM[Fit.LOOSE] / 100.0 + 0.4 * ease + OVER_LAYER
    if garment.category is GarmentCategory.TROUSERS:
        names = np.array(PARTS)[vertex_parts(body)]
        level = _leg_levels(body, names)
        legs = np.isin(names, ["upper_leg_L", "upper_leg_R", "lower_leg_L", "lower_leg_R",
                               "foot_L", "foot_R"])
        t = np.clip((level["thigh"] - body.vertices[:, 1])
                    / (level["thigh"] - _hem(level, garment)), 0, 1)
        ease = ease + legs * LEG_WIDENING[garment.fit] * t
    return ease


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
    elif garment.category is GarmentCategory.JACKET:  # hangs straight over the hips
        hem = {Length.CROPPED: level["hip"] + 0.02, Length.REGULAR: level["hip"] - 0.08,
               Length.LONG: level["thigh"]}[garment.length]
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
        # just outside the shell it overlaps at the waist; a coat clears the trousers
        # under it from the hips down (their shell leans out over a leg that steps)
        over = np.clip((level["waist"] - y) / (level["waist"] - level["hip"]), 0, 1)
        radius = _radial(band, centre, angles) + ease + OVER_SHELL \
            + (OVER_TROUSERS * over if garment.category is GarmentCategory.COAT else 0.0)
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
    ease = _ease(body, garment)
    texture = fabric_texture(colour, pattern)
    size = garment.fabric.pattern_size_cm / 100.0
    normals = trimesh.Trimesh(body.vertices, body.faces, process=False).vertex_normals
    centre = np.median(body.vertices[:, [0, 2]], axis=0)
    meshes = []
    region = _region(body, garment)
    inside = region.inside[body.faces]
    chosen = inside.any(axis=1) & (inside | region.cut[body.faces]).all(axis=1)
    if chosen.any():
        shell = body.vertices + normals * ease[:, None]
        # the straddling faces' outer corners pulled onto the cut (and any corner the
        # ease pushed past it): a straight edge
        edge = np.zeros(len(shell), bool)
        edge[body.faces[chosen].ravel()] = True
        edge &= region.cut
        low = region.low[edge] if isinstance(region.low, np.ndarray) else region.low
        shell[edge, 1] = np.clip(shell[edge, 1], low, region.high)
        positions, corner_normals, uvs = _soup(shell, normals, body.faces[chosen],
                                               np.array([centre[0], 0, centre[1]]), size)
        meshes.append(GarmentMesh(positions, corner_normals, uvs, texture,
                                  garment.fabric.roughness))
    if garment.category in HANGING:
        positions, faces = _flared(body, garment, float(ease.min()))
        flared = trimesh.Trimesh(positions, faces, process=False)
        corners, corner_normals, uvs = _soup(positions, flared.vertex_normals, faces,
                                             np.array([centre[0], 0, centre[1]]), size)
        meshes.append(GarmentMesh(corners, corner_normals, uvs, texture,
                                  garment.fabric.roughness))
    return meshes
