"""Validation at the edge: terms, consent and release documents, money."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from tests.conftest import ISSUE_TERMS, consent_doc, terms
from twinstudio.domain.consent import BiometricReleaseDocument, ConsentDocument
from twinstudio.domain.licence import LicenceTerms
from twinstudio.domain.money import Money


@pytest.mark.parametrize("change, fragment", [
    ({"channels": ["radio"]}, "unknown code"),
    ({"channels": []}, "at least 1"),
    ({"territories": ["XX"]}, "unknown code"),
    ({"territories": ["*", "FR"]}, "must stand alone"),
    ({"product_categories": ["cars"]}, "unknown code"),
    ({"permitted_alterations": ["teeth"]}, "unknown code"),
    ({"prohibited_content": ["rude"]}, "unknown code"),
    ({"exclusive_categories": ["dresses"]}, "not among product_categories"),
    ({"ends": "2025-12-31"}, "before it starts"),
    ({"max_assets": 0}, "greater than or equal to 1"),
    ({"max_assets": 2.5}, "integer"),
    ({"representation": "agent"}, "counsel, union, none"),
    ({"fees": {"currency": "EURO", "per_asset": 1}}, "ISO 4217"),
    ({"fees": {"currency": "EUR", "per_asset": 25.0}}, "integer"),
    ({"fees": {"currency": "EUR", "per_publication": {"radio": 1}}}, "unknown code"),
    ({"fees": {"currency": "EUR", "per_publication": {"social": -1}}}, "non-negative"),
    ({"unexpected": 1}, "Extra inputs"),
    ({"starts": "2026-13-01"}, "date"),
])
def test_bad_terms_are_refused_with_a_clear_message(change, fragment):
    with pytest.raises(ValidationError, match=fragment):
        LicenceTerms.model_validate({**ISSUE_TERMS, **change})


def test_wildcards_for_territories_and_categories():
    t = terms(territories=["*"], product_categories=["*"], exclusive_categories=["outerwear"])
    assert t.territories == ["*"] and t.exclusive_categories == ["outerwear"]


def test_consent_signed_under_power_of_attorney_is_refused():
    with pytest.raises(ValidationError, match="themself"):
        consent_doc(date(2026, 6, 1), signer="agency_poa")


def test_consent_must_be_a_separate_document():
    with pytest.raises(ValidationError, match="separate"):
        consent_doc(date(2026, 6, 1), separate_document=False)


def test_consent_needs_a_language_and_rate_of_pay():
    data = consent_doc(date(2026, 6, 1)).model_dump(mode="json")
    for missing in ("language", "rate_of_pay", "purpose", "scope", "starts", "ends"):
        broken = {k: v for k, v in data.items() if k != missing}
        with pytest.raises(ValidationError, match=missing):
            ConsentDocument.model_validate(broken)
    with pytest.raises(ValidationError, match="BCP 47"):
        ConsentDocument.model_validate({**data, "language": "French"})


def test_biometric_release_needs_written_and_explicit_consent_and_bounded_retention():
    base = {"purpose": "Face template for identity checks of generated images",
            "retention_days": 365, "written_release": True, "explicit_consent": True,
            "language": "en"}
    assert BiometricReleaseDocument.model_validate(base).retention_days == 365
    for change, fragment in (({"written_release": False}, "BIPA"),
                             ({"explicit_consent": False}, "Art. 9"),
                             ({"retention_days": 3 * 365 + 1}, "less than or equal")):
        with pytest.raises(ValidationError, match=fragment):
            BiometricReleaseDocument.model_validate({**base, **change})


def test_document_hash_changes_with_any_field():
    doc = consent_doc(date(2026, 6, 1))
    h = doc.document_hash(talent_id="tal_1", consent_id="cns_1")
    assert h == doc.document_hash(talent_id="tal_1", consent_id="cns_1")
    other = doc.model_copy(update={"purpose": doc.purpose + "!"})
    assert other.document_hash(talent_id="tal_1", consent_id="cns_1") != h
    assert doc.document_hash(talent_id="tal_2", consent_id="cns_1") != h


@pytest.mark.parametrize("amount, currency, text", [
    (250000, "EUR", "2500.00 EUR"), (5, "JPY", "5 JPY"), (1234, "KWD", "1.234 KWD"),
    (-150, "SEK", "-1.50 SEK"),
])
def test_money_formats_minor_units(amount, currency, text):
    assert Money(amount=amount, currency=currency).format() == text


def test_money_refuses_floats_and_unknown_currencies():
    with pytest.raises(ValidationError):
        Money(amount=1.5, currency="EUR")
    with pytest.raises(ValidationError):
        Money(amount=1, currency="ABC")


def test_every_failed_field_is_a_problem_and_dates_say_their_form():
    from twinstudio.domain.errors import InvalidInput

    with pytest.raises(ValidationError) as failed:
        LicenceTerms.model_validate({**ISSUE_TERMS, "starts": "01/12/2026",
                                     "territories": ["se"], "channels": ["socail"]})
    error = InvalidInput.of(failed.value, "terms.json")
    assert [str(p) for p in error.problems] == [
        "channels: unknown code(s) 'socail'; known: ecommerce, email, ooh, print, social, "
        "video",
        "territories: unknown code(s) 'se' (codes are upper case: 'SE')",
        "starts: expected a date such as 2026-12-01 (YYYY-MM-DD), got '01/12/2026'"]
    assert error.lines() == [f"terms.json: {p}" for p in error.problems]
    assert error.message == f"terms.json: {error.problems[0]} (and 2 more)"
