"""evaluate() and check_grant(): examples and properties (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ISSUE_TERMS, terms
from tests.unit.factories import make_world
from twinstudio.domain.consent import ConsentState
from twinstudio.domain.licence import LicenceState
from twinstudio.domain.policy import ProposedUse, ReasonCode, check_grant, evaluate
from twinstudio.domain.twin import TwinState
from twinstudio.domain.vocabulary import (
    ALTERATIONS,
    CHANNELS,
    CONTENT_TAGS,
    IDENTITY_ALTERATIONS,
    PRODUCT_CATEGORIES,
    TERRITORIES,
)

TODAY = date(2026, 6, 1)


def use(**kw) -> ProposedUse:
    base = {"channel": "social", "territory": "FR", "date": "2026-12-01",
            "product_category": "outerwear", "alterations": ["hair_color"], "content_tags": []}
    return ProposedUse.model_validate({**base, **kw})


def decide(u: ProposedUse, **world_kw):
    today = world_kw.pop("today", TODAY)
    assets_used = world_kw.pop("assets_used", None)
    licence, consent, twin = make_world(today=today, **world_kw)
    return evaluate(u, licence=licence, consent=consent, twin=twin, today=today,
                    assets_used=assets_used)


def test_issue_example_use_is_allowed():
    decision = decide(use())
    assert decision.allowed and decision.reasons == []


def test_every_failed_condition_is_listed():
    decision = decide(use(channel="video", territory="US",
                          date="2027-02-01", product_category="dresses",
                          alterations=["body_shape"], content_tags=["alcohol"]),
                      licence_terms=terms(channels=["social"],
                                          fees={"currency": "EUR", "per_asset": 2500}))
    assert not decision.allowed
    assert set(decision.codes()) >= {
        ReasonCode.CHANNEL_NOT_LICENSED, ReasonCode.TERRITORY_NOT_LICENSED,
        ReasonCode.OUTSIDE_LICENCE_PERIOD, ReasonCode.CATEGORY_NOT_LICENSED,
        ReasonCode.ALTERATION_NOT_PERMITTED, ReasonCode.CONTENT_PROHIBITED}
    assert all(r.message for r in decision.reasons)


@pytest.mark.parametrize("alteration", sorted(IDENTITY_ALTERATIONS))
def test_identity_alteration_refused_unless_named_in_licence_and_consent(alteration):
    assert ReasonCode.ALTERATION_NOT_PERMITTED in decide(use(alterations=[alteration])).codes()
    # Named in the licence but not in the consent: still refused.
    licensed = terms(permitted_alterations=[alteration])
    assert ReasonCode.ALTERATION_NOT_PERMITTED in decide(
        use(alterations=[alteration]), licence_terms=licensed).codes()
    # Named in both: allowed.
    assert decide(use(alterations=[alteration]), licence_terms=licensed,
                  consent_overrides={"scope": {"alterations": [alteration]}}).allowed


def test_prohibited_product_category_counts_as_prohibited_content():
    t = terms(product_categories=["*"], exclusive_categories=[])
    assert ReasonCode.CONTENT_PROHIBITED in decide(use(product_category="swimwear"),
                                                   licence_terms=t).codes()


def test_quota_refuses_at_max_assets_exactly():
    t = terms(max_assets=3)
    assert decide(use(), licence_terms=t, assets_used=2).allowed
    assert decide(use(), licence_terms=t, assets_used=3).codes() == [
        ReasonCode.ASSET_QUOTA_EXHAUSTED]


def test_states_of_twin_consent_and_licence_refuse():
    licence, consent, twin = make_world()
    base = {"licence": licence, "consent": consent, "twin": twin, "today": TODAY}
    revoked = consent.model_copy(update={"state": ConsentState.REVOKED})
    assert ReasonCode.CONSENT_REVOKED in evaluate(use(), **{**base, "consent": revoked}).codes()
    expired = consent.model_copy(update={"state": ConsentState.EXPIRED})
    assert ReasonCode.CONSENT_EXPIRED in evaluate(use(), **{**base, "consent": expired}).codes()
    for state, code in ((LicenceState.REVOKED, ReasonCode.LICENCE_REVOKED),
                        (LicenceState.SUSPENDED, ReasonCode.LICENCE_SUSPENDED)):
        changed = licence.model_copy(update={"state": state})
        assert code in evaluate(use(), **{**base, "licence": changed}).codes()
    for state in (TwinState.ENROLLING, TwinState.SUSPENDED, TwinState.RETIRED,
                  TwinState.SHREDDED):
        changed_twin = twin.model_copy(update={"state": state})
        assert ReasonCode.TWIN_NOT_ACTIVE in evaluate(
            use(), **{**base, "twin": changed_twin}).codes()


def test_use_dated_in_period_is_refused_once_licence_has_ended():
    decision = decide(use(date="2026-12-01"), today=date(2027, 1, 5))
    assert ReasonCode.OUTSIDE_LICENCE_PERIOD in decision.codes()


def test_consent_ending_before_use_date_refuses():
    decision = decide(use(date="2026-12-01"), consent_overrides={"ends": "2026-11-30"})
    assert ReasonCode.CONSENT_EXPIRED in decision.codes()


def test_unknown_codes_are_refused_at_the_edge():
    for bad in ({"channel": "radio"}, {"territory": "XX"}, {"territory": "*"},
                {"product_category": "cars"}, {"alterations": ["age_down"]},
                {"content_tags": ["violence!"]}):
        with pytest.raises(ValueError):
            use(**bad)


# --------------------------------------------------------------------- properties

channels = st.sampled_from(sorted(CHANNELS))
territories = st.sampled_from(sorted(TERRITORIES))
categories = st.sampled_from(sorted(PRODUCT_CATEGORIES))
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def licence_terms(draw):
    start = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)))
    end = start + timedelta(days=draw(st.integers(0, 500)))
    cats = draw(st.one_of(st.just(["*"]), st.lists(categories, min_size=1, max_size=5,
                                                   unique=True)))
    chans = draw(st.lists(channels, min_size=1, max_size=6, unique=True))
    return terms(
        channels=chans,
        territories=draw(st.one_of(st.just(["*"]),
                                   st.lists(territories, min_size=1, max_size=6, unique=True))),
        starts=start.isoformat(), ends=end.isoformat(), product_categories=cats,
        exclusive_categories=[],
        permitted_alterations=draw(st.lists(st.sampled_from(sorted(ALTERATIONS)), unique=True)),
        prohibited_content=draw(st.lists(st.sampled_from(sorted(CONTENT_TAGS)), unique=True)),
        max_assets=draw(st.integers(1, 1000)),
        fees={"currency": "EUR", "per_asset": 2500,
              "per_publication": {}},
    )


@st.composite
def uses(draw):
    return ProposedUse(
        channel=draw(channels), territory=draw(territories), date=draw(days),
        product_category=draw(categories),
        alterations=draw(st.lists(st.sampled_from(sorted(ALTERATIONS)), unique=True,
                                  max_size=4)),
        content_tags=draw(st.lists(st.sampled_from(sorted(CONTENT_TAGS)), unique=True,
                                   max_size=3)),
    )


def _world(t):
    # A consent wide enough that only the licence decides (identity alterations included).
    return make_world(t, consent_overrides={
        "starts": "2024-01-01", "ends": "2030-12-31",
        "scope": {"alterations": sorted(IDENTITY_ALTERATIONS)}})


@settings(max_examples=300, deadline=None)
@given(licence_terms(), uses(), days, st.integers(0, 1200))
def test_allowed_only_when_every_term_holds(t, u, today, used):
    licence, consent, twin = _world(t)
    decision = evaluate(u, licence=licence, consent=consent, twin=twin, today=today,
                        assets_used=used)
    codes = set(decision.codes())
    assert decision.allowed == (not decision.reasons)

    in_period = t.starts <= u.date <= t.ends and today <= t.ends
    assert (ReasonCode.OUTSIDE_LICENCE_PERIOD in codes) == (not in_period)
    assert (ReasonCode.CHANNEL_NOT_LICENSED in codes) == (u.channel not in t.channels)
    territory_ok = t.territories == ["*"] or u.territory in t.territories
    assert (ReasonCode.TERRITORY_NOT_LICENSED in codes) == (not territory_ok)
    category_ok = t.product_categories == ["*"] or u.product_category in t.product_categories
    assert (ReasonCode.CATEGORY_NOT_LICENSED in codes) == (not category_ok)
    alterations_ok = set(u.alterations) <= set(t.permitted_alterations)
    assert (ReasonCode.ALTERATION_NOT_PERMITTED in codes) == (not alterations_ok)
    content_ok = not ((set(u.content_tags) | {u.product_category})
                      & set(t.prohibited_content))
    assert (ReasonCode.CONTENT_PROHIBITED in codes) == (not content_ok)
    assert (ReasonCode.ASSET_QUOTA_EXHAUSTED in codes) == (used >= t.max_assets)

    if decision.allowed:
        assert in_period and territory_ok and category_ok and alterations_ok and content_ok
        assert u.channel in t.channels and used < t.max_assets


@st.composite
def consent_sides(draw):
    """A consent narrower or wider than any licence: its own channels, territories,
    categories, identity alterations, prohibited content and dates."""
    start = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 6, 30)))
    return {
        "starts": start.isoformat(),
        "ends": (start + timedelta(days=draw(st.integers(0, 900)))).isoformat(),
        "scope": {
            "channels": draw(st.lists(channels, min_size=1, max_size=6, unique=True)),
            "territories": draw(st.one_of(st.just(["*"]), st.lists(
                territories, min_size=1, max_size=6, unique=True))),
            "product_categories": draw(st.one_of(st.just(["*"]), st.lists(
                categories, min_size=1, max_size=6, unique=True))),
            "alterations": draw(st.lists(st.sampled_from(sorted(IDENTITY_ALTERATIONS)),
                                         unique=True)),
            "prohibited_content": draw(st.lists(st.sampled_from(sorted(CONTENT_TAGS)),
                                                unique=True, max_size=3)),
        },
    }


def _covers(allowed: list[str], value: str) -> bool:
    return allowed == ["*"] or value in allowed


@settings(max_examples=400, deadline=None)
@given(licence_terms(), consent_sides(), uses(), days)
def test_the_consent_decides_its_side_too(t, c, u, today):
    """The oracle decides both sides: the licence's terms and the talent's consent, each
    condition on its own, and the use is allowed exactly when every one holds."""
    licence, consent, twin = make_world(t, consent_overrides=c)
    decision = evaluate(u, licence=licence, consent=consent, twin=twin, today=today,
                        assets_used=0)
    codes = set(decision.codes())
    scope = c["scope"]
    c_starts, c_ends = date.fromisoformat(c["starts"]), date.fromisoformat(c["ends"])
    # the consent's side
    in_scope = (u.channel in scope["channels"] and _covers(scope["territories"], u.territory)
                and _covers(scope["product_categories"], u.product_category))
    assert (ReasonCode.CONSENT_SCOPE_EXCEEDED in codes) == (not in_scope)
    ended = today > c_ends or u.date > c_ends
    assert (ReasonCode.CONSENT_EXPIRED in codes) == ended
    not_started = min(u.date, today) < c_starts
    assert (ReasonCode.CONSENT_NOT_STARTED in codes) == not_started
    # alterations: the licence must permit each; an identity one the consent must name
    altered = any(a not in t.permitted_alterations
                  or (a in IDENTITY_ALTERATIONS and a not in scope["alterations"])
                  for a in u.alterations)
    assert (ReasonCode.ALTERATION_NOT_PERMITTED in codes) == altered
    prohibited = set(t.prohibited_content) | set(scope["prohibited_content"])
    flagged = bool((set(u.content_tags) | {u.product_category}) & prohibited)
    assert (ReasonCode.CONTENT_PROHIBITED in codes) == flagged
    # the licence's side, unchanged by the consent
    in_period = t.starts <= u.date <= t.ends and today <= t.ends
    licence_ok = (in_period and u.channel in t.channels
                  and _covers(t.territories, u.territory)
                  and _covers(t.product_categories, u.product_category))
    assert decision.allowed == (licence_ok and in_scope and not ended and not not_started
                                and not altered and not flagged)


@settings(max_examples=200, deadline=None)
@given(licence_terms(), uses(), days, st.sampled_from(["consent", "licence", "twin"]))
def test_nothing_is_allowed_after_revocation(t, u, today, what):
    licence, consent, twin = _world(t)
    if what == "consent":
        consent = consent.model_copy(update={"state": ConsentState.REVOKED})
        expected = ReasonCode.CONSENT_REVOKED
    elif what == "licence":
        licence = licence.model_copy(update={"state": LicenceState.REVOKED})
        expected = ReasonCode.LICENCE_REVOKED
    else:
        twin = twin.model_copy(update={"state": TwinState.SHREDDED})
        expected = ReasonCode.TWIN_NOT_ACTIVE
    decision = evaluate(u, licence=licence, consent=consent, twin=twin, today=today,
                        assets_used=0)
    assert not decision.allowed
    assert expected in decision.codes()


@settings(max_examples=100, deadline=None)
@given(licence_terms(), uses(), days)
def test_evaluate_is_pure_and_deterministic(t, u, today):
    licence, consent, twin = _world(t)
    first = evaluate(u, licence=licence, consent=consent, twin=twin, today=today)
    again = evaluate(u, licence=licence, consent=consent, twin=twin, today=today)
    assert first == again


# --------------------------------------------------------------------- grant checks


def test_grant_refused_when_exclusive_categories_overlap_another_brand():
    licence, consent, twin = make_world(terms())
    other = licence.model_copy(update={"brand_id": "brd_other"})
    reasons = check_grant(terms(exclusive_categories=["outerwear"]), brand_id="brd_1", twin=twin,
                          consent=consent, other_licences=[other], today=TODAY)
    assert [r.code for r in reasons] == [ReasonCode.EXCLUSIVITY_CONFLICT]
    # Non-exclusive request for a category another brand holds exclusively: also refused.
    reasons = check_grant(terms(exclusive_categories=[], product_categories=["outerwear"]),
                          brand_id="brd_1", twin=twin, consent=consent,
                          other_licences=[other], today=TODAY)
    assert [r.code for r in reasons] == [ReasonCode.EXCLUSIVITY_CONFLICT]


def test_grant_allowed_when_exclusive_licence_is_revoked_or_periods_do_not_overlap():
    licence, consent, twin = make_world(terms())
    revoked = licence.model_copy(update={"brand_id": "brd_other",
                                         "state": LicenceState.REVOKED})
    assert check_grant(terms(), brand_id="brd_1", twin=twin, consent=consent,
                       other_licences=[revoked], today=TODAY) == []
    later = terms(starts="2027-01-01", ends="2027-06-30")
    other = licence.model_copy(update={"brand_id": "brd_other"})
    assert check_grant(later, brand_id="brd_1", twin=twin, consent=consent,
                       other_licences=[other], today=TODAY) == []
    # The same brand may hold two licences of the same category.
    assert check_grant(terms(), brand_id="brd_1", twin=twin, consent=consent,
                       other_licences=[licence], today=TODAY) == []


@pytest.mark.parametrize("uses_text", ["", "Any use", "Campaign imagery for any and all purposes",
                                       "All media, unlimited, worldwide, in perpetuity, ok"])
def test_grant_without_representation_needs_specific_intended_uses(uses_text):
    _licence, consent, twin = make_world()
    reasons = check_grant(terms(representation="none", intended_uses=uses_text),
                          brand_id="brd_1", twin=twin, consent=consent, other_licences=[],
                          today=TODAY)
    assert [r.code for r in reasons] == [ReasonCode.INTENDED_USES_TOO_VAGUE]
    # With counsel the same text is the parties' business (CA 927 exempts it).
    assert check_grant(terms(representation="counsel", intended_uses=uses_text),
                       brand_id="brd_1", twin=twin, consent=consent, other_licences=[],
                       today=TODAY) == []


def test_grant_needs_a_consent_that_covers_scope_duration_and_fee():
    _licence, consent, twin = make_world(consent_overrides={
        "ends": "2026-10-31", "scope": {"channels": ["social"], "territories": ["FR"]}})
    reasons = check_grant(terms(), brand_id="brd_1", twin=twin, consent=consent,
                          other_licences=[], today=TODAY)
    messages = " ".join(r.message for r in reasons)
    assert {r.code for r in reasons} == {ReasonCode.CONSENT_SCOPE_EXCEEDED}
    assert "channels" in messages and "territories" in messages and "duration" in messages
    cheap = terms(fees={"currency": "EUR", "per_asset": 100})
    _, consent_ok, _ = make_world()
    assert [r.code for r in check_grant(cheap, brand_id="brd_1", twin=twin, consent=consent_ok,
                                        other_licences=[], today=TODAY)] == [
        ReasonCode.FEE_BELOW_CONSENTED_RATE]
    assert [r.code for r in check_grant(terms(), brand_id="brd_1", twin=twin, consent=None,
                                        other_licences=[], today=TODAY)] == [
        ReasonCode.CONSENT_SCOPE_EXCEEDED]


def _grant(t=None, *, twin_state=TwinState.ACTIVE, **consent_overrides):  # type: ignore[no-untyped-def]
    _licence, consent, twin = make_world(twin_state=twin_state,
                                         consent_overrides=consent_overrides or None)
    return [(r.code, r.message) for r in check_grant(
        t or terms(), brand_id="brd_1", twin=twin, consent=consent, other_licences=[],
        today=TODAY)]


@pytest.mark.parametrize("state", [TwinState.SUSPENDED, TwinState.RETIRED, TwinState.SHREDDED])
def test_grant_refused_for_a_twin_that_cannot_be_licensed(state):
    assert _grant(twin_state=state) == [
        (ReasonCode.TWIN_NOT_ACTIVE, f"twin twn_1 is {state.value}; it cannot be licensed")]
    for fine in (TwinState.ENROLLING, TwinState.IN_REVIEW, TwinState.ACTIVE):
        assert _grant(twin_state=fine) == []


def test_grant_refused_for_identity_alterations_the_talent_did_not_consent_to():
    asked = terms(permitted_alterations=["hair_color", "body_shape", "age"])
    assert _grant(asked, scope={"alterations": ["age"]}) == [(
        ReasonCode.ALTERATION_NOT_PERMITTED,
        "identity alterations ['body_shape'] are permitted by the licence but not consented "
        "to by the talent")]
    assert _grant(asked, scope={"alterations": ["age", "body_shape"]}) == []
    assert _grant(terms(permitted_alterations=["hair_color"])) == []  # styling: no mention


def test_grant_refused_for_fees_in_another_currency_or_under_a_flat_rate():
    usd = terms(fees={"currency": "USD", "per_asset": 999999})
    assert [c for c, _ in _grant(usd)] == [ReasonCode.FEE_CURRENCY_MISMATCH]
    flat = {"currency": "EUR", "amount": 50000, "basis": "flat"}
    under = terms(fees={"currency": "EUR", "per_asset": 2500, "flat_fee": 49999})
    assert _grant(under, rate_of_pay=flat) == [(
        ReasonCode.FEE_BELOW_CONSENTED_RATE,
        "flat_fee 49999 is below the consented flat rate 50000")]
    at_rate = terms(fees={"currency": "EUR", "per_asset": 2500, "flat_fee": 50000})
    assert _grant(at_rate, rate_of_pay=flat) == []
    per_asset = terms(fees={"currency": "EUR", "per_asset": 1999})
    assert [c for c, _ in _grant(per_asset)] == [ReasonCode.FEE_BELOW_CONSENTED_RATE]
    assert _grant(terms(fees={"currency": "EUR", "per_asset": 2000})) == []


def test_issue_terms_json_is_accepted_exactly():
    dumped = terms().model_dump(mode="json")
    for key, value in ISSUE_TERMS.items():
        if key == "fees":
            assert {k: dumped["fees"][k] for k in value} == value
        else:
            assert dumped[key] == value


# --------------------------------------------------------------------- storage checks


@pytest.mark.parametrize(("state", "code"), [
    (LicenceState.REVOKED, ReasonCode.LICENCE_REVOKED),
    (LicenceState.SUSPENDED, ReasonCode.LICENCE_SUSPENDED),
    (LicenceState.EXPIRED, ReasonCode.OUTSIDE_LICENCE_PERIOD)])
def test_an_asset_is_not_stored_under_a_licence_that_is_not_active(state, code):
    from twinstudio.domain.policy import check_storage

    licence, _, twin = make_world(terms(starts="2026-01-01", ends="2026-12-31"))
    assert check_storage(licence=licence, twin=twin, today=TODAY, alterations=[]) == []
    ended = licence.model_copy(update={"state": state})
    reasons = check_storage(licence=ended, twin=twin, today=TODAY, alterations=[])
    assert [r.code for r in reasons] == [code]
    assert reasons[0].message == f"licence is {state.value}"


def test_storage_refuses_each_condition_and_names_it():
    from twinstudio.domain.policy import check_storage

    licence, _, twin = make_world(terms(starts="2026-01-01", ends="2026-12-31", max_assets=3,
                                        permitted_alterations=["hair_color"]))
    late = date(2027, 1, 1)
    assert [r.code for r in check_storage(licence=licence, twin=twin, today=late,
                                          alterations=[])] == [
        ReasonCode.OUTSIDE_LICENCE_PERIOD]
    early = date(2025, 12, 31)
    assert [r.code for r in check_storage(licence=licence, twin=twin, today=early,
                                          alterations=[])] == [
        ReasonCode.OUTSIDE_LICENCE_PERIOD]
    suspended = twin.model_copy(update={"state": TwinState.SUSPENDED})
    reasons = check_storage(licence=licence, twin=suspended, today=TODAY, alterations=[])
    assert [(r.code, r.message) for r in reasons] == [
        (ReasonCode.TWIN_NOT_ACTIVE, "twin is suspended")]
    reasons = check_storage(licence=licence, twin=twin, today=TODAY,
                            alterations=["hair_color", "body_shape"])
    assert [(r.code, r.message) for r in reasons] == [
        (ReasonCode.ALTERATION_NOT_PERMITTED, "alteration 'body_shape' is not permitted")]
    full = licence.model_copy(update={"assets_used": 3})
    assert [r.code for r in check_storage(licence=full, twin=twin, today=TODAY,
                                          alterations=[])] == [ReasonCode.ASSET_QUOTA_EXHAUSTED]
    # evidence of a failed QA, or an edit of an asset that already counts: no quota
    assert check_storage(licence=full, twin=twin, today=TODAY, alterations=[],
                         counts_against_quota=False) == []
    almost = licence.model_copy(update={"assets_used": 2})
    assert check_storage(licence=almost, twin=twin, today=TODAY, alterations=[]) == []
