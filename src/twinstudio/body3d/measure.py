"""Measure an anny mesh the way a tailor measures a person.

Girths are horizontal sections of the rest-pose (A-pose) mesh at a landmark level: the
section's torso loop (the closed loop around the body's midline, so arms are left out),
measured along its convex hull for bust, under-bust and hips (a tape bridges hollows) and
along the loop itself for the natural waist. Levels follow the usual definitions:

  height         top of the head to the floor
  inseam         crotch (lowest midline point of the torso) to the floor
  under-bust     MakeHuman's under-bust vertex loop (the infra-mammary fold)
  bust           the largest hull girth within 3 cm of the most forward chest point
  waist          the narrowest loop between 35 % of crotch-to-under-bust and under-bust
  hips           the level of the most backward point of the seat (ISO 8559-1)
  shoulders      acromion to acromion (MakeHuman base-mesh vertices 8274 and 1602)

Points on cut edges are computed with torch, so every measurement is differentiable in
the vertices; which edges, hull points and levels are used is decided on the current mesh
and held fixed for the derivative. Written from a probe of anny 0.6.2 on this machine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# MakeHuman HM08 base-mesh vertex indices (anny keeps the base mesh's indexing).
_UNDERBUST_LOOP = [
    10750, 10744, 10724, 10725, 10748, 10722, 10640, 10642, 10641, 10651, 10650, 10649, 10652,
    10643, 10644, 10645, 10646, 10647, 10648, 3988, 3987, 3986, 3985, 3984, 3983, 3982, 3992,
    3989, 3990, 3991, 3980, 3981, 3979, 4067, 4098, 4073, 4072, 4094, 4100, 4082, 4088]
_ACROMION_LEFT, _ACROMION_RIGHT = 8274, 1602
MEASUREMENTS = ("height", "bust", "underbust", "waist", "hips", "inseam", "shoulder_width")


def _hull(points: np.ndarray) -> np.ndarray:
    """Indices of the 2-D convex hull (Andrew's monotone chain), counter-clockwise."""
    order = np.lexsort((points[:, 1], points[:, 0]))

    def cross(o: int, a: int, b: int) -> float:
        return float((points[a, 0] - points[o, 0]) * (points[b, 1] - points[o, 1])
                     - (points[a, 1] - points[o, 1]) * (points[b, 0] - points[o, 0]))

    lower: list[int] = []
    upper: list[int] = []
    for i in order:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], i) <= 0:
            lower.pop()
        lower.append(int(i))
    for i in order[::-1]:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], i) <= 0:
            upper.pop()
        upper.append(int(i))
    return np.array(lower[:-1] + upper[:-1])


