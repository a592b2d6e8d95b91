"""Enrolment's identity rules on controlled embeddings (the perception is replaced by
fixed capture reports; storage, vault and audit are real, on SQLite and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.likeness import TableChecks
from twinstudio.domain.capture import CaptureReport
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.services.parties import add_talent
from twinstudio.services.rights import grant_biometric_release

rng = np.random.default_rng(3)
PERSON_A, PERSON_B = rng.normal(0, 0.09, 128), rng.normal(0, 0.09, 128)


def _report(embedding, view):
    return CaptureReport(True, view=view, framing="full_body", width=768, height=1024,
                         face_box=(0, 0, 80, 80),
                         embedding=tuple(embedding + rng.normal(0, 0.01, 128)),
                         keypoints={"nose": (1.0, 2.0, 1.0)})


@pytest.fixture
def fake_captures(ctx):
    checks = TableChecks()
    ctx.captures = checks
    return checks.table


def _talent(ctx, name):
    talent, twin = add_talent(ctx, name=name)
    grant_biometric_release(ctx, talent_id=talent.id, document=BiometricReleaseDocument(
        purpose="Face template to check the identity of generated images",
        retention_days=365, written_release=True, explicit_consent=True, language="en"))
    return talent, twin


def _set(table, person, tag, views=("front", "three_quarter", "three_quarter")):
    photos = []
    for i, view in enumerate(views):
        data = f"{tag}-{i}".encode()
        table[data] = _report(person, view)
        photos.append((f"{tag}-{i}.png", data))
    return photos


def test_a_photo_of_someone_else_is_left_out_and_named(ctx, fake_captures):
    from twinstudio.services.enrolment import enrol_twin

    talent, _ = _talent(ctx, "A")
    photos = _set(fake_captures, PERSON_A, "a", ("front", "three_quarter", "side",
                                                 "three_quarter"))
    photos += _set(fake_captures, PERSON_B, "b", ("front",))
    result = enrol_twin(ctx, talent_id=talent.id, photos=photos, actor="t")
    assert result.enrolled, result.as_dict()
    odd = next(p for p in result.photos if p.photo == "b-0.png")
    assert not odd.accepted and odd.reasons[0]["code"] == "not_the_same_person"
    assert "front template" in odd.reasons[0]["message"]
    assert all(p.accepted for p in result.photos if p.photo != "b-0.png")
    with ctx.uow() as uow:
        kinds = [k for _, k, _, _ in uow.biometrics.templates(result.twin_id)]
    assert kinds.count("capture_photo") == 4  # the odd photo is not kept
    # the capture checks' own reports are not changed by the judgement of one set
    assert fake_captures[b"b-0"].ok


def test_a_set_left_short_by_the_odd_photos_is_refused_and_says_why(ctx, fake_captures):
    from twinstudio.services.enrolment import enrol_twin

    talent, _ = _talent(ctx, "A")
    photos = _set(fake_captures, PERSON_A, "a", ("front", "three_quarter"))
    photos += _set(fake_captures, PERSON_B, "b", ("side",))
    result = enrol_twin(ctx, talent_id=talent.id, photos=photos, actor="t")
    assert result.status == "refused"
    assert result.reasons[0]["code"] == "too_few_photos"
    assert "b-0.png left out" in result.reasons[0]["message"]
    # fronts that are not the person of the other photos: the set shows no one person
    talent, _ = _talent(ctx, "B")
    photos = _set(fake_captures, PERSON_B, "c", ("front",))
    photos += _set(fake_captures, PERSON_A, "d", ("three_quarter", "three_quarter", "side"))
    result = enrol_twin(ctx, talent_id=talent.id, photos=photos, actor="t")
    assert [r["code"] for r in result.reasons] == ["identity_mismatch"]
    assert "c-0.png" in result.reasons[0]["message"]
    with ctx.uow() as uow:
        assert uow.biometrics.templates(uow.twins.get_by_talent(talent.id).id) == []


def _photo_rows(ctx, twin_id):
    with ctx.uow() as uow:
        return [kind for _, kind, _, _ in uow.biometrics.templates(twin_id)]


def _collide(ctx, table):
    """First enrols PERSON_A; Second brings PERSON_A's face too (a look-alike, an identical
    twin, or someone else's photos): the second set goes to review."""
    from twinstudio.services.enrolment import enrol_twin

    first, first_twin = _talent(ctx, "First")
    second, second_twin = _talent(ctx, "Second")
    assert enrol_twin(ctx, talent_id=first.id, photos=_set(table, PERSON_A, "a"),
                      actor="t").enrolled
    pending = enrol_twin(ctx, talent_id=second.id, photos=_set(table, PERSON_A, "x"),
                         actor="t")
    return first, first_twin, second, second_twin, pending


