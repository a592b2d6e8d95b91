"""The text rules of names and free text (``domain.text``), the domain types that use them,
excerpts in validation messages, and files read with a bound (issue 19, findings 5, 10)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tests.conftest import ISSUE_TERMS, consent_doc
from tests.support.text import BAD_IN_NAMES, GOOD_NAMES
from twinstudio.api.limits import body_kind
from twinstudio.domain.accounts import ApiKey, Role, User
from twinstudio.domain.common import STORED
from twinstudio.domain.consent import ConsentDocument
from twinstudio.domain.errors import InvalidInput, TooLarge, problems_of
from twinstudio.domain.garment import Garment
from twinstudio.domain.generation import CampaignBrief
from twinstudio.domain.licence import LicenceTerms
from twinstudio.domain.likeness import LikenessCandidate, LikenessReview, ReviewDecision
from twinstudio.domain.parties import Organisation, OrganisationKind, Talent
from twinstudio.domain.text import FreeText, Name, check_text, text_problem
from twinstudio.fileio import read_bounded


class _Named(BaseModel):
    name: Name
    note: FreeText = ""


@pytest.mark.parametrize("kind", list(BAD_IN_NAMES))
def test_a_name_refuses_control_bidi_and_invisible_characters(kind: str) -> None:
    problem = text_problem(BAD_IN_NAMES[kind])
    assert problem is not None and "(U+" in problem and "position" in problem
    with pytest.raises(ValidationError) as caught:
        _Named(name=BAD_IN_NAMES[kind])
    assert [e["type"] for e in caught.value.errors()] == ["invalid_text"]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_a_name_keeps_accents_right_to_left_scripts_and_joiners(name: str) -> None:
    assert text_problem(name) is None
    assert _Named(name=name).name == name


def test_free_text_keeps_tab_lf_and_cr_lf_but_not_a_lone_cr_or_an_override() -> None:
    assert text_problem("one\r\n\ttwo\nthree", multiline=True) is None
    assert _Named(name="x", note="one\r\ntwo").note == "one\r\ntwo"
    for bad in ("one\rtwo", "one\u202etwo", "\x1b[31mred", "nul\x00", "a\u2029b"):
        assert text_problem(bad, multiline=True), bad
    assert "U+202E" in text_problem("ab\u202e", multiline=True)
    assert "bidirectional override" in text_problem("ab\u2066")


def test_check_text_raises_invalid_input_with_the_code_and_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_text("stop\u202e", "reason", multiline=True)
    assert caught.value.code == "invalid_text"
    assert caught.value.message.startswith("reason: contains a bidirectional override (U+202E)")
    assert [(p.field, p.code) for p in caught.value.problems] == [("reason", "invalid_text")]
    assert check_text("fine\nreason", "reason", multiline=True) == "fine\nreason"


def _terms(**overrides: Any) -> dict[str, Any]:
    return {**ISSUE_TERMS, **overrides}


def test_the_domain_types_where_names_and_text_live_refuse_them() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    bad = "Nordvik\u202e"
    makers = {
        "talent": lambda: Talent(name=bad),
        "organisation": lambda: Organisation.new(OrganisationKind.BRAND, bad),
        "user": lambda: User(email="a@example.com", name=bad, role=Role.ADMIN,
                             password_hash="x"),
        "user email": lambda: User(email="a\x1b@example.com", name="A", role=Role.ADMIN,
                                   password_hash="x"),
        "api key": lambda: ApiKey(user_id="usr_1", name=bad, prefix="p", secret_hash="h"),
        "garment": lambda: Garment(name=bad, category="coat", fabric={"base_color": "#112233"}),
        "brief": lambda: CampaignBrief(name=bad, looks=[["gar_1"]], poses=["relaxed"],
                                       formats=["feed"], scenes=["cyclorama_white"],
                                       markets=[{"channel": "social", "territory": "SE"}]),
        "consent purpose": lambda: consent_doc(now.date(), purpose="Campaign imagery \u202e"),
        "licence uses": lambda: LicenceTerms.model_validate(_terms(
            intended_uses="E-commerce pages and social posts \x1b[8m for the AW26 line")),
    }
    for what, make in makers.items():
        with pytest.raises(ValidationError) as caught:
            make()
        assert "invalid_text" in {e["type"] for e in caught.value.errors()} or \
            what == "user email", (what, caught.value.errors())
    review = LikenessReview(twin_id="twn_1", talent_id="tal_1", photos=[], threshold=0.6,
                            candidates=[LikenessCandidate(twin_id="twn_2", talent_id="tal_2",
                                                          distance=0.4)])
    with pytest.raises(InvalidInput) as refused:
        review.decide(ReviewDecision.DISTINCT, by="x", now=now,
                      reason="passports of both checked \u202e in person")
    assert refused.value.code == "invalid_text"


def test_a_record_read_back_from_the_store_keeps_its_text() -> None:
    stored = Talent.model_validate({"name": "Old\u202eName"}, context=STORED)
    assert stored.name == "Old\u202eName"
    document = consent_doc(datetime(2026, 6, 1, tzinfo=UTC).date()).model_dump(mode="json")
    document["purpose"] = "Digital replica\u202e for fashion campaign imagery"
    assert ConsentDocument.model_validate(document, context=STORED).purpose.startswith(
        "Digital replica\u202e")
    with pytest.raises(ValidationError):
        ConsentDocument.model_validate(document)


def test_lists_of_codes_are_bounded_by_their_vocabulary() -> None:
    with pytest.raises(ValidationError) as caught:
        LicenceTerms.model_validate(_terms(territories=["SE"] * 300))
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("territories",), "too_long")]


def test_a_validation_message_quotes_only_an_excerpt_of_the_input() -> None:
    huge = "x" * 100_000
    problems = problems_of([
        {"loc": ("use", "date"), "type": "date_parsing", "msg": "bad", "input": huge},
        {"loc": ("use", huge), "type": "extra_forbidden", "msg": "Extra inputs", "input": 1},
        {"loc": ("channels",), "type": "value_error", "msg": f"unknown code {huge!r}"}])
    assert all(len(str(problem)) < 600 for problem in problems), [len(str(p)) for p in problems]
    assert problems[0].message.startswith("expected a date such as 2026-12-01")


def test_read_bounded_reads_at_most_one_byte_more_than_the_limit(tmp_path: Path) -> None:
    small = tmp_path / "small.json"
    small.write_bytes(b"{}" + b" " * 1022)
    assert read_bounded(small, 1024) == small.read_bytes()
    small.write_bytes(b" " * 1025)
    with pytest.raises(TooLarge, match="larger than the limit of 1 KB for a file"):
        read_bounded(small, 1024)
    with pytest.raises(TooLarge, match="/dev/zero: larger than the limit of 1 MB for a brief"):
        read_bounded(Path("/dev/zero"), 1024 * 1024, what="a brief")
    with pytest.raises(InvalidInput, match="is a folder"):
        read_bounded(tmp_path, 10)
    with pytest.raises(InvalidInput, match="no such file"):
        read_bounded(tmp_path / "missing", 10)


@pytest.mark.parametrize("content_type,kind", [
    ("application/json", "json"), ("", "json"), ("text/plain", "json"),
    ("multipart/form-data; boundary=x", "upload"), ("Multipart/Form-Data", "upload"),
    ("application/x-www-form-urlencoded; charset=utf-8", "form")])
def test_the_body_limit_is_chosen_by_the_content_type(content_type: str, kind: str) -> None:
    assert body_kind(content_type) == kind
