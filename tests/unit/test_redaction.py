"""redact(): a refusal keeps its code for everyone; the details of another party's licence
or consent only for those who may see that object (its brand, its talent's side,
compliance); stored refusals keep what they concern so that they are redacted when read."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from tests.conftest import terms
from tests.unit.factories import make_world
from twinstudio.domain.accounts import Scope
from twinstudio.domain.policy import Reason, ReasonCode, check_grant
from twinstudio.domain.redaction import from_record, redact, to_record

TODAY = date(2026, 6, 1)
ASKER = Scope(brand_id="brd_1")
TALENT_SIDE = Scope(talent_ids=frozenset({"tal_1"}), twin_ids=frozenset({"twn_1"}))


def _refused():  # type: ignore[no-untyped-def]
    """brd_1 asks for outerwear that brd_other holds exclusively, for longer than the
    consent runs and below its rate."""
    licence, consent, twin = make_world(terms(exclusive_categories=["outerwear"]))
    other = licence.model_copy(update={"id": "lic_other", "brand_id": "brd_other"})
    asked = terms(exclusive_categories=[], starts="2026-06-01", ends="2030-12-31",
                  fees={"currency": "EUR", "per_asset": 10})
    return check_grant(asked, brand_id="brd_1", twin=twin, consent=consent,
                       other_licences=[other], today=TODAY)


def test_the_asking_brand_reads_codes_without_the_other_partys_details():
    reasons = _refused()
    assert {r.code for r in reasons} == {ReasonCode.EXCLUSIVITY_CONFLICT,
                                         ReasonCode.CONSENT_SCOPE_EXCEEDED,
                                         ReasonCode.FEE_BELOW_CONSENTED_RATE}
    shown = redact(reasons, ASKER)
    assert [r.code for r in shown] == [r.code for r in reasons]
    text = " ".join(r.message for r in shown)
    for secret in ("lic_other", "cns_1", "2025-01-01", "2028-12-31", "2000"):
        assert secret not in text, secret
    assert all(r.concerns is None for r in shown)


@pytest.mark.parametrize("scope", [TALENT_SIDE, Scope(everything=True)])
def test_the_talents_side_and_compliance_read_every_detail(scope):
    reasons = _refused()
    assert redact(reasons, scope) == reasons


def test_the_other_brand_reads_its_own_licence_but_not_the_talents_consent():
    shown = {r.code: r.message for r in redact(_refused(), Scope(brand_id="brd_other"))}
    assert "lic_other" in shown[ReasonCode.EXCLUSIVITY_CONFLICT]
    assert "2028-12-31" not in shown[ReasonCode.CONSENT_SCOPE_EXCEEDED]


def test_a_reason_shows_only_code_and_message_and_is_stored_with_what_it_concerns():
    reasons = _refused()
    assert all(set(r.model_dump()) == {"code", "message"} for r in reasons)
    assert [from_record(to_record(r)) for r in reasons] == reasons
    plain = Reason(code="no_licence_for_twin", message="no licence")
    assert to_record(plain) == {"code": "no_licence_for_twin", "message": "no licence"}
    assert from_record(to_record(plain)) == plain
    with pytest.raises(ValidationError, match="withheld"):
        Reason(code="x", message="y", concerns=reasons[0].concerns)