def test_a_lookalike_goes_to_review_instead_of_being_refused(ctx, fake_captures):
    from twinstudio.domain.likeness import ReviewState
    from twinstudio.services.biometrics import enrolled_face_templates
    from twinstudio.services.likeness import list_reviews

    first, first_twin, _second, second_twin, pending = _collide(ctx, fake_captures)
    assert pending.status == "in_review" and not pending.enrolled
    assert [r["code"] for r in pending.reasons] == ["likeness_review"]
    assert [c.twin_id for c in pending.candidates] == [first_twin.id]
    assert pending.candidates[0].talent_id == first.id
    assert 0 <= pending.candidates[0].distance < 0.6
    [review] = list_reviews(ctx, state=ReviewState.PENDING)
    assert review.id == pending.review_id and review.twin_id == second_twin.id
    assert review.photos == ["x-0.png", "x-1.png", "x-2.png"]
    with ctx.uow() as uow:
        assert uow.twins.get(second_twin.id).state.value == "in_review"
    # kept encrypted for the decision, but not an enrolled template yet
    assert sorted(set(_photo_rows(ctx, second_twin.id))) == ["body_keypoints",
                                                            "capture_photo", "face"]
    assert set(enrolled_face_templates(ctx)) == {first_twin.id}
    assert set(enrolled_face_templates(ctx, in_review=True)) == {first_twin.id,
                                                                 second_twin.id}
    # a third set of the same face is compared with the one in review as well
    from twinstudio.services.enrolment import enrol_twin

    third, _ = _talent(ctx, "Third")
    again = enrol_twin(ctx, talent_id=third.id, photos=_set(fake_captures, PERSON_A, "y"),
                       actor="t")
    assert {c.twin_id for c in again.candidates} == {first_twin.id, second_twin.id}


def test_distinct_enrols_and_links_both_twins_as_lookalikes(ctx, fake_captures):
    from twinstudio.domain.errors import InvalidInput, InvalidTransition
    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.audit import verify_audit
    from twinstudio.services.biometrics import enrolled_face_templates
    from twinstudio.services.likeness import decide_review, get_review

    _, first_twin, _, second_twin, pending = _collide(ctx, fake_captures)
    with pytest.raises(InvalidInput, match="written reason"):
        decide_review(ctx, pending.review_id, decision=ReviewDecision.DISTINCT, reason="ok",
                      actor="compliance")
    assert get_review(ctx, pending.review_id).state.value == "pending"  # nothing changed
    result = decide_review(ctx, pending.review_id, decision=ReviewDecision.DISTINCT,
                           reason="passports of both talents checked in person",
                           actor="usr_compliance")
    assert result.twin_state.value == "active" and result.lookalikes == [first_twin.id]
    with ctx.uow() as uow:
        assert uow.twins.get(second_twin.id).state.value == "active"
        assert uow.lookalikes.of(second_twin.id) == [first_twin.id]
        assert uow.lookalikes.of(first_twin.id) == [second_twin.id]
        events = [e for e in uow.audit.all() if e.type == "LikenessReviewDecided"]
    assert events[0].payload["decision"] == "distinct"
    assert events[0].payload["reason"] == "passports of both talents checked in person"
    assert events[0].actor == "usr_compliance"
    assert set(enrolled_face_templates(ctx)) == {first_twin.id, second_twin.id}
    review = get_review(ctx, pending.review_id)
    assert review.state.value == "distinct" and review.decided_by == "usr_compliance"
    with pytest.raises(InvalidTransition, match="already decided"):
        decide_review(ctx, pending.review_id, decision=ReviewDecision.SAME_PERSON,
                      reason="changed my mind about this one", actor="usr_compliance")
    assert verify_audit(ctx).ok


