"""Body measurements and the synthetic roster's spec (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from twinstudio.demo.roster_spec import sample_roster
from twinstudio.domain.body import MONK_SKIN_TONES, Appearance, BodyMeasurements, Sex


def test_measurements_refuse_typos_and_incoherent_bodies():
    ok = {"height_cm": 176, "bust_cm": 84, "waist_cm": 62, "hips_cm": 90, "inseam_cm": 84}
    assert BodyMeasurements(**ok).height_cm == 176
    for change, fragment in (({"height_cm": 1760}, "less than or equal"),
                             ({"underbust_cm": 90}, "underbust"),
                             ({"inseam_cm": 60}, "does not fit"),
                             ({"waist_cm": 120, "bust_cm": 80, "hips_cm": 90}, "implausibly")):
        with pytest.raises(ValidationError, match=fragment):
            BodyMeasurements(**{**ok, **change})


def test_appearance_uses_the_monk_scale_and_hex_colours():
    assert Appearance(skin_tone=7).skin_hex == MONK_SKIN_TONES[7] == "#825c43"
    with pytest.raises(ValidationError):
        Appearance(skin_tone=11)
    with pytest.raises(ValidationError, match="colour"):
        Appearance(skin_tone=3, hair_color="brown")


def test_roster_is_deterministic_diverse_and_plausible():
    roster = sample_roster(30, seed=7)
    assert roster == sample_roster(30, seed=7)
    assert roster != sample_roster(30, seed=8)
    assert {p.profile.appearance.skin_tone for p in roster} == set(range(1, 11))
    assert {p.profile.sex for p in roster} == {Sex.FEMALE, Sex.MALE}
    ages = [p.profile.age for p in roster]
    assert min(ages) >= 18 and max(ages) <= 60 and max(ages) - min(ages) >= 20
    assert len({p.name for p in roster}) == 30
    assert len({p.build for p in roster}) >= 4
    for person in roster:  # every sampled body passes the same validation as user input
        BodyMeasurements.model_validate(person.profile.measurements.model_dump())


def test_roster_people_have_faces_of_their_own_and_bad_faces_are_refused():
    import math

    from twinstudio.body3d.model import FACE_FEATURES, HEAD_SIZE_FEATURES
    from twinstudio.domain.body import BodyProfile

    roster = sample_roster(30, seed=7)
    faces = [p.profile.face for p in roster]
    assert all(set(f) == set(FACE_FEATURES) - set(HEAD_SIZE_FEATURES) for f in faces)
    assert all(-1 <= w <= 1 for f in faces for w in f.values())
    # no two people share a face; beards only where the roster gives them
    vectors = [tuple(f.values()) for f in faces]
    assert min(math.dist(a, b) for i, a in enumerate(vectors) for b in vectors[i + 1:]) > 1
    assert {p.profile.appearance.beard for p in roster if p.profile.sex is Sex.FEMALE} \
        == {"none"}
    person = roster[0].profile.model_dump()
    with pytest.raises(ValidationError, match=r"\[-1, 1\]"):
        BodyProfile.model_validate({**person, "face": {"nose_width": 1.5}})
    with pytest.raises(ValidationError, match="lower_case"):
        BodyProfile.model_validate({**person, "face": {"Nose": 0.5}})


def test_face_features_name_anny_local_changes_and_unknown_ones_are_refused():
    from twinstudio.body3d.fit import face_local_changes
    from twinstudio.body3d.model import FACE_LOCAL_CHANGES
    from twinstudio.domain.errors import InvalidInput

    assert face_local_changes({"eye_size": 0.5, "nose_width": -0.25}) == {
        "l-eye-scale-incr": 0.5, "r-eye-scale-incr": 0.5, "nose-scale-horiz-incr": -0.25}
    assert len(set(FACE_LOCAL_CHANGES)) == len(FACE_LOCAL_CHANGES)
    with pytest.raises(InvalidInput, match="snout"):
        face_local_changes({"snout": 0.2})
