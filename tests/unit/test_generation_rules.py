"""Generation as pure rules: briefs, the variant matrix, idempotency keys, job states and
the body comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from twinstudio.domain.errors import InvalidTransition
from twinstudio.domain.generation import (
    FORMATS,
    POSES,
    STORED,
    CampaignBrief,
    Job,
    JobState,
    compare_body,
    expand,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def brief(**overrides) -> CampaignBrief:
    data = {"name": "AW26", "looks": [["gar_a"], ["gar_b", "gar_c"]],
            "poses": ["relaxed", "walking"], "formats": ["feed", "story", "banner"],
            "segments": [{"name": "nordic", "scene": "gradient_frost", "season": "AW26"},
                         {"name": "city", "scene": "set_concrete", "colourway": 1}],
            "markets": [{"channel": "social", "territory": "SE"}]}
    data.update(overrides)
    return CampaignBrief.model_validate(data)


def test_the_matrix_has_every_combination_once_and_spreads_over_twins_first():
    variants = expand(brief(), twins=[("twn_1", "lic_1"), ("twn_2", "lic_2")],
                      today=date(2026, 6, 1))
    assert len(variants) == 2 * 2 * 3 * 2 * 2
    assert len({v.key for v in variants}) == len(variants)
    assert [v.twin_id for v in variants[:4]] == ["twn_1", "twn_2", "twn_1", "twn_2"]
    first_16 = variants[:16]  # a cap still reaches several looks, formats and styles
    assert len({v.garment_ids for v in first_16}) == 2
    assert len({v.format for v in first_16}) >= 2 and len({v.scene for v in first_16}) == 2
    city = [v for v in variants if v.segment == "city"]
    assert {v.colourway for v in city} == {1} and {v.scene for v in city} == {"set_concrete"}
    assert all(v.use_date == date(2026, 6, 1) for v in variants)


def test_the_same_brief_expands_to_the_same_keys_and_a_change_changes_them():
    twins = [("twn_1", "lic_1")]
    one = expand(brief(), twins=twins, today=date(2026, 6, 1))
    two = expand(brief(), twins=twins, today=date(2026, 6, 1))
    assert [v.key for v in one] == [v.key for v in two]
    other = expand(brief(seed=5), twins=twins, today=date(2026, 6, 1))
    assert {v.key for v in one}.isdisjoint({v.key for v in other})


@pytest.mark.parametrize(("change", "message"), [
    ({"formats": ["poster"]}, "unknown format"),
    ({"segments": [{"name": "x", "scene": "moon"}]}, "unknown scene"),
    ({"segments": [], "scenes": []}, "segments or scenes"),
    ({"looks": [["a", "a"]]}, "same garment twice"),
    ({"looks": [["a", "b", "c", "d"]]}, "1 to 3 garments"),
    ({"markets": [{"channel": "radio", "territory": "SE"}]}, "channel"),
    ({"markets": [{"channel": "social", "territory": "XX"}]}, "territory"),
    ({"alterations": ["nose_job"]}, "alterations"),
    ({"surprise": 1}, "Extra inputs"),
    ({"max_assets": 0}, "greater than or equal to 1"),
])
def test_a_bad_brief_is_refused_with_the_field_named(change, message):
    with pytest.raises(ValidationError, match=message):
        brief(**change)


def test_formats_have_their_aspect_ratios():
    ratios = {name: round(f.width / f.height, 3) for name, f in FORMATS.items()}
    assert ratios == {"feed": 0.8, "story": 0.562, "square": 1.0, "product_page": 0.667,
                      "banner": 1.778}


def test_jobs_move_only_along_their_state_machine():
    (request,) = expand(brief(looks=[["gar_a"]], poses=["relaxed"], formats=["feed"],
                              segments=[{"name": "n", "scene": "cyclorama_white"}]),
                        twins=[("twn_1", "lic_1")], today=date(2026, 6, 1))
    job = Job(campaign_id="cmp_1", key=request.key, twin_id="twn_1", licence_id="lic_1",
              request=request)
    running = job.transition(JobState.RUNNING, now=NOW, attempts=1)
    done = running.transition(JobState.SUCCEEDED, now=NOW, asset_id="ast_1")
    with pytest.raises(InvalidTransition):
        done.transition(JobState.RUNNING, now=NOW)
    with pytest.raises(InvalidTransition):
        job.transition(JobState.SUCCEEDED, now=NOW)
    assert running.transition(JobState.QUEUED, now=NOW).state is JobState.QUEUED
    assert job.transition(JobState.CANCELLED, now=NOW).state is JobState.CANCELLED


def test_body_measures_outside_the_tolerance_are_named_with_their_change():
    reference = {"waist": 0.60, "hip": 0.80, "leg": 1.70}
    assert compare_body({"waist": 0.61, "hip": 0.79, "leg": 1.71}, reference) == []
    failures = compare_body({"waist": 0.57, "hip": 0.80}, reference)
    assert [(f["measure"], f["change"]) for f in failures] == [("leg", None),
                                                                ("waist", -0.05)]


def test_a_misspelt_pose_is_refused_when_the_brief_is_read():
    with pytest.raises(ValidationError) as refused:
        brief(poses=["relaxed", "contraposto"])
    (error,) = refused.value.errors()
    assert error["loc"] == ("poses",)
    assert "'contraposto'" in error["msg"] and "contrapposto" in error["msg"]
    # a stored brief is read back as it was planned (its names were checked then)
    stored = brief().model_dump_json().replace('"walking"', '"retired_pose"')
    assert CampaignBrief.model_validate_json(stored, context=STORED).poses[1] == "retired_pose"


def test_the_poses_a_brief_may_name_are_the_studio_library():
    from twinstudio.body3d.poses import LIBRARY

    assert set(POSES) == set(LIBRARY)