def test_same_person_refuses_shreds_the_template_and_tells_the_other_talent(
        ctx, fake_captures):
    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.biometrics import enrolled_face_templates
    from twinstudio.services.likeness import decide_review, list_notices, review_photos
    from twinstudio.services.parties import add_organisation

    agency = add_organisation(ctx, name="North Models", kind="agency")
    first, first_twin = _talent_with_agency(ctx, "First", agency.id)
    second, second_twin = _talent(ctx, "Second")
    from twinstudio.services.enrolment import enrol_twin

    assert enrol_twin(ctx, talent_id=first.id, photos=_set(fake_captures, PERSON_A, "a"),
                      actor="t").enrolled
    pending = enrol_twin(ctx, talent_id=second.id,
                         photos=_set(fake_captures, PERSON_A, "x"), actor="t")
    photos = review_photos(ctx, pending.review_id, actor="usr_compliance")
    assert [name for name, _ in photos.twin] == ["x-0.png", "x-1.png", "x-2.png"]
    assert photos.twin[0][1] == b"x-0"  # the photo's bytes, decrypted for the reviewer
    assert [name for name, _ in photos.candidates[first_twin.id]] == ["a-0.png", "a-1.png",
                                                                     "a-2.png"]
    result = decide_review(ctx, pending.review_id, decision=ReviewDecision.SAME_PERSON,
                           reason="the same model registered twice by another agency",
                           actor="usr_compliance")
    assert result.shredded and result.twin_state.value == "enrolling"
    with ctx.uow() as uow:
        assert uow.twins.get(second_twin.id).state.value == "enrolling"
        assert uow.biometrics.templates(second_twin.id) == []
        assert uow.biometrics.key(second_twin.id) is None
        assert uow.lookalikes.of(first_twin.id) == []
        types = [e.type for e in uow.audit.all()]
    assert "BiometricsShredded" in types and types[-1] == "LikenessReviewDecided"
    assert set(enrolled_face_templates(ctx, in_review=True)) == {first_twin.id}
    for recipient in (first.id, agency.id):
        [notice] = list_notices(ctx, [recipient])
        assert notice.kind == "likeness_same_person"
        assert "First" in notice.subject and second.id in notice.body
        assert "registered twice" in notice.body
        assert notice.refs["twin_id"] == first_twin.id
    assert list_notices(ctx, [second.id]) == []
    assert result.review.same_as == first_twin.id
    # the refused talent can enrol again later (a new key, new templates)
    retry = enrol_twin(ctx, talent_id=second.id, photos=_set(fake_captures, PERSON_B, "b"),
                       actor="t")
    assert retry.enrolled


def _talent_with_agency(ctx, name, agency_id):
    talent, twin = add_talent(ctx, name=name, agency_id=agency_id)
    grant_biometric_release(ctx, talent_id=talent.id, document=BiometricReleaseDocument(
        purpose="Face template to check the identity of generated images",
        retention_days=365, written_release=True, explicit_consent=True, language="en"))
    return talent, twin


def test_a_twin_in_review_is_not_usable_for_generation(ctx, fake_captures):
    from tests.support.fakes import FakeQuality
    from tests.unit.factories import make_world
    from twinstudio.domain.policy import ReasonCode, check_storage
    from twinstudio.services.quality import identity_gate

    _, _, _, second_twin, _pending = _collide(ctx, fake_captures)
    gate = identity_gate(ctx, FakeQuality(PERSON_A), second_twin.id, object())
    assert not gate.passed and "likeness review" in (gate.reason or "")
    with ctx.uow() as uow:
        twin = uow.twins.get(second_twin.id)
    assert twin.state.value == "in_review"
    licence, _, _ = make_world()
    reasons = check_storage(licence=licence.model_copy(update={"twin_id": twin.id}),
                            twin=twin, today=licence.terms.starts, alterations=[])
    assert [r.code for r in reasons] == [ReasonCode.TWIN_NOT_ACTIVE]


