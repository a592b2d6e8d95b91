"""Capture checks for enrolment photos: each failed check gives a clear reason code.

Thresholds were set on the synthetic roster's renders on this machine (see the tests):
  sharpness  variance of the Laplacian over the person's box >= 30 (renders 250-500,
             a 3 px Gaussian blur 2-3);
  exposure   mean luminance of the person between 35 and 225, clipped pixels under 20 %
             (the lightest Monk tones, 1-3, clip 12-15 % of the person under the studio
             key light: highlights on skin, not a bad photo);
  face       at least 4 % of the image height for a front or three-quarter view;
  framing    full body when a hip and an ankle are found, visible, inside the image
             (the body's keypoints are kept only then); a close-up (head and shoulders, or a
             face alone) otherwise, accepted when it shows one face; its view is the
             face's yaw;
  view       side when the shoulders' width against the torso's length is under 0.35;
             otherwise from the face's yaw (nose against the eye corners: front
             |yaw| < 0.12, three-quarter above) and, without a face, from the shoulders'
             left/right order (back).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from twinstudio.domain.budgets import ANALYSIS_SIDE
from twinstudio.domain.capture import CaptureReport, View
from twinstudio.domain.errors import InvalidInput
from twinstudio.perception.faces import Face, detect_faces
from twinstudio.perception.pose import BodyPose, detect_pose

MIN_SHORT_SIDE = 512
MIN_SHARPNESS = 30.0
MIN_FACE_SHARE = 0.04
MAX_CLIPPED = 0.20
FRONT_YAW = 0.12
SIDE_RATIO = 0.35
MIN_VISIBILITY = 0.5

def _yaw(face: Face) -> float:
    marks = face.landmarks
    eyes = (marks[36] + marks[45]) / 2
    return float((marks[30][0] - eyes[0]) / max(np.linalg.norm(marks[45] - marks[36]), 1.0))


def classify_view(face: Face | None, pose: BodyPose) -> View:
    shoulders = pose.xy("left_shoulder") - pose.xy("right_shoulder")
    torso = np.linalg.norm((pose.xy("left_shoulder") + pose.xy("right_shoulder")) / 2
                           - (pose.xy("left_hip") + pose.xy("right_hip")) / 2)
    ratio = abs(shoulders[0]) / max(torso, 1.0)
    if ratio < SIDE_RATIO:  # before the face: MediaPipe may find a face in profile
        return "side"
    if face is not None:
        return "front" if abs(_yaw(face)) < FRONT_YAW else "three_quarter"
    # the person's left shoulder appears on the image's left only when they face away
    return "back" if shoulders[0] < 0 else "three_quarter"


def is_full_body(pose: BodyPose, width: int, height: int) -> bool:
    """A hip and an ankle found, visible and inside the frame (in a side view one leg
    hides the other, so one of each is enough)."""
    def seen(name: str) -> bool:
        x, y, visibility = pose.points[name]
        return visibility >= MIN_VISIBILITY and 0 <= x < width and 0 <= y < height

    return any(seen(f"{side}_hip") for side in ("left", "right")) and \
        any(seen(f"{side}_ankle") for side in ("left", "right"))


def _face_view(face: Face) -> View:
    return "front" if abs(_yaw(face)) < FRONT_YAW else "three_quarter"


def check_capture(data: bytes) -> CaptureReport:
    """Decode and check one enrolment photo; ``ok`` only when every check passes."""
    import cv2

    from twinstudio.provenance.images import decode

    try:
        rgb, _ = decode(data, max_side=ANALYSIS_SIDE)  # analysed reduced: the pixel budget
    except InvalidInput as error:
        return CaptureReport(False, [{"code": "undecodable", "message": error.message}])
    height, width = rgb.shape[:2]
    report = CaptureReport(True, width=width, height=height)
    fail = report.fail
    if min(width, height) < MIN_SHORT_SIDE:
        fail("too_small", f"short side {min(width, height)} px; at least {MIN_SHORT_SIDE}")
    faces = detect_faces(rgb)
    pose, mask = detect_pose(rgb)
    if pose is None and not faces:
        fail("no_person", "no person found in the photo")
        return report
    if len(faces) > 1:
        fail("more_than_one_person", f"{len(faces)} faces found; one person per photo")
    face: Face | None = faces[0] if faces else None
    if pose is not None and is_full_body(pose, width, height):
        report.framing = "full_body"
        report.keypoints = dict(pose.points)
        report.view = classify_view(face, pose)
    else:
        report.framing = "close_up"
        if face is None:
            fail("no_face", "a close-up (not the full body) must show the face")
            return report
        report.view = _face_view(face)
    if report.view in ("side", "back"):
        # a face found in profile (MediaPipe finds some) gives no comparable embedding
        face = None
    if face is not None:
        report.face_box = face.box
        report.embedding = tuple(float(x) for x in face.embedding)
    if report.view in ("front", "three_quarter"):
        if face is None:
            fail("no_face", f"no face found in a {report.view.replace('_', '-')} view")
        elif face.height < MIN_FACE_SHARE * height:
            fail("face_too_small", f"the face is {face.height} px high; at least "
                                   f"{int(MIN_FACE_SHARE * height)} px")
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    person = mask if mask is not None and mask.any() else np.ones(gray.shape, bool)
    ys, xs = np.nonzero(person)
    box = gray[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    report.sharpness = float(cv2.Laplacian(box, cv2.CV_64F).var())
    if report.sharpness < MIN_SHARPNESS:
        fail("blurry", f"sharpness {report.sharpness:.0f} (variance of the Laplacian); at "
                       f"least {MIN_SHARPNESS:.0f}")
    values = gray[person]
    report.brightness = float(values.mean())
    clipped = float(((values <= 3) | (values >= 252)).mean())
    if not 35 <= report.brightness <= 225 or clipped > MAX_CLIPPED:
        fail("badly_exposed", f"mean brightness {report.brightness:.0f}, {clipped:.0%} "
                              "clipped; expose the person between 35 and 225")
    return report


class PerceptionCaptureChecks:
    """CaptureChecks on dlib and MediaPipe (models load on first use). With ``workers`` > 1,
    ``check_many`` checks the photos in a pool of that many processes (spawned once, on
    first use; each loads the models once)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._pool: Any = None

    def check(self, data: bytes) -> CaptureReport:
        return check_capture(data)

    def check_many(self, photos: Sequence[bytes]) -> list[CaptureReport]:
        if self.workers <= 1 or len(photos) <= 1:
            return [check_capture(data) for data in photos]
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"))
        return list(self._pool.map(check_capture, photos))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
