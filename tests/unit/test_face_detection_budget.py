"""Pixel budgets (issue 19, finding 2): a 47 KB all-zero 7000x7000 PNG (under the 50 MP
limit) cost 160 s of CPU and 9.4 GB on /verify, analysed at full resolution. Images that
are only analysed are now decoded reduced (at most 2048 px on the longer side, the
full-size RGB array never made), dlib's upsampling retry is kept to small images, and
kept images over 16 MP are refused with a code."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.support.images import zero_png as bomb_png
from twinstudio.domain import budgets
from twinstudio.domain.errors import InvalidInput
from twinstudio.perception import faces
from twinstudio.provenance import images


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 80, 40)).save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def converted(monkeypatch) -> list[tuple[int, int]]:
    """The size of every image ``decode`` turns into an RGB array."""
    sizes: list[tuple[int, int]] = []
    real = images._to_rgb

    def spy(image):  # type: ignore[no-untyped-def]
        sizes.append(image.size)
        return real(image)

    monkeypatch.setattr(images, "_to_rgb", spy)
    return sizes


def test_the_bomb_is_small_and_declares_49_megapixels():
    data = bomb_png()
    assert len(data) < 60_000
    assert Image.open(io.BytesIO(data)).size == (7000, 7000)


def test_the_bomb_is_analysed_reduced_never_as_a_full_size_array(converted):
    rgb, mime = images.decode(bomb_png(), max_side=budgets.ANALYSIS_SIDE)
    assert mime == "image/png"
    assert rgb.shape == (2048, 2048, 3)
    assert max(max(size) for size in converted) <= budgets.ANALYSIS_SIDE


def test_a_large_jpeg_is_decoded_at_a_dct_scale_then_fitted(converted, monkeypatch):
    resized: list[tuple[int, int]] = []
    real_resize = Image.Image.resize

    def resize(self, size, *args, **kwargs):  # type: ignore[no-untyped-def]
        resized.append(self.size)
        return real_resize(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", resize)
    rgb, _ = images.decode(_jpeg(6000, 4000), max_side=2048)
    assert rgb.shape == (1365, 2048, 3)
    assert resized == [(3000, 2000)]  # libjpeg decoded it at 1/2 scale, then fitted
    assert converted == [(2048, 1365)]
    assert rgb[10, 10].tolist() == pytest.approx([120, 80, 40], abs=3)


def test_small_images_are_decoded_as_they_are():
    rgb, _ = images.decode(_jpeg(800, 600), max_side=2048)
    assert rgb.shape == (600, 800, 3)
    assert images.decode(_jpeg(800, 600))[0].shape == (600, 800, 3)  # no budget: full size


def test_kept_images_over_16_megapixels_are_refused_with_too_many_pixels():
    data = bomb_png(4500)  # 20 MP: under the edge's 50, over the kept images' 16
    with pytest.raises(InvalidInput, match="limit is 16") as refused:
        images.decode(data, max_pixels=budgets.MAX_KEPT_PIXELS)
    assert refused.value.code == budgets.TOO_MANY_PIXELS
    assert images.decode(data, max_side=1024)[0].shape == (1024, 1024, 3)  # analysable


@pytest.mark.parametrize("data,code", [
    (b"not a picture at all, just text" * 4, budgets.NOT_AN_IMAGE),
    (_jpeg(320, 400)[:1500], budgets.UNDECODABLE),
    (_jpeg(8, 8), budgets.TOO_SMALL),
])
def test_every_image_refusal_has_a_code(data, code):
    with pytest.raises(InvalidInput) as refused:
        images.decode(data, max_side=2048)
    assert refused.value.code == code
    assert code in budgets.IMAGE_REFUSALS


def test_reduced_size_keeps_the_aspect_ratio():
    assert budgets.reduced_size(7000, 7000, 2048) == (2048, 2048)
    assert budgets.reduced_size(6000, 4000, 2048) == (2048, 1365)
    assert budgets.reduced_size(1000, 500, 2048) == (1000, 500)
    assert budgets.reduced_size(10000, 2, 2048) == (2048, 1)
    assert budgets.reduced_size(300, 200, None) == (300, 200)


class _Detector:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[int, ...], int]] = []

    def __call__(self, rgb, upsample):  # type: ignore[no-untyped-def]
        self.calls.append((rgb.shape[:2], upsample))
        return []


@pytest.fixture
def detector(monkeypatch) -> _Detector:
    """dlib's detector replaced by one that finds nothing and records each pass."""
    import threading

    fake = _Detector()
    models = faces.DlibModels(fake, None, None, None, threading.Lock())
    monkeypatch.setattr(faces, "_models", lambda: models)
    monkeypatch.setattr(faces, "mediapipe_face_boxes", lambda rgb: [])
    return fake


def test_the_upsampling_retry_is_made_for_small_images_only(detector):
    assert faces.detect_faces(np.zeros((600, 800, 3), np.uint8)) == []
    assert [u for _, u in detector.calls] == [1, 2]
    detector.calls.clear()
    assert faces.detect_faces(np.zeros((1365, 2048, 3), np.uint8)) == []
    assert [u for _, u in detector.calls] == [1]  # no 2x pass over a large image


def test_the_dlib_lock_is_held_for_every_model_call(monkeypatch):
    import threading

    lock = threading.Lock()
    held: list[bool] = []

    def detect(rgb, upsample):  # type: ignore[no-untyped-def]
        held.append(lock.locked())
        return []

    models = faces.DlibModels(detect, None, None, None, lock)
    monkeypatch.setattr(faces, "_models", lambda: models)
    monkeypatch.setattr(faces, "mediapipe_face_boxes", lambda rgb: [] if not lock.locked()
                        else pytest.fail("MediaPipe asked while dlib's lock is held"))
    faces.detect_faces(np.zeros((300, 300, 3), np.uint8))
    assert held == [True, True]


def test_one_set_of_models_with_one_lock_per_process():
    first = faces._models()  # dlib and its models are installed by `make test`
    assert faces._models() is first
    assert first.lock is not faces._lock  # MediaPipe's lock is another one
