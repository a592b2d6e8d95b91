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
        (shell,) = garment_meshes(body, _garment("shorts", fit=fit))  # no widening leg
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


def _level(body, name: str, side: str | None = None) -> float:
    k = body.keypoints
    if side:
        return float(k[f"{side}_{name}"][1])
    return float(0.5 * (k[f"left_{name}"][1] + k[f"right_{name}"][1]))


@pytest.mark.parametrize("pose", ["relaxed", "walking"])
def test_trousers_reach_each_ankle_with_a_straight_hem_and_waistband(person, pose):
    from twinstudio.body3d.garments import garment_meshes

    body = person[2][pose]
    (trousers,) = garment_meshes(body, _garment("trousers", fit="loose"))
    y = trousers.positions[:, 1]
    centre = np.median(body.vertices[:, 0])
    for side, sign in (("left", 1), ("right", -1)):
        leg = (trousers.positions[:, 0] - centre) * sign > 0.02
        hem = _level(body, "ankle", side) + 0.015   # each leg at its own ankle
        assert abs(y[leg].min() - hem) < 0.01, side
        assert np.isclose(y[leg], hem, atol=1e-6).sum() >= 20, side  # cut straight
    waist = _level(body, "hip") + 0.1
    assert abs(y.max() - waist) < 0.012
    assert np.isclose(y, waist, atol=1e-6).sum() >= 20  # a straight waistband


@pytest.mark.parametrize(("category", "length", "hem"), [
    ("trousers", "regular", lambda lv: lv["ankle"] + 0.015),
    ("trousers", "cropped", lambda lv: 0.5 * (lv["ankle"] + lv["knee"])),
    ("shorts", "regular", lambda lv: lv["hip"] - 0.45 * (lv["hip"] - lv["knee"])),
    ("skirt", "regular", lambda lv: lv["knee"] - 0.04),
    ("skirt", "long", lambda lv: lv["ankle"] + 0.1),
    ("dress", "regular", lambda lv: lv["knee"] - 0.04),
    ("jacket", "regular", lambda lv: lv["hip"] - 0.08),
    ("coat", "regular", lambda lv: lv["knee"] - 0.1),
])
def test_each_garment_covers_the_body_down_to_its_hem(person, category, length, hem):
    from twinstudio.body3d.garments import garment_meshes

    body = person[2]["relaxed"]
    levels = {name: _level(body, name) for name in ("hip", "knee", "ankle")}
    meshes = garment_meshes(body, _garment(category, length=length))
    lowest = min(float(m.positions[:, 1].min()) for m in meshes)
    highest = max(float(m.positions[:, 1].max()) for m in meshes)
    assert abs(lowest - hem(levels)) < 0.012, (lowest, hem(levels))
    assert highest > levels["hip"] + 0.09  # from the waist (or higher) down


def test_straight_and_wide_legs_hang_from_the_thigh(person):
    from scipy.spatial import cKDTree

    from twinstudio.body3d.garments import garment_meshes

    body = person[2]["relaxed"]
    tree = cKDTree(body.vertices)
    hip, knee = _level(body, "hip"), _level(body, "knee")
    thigh = hip - 0.45 * (hip - knee)
    widening = {}
    for fit in ("slim", "regular", "loose"):
        (shell,) = garment_meshes(body, _garment("trousers", fit=fit))
        distance, _ = tree.query(shell.positions)
        y = shell.positions[:, 1]
        at_thigh = np.median(distance[np.abs(y - thigh) < 0.02])
        at_hem = np.median(distance[y < y.min() + 0.02])
        widening[fit] = (at_hem - at_thigh) * 100
    assert abs(widening["slim"]) < 0.3            # slim trousers follow the calf
    assert 0.7 < widening["regular"] < 1.6        # a straight leg
    assert 1.8 < widening["loose"] < 3.0          # a wide leg


