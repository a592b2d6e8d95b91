"""Capture checks on the synthetic roster's photos and on bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter

from tests.body.test_roster_render import roster

pytestmark = pytest.mark.xdist_group("anny")
__all__ = ["roster"]


def _bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_roster_captures_pass_and_each_view_is_recognised(roster):
    from twinstudio.perception.capture import check_capture

    _, _, entries = roster
    expected = {"front": "front", "three_quarter_left": "three_quarter",
                "three_quarter_right": "three_quarter", "side": "side", "back": "back"}
    for entry in entries:
        for name, path in entry.captures.items():
            report = check_capture(path.read_bytes())
            assert report.ok, (entry.name, name, report.reasons)
            assert report.view == expected[name], (entry.name, name)


def test_bad_captures_are_refused_with_their_reason(roster):
    from twinstudio.perception.capture import check_capture

    _, _, entries = roster
    front = Image.open(entries[0].captures["front"]).convert("RGB")
    other = Image.open(entries[1].captures["front"]).convert("RGB")
    two = Image.new("RGB", (front.width * 2, front.height))
    two.paste(front, (0, 0))
    two.paste(other, (front.width, 0))
    bomb = Image.new("L", (12000, 9000))
    cases = {
        "undecodable": b"a text file named photo.jpg",
        "too_small": _bytes(front.resize((384, 512))),
        "more_than_one_person": _bytes(two),
        "blurry": _bytes(front.filter(ImageFilter.GaussianBlur(4))),
        "badly_exposed": _bytes(ImageEnhance.Brightness(front).enhance(0.12)),
        "no_person": _bytes(Image.new("RGB", (768, 1024), (200, 200, 204))),
    }
    for code, data in cases.items():
        report = check_capture(data)
        assert not report.ok and code in [r["code"] for r in report.reasons], (
            code, report.reasons)
    truncated = _bytes(front, "JPEG")[:20000]
    assert check_capture(truncated).reasons[0]["code"] == "undecodable"
    assert check_capture(_bytes(bomb)).reasons[0]["code"] == "undecodable"
    assert np.asarray(front).shape == (1024, 768, 3)
