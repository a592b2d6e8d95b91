"""The body twin fitted to measurements (anny; the model is built once per session).

These tests use the real anny model. Its first build in a fresh cache takes about a
minute and writes ~0.5 GB under .cache/ (make test warms it before the suite runs).
"""

from __future__ import annotations

import pytest

from twinstudio.domain.body import Appearance, BodyMeasurements, BodyProfile, Sex

pytestmark = pytest.mark.xdist_group("anny")


@pytest.fixture(scope="module")
def fit_body():
    from twinstudio.body3d.fit import fit_body

    return fit_body


def _profile(sex: Sex, age: int, **cm: float) -> BodyProfile:
    return BodyProfile(sex=sex, age=age, measurements=BodyMeasurements(**cm),
                       appearance=Appearance(skin_tone=5))


@pytest.mark.parametrize("profile", [
    _profile(Sex.FEMALE, 25, height_cm=176, bust_cm=84, waist_cm=62, hips_cm=90, inseam_cm=84),
    _profile(Sex.MALE, 31, height_cm=184, bust_cm=98, waist_cm=82, hips_cm=96, inseam_cm=86),
], ids=["female-runway", "male-regular"])
def test_fit_reaches_the_measurements_within_a_few_millimetres(fit_body, profile):
    fitted = fit_body(profile)
    for name in ("height", "bust", "waist", "hips", "inseam"):
        assert abs(fitted.error_mm(name)) <= 4.0, (name, fitted.as_dict()["measurements"])
    assert fitted.phenotypes["gender"] == (1.0 if profile.sex is Sex.FEMALE else 0.0)
    rows = {r["measurement"]: r for r in fitted.rows}
    assert rows["shoulder_width"]["achieved_cm"] > 30 and "target_cm" not in rows["underbust"]


def test_measurements_follow_the_body(fit_body):
    from twinstudio.body3d.fit import BodyFitter

    fitter = BodyFitter()
    slim = fitter.fit(_profile(Sex.FEMALE, 25, height_cm=170, bust_cm=82, waist_cm=60,
                               hips_cm=88, inseam_cm=80))
    curvy = fitter.fit(_profile(Sex.FEMALE, 25, height_cm=170, bust_cm=98, waist_cm=76,
                                hips_cm=106, inseam_cm=80))
    assert curvy.phenotypes["weight"] > slim.phenotypes["weight"]
    achieved = {r["measurement"]: r["achieved_cm"] for r in curvy.rows}
    assert achieved["hips"] > achieved["waist"] and achieved["bust"] > achieved["waist"]


def test_poses_never_change_the_body_shape(fit_body):
    import numpy as np
    import torch

    from twinstudio.body3d.model import body_model
    from twinstudio.body3d.poses import LIBRARY, Pose
    from twinstudio.body3d.twin import _pose_tensor, posed_body

    fitted = fit_body(_profile(Sex.FEMALE, 30, height_cm=168, bust_cm=90, waist_cm=72,
                               hips_cm=98, inseam_cm=78))
    model = body_model()
    phenotypes = {k: torch.tensor([v], dtype=torch.float64)
                  for k, v in fitted.phenotypes.items()}
    local = {k: torch.tensor([v], dtype=torch.float64) for k, v in fitted.local_changes.items()}
    rests = []
    for name in ("a_pose", "walking", "hand_on_hip"):
        with torch.no_grad():
            out = model(pose_parameters=_pose_tensor(model, LIBRARY[name]),
                        phenotype_kwargs=phenotypes, local_changes_kwargs=local)
        rests.append(out["rest_vertices"][0].numpy())
    assert np.allclose(rests[0], rests[1]) and np.allclose(rests[0], rests[2])
    standing, walking = posed_body(fitted, LIBRARY["a_pose"]), posed_body(fitted,
                                                                          LIBRARY["walking"])
    assert not np.allclose(standing.vertices, walking.vertices)  # the pose itself changed
    with pytest.raises(ValueError, match="unknown bones"):
        posed_body(fitted, Pose(name="bad", bones={"tail": (0.0, 10.0, 0.0)}))