@pytest.mark.parametrize("pose", ["relaxed", "walking"])
def test_outerwear_is_worn_over_the_trousers(person, pose):
    from twinstudio.body3d.garments import garment_meshes
    from twinstudio.body3d.render import GARMENT_PART, RasterRenderer, View

    _, maps, bodies = person
    body = bodies[pose]
    renderer = RasterRenderer()
    trousers = garment_meshes(body, _garment("trousers", "#2040d0", fit="loose"))
    for category, down_to in (("jacket", "hip"), ("coat", "knee")):
        outer = garment_meshes(body, _garment(category, "#d02020", fit="slim"))
        result = renderer.render(body, maps, View(shadows=False),
                                 garments=[*trousers, *outer])
        k = result.keypoints
        top = int(0.5 * (k["left_shoulder"][1] + k["right_shoulder"][1]))
        bottom = int(0.5 * (k[f"left_{down_to}"][1] + k[f"right_{down_to}"][1]))
        rows = slice(top + (bottom - top) // 3, bottom)
        cloth = result.rgb[rows][result.parts[rows] == GARMENT_PART].astype(int)
        red = (cloth[:, 0] > cloth[:, 2]).mean()
        assert red > 0.98, (category, red)  # no trouser pokes through


@pytest.mark.parametrize("look", [["long_sleeve_top", "trousers"], ["tee", "skirt"],
                                  ["coat", "trousers"], ["jacket", "skirt"], ["dress"]])
@pytest.mark.parametrize("pose", ["relaxed", "walking"])
def test_a_full_outfit_leaves_no_underwear_in_sight(person, look, pose):
    from twinstudio.body3d.appearance import PARTS
    from twinstudio.body3d.garments import garment_meshes
    from twinstudio.body3d.render import RasterRenderer, View
    from twinstudio.domain.garment import is_full_outfit

    _, maps, bodies = person
    body = bodies[pose]
    assert is_full_outfit(look)
    meshes = [m for category in look for m in garment_meshes(body, _garment(category))]
    renderer = RasterRenderer()
    underwear = [PARTS.index(p) + 1 for p in ("torso", "upper_leg_L", "upper_leg_R")]

    def bare(garments) -> float:
        result = renderer.render(body, maps, View(shadows=False), garments=garments)
        k = result.keypoints
        top = int(0.5 * (k["left_shoulder"][1] + k["right_shoulder"][1]))
        hip = int(0.5 * (k["left_hip"][1] + k["right_hip"][1]))
        knee = int(0.5 * (k["left_knee"][1] + k["right_knee"][1]))
        band = result.parts[top + (hip - top) // 4:knee]  # below the neckline, to the knees
        return float(np.isin(band, underwear).sum() / max((band > 0).sum(), 1))

    assert bare([]) > 0.5
    assert bare(meshes) < 0.002  # the briefs and top of the base layer stay covered


def test_a_garment_added_from_its_packshot_renders_in_the_measured_colour(person, tmp_path):
    """The studio backend draws ``garment.colours()[colourway]``: colourway 0 of a garment
    whose colour came from its packshot is the measured colour, and the shell shows it."""
    import cv2

    from tests.support.images import packshot
    from twinstudio.body3d.garments import garment_meshes
    from twinstudio.body3d.render import GARMENT_PART, RasterRenderer, View
    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.domain.parties import OrganisationKind
    from twinstudio.provenance.keys import ensure_development_credentials
    from twinstudio.services.garments import add_garment
    from twinstudio.services.parties import add_organisation

    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings)
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Nordvik")
    red = (200, 20, 30)
    garment = add_garment(ctx, brand_id=brand.id, name="Tee", category="tee",
                          image=packshot(red, (225, 225, 225)), actor="test")
    assert garment.fabric.colour_source == "image"
    _, maps, bodies = person
    body = bodies["relaxed"]
    result = RasterRenderer().render(body, maps, View(shadows=False), garments=garment_meshes(
        body, garment, garment.colours()[0]))
    cloth = result.rgb[result.parts == GARMENT_PART]
    assert len(cloth) > 1000
    hue = cv2.cvtColor(cloth.reshape(-1, 1, 3), cv2.COLOR_RGB2HSV)[:, 0]
    # the lit shell keeps the fabric's hue (red wraps around 0 / 180 in OpenCV's HSV)
    reddish = (hue[:, 0] <= 8) | (hue[:, 0] >= 172)
    assert reddish.mean() > 0.95 and (hue[:, 1] > 150).mean() > 0.9
