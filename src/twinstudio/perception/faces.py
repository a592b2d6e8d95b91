"""Faces with dlib: detection (HOG), 5- and 68-point landmarks, 128-D embeddings.

dlib's HOG detector misses small or turned faces (a three-quarter view in a full-length
photo); MediaPipe's full-range face detector (0.10.21 legacy solution, model_selection=1,
shipped in its wheel) is then asked for the box, and dlib's landmarks and embedding are
computed in that box.

The model files ship in the ``face_recognition_models`` package. Its ``__init__`` needs
the removed ``pkg_resources``, so the folder is located with ``importlib.util.find_spec``
without importing it. dlib's embedding was trained so that two photos of one person are
closer than 0.6 (Euclidean): ``domain.identity`` holds that rule.

Threads (issue 19): dlib's models are not safe to share between threads: concurrent
requests on FastAPI's thread pool crashed the server (a segfault in dlib, or glibc's
"corrupted size vs. prev_size"). So each model has one owner: ``_models()`` gives the
one ``DlibModels`` of the process, whose ``lock`` is held for every call into its
detector, landmark models and encoder; MediaPipe's face detector has its own lock
(``_lock``), and so has MediaPipe's pose model (``perception.pose``); no lock is held
while waiting for another. A lock was chosen over a pool of worker processes each
holding its models because it was measured as enough: the event loop keeps answering
while a thread is in dlib (longest pause of the main thread 20 ms during 1024 px
detections on 2 cores), one detection at a time per process is what
the 2 cores give anyway, and the admission gate (``api.admission``) bounds how many
requests wait for the models and answers 503 beyond that; ``serve --workers N`` runs N
sets of models.

Cost: the detector's second look at twice the resolution (for small faces) is only
made for images at most ``UPSAMPLE_MAX_SIDE`` px on their longer side; on a larger
image an upsampling pass costs seconds and gigabytes, and its faces are large enough
for one pass (MediaPipe's detector is still asked when dlib finds none).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twinstudio.domain.budgets import ANALYSIS_SIDE
from twinstudio.domain.errors import ConfigurationError
from twinstudio.logs import quiet_native

MEDIAPIPE_MIN_CONFIDENCE = 0.5
UPSAMPLE_MAX_SIDE = 1024   # longer side (px) up to which dlib looks again at 2x
_lock = threading.Lock()   # MediaPipe's face detector
_loading = threading.Lock()


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise ConfigurationError("face_recognition_models is not installed (perception extra)")
    folder = Path(spec.origin).parent / "models"
    if not (folder / "dlib_face_recognition_resnet_model_v1.dat").is_file():
        raise ConfigurationError(f"face model files missing in {folder}")
    return folder


@dataclass
class Face:
    box: tuple[int, int, int, int]      # left, top, right, bottom (pixels)
    landmarks: np.ndarray               # (68, 2) pixels
    embedding: np.ndarray               # (128,) float64

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


@dataclass
class DlibModels:
    """dlib's face models of this process and the lock held for every call into them."""

    detector: Any
    five: Any                # 5-point landmarks (for the encoder's alignment)
    sixty_eight: Any         # 68-point landmarks
    encoder: Any
    lock: threading.Lock


_loaded: list[DlibModels] = []


def _models() -> DlibModels:
    """The one set of dlib models of the process, loaded on first use (once, even when
    several threads ask at the same time)."""
    with _loading:
        if not _loaded:
            import dlib

            folder = models_dir()
            _loaded.append(DlibModels(
                dlib.get_frontal_face_detector(),
                dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
                dlib.shape_predictor(str(folder / "shape_predictor_68_face_landmarks.dat")),
                dlib.face_recognition_model_v1(
                    str(folder / "dlib_face_recognition_resnet_model_v1.dat")),
                threading.Lock()))
        return _loaded[0]


@functools.cache
def _mediapipe_detector() -> Any:
    import mediapipe as mp

    with quiet_native():
        return mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=MEDIAPIPE_MIN_CONFIDENCE)


def mediapipe_face_boxes(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes (left, top, right, bottom) from MediaPipe's full-range detector, made
    square and placed as dlib's boxes are (brows to chin), so that dlib's landmark models
    fit in them."""
    height, width = rgb.shape[:2]
    with _lock, quiet_native():  # TF Lite and absl log as the graph starts
        result = _mediapipe_detector().process(rgb)
    boxes = []
    for detection in result.detections or []:
        box = detection.location_data.relative_bounding_box
        side = max(box.width * width, box.height * height)
        cx = (box.xmin + box.width / 2) * width
        cy = (box.ymin + box.height / 2) * height + 0.1 * side
        half = side / 2
        boxes.append((int(max(cx - half, 0)), int(max(cy - half, 0)),
                      int(min(cx + half, width - 1)), int(min(cy + half, height - 1))))
    return boxes


def detect_faces(rgb: np.ndarray, upsample: int = 1) -> list[Face]:
    """Every face in an RGB image, largest first, with landmarks and embedding. Every
    call into dlib is made holding the models' lock; MediaPipe's lock is taken apart."""
    import dlib

    models = _models()
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    with models.lock:
        rects = list(models.detector(rgb, upsample))
        if not rects and max(rgb.shape[:2]) <= UPSAMPLE_MAX_SIDE:
            # small or turned faces: look again at twice the resolution (small images only)
            rects = list(models.detector(rgb, upsample + 1))
    if not rects:  # still none: MediaPipe's full-range detector finds turned faces
        rects = [dlib.rectangle(*box) for box in mediapipe_face_boxes(rgb)]
    faces = []
    with models.lock:
        for rect in rects:
            shape5 = models.five(rgb, rect)
            shape68 = models.sixty_eight(rgb, rect)
            embedding = np.array(models.encoder.compute_face_descriptor(rgb, shape5, 1))
            faces.append(Face((rect.left(), rect.top(), rect.right(), rect.bottom()),
                              np.array([[p.x, p.y] for p in shape68.parts()], np.float32),
                              embedding))
    return sorted(faces, key=lambda f: -f.height)


class DlibFaces:
    """FaceTools on dlib (models load on first use)."""

    def embeddings(self, rgb: Any) -> list[tuple[Any, list[int]]]:
        return [(face.embedding, list(face.box)) for face in detect_faces(rgb)]

    def embeddings_in_file(self, data: bytes) -> list[tuple[Any, list[int]]]:
        from twinstudio.provenance.images import decode

        # type, size and bomb checks at the edge; analysed reduced (the pixel budget)
        rgb, _ = decode(data, max_side=ANALYSIS_SIDE)
        return self.embeddings(rgb)