@pytest.fixture
def verify_ctx(engine, tmp_path, clock):
    """A workspace with signing credentials (verify reads C2PA) and table capture checks."""
    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.provenance.keys import ensure_development_credentials

    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings, engine=engine, clock=clock)
    checks = TableChecks()
    ctx.captures = checks
    return ctx, checks.table


def test_match_and_verify_call_lookalikes_ambiguous(verify_ctx):
    import io

    from PIL import Image

    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.biometrics import enrolled_face_templates, lookalike_pairs
    from twinstudio.services.enrolment import identify_faces
    from twinstudio.services.likeness import decide_review
    from twinstudio.services.verification import verify_image

    ctx, fake_captures = verify_ctx
    _, first_twin, _, second_twin, pending = _collide(ctx, fake_captures)
    templates = enrolled_face_templates(ctx)
    [before] = identify_faces([(PERSON_A, [0, 0, 9, 9])], templates, lookalike_pairs(ctx))
    assert before.twin_id == first_twin.id and not before.ambiguous  # the other is in review
    decide_review(ctx, pending.review_id, decision=ReviewDecision.DISTINCT,
                  reason="identity documents of both talents checked", actor="usr_c")
    templates = enrolled_face_templates(ctx)
    [after] = identify_faces([(PERSON_A, [0, 0, 9, 9])], templates, lookalike_pairs(ctx))
    assert after.ambiguous and after.twin_id is None
    assert {c.twin_id for c in after.candidates} == {first_twin.id, second_twin.id}
    assert after.margin is not None and after.margin >= 0
    # somebody else: nobody within the threshold
    assert identify_faces([(PERSON_B, [0, 0, 9, 9])], templates, lookalike_pairs(ctx)) == []

    class Faces:
        def embeddings(self, rgb):
            return [(PERSON_A, [1, 2, 3, 4])]

        def embeddings_in_file(self, data):
            return self.embeddings(None)

    ctx.faces = Faces()
    buffer = io.BytesIO()
    Image.new("RGB", (320, 320), (200, 180, 160)).save(buffer, "PNG")
    result = verify_image(ctx, buffer.getvalue())
    assert result.verdict.value == "unlicensed_likeness"
    assert result.twin_id is None and "ambiguous" in result.explanation
    face = result.signals.face.as_dict()
    assert face["confidence"] == "ambiguous" and face["match"]["ambiguous"] is True
    assert result.signals.face.summary.startswith("ambiguous between look-alikes (")
    assert {c["twin_id"] for c in face["match"]["candidates"]} == {first_twin.id,
                                                                  second_twin.id}


def test_same_person_tells_only_the_twin_it_names_not_the_other_lookalikes(ctx, fake_captures):
    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.enrolment import enrol_twin
    from twinstudio.services.likeness import decide_review, list_notices

    first, first_twin, second, second_twin, pending = _collide(ctx, fake_captures)
    decide_review(ctx, pending.review_id, decision=ReviewDecision.DISTINCT,
                  reason="identity documents of both talents checked", actor="usr_c")
    third, _ = _talent(ctx, "Third")
    again = enrol_twin(ctx, talent_id=third.id, photos=_set(fake_captures, PERSON_A, "y"),
                       actor="t")
    assert {c.twin_id for c in again.candidates} == {first_twin.id, second_twin.id}
    result = decide_review(ctx, again.review_id, decision=ReviewDecision.SAME_PERSON,
                           same_as=second_twin.id, actor="usr_c",
                           reason="Second's agency confirmed these are her photos")
    assert result.review.same_as == second_twin.id
    assert [n.recipient_id for n in list_notices(ctx, [first.id, second.id])] == [second.id]
