"""Enrolment of the synthetic roster through the real pipeline (checks, faces, vault)."""

from __future__ import annotations

import pytest

from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.domain.errors import RightsRefused
from twinstudio.domain.twin import TwinState

pytestmark = pytest.mark.xdist_group("anny")


# dlib does not separate most pairs of synthetic faces (bench/enrol.py prints how many):
# of the 30-person seed-7 roster these two it does (their templates are 0.61 apart, each
# front 0.62 or more from the other's template); the intruder's front is over 0.75 from
# every face view of PEOPLE[0]. A change to the roster's faces must pick them again with
# bench/enrol.py. A person never enrolled matching nobody is tested on real photos
# (tests/body/test_real_faces.py): no synthetic stranger is 0.6 from every twin.
PEOPLE = [2, 16]
INTRUDER = 0


@pytest.fixture(scope="module")
def roster_cache(tmp_path_factory):
    """The three people's captures, rendered once for the module (the costly part)."""
    from twinstudio.demo.roster import build_roster

    workspace = tmp_path_factory.mktemp("enrol-cache-ws")
    cache = tmp_path_factory.mktemp("enrol-cache")
    build_roster(bootstrap(Settings(workspace=workspace)), workspace, count=30, seed=7,
                 indices=[*PEOPLE, INTRUDER], cache_dir=cache)
    return cache


@pytest.fixture
def roster(roster_cache, tmp_path):
    """Two roster people to enrol and an intruder of the same roster, never enrolled, in
    a workspace of this test's own (no test sees what another enrolled)."""
    from twinstudio.demo.roster import build_roster

    workspace = tmp_path / "ws"
    ctx = bootstrap(Settings(workspace=workspace))
    entries = build_roster(ctx, workspace, count=30, seed=7, indices=PEOPLE,
                           cache_dir=roster_cache)
    intruder = build_roster(ctx, workspace, count=30, seed=7, indices=[INTRUDER],
                            cache_dir=roster_cache)[0]
    return ctx, entries, intruder


def _photos(entry, views=None):
    return [(f"{entry.index}-{v}.png", p.read_bytes()) for v, p in entry.captures.items()
            if views is None or v in views]


def _release(ctx, talent_id):
    from twinstudio.services.rights import grant_biometric_release

    grant_biometric_release(ctx, talent_id=talent_id, document=BiometricReleaseDocument(
        purpose="Face template to check the identity of generated images",
        retention_days=365, written_release=True, explicit_consent=True, language="en"))


def _new_talent(ctx, name):
    from twinstudio.services.parties import add_talent

    talent, _ = add_talent(ctx, name=name, language="en", synthetic=True, actor="t")
    _release(ctx, talent.id)
    return talent.id


def test_enrolment_needs_a_release_then_activates_the_twin_and_matches(roster):
    from twinstudio.services.audit import verify_audit
    from twinstudio.services.enrolment import enrol_twin, match

    ctx, entries, _ = roster
    first = entries[0]
    with pytest.raises(RightsRefused) as refused:
        enrol_twin(ctx, talent_id=first.talent_id, photos=_photos(first), actor="t")
    assert refused.value.reasons[0].code == "biometric_release_missing"

    _release(ctx, first.talent_id)
    result = enrol_twin(ctx, talent_id=first.talent_id, photos=_photos(first), actor="t")
    assert result.enrolled, result.as_dict()
    assert sum(p.accepted for p in result.photos) >= 3
    with ctx.uow() as uow:
        twin = uow.twins.get_by_talent(first.talent_id)
        assert twin.state is TwinState.ACTIVE
        kinds = [kind for _, kind, _, _ in uow.biometrics.templates(twin.id)]
    # the face template, the body keypoints, and each usable photo (encrypted)
    assert sorted(set(kinds)) == ["body_keypoints", "capture_photo", "face"]
    assert kinds.count("capture_photo") == sum(p.accepted for p in result.photos)
    found = match(ctx, first.captures["front"].read_bytes())
    assert found and found[0].twin_id == twin.id
    assert verify_audit(ctx).ok


def test_every_roster_talent_enrols_and_its_front_capture_matches_it_first(roster):
    from twinstudio.demo.roster import enrol_roster
    from twinstudio.services.enrolment import match

    ctx, entries, _ = roster
    results = enrol_roster(ctx, entries)
    for entry, done in zip(entries, results, strict=True):
        assert done.entry is entry
        assert done.result is not None and done.result.enrolled, (entry.name, done)
        assert done.review is None  # these two are not look-alikes
    with ctx.uow() as uow:
        twins = {e.talent_id: uow.twins.get_by_talent(e.talent_id) for e in entries}
        assert all(uow.releases.list_for_talent(e.talent_id) for e in entries)
    assert all(t.state is TwinState.ACTIVE for t in twins.values())
    for entry in entries:
        found = match(ctx, entry.captures["front"].read_bytes())
        assert found and found[0].twin_id == twins[entry.talent_id].id, (entry.name, found)
    assert all(r.result is None for r in enrol_roster(ctx, entries))  # nothing enrols twice


