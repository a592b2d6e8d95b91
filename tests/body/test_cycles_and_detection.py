"""The Cycles renderer, and the shipped detectors on the roster's captures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.body.test_roster_render import roster

pytestmark = pytest.mark.xdist_group("anny")
__all__ = ["roster"]


def test_cycles_renders_the_same_scene_as_the_raster_renderer(roster):
    import json

    from twinstudio.body3d.appearance import bake_maps
    from twinstudio.body3d.fit import BodyFit
    from twinstudio.body3d.poses import LIBRARY
    from twinstudio.body3d.render import RasterRenderer, View
    from twinstudio.body3d.render_cycles import CyclesRenderer
    from twinstudio.body3d.twin import posed_body
    from twinstudio.domain.body import Appearance

    _, _, entries = roster
    meta = json.loads((entries[0].folder / "person.json").read_text())
    fit = BodyFit(phenotypes=meta["fit"]["phenotypes"],
                  local_changes=meta["fit"]["local_changes"])
    appearance = Appearance.model_validate(meta["profile"]["appearance"])
    maps = bake_maps(posed_body(fit, LIBRARY["a_pose"]), appearance, size=512)
    body = posed_body(fit, LIBRARY["relaxed"])
    view = View(width=192, height=256, shadows=False)
    raster = RasterRenderer().render(body, maps, view)
    cycles = CyclesRenderer("preview").render(body, maps, view)
    assert cycles.rgb.shape == (256, 192, 3)
    assert (cycles.mask == raster.mask).all() and cycles.keypoints == raster.keypoints
    person = cycles.rgb[cycles.mask].astype(float)
    backdrop = cycles.rgb[~cycles.mask].astype(float)
    assert person.std() > 5 and backdrop.mean() > 60  # lit person on a lit backdrop
    assert np.abs(cycles.rgb.astype(int) - raster.rgb.astype(int)).mean() > 2  # its own light


def test_mediapipe_finds_every_body_and_dlib_every_face(roster):
    import dlib
    import mediapipe as mp

    _, _, entries = roster
    detector = dlib.get_frontal_face_detector()
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for entry in entries:
            front = np.asarray(Image.open(entry.captures["front"]).convert("RGB"))
            assert pose.process(front).pose_landmarks is not None, entry.name
            assert len(detector(front, 1)) == 1, entry.name
