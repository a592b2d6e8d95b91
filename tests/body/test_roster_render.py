"""The roster and the raster renderer (real anny model, real OpenGL on the CPU)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings

pytestmark = pytest.mark.xdist_group("anny")


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    from twinstudio.demo.roster import build_roster

    workspace = tmp_path_factory.mktemp("roster-ws")
    ctx = bootstrap(Settings(workspace=workspace))
    entries = build_roster(ctx, workspace, count=2, seed=7,
                           cache_dir=tmp_path_factory.mktemp("roster-cache"))
    return ctx, workspace, entries


def test_roster_people_are_synthetic_talents_with_five_captures(roster):
    ctx, _, entries = roster
    with ctx.uow() as uow:
        talents = {t.id: t for t in uow.talents.list()}
    assert len(entries) == 2
    for entry in entries:
        assert talents[entry.talent_id].synthetic
        assert talents[entry.talent_id].name == entry.name
        assert set(entry.captures) == {"front", "three_quarter_left", "three_quarter_right",
                                       "side", "back"}
        for path in entry.captures.values():
            assert Image.open(path).size == (768, 1024)
        front = np.asarray(Image.open(entry.captures["front"]))
        mask = np.asarray(Image.open(str(entry.captures["front"]).replace(".png",
                                                                           "-mask.png")))
        assert 0.05 < (mask > 0).mean() < 0.5  # a person, fully in frame, not the backdrop
        rows = np.nonzero((mask > 0).any(axis=1))[0]
        assert rows.min() > 5 and rows.max() < 1018  # head and feet are not cut
        assert front[mask > 0].std() > 5  # shaded, not a flat silhouette


def test_roster_build_is_cached_and_registers_nobody_twice(roster):
    from twinstudio.demo.roster import build_roster

    ctx, workspace, entries = roster
    before = {p: p.stat().st_mtime_ns for e in entries for p in e.captures.values()}
    again = build_roster(ctx, workspace, count=2, seed=7,
                         cache_dir=entries[0].folder.parents[1])
    assert [e.talent_id for e in again] == [e.talent_id for e in entries]
    assert {p: p.stat().st_mtime_ns for e in again for p in e.captures.values()} == before
    with ctx.uow() as uow:
        assert len(uow.talents.list()) == 2


def test_rendered_keypoints_land_on_the_person(roster):
    import json

    _, _, entries = roster
    meta = json.loads((entries[0].folder / "person.json").read_text())
    mask = np.asarray(Image.open(entries[0].folder / "front-mask.png")) > 0
    front = meta["keypoints"]["front"]
    assert all(front[name][2] for name in ("nose", "left_shoulder", "right_hip"))
    for name in ("nose", "left_shoulder", "right_shoulder", "left_hip", "right_knee"):
        x, y, _ = front[name]
        window = mask[int(y) - 6:int(y) + 7, int(x) - 6:int(x) + 7]
        assert window.any(), name
    # the subject's left is on the image's right in a front view
    assert front["left_shoulder"][0] > front["right_shoulder"][0]
    back = meta["keypoints"]["back"]
    assert back["left_shoulder"][0] < back["right_shoulder"][0]
