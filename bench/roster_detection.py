"""Do the shipped detectors see the roster's people? Prints figures; asserts nothing.

    .venv/bin/python bench/roster_detection.py --workspace W    # after 'roster build'

On every front capture of the roster in workspace W: MediaPipe 0.10.21 pose
(model_complexity=1) finds the body, dlib's frontal face detector (dlib-bin) finds the
face. Goals (issue): pose >= 95 %, face >= 90 %.
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", type=Path, required=True)
    args = parser.parse_args()
    import dlib
    import mediapipe as mp

    fronts = sorted(glob.glob(str(args.workspace / "roster" / "*" / "front.png")))
    detector = dlib.get_frontal_face_detector()
    bodies = faces = 0
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for path in fronts:
            rgb = np.asarray(Image.open(path).convert("RGB"))
            bodies += pose.process(rgb).pose_landmarks is not None
            faces += len(detector(rgb, 1)) > 0
    total = max(len(fronts), 1)
    print(f"{len(fronts)} front captures: MediaPipe pose found {bodies} "
          f"({100 * bodies / total:.0f} %), dlib found {faces} faces "
          f"({100 * faces / total:.0f} %)")


if __name__ == "__main__":
    main()
