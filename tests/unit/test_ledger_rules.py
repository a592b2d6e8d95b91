"""Pure payment rules: splits, rounding, keys, reversals, guarantee, checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.conftest import terms
from tests.unit.factories import make_world
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.ledger import (
    BillableEvent,
    EventType,
    check_transactions,
    guarantee_top_up,
    parse_period,
    reversal_of,
    share,
    split,
    transaction_for,
)
from twinstudio.domain.licence import Fees

AT = datetime(2026, 6, 10, 9, tzinfo=UTC)


def fees(**kw) -> Fees:
    return Fees.model_validate({"currency": "EUR", "per_asset": 2500, **kw})


def test_commission_is_rounded_down_and_the_fraction_stays_with_the_talent():
    entries = split(999, fees(agency_commission_percent="12.5", platform_fee_percent="3"),
                    talent_id="tal_1", brand_id="brd_1", agency_id="agy_1")
    amounts = {e.account: e.amount for e in entries}
    assert amounts == {"brand_payable:brd_1": 999, "agency_commission:agy_1": -124,
                       "platform:fees": -29, "talent_receivable:tal_1": -846}
    assert sum(amounts.values()) == 0


def test_no_agency_means_no_commission():
    entries = split(1000, fees(agency_commission_percent="20"), talent_id="tal_1",
                    brand_id="brd_1", agency_id=None)
    assert {e.account: e.amount for e in entries} == {"brand_payable:brd_1": 1000,
                                                      "talent_receivable:tal_1": -1000}


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**12), st.decimals(0, 60, places=2), st.decimals(0, 40, places=2))
def test_every_split_balances_and_never_pays_more_than_gross(gross, commission, platform):
    entries = split(gross, fees(agency_commission_percent=commission,
                                platform_fee_percent=platform),
                    talent_id="tal_1", brand_id="brd_1", agency_id="agy_1")
    assert sum(e.amount for e in entries) == 0
    credits = [-e.amount for e in entries if e.amount < 0]
    assert all(c >= 0 for c in credits) and sum(credits) == gross
    assert share(gross, commission) <= gross * commission / 100


def test_event_keys_identify_facts():
    approved = BillableEvent(type=EventType.ASSET_APPROVED, licence_id="lic_1", asset_id="a1",
                             occurred_at=AT)
    again_later = approved.model_copy(update={"occurred_at": datetime(2026, 7, 1, tzinfo=UTC)})
    assert approved.key == again_later.key == "asset_approved:lic_1:a1"
    social = BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id="lic_1", asset_id="a1",
                           channel="social", territory="FR", occurred_at=AT)
    ooh = social.model_copy(update={"channel": "ooh"})
    assert social.key != ooh.key
    with pytest.raises(ValidationError, match="asset_id"):
        BillableEvent(type=EventType.ASSET_APPROVED, licence_id="lic_1", occurred_at=AT)
    with pytest.raises(ValidationError, match="channel"):
        BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id="lic_1", asset_id="a",
                      channel="radio", territory="FR", occurred_at=AT)


def test_a_publication_is_one_channel_in_one_territory():
    in_france = BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id="lic_1",
                              asset_id="a1", channel="social", territory="FR", occurred_at=AT)
    in_sweden = BillableEvent.model_validate({**in_france.model_dump(), "territory": "SE"})
    assert in_france.key == "asset_published:lic_1:a1:social:FR"
    assert in_france.key != in_sweden.key
    with pytest.raises(ValidationError, match="territory it was published in"):
        BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id="lic_1", asset_id="a1",
                      channel="social", occurred_at=AT)
    with pytest.raises(ValidationError, match="only asset_published"):
        BillableEvent(type=EventType.ASSET_APPROVED, licence_id="lic_1", asset_id="a1",
                      territory="FR", occurred_at=AT)


def test_transaction_prices_events_by_the_licence_fees_and_sets_due_date():
    licence, _, _ = make_world(terms(fees={"currency": "EUR", "per_asset": 2500,
                                           "per_publication": {"social": 5000},
                                           "flat_fee": 100000, "payment_terms_days": 45}))
    published = BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id=licence.id,
                              asset_id="a1", channel="social", territory="SE", occurred_at=AT)
    txn = transaction_for(published, licence, agency_id=None)
    assert txn is not None and txn.gross == 5000 and txn.due_on == date(2026, 7, 25)
    email = published.model_copy(update={"channel": "email"})
    assert transaction_for(email, licence, agency_id=None) is None  # no fee: nothing due
    signed = BillableEvent(type=EventType.LICENCE_SIGNED, licence_id=licence.id,
                           occurred_at=AT)
    assert transaction_for(signed, licence, agency_id=None).gross == 100000


def test_payment_terms_cannot_exceed_45_days():
    with pytest.raises(ValidationError, match="45"):
        fees(payment_terms_days=60)
    with pytest.raises(ValidationError, match="100"):
        fees(agency_commission_percent="80", platform_fee_percent="30")
    with pytest.raises(ValidationError):
        fees(agency_commission_percent="12.345")


def test_reversal_negates_and_check_finds_problems():
    licence, _, _ = make_world()
    event = BillableEvent(type=EventType.ASSET_APPROVED, licence_id=licence.id,
                          asset_id="a1", occurred_at=AT)
    txn = transaction_for(event, licence, agency_id=None)
    rev = reversal_of(txn, at=AT, reason="approved by mistake")
    assert [e.amount for e in rev.entries] == [-e.amount for e in txn.entries]
    assert check_transactions([txn, rev]) == []
    problems = check_transactions([txn, txn, rev, rev])
    assert any("posted twice" in p.problem for p in problems)
    assert any("reversed twice" in p.problem for p in problems)
    assert any("unknown" in p.problem for p in check_transactions([rev]))


def test_guarantee_and_periods():
    assert guarantee_top_up(fees(minimum_guarantee=100000), 30000) == 70000
    assert guarantee_top_up(fees(minimum_guarantee=100000), 130000) == 0
    assert parse_period("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2024-12") == (date(2024, 12, 1), date(2024, 12, 31))
    for bad in ("2026-13", "26-01", "2026/01", ""):
        with pytest.raises(InvalidInput, match="is not a month such as 2026-11"):
            parse_period(bad)
    assert Decimal("12.5") == fees(agency_commission_percent="12.5").agency_commission_percent
