"""A garment's colour measured in its packshot: the background estimated from the border
and dropped, the dominant colour of the rest (synthetic packshots, JPEG, folds, shadow)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.images import decode, delta_e, packshot
from twinstudio.perception.garment_colour import PackshotColours, dominant_colour

NAVY, RED, GREEN, GREY = (20, 30, 70), (200, 20, 30), (30, 120, 60), (150, 150, 150)


@pytest.mark.parametrize(("colour", "background"), [
    (NAVY, (255, 255, 255)),            # a navy shirt on white
    (RED, (225, 225, 225)),             # a red garment on light grey
    (GREEN, (245, 242, 238)),           # on a warm off-white
    (GREY, (250, 250, 250)),            # grey on near-white: low contrast, still found
])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_dominant_colour_of_a_packshot_is_the_garments(colour, background, seed):
    measured = dominant_colour(decode(packshot(colour, background, seed=seed)))
    assert measured is not None and measured.startswith("#") and len(measured) == 7
    assert delta_e(measured, colour) < 3.0, (measured, colour)  # ~ a just-noticeable step


def test_a_garment_that_runs_off_the_edge_does_not_become_the_background():
    measured = dominant_colour(decode(packshot(NAVY, crop_bottom=True)))
    assert measured is not None and delta_e(measured, NAVY) < 3.0


def test_a_lossless_and_a_large_packshot_give_the_garments_colour_too():
    for data in (packshot(RED, (225, 225, 225), fmt="PNG"),
                 packshot(RED, (225, 225, 225), (1200, 1600))):
        measured = dominant_colour(decode(data))
        assert measured is not None and delta_e(measured, RED) < 3.0


def test_the_same_packshot_gives_the_same_colour():
    rgb = decode(packshot(GREEN, seed=4))
    assert len({PackshotColours().dominant_colour(rgb) for _ in range(3)}) == 1


def test_nothing_standing_out_from_the_background_gives_no_colour():
    assert dominant_colour(np.full((300, 200, 3), 240, np.uint8)) is None
    # an off-white shirt on white is too close to tell apart: refused, not guessed
    flat = np.full((400, 300, 3), 255, np.uint8)
    flat[100:300, 80:220] = (253, 252, 250)
    assert dominant_colour(flat) is None
