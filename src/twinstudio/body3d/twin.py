"""The posed body twin as a mesh a renderer can draw.

Output frame (what renderers use): metres, +Y up, the person faces +Z, feet on y = 0,
+X is the person's left. anny's own frame is Z-up facing -Y; ``to_render_frame`` maps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twinstudio.body3d.fit import BodyFit
from twinstudio.body3d.model import body_model, keypoint_regressor
from twinstudio.body3d.poses import Pose

COCO17 = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
          "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
          "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]
_TO_RENDER = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]])


@dataclass
class PosedBody:
    vertices: np.ndarray          # (N, 3) render frame
    faces: np.ndarray             # (F, 3)
    uvs: np.ndarray               # (T, 2) texture coordinates
    face_uvs: np.ndarray          # (F, 3) indices into uvs, per face corner
    vertex_bones: np.ndarray      # (N,) dominant bone index
    bone_labels: list[str]
    keypoints: dict[str, np.ndarray]  # COCO-17 names -> (3,) render frame
    joints: dict[str, np.ndarray]     # bone heads -> (3,) render frame


def _pose_tensor(model: Any, pose: Pose) -> Any:
    import roma
    import torch

    labels = list(model.bone_labels)
    unknown = sorted(set(pose.bones) - set(labels))
    if unknown:
        raise ValueError(f"pose {pose.name!r} names unknown bones {unknown}")
    rotvecs = torch.zeros(1, len(labels), 3, dtype=torch.float64)
    for bone, degrees in pose.bones.items():
        rotvecs[0, labels.index(bone)] = torch.tensor(np.deg2rad(degrees), dtype=torch.float64)
    transform = torch.zeros(1, len(labels), 4, 4, dtype=torch.float64)
    transform[..., :3, :3] = roma.rotvec_to_rotmat(rotvecs)
    transform[..., 3, 3] = 1.0
    return transform


def posed_body(fit: BodyFit, pose: Pose) -> PosedBody:
    """The fitted body in ``pose``, in the render frame."""
    import torch

    model = body_model()
    phenotypes = {k: torch.tensor([v], dtype=torch.float64) for k, v in fit.phenotypes.items()}
    local = {k: torch.tensor([v], dtype=torch.float64) for k, v in fit.local_changes.items()}
    with torch.no_grad():
        out = model(pose_parameters=_pose_tensor(model, pose), phenotype_kwargs=phenotypes,
                    local_changes_kwargs=local)
        keypoints = keypoint_regressor()(out)[0].numpy()
    labels = list(keypoint_regressor().labels)
    turn = np.deg2rad(pose.turn_degrees)
    yaw = np.array([[np.cos(turn), -np.sin(turn), 0], [np.sin(turn), np.cos(turn), 0],
                    [0, 0, 1.0]])
    frame = _TO_RENDER @ yaw
    vertices = out["vertices"][0].numpy() @ frame.T
    floor = vertices[:, 1].min()
    vertices[:, 1] -= floor
    shift = np.array([0.0, -floor, 0.0])
    joints_raw = out["bone_poses"][0, :, :3, 3].numpy() @ frame.T + shift
    weights = model.vertex_bone_weights.numpy()
    dominant = model.vertex_bone_indices.numpy()[np.arange(len(weights)), weights.argmax(1)]
    return PosedBody(
        vertices=vertices, faces=model.faces.numpy(), uvs=model.texture_coordinates.numpy(),
        face_uvs=model.face_texture_coordinate_indices.numpy(), vertex_bones=dominant,
        bone_labels=list(model.bone_labels),
        keypoints={n: keypoints[labels.index(n)] @ frame.T + shift for n in COCO17},
        joints={b: joints_raw[i] for i, b in enumerate(model.bone_labels)})
