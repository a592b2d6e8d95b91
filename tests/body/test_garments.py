"""Garments as shells on the body twin (real anny model and renderer)."""

from __future__ import annotations

import numpy as np
import pytest

from twinstudio.domain.body import Appearance, BodyMeasurements, BodyProfile, Sex
from twinstudio.domain.garment import Fabric, Garment

pytestmark = pytest.mark.xdist_group("anny")


@pytest.fixture(scope="module")
def person():
    from twinstudio.body3d.appearance import bake_maps
    from twinstudio.body3d.fit import fit_body
    from twinstudio.body3d.poses import LIBRARY
    from twinstudio.body3d.twin import posed_body

    profile = BodyProfile(sex=Sex.FEMALE, age=28, appearance=Appearance(skin_tone=6),
                          measurements=BodyMeasurements(height_cm=172, bust_cm=88,
                                                        waist_cm=68, hips_cm=96,
                                                        inseam_cm=80))
    fitted = fit_body(profile)
    maps = bake_maps(posed_body(fitted, LIBRARY["a_pose"]), profile.appearance)
    return fitted, maps, {name: posed_body(fitted, LIBRARY[name])
                          for name in ("relaxed", "walking")}


def _garment(category: str, colour: str = "#c23b3b", **kw) -> Garment:
    return Garment(name=category, category=category, fabric=Fabric(base_color=colour), **kw)


def test_a_shell_sits_outside_the_body_by_the_fit_ease(person):
    from scipy.spatial import cKDTree

    from twinstudio.body3d.garments import garment_meshes

    _, _, bodies = person
    body = bodies["relaxed"]
    tree = cKDTree(body.vertices)
    for fit, ease_cm in (("slim", 0.5), ("loose", 2.6)):
        (shell,) = garment_meshes(body, _garment("trousers", fit=fit))
        distance, _ = tree.query(shell.positions)
        assert abs(np.median(distance) * 100 - ease_cm) < 0.6, fit
    (tee,) = garment_meshes(body, _garment("tee"))
    hips = 0.5 * (body.keypoints["left_hip"][1] + body.keypoints["right_hip"][1])
    assert tee.positions[:, 1].min() > hips - 0.1  # a tee stops at the hips
    (trousers,) = garment_meshes(body, _garment("trousers"))
    knees = 0.5 * (body.keypoints["left_knee"][1] + body.keypoints["right_knee"][1])
    assert trousers.positions[:, 1].min() < knees - 0.2  # trousers reach the ankles


def test_a_skirt_hangs_flared_from_the_waist_and_clears_the_legs(person):
    from twinstudio.body3d.garments import garment_meshes

    _, _, bodies = person
    body = bodies["walking"]
    (skirt,) = garment_meshes(body, _garment("skirt"))
    rings = skirt.positions.reshape(-1, 3)
    centre = np.median(body.vertices[:, [0, 2]], axis=0)
    heights = np.unique(np.round(rings[:, 1], 4))
    top, hem = heights.max(), heights.min()
    radius = np.hypot(rings[:, 0] - centre[0], rings[:, 2] - centre[1])
    assert radius[np.isclose(rings[:, 1], hem, atol=1e-3)].mean() > \
        1.1 * radius[np.isclose(rings[:, 1], top, atol=1e-3)].mean()  # flared
    legs = body.vertices[(body.vertices[:, 1] < top - 0.15) & (body.vertices[:, 1] > hem)]
    leg_radius = np.hypot(legs[:, 0] - centre[0], legs[:, 2] - centre[1])
    assert leg_radius.max() < radius.max()  # even mid-stride the legs stay inside


def test_rendered_garments_cover_the_body_and_are_in_the_person_mask(person):
    from twinstudio.body3d.garments import garment_meshes
    from twinstudio.body3d.render import GARMENT_PART, RasterRenderer, View

    _, maps, bodies = person
    body = bodies["relaxed"]
    renderer = RasterRenderer()
    bare = renderer.render(body, maps, View(shadows=False))
    dressed = renderer.render(body, maps, View(shadows=False),
                              garments=garment_meshes(body, _garment("dress", "#2f6f5e")))
    garment_pixels = dressed.parts == GARMENT_PART
    assert garment_pixels.mean() > 0.03
    assert (dressed.mask | ~bare.mask).all()  # the dressed person covers the bare one
    green = dressed.rgb[garment_pixels].astype(int)
    assert (green[:, 1] > green[:, 0]).mean() > 0.9  # it is the dress's colour