def test_a_photo_of_another_person_is_left_out_of_the_set_and_named(roster):
    from twinstudio.services.enrolment import enrol_twin

    ctx, entries, intruder = roster
    talent_id = _new_talent(ctx, "Mixed Set")
    photos = [*_photos(entries[0], {"front", "three_quarter_left", "three_quarter_right"}),
              ("intruder.png", intruder.captures["front"].read_bytes())]
    result = enrol_twin(ctx, talent_id=talent_id, photos=photos, actor="t")
    odd = next(p for p in result.photos if p.photo == "intruder.png")
    assert not odd.accepted and odd.reasons[0]["code"] == "not_the_same_person", odd.reasons
    assert all(p.accepted for p in result.photos if p.photo != "intruder.png")
    assert result.status == "enrolled", result.as_dict()  # nobody else is enrolled here
    with ctx.uow() as uow:
        rows = uow.biometrics.templates(result.twin_id)
    assert sum(kind == "capture_photo" for _, kind, _, _ in rows) == 3


def test_a_set_without_a_side_view_or_enough_photos_is_refused(roster):
    from twinstudio.services.enrolment import enrol_twin

    ctx, entries, _ = roster
    entry = entries[1]
    talent_id = _new_talent(ctx, "Too Few")
    result = enrol_twin(ctx, talent_id=talent_id, photos=_photos(entry, {"front", "back"}),
                        actor="t")
    assert not result.enrolled and result.reasons[0]["code"] == "too_few_photos"
    bad = [("notes.jpg", b"not an image"), *_photos(entry, {"front", "back"})]
    result = enrol_twin(ctx, talent_id=talent_id, photos=bad, actor="t")
    assert result.photos[0].reasons[0]["code"] == "undecodable"
    with ctx.uow() as uow:
        twin = uow.twins.get_by_talent(talent_id)
        assert twin.state is TwinState.ENROLLING and uow.biometrics.templates(twin.id) == []


def _close_up(path):
    """The capture cut just below the hips: head, shoulders and torso, no ankle in the
    frame (a waist-up portrait at the capture's own resolution), as PNG bytes; and the full
    capture's check."""
    import io

    from PIL import Image

    from twinstudio.perception.capture import check_capture

    full = check_capture(path.read_bytes())
    assert full.keypoints is not None, full.reasons
    image = Image.open(path)
    hip = max(full.keypoints["left_hip"][1], full.keypoints["right_hip"][1])
    crop = image.crop((0, 0, image.width, max(int(hip) + 40, 520)))
    buffer = io.BytesIO()
    crop.save(buffer, "PNG")
    return buffer.getvalue(), full


def test_a_head_and_shoulders_close_up_counts_for_the_face_and_not_the_body(roster):
    from twinstudio.domain.identity import face_distance
    from twinstudio.perception.capture import check_capture
    from twinstudio.services.enrolment import enrol_twin

    ctx, entries, _ = roster
    entry = entries[0]
    front, full = _close_up(entry.captures["front"])
    assert full.ok and full.framing == "full_body" and full.keypoints
    close = check_capture(front)
    assert close.ok, close.reasons
    assert close.framing == "close_up" and close.view == "front"
    assert close.embedding is not None and close.keypoints is None
    assert face_distance(close.embedding, full.embedding) < 0.6  # the same face

    # close-ups alone (a front and a three-quarter): the body twin needs a full-body photo
    turned, _ = _close_up(entry.captures["three_quarter_left"])
    assert check_capture(turned).view == "three_quarter"
    talent_id = _new_talent(ctx, "Close Ups Only")
    result = enrol_twin(ctx, talent_id=talent_id, actor="t", photos=[
        ("close-front.png", front), ("close-left.png", turned), ("close-again.png", front)])
    assert result.status == "refused"
    assert [r["code"] for r in result.reasons] == ["full_body_missing"]
    # next to full-body photos a close-up is kept
    mixed = [*_photos(entry, {"front", "three_quarter_left", "three_quarter_right"}),
             ("close-up.png", front)]
    talent_id = _new_talent(ctx, "Mixed Framing")
    result = enrol_twin(ctx, talent_id=talent_id, photos=mixed, actor="t")
    close_check = next(p for p in result.photos if p.photo == "close-up.png")
    assert close_check.accepted and close_check.report.framing == "close_up"
    assert result.status == "enrolled", result.as_dict()  # nobody else is enrolled here
