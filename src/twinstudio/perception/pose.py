"""Body pose with MediaPipe 0.10.21's legacy ``solutions.pose`` (model_complexity=1: the
lite and heavy models are downloaded at run time and fail here; complexity 1 ships)."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinstudio.logs import quiet_native

_lock = threading.Lock()
LANDMARKS = {"nose": 0, "left_shoulder": 11, "right_shoulder": 12, "left_hip": 23,
             "right_hip": 24, "left_ear": 7, "right_ear": 8, "left_knee": 25,
             "right_knee": 26, "left_ankle": 27, "right_ankle": 28}


@dataclass
class BodyPose:
    points: dict[str, tuple[float, float, float]]  # name -> (x px, y px, visibility)

    def xy(self, name: str) -> np.ndarray:
        return np.array(self.points[name][:2])


@functools.cache
def _pose() -> Any:
    import mediapipe as mp

    with quiet_native():
        return mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                      enable_segmentation=True)


def detect_pose(rgb: np.ndarray) -> tuple[BodyPose | None, np.ndarray | None]:
    """The person's pose landmarks and a person mask, or (None, None) if nobody."""
    height, width = rgb.shape[:2]
    with _lock, quiet_native():  # TF Lite and absl log as the graph starts
        result = _pose().process(np.ascontiguousarray(rgb, dtype=np.uint8))
    if result.pose_landmarks is None:
        return None, None
    marks = result.pose_landmarks.landmark
    points = {name: (marks[i].x * width, marks[i].y * height, marks[i].visibility)
              for name, i in LANDMARKS.items()}
    mask = None if result.segmentation_mask is None else result.segmentation_mask > 0.5
    return BodyPose(points), mask
