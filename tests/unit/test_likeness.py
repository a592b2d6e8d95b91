"""The identity rule's set consistency and look-alike ambiguity; the review's decision
rules; a twin in review is refused by the policy like any twin that is not active."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tests.unit.factories import make_world
from twinstudio.domain.errors import InvalidInput, InvalidTransition
from twinstudio.domain.identity import identify, judge_set
from twinstudio.domain.likeness import (
    LikenessCandidate,
    LikenessReview,
    ReviewDecision,
    lookalike_pair,
)
from twinstudio.domain.policy import ProposedUse, ReasonCode, evaluate
from twinstudio.domain.twin import TwinState

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _at(direction, distance, base=None):
    base = np.zeros(128) if base is None else base
    unit = np.zeros(128)
    unit[direction] = 1.0
    return base + distance * unit


def test_three_quarter_views_far_apart_but_close_to_the_front_are_kept():
    front = np.zeros(128)
    left, right = _at(0, 0.45), _at(0, -0.45)  # 0.9 from each other, 0.45 from the front
    judged = judge_set([front, left, right], [True, False, False])
    assert judged.odd == [] and judged.distances == pytest.approx([0.0, 0.45, 0.45])
    assert judged.template == pytest.approx(front.tolist())


def test_a_photo_of_someone_else_is_named_and_so_is_a_front_of_someone_else():
    front, other = np.zeros(128), _at(3, 0.9)
    judged = judge_set([front, _at(0, 0.3), other], [True, False, False])
    assert judged.odd == [2] and judged.distances[2] == pytest.approx(0.9)
    # two fronts that disagree: the one the majority agrees with is the set's person
    assert judge_set([front, _at(0, 0.2), _at(1, 0.2), other],
                     [True, False, False, True]).odd == [3]
    # the only front is not the person of the other photos: no template
    away = _at(5, 0.9)
    judged = judge_set([front, _at(0, 0.1, away), _at(1, 0.1, away)], [True, False, False])
    assert judged.template is None and judged.odd == [0]
    with pytest.raises(ValueError):
        judge_set([front], [False])


def test_identify_names_the_closest_unless_the_closest_two_are_lookalikes():
    templates = {"twn_a": np.zeros(128), "twn_b": _at(0, 0.3), "twn_c": _at(1, 2.0)}
    face = _at(0, 0.1)
    found = identify(face, templates)
    assert [m.twin_id for m in found.candidates] == ["twn_a", "twn_b"]
    assert found.twin_id == "twn_a" and not found.ambiguous
    assert found.margin == pytest.approx(0.2 - 0.1)
    alike = identify(face, templates, lookalikes=[("twn_b", "twn_a")])
    assert alike.ambiguous and alike.twin_id is None and alike.lookalikes == ["twn_b"]
    # look-alikes that are not the closest two do not make the answer ambiguous
    other = identify(face, templates, lookalikes=[("twn_b", "twn_c")])
    assert not other.ambiguous and other.twin_id == "twn_a"
    assert identify(_at(2, 5.0), templates).candidates == []
    assert identify(face, {"twn_a": np.zeros(128)}).margin is None


def _review():
    return LikenessReview(twin_id="twn_2", talent_id="tal_2", photos=["front.png"],
                          threshold=0.6, candidates=[LikenessCandidate(
                              twin_id="twn_1", talent_id="tal_1", distance=0.41)])


def test_a_review_is_decided_once_with_a_written_reason():
    review = _review()
    with pytest.raises(InvalidInput, match="written reason"):
        review.decide(ReviewDecision.DISTINCT, by="usr_c", reason="  ok   ", now=NOW)
    decided = review.decide(ReviewDecision.DISTINCT, by="usr_c",
                            reason="passports   checked in person", now=NOW)
    assert decided.state.value == "distinct" and decided.decided_at == NOW
    assert decided.reason == "passports checked in person"
    with pytest.raises(InvalidTransition):
        decided.decide(ReviewDecision.SAME_PERSON, by="usr_c", reason="another reason here",
                       now=NOW)
    assert lookalike_pair("twn_b", "twn_a") == ("twn_a", "twn_b")
    with pytest.raises(InvalidInput):
        lookalike_pair("twn_a", "twn_a")


def test_the_policy_refuses_a_twin_in_review():
    licence, consent, twin = make_world(twin_state=TwinState.IN_REVIEW)
    use = ProposedUse(channel="social", territory="SE", product_category="tops",
                      date=licence.terms.starts)
    decision = evaluate(use, licence=licence, consent=consent, twin=twin,
                        today=licence.terms.starts)
    assert ReasonCode.TWIN_NOT_ACTIVE in [r.code for r in decision.reasons]
    assert not decision.allowed


def test_same_person_names_one_candidate_the_closest_by_default():
    review = _review().model_copy(update={"candidates": [
        LikenessCandidate(twin_id="twn_far", talent_id="tal_3", distance=0.55),
        LikenessCandidate(twin_id="twn_1", talent_id="tal_1", distance=0.21)]})
    decided = review.decide(ReviewDecision.SAME_PERSON, by="usr_c", now=NOW,
                            reason="the same passport number on both records")
    assert decided.same_as == "twn_1"
    chosen = review.decide(ReviewDecision.SAME_PERSON, by="usr_c", now=NOW, same_as="twn_far",
                           reason="agency confirmed she is signed with them")
    assert chosen.same_as == "twn_far"
    with pytest.raises(InvalidInput, match="one of the review's candidates"):
        review.decide(ReviewDecision.SAME_PERSON, by="usr_c", now=NOW, same_as="twn_x",
                      reason="somebody else entirely here")
    with pytest.raises(InvalidInput, match="names none"):
        review.decide(ReviewDecision.DISTINCT, by="usr_c", now=NOW, same_as="twn_1",
                      reason="passports checked in person")