class Measurer:
    """Tailor's measurements of one anny model's meshes (metres; torch scalars)."""

    def __init__(self, model: Any) -> None:
        faces = model.faces.cpu().numpy()
        if faces.shape[1] != 3:
            raise ValueError("measurements need a triangulated anny topology")
        base = model.base_mesh_vertex_indices.cpu().numpy().tolist()
        position = {b: i for i, b in enumerate(base)}
        self.underbust_loop = np.array([position[i] for i in _UNDERBUST_LOOP if i in position])
        self.acromion = (position[_ACROMION_LEFT], position[_ACROMION_RIGHT])
        template = model.template_vertices.cpu().numpy()
        self.midline = np.nonzero(np.abs(template[:, 0]) < 1e-6)[0]
        labels = list(model.bone_labels)
        weights = model.vertex_bone_weights.cpu().numpy()
        dominant = model.vertex_bone_indices.cpu().numpy()[np.arange(len(template)),
                                                            weights.argmax(1)]
        torso = [i for i, n in enumerate(labels)
                 if n.startswith(("spine", "clavicle")) or n == "root"]
        self.torso = np.nonzero(np.isin(dominant, torso))[0]
        seat = torso + [i for i, n in enumerate(labels) if n.startswith(("pelvis", "upperleg01"))]
        self.seat = np.nonzero(np.isin(dominant, seat))[0]
        # Sections use the trunk's faces only, so that an arm resting against the body (a
        # heavy build in the A-pose) never enters a girth.
        trunk = np.zeros(len(template), bool)
        trunk[self.seat] = True
        faces = faces[trunk[faces].all(axis=1)]
        edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]),
                        axis=1)
        self.edges, inverse = np.unique(edges, axis=0, return_inverse=True)
        self.face_edges = inverse.reshape(3, -1).T
        self.levels: dict[str, float] = {}

    # -- sections -------------------------------------------------------------------
    def _loops(self, vertices: np.ndarray, z: float) -> list[tuple[np.ndarray, bool]]:
        above_a = vertices[self.edges[:, 0], 2] - z > 0
        above_b = vertices[self.edges[:, 1], 2] - z > 0
        cut = above_a != above_b
        crossing = cut[self.face_edges]
        faces = np.nonzero(crossing.sum(1) == 2)[0]
        pairs = self.face_edges[faces][crossing[faces]].reshape(-1, 2)
        neighbours: dict[int, list[int]] = {}
        for a, b in pairs:
            neighbours.setdefault(int(a), []).append(int(b))
            neighbours.setdefault(int(b), []).append(int(a))
        seen: set[int] = set()
        loops = []
        for start in neighbours:
            if start in seen:
                continue
            path, previous, current = [start], None, start
            seen.add(start)
            while True:
                following = [n for n in neighbours[current] if n != previous and n not in seen]
                if not following:
                    break
                previous, current = current, following[0]
                path.append(current)
                seen.add(current)
            closed = start in neighbours[current] and len(path) > 2
            loops.append((np.array(path), closed))
        return loops

    def _points(self, vertices: Any, edge_ids: np.ndarray, z: Any) -> Any:
        a, b = vertices[self.edges[edge_ids, 0]], vertices[self.edges[edge_ids, 1]]
        t = (z - a[:, 2]) / (b[:, 2] - a[:, 2])
        return (a + t[:, None] * (b - a))[:, :2]

    def _torso_loop(self, vertices: np.ndarray, z: float, hull: bool) -> np.ndarray:
        """Edge ids of the trunk's section: for a hull girth every cut trunk edge; for a
        loop girth the largest closed loop around the midline (or, where the trunk's
        section is open, every cut edge, measured along its hull)."""
        loops = self._loops(vertices, z)
        if not loops:
            raise ValueError(f"no torso section at height {z:.3f} m")
        if not hull:
            best, best_area = None, 0.0
            for edge_ids, closed in loops:
                if not closed or len(edge_ids) < 8:
                    continue
                points = self._points(vertices, edge_ids, z)
                area = 0.5 * abs(np.dot(points[:, 0], np.roll(points[:, 1], -1))
                                 - np.dot(points[:, 1], np.roll(points[:, 0], -1)))
                if abs(points[:, 0].mean()) < 0.05 and area > best_area:
                    best, best_area = edge_ids, area
            if best is not None:
                return best
        return np.concatenate([edge_ids for edge_ids, _ in loops])

    def _girth(self, vertices: Any, frozen: np.ndarray, z: Any, hull: bool) -> Any:
        import torch

        level = float(z.detach()) if torch.is_tensor(z) else float(z)
        edge_ids = self._torso_loop(frozen, level, hull)
        points = self._points(vertices, edge_ids, z)
        if not hull and not self._is_closed_loop(frozen, level, edge_ids):
            hull = True
        if hull:
            plain = points.detach().cpu().numpy() if torch.is_tensor(points) else points
            points = points[torch.as_tensor(_hull(plain))] if torch.is_tensor(points) \
                else points[_hull(plain)]
        if torch.is_tensor(points):
            return (points - points.roll(-1, 0)).norm(dim=1).sum()
        return float(np.linalg.norm(points - np.roll(points, -1, 0), axis=1).sum())

    def _is_closed_loop(self, frozen: np.ndarray, z: float, edge_ids: np.ndarray) -> bool:
        return any(closed and len(ids) == len(edge_ids) and (ids == edge_ids).all()
                   for ids, closed in self._loops(frozen, z))

    def _search(self, frozen: np.ndarray, low: float, high: float, hull: bool, sign: float,
                samples: int = 24) -> float:
        """Level in [low, high] where sign*girth is largest: a scan, then golden section."""
        levels = np.linspace(low, high, samples)
        values = np.array([sign * self._girth(frozen, frozen, z, hull) for z in levels])
        k = int(np.argmax(values))
        a, b = levels[max(k - 1, 0)], levels[min(k + 1, samples - 1)]

        def f(z: float) -> float:
            return sign * self._girth(frozen, frozen, z, hull)

        ratio = (np.sqrt(5) - 1) / 2
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        fc, fd = f(c), f(d)
        for _ in range(12):
            if fc > fd:
                b, d, fd = d, c, fc
                c = b - ratio * (b - a)
                fc = f(c)
            else:
                a, c, fc = c, d, fd
                d = a + ratio * (b - a)
                fd = f(d)
        return 0.5 * (a + b)

    # -- all measurements ------------------------------------------------------------
    def __call__(self, vertices: Any) -> dict[str, Any]:
        """``vertices``: (N, 3) torch rest-pose vertices in metres -> torch scalars."""
        frozen = vertices.detach().cpu().numpy()
        z = vertices[:, 2]
        floor = z[int(np.argmin(frozen[:, 2]))]
        out = {"height": z[int(np.argmax(frozen[:, 2]))] - floor}
        crotch = self.midline[np.argmin(frozen[self.midline, 2])]
        out["inseam"] = z[crotch] - floor
        z_crotch = float(frozen[crotch, 2])
        z_underbust = z[self.underbust_loop].mean()
        z_ub = float(z_underbust.detach())
        z_acromion = float(frozen[list(self.acromion), 2].mean())
        chest = self.torso[(frozen[self.torso, 2] > z_ub) & (frozen[self.torso, 2] < z_acromion)
                           & (np.abs(frozen[self.torso, 0]) > 0.02)]
        bust_point = float(frozen[chest[np.argmin(frozen[chest, 1])], 2])
        z_waist = self._search(frozen, z_crotch + 0.35 * (z_ub - z_crotch), z_ub - 0.01,
                               hull=False, sign=-1)
        seat = self.seat[(frozen[self.seat, 2] > z_crotch) & (frozen[self.seat, 2] < z_waist)]
        z_hips = z[seat[np.argmax(frozen[seat, 1])]]
        z_bust = self._search(frozen, bust_point - 0.03, bust_point + 0.03, hull=True, sign=1,
                              samples=13)
        out["bust"] = self._girth(vertices, frozen, z_bust, hull=True)
        out["underbust"] = self._girth(vertices, frozen, z_underbust, hull=True)
        out["waist"] = self._girth(vertices, frozen, z_waist, hull=False)
        out["hips"] = self._girth(vertices, frozen, z_hips, hull=True)
        left, right = self.acromion
        out["shoulder_width"] = (vertices[left, 0] - vertices[right, 0]).abs()
        self.levels = {"floor": float(floor.detach()), "crotch": z_crotch, "underbust": z_ub,
                       "bust": float(z_bust), "waist": z_waist,
                       "hips": float(z_hips.detach()), "acromion": z_acromion}
        return out
