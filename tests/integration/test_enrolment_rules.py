"""Enrolment's identity rules on controlled embeddings (the perception is replaced by
fixed capture reports; storage, vault and audit are real, on SQLite and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest

from twinstudio.domain.capture import CaptureReport
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.services.parties import add_talent
from twinstudio.services.rights import grant_biometric_release

rng = np.random.default_rng(3)
PERSON_A, PERSON_B = rng.normal(0, 0.09, 128), rng.normal(0, 0.09, 128)


def _report(embedding, view):
    return CaptureReport(True, view=view, width=768, height=1024, face_box=(0, 0, 80, 80),
                         embedding=tuple(embedding + rng.normal(0, 0.01, 128)),
                         keypoints={"nose": (1.0, 2.0, 1.0)})


class TableChecks:
    """CaptureChecks that answer from a table of reports (the photos' bytes as keys)."""

    def __init__(self) -> None:
        self.table: dict[bytes, CaptureReport] = {}

    def check(self, data: bytes) -> CaptureReport:
        return self.table[data]


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


def test_a_set_mixing_two_people_names_the_odd_photos(ctx, fake_captures):
    from twinstudio.services.enrolment import enrol_twin

    talent, _ = _talent(ctx, "A")
    photos = _set(fake_captures, PERSON_A, "a", ("front", "three_quarter", "side",
                                                 "three_quarter"))
    photos += _set(fake_captures, PERSON_B, "b", ("front",))
    result = enrol_twin(ctx, talent_id=talent.id, photos=photos, actor="t")
    assert not result.enrolled
    assert result.reasons == [{"code": "identity_mismatch", "message":
                               "these photos do not show the same person as the others: "
                               "b-0.png"}]
    with ctx.uow() as uow:
        assert uow.biometrics.templates(uow.twins.get_by_talent(talent.id).id) == []


def test_a_face_enrolled_for_one_talent_cannot_be_enrolled_for_another(ctx, fake_captures):
    from twinstudio.services.biometrics import enrolled_face_templates as enrolled_templates
    from twinstudio.services.enrolment import enrol_twin

    first, first_twin = _talent(ctx, "First")
    second, _ = _talent(ctx, "Second")
    assert enrol_twin(ctx, talent_id=first.id,
                      photos=_set(fake_captures, PERSON_A, "a"), actor="t").enrolled
    stolen = enrol_twin(ctx, talent_id=second.id, photos=_set(fake_captures, PERSON_A, "x"),
                        actor="t")
    assert [r["code"] for r in stolen.reasons] == ["likeness_enrolled_elsewhere"]
    other = enrol_twin(ctx, talent_id=second.id, photos=_set(fake_captures, PERSON_B, "b"),
                       actor="t")
    assert other.enrolled
    assert set(enrolled_templates(ctx)) == {first_twin.id, other.twin_id}
