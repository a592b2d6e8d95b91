"""The rights policy: pure functions that decide and explain.

``evaluate()`` decides whether one proposed use of a twin is inside its licence and
consent, and lists *every* failed condition (never only the first) so that a person can
fix them all at once. ``check_grant()`` decides whether a licence may be granted at all.
Both are pure: they see only their arguments, so the CLI, API, job workers and property
tests get the same answer for the same facts.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twinstudio.domain.consent import ConsentState, DigitalReplicaConsent
from twinstudio.domain.licence import (
    Licence,
    LicenceState,
    LicenceTerms,
    intended_uses_problem,
)
from twinstudio.domain.twin import Twin, TwinState
from twinstudio.domain.vocabulary import (
    ALTERATION_CODES,
    ALTERATIONS,
    CHANNELS,
    CONTENT_TAG_CODES,
    CONTENT_TAGS,
    IDENTITY_ALTERATIONS,
    PRODUCT_CATEGORIES,
    TERRITORIES,
    WILDCARD,
    check_codes,
    covers,
    covers_all,
)


class ReasonCode:
    """Machine-readable refusal codes (stable API: clients switch on them)."""

    TERRITORY_NOT_LICENSED = "territory_not_licensed"
    CHANNEL_NOT_LICENSED = "channel_not_licensed"
    OUTSIDE_LICENCE_PERIOD = "outside_licence_period"
    CATEGORY_NOT_LICENSED = "category_not_licensed"
    ALTERATION_NOT_PERMITTED = "alteration_not_permitted"
    CONTENT_PROHIBITED = "content_prohibited"
    CONSENT_REVOKED = "consent_revoked"
    CONSENT_EXPIRED = "consent_expired"
    CONSENT_NOT_STARTED = "consent_not_started"
    CONSENT_SCOPE_EXCEEDED = "consent_scope_exceeded"
    CONSENT_MISMATCH = "consent_mismatch"
    LICENCE_REVOKED = "licence_revoked"
    LICENCE_SUSPENDED = "licence_suspended"
    LICENCE_EXPIRED = "licence_expired"
    ASSET_QUOTA_EXHAUSTED = "asset_quota_exhausted"
    TWIN_NOT_ACTIVE = "twin_not_active"
    EXCLUSIVITY_CONFLICT = "exclusivity_conflict"
    INTENDED_USES_TOO_VAGUE = "intended_uses_too_vague"
    FEE_BELOW_CONSENTED_RATE = "fee_below_consented_rate"
    FEE_CURRENCY_MISMATCH = "fee_currency_mismatch"
    LICENCE_INTEGRITY_FAILED = "licence_integrity_failed"
    CONSENT_INTEGRITY_FAILED = "consent_integrity_failed"
    MODEL_NOT_COMMERCIAL = "model_not_commercial"
    MODEL_UNAVAILABLE = "model_unavailable"


class Concerns(BaseModel):
    """The object of another party whose details a reason's message shows: a licence
    (seen by its brand and its talent's side) or a consent (the talent's side only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["licence", "consent"]
    twin_id: str
    brand_id: str | None = None  # a licence's brand


class Reason(BaseModel):
    """One failed condition: a stable ``code`` and a message that explains it in full.

    A message that shows details of an object the asking party may not see (another
    brand's licence, the talent's consent) says what it ``concerns`` and carries the
    ``withheld`` message for such a party: ``domain.redaction.redact`` chooses per
    caller. Neither is part of what a reason shows (``model_dump`` leaves them out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    message: str
    concerns: Concerns | None = Field(default=None, exclude=True)
    withheld: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _withheld_with_concerns(self) -> Reason:
        if (self.concerns is None) != (self.withheld is None):
            raise ValueError("a reason that concerns another party's object needs the "
                             "message it shows that party instead (withheld), and only then")
        return self

    def prefixed(self, prefix: str) -> Reason:
        """The same reason, both messages starting with ``prefix``."""
        return self.model_copy(update={
            "message": f"{prefix}{self.message}",
            "withheld": None if self.withheld is None else f"{prefix}{self.withheld}"})


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowed: bool
    reasons: list[Reason] = Field(default_factory=list)

    @classmethod
    def of(cls, reasons: list[Reason]) -> Decision:
        return cls(allowed=not reasons, reasons=reasons)

    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


class ProposedUse(BaseModel):
    """One use a brand wants to make of a twin (one asset on one channel, one market)."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(max_length=40)
    territory: str = Field(max_length=40)
    date: date
    product_category: str = Field(max_length=40)
    alterations: Annotated[list[str], ALTERATION_CODES] = Field(default_factory=list,
                                                                max_length=len(ALTERATIONS))
    content_tags: Annotated[list[str], CONTENT_TAG_CODES] = Field(default_factory=list,
                                                                  max_length=len(CONTENT_TAGS))

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        check_codes("channel", [v], CHANNELS)
        return v

    @field_validator("territory")
    @classmethod
    def _territory(cls, v: str) -> str:
        check_codes("territory", [v], TERRITORIES)
        return v

    @field_validator("product_category")
    @classmethod
    def _category(cls, v: str) -> str:
        check_codes("product_category", [v], PRODUCT_CATEGORIES)
        return v


def _r(code: str, message: str) -> Reason:
    return Reason(code=code, message=message)


def _of_consent(consent: DigitalReplicaConsent, code: str, message: str,
                withheld: str) -> Reason:
    """A reason that shows details of the talent's consent (its id, dates, scope, rate):
    a party who does not act for the talent reads ``withheld`` instead."""
    return Reason(code=code, message=message, withheld=withheld,
                  concerns=Concerns(kind="consent", twin_id=consent.twin_id))


def _consent_reasons(consent: DigitalReplicaConsent, use_date: date, today: date) -> list[Reason]:
    doc = consent.document
    out: list[Reason] = []
    if consent.state is ConsentState.REVOKED:
        out.append(_of_consent(consent, ReasonCode.CONSENT_REVOKED,
                               f"the talent revoked consent {consent.id}"
                               + (f" on {consent.revoked_at.date()}" if consent.revoked_at
                                  else ""), "the talent revoked their consent"))
    elif consent.state is ConsentState.EXPIRED or today > doc.ends:
        out.append(_of_consent(consent, ReasonCode.CONSENT_EXPIRED,
                               f"consent {consent.id} expired on {doc.ends}",
                               "the talent's consent has expired"))
    elif use_date > doc.ends:
        out.append(_of_consent(consent, ReasonCode.CONSENT_EXPIRED,
                               f"the use date {use_date} is after consent {consent.id} ends "
                               f"({doc.ends})",
                               f"the use date {use_date} is after the talent's consent ends"))
    if consent.state is not ConsentState.REVOKED and min(use_date, today) < doc.starts:
        out.append(_of_consent(consent, ReasonCode.CONSENT_NOT_STARTED,
                               f"consent {consent.id} starts on {doc.starts}",
                               "the talent's consent has not started yet"))
    return out


def evaluate(
    use: ProposedUse,
    *,
    licence: Licence,
    consent: DigitalReplicaConsent,
    twin: Twin,
    today: date,
    assets_used: int | None = None,
) -> Decision:
    """Decide whether ``use`` is allowed today, listing every failed condition.

    ``assets_used`` overrides the licence's own count (a caller holding a fresher count
    under a lock passes it); the quota refuses once ``assets_used >= max_assets``.
    """
    terms = licence.terms
    scope = consent.document.scope
    reasons: list[Reason] = []

    if twin.state is not TwinState.ACTIVE:
        reasons.append(_r(ReasonCode.TWIN_NOT_ACTIVE,
                          f"twin {twin.id} is {twin.state.value}, not active"))
    if consent.id != licence.consent_id or consent.twin_id != licence.twin_id \
            or twin.id != licence.twin_id:
        reasons.append(_r(ReasonCode.CONSENT_MISMATCH,
                          "the consent or twin given is not the one this licence rests on"))
    reasons += _consent_reasons(consent, use.date, today)

    if licence.state is LicenceState.REVOKED:
        reasons.append(_r(ReasonCode.LICENCE_REVOKED,
                          f"licence {licence.id} was revoked"
                          + (f": {licence.state_reason}" if licence.state_reason else "")))
    elif licence.state is LicenceState.SUSPENDED:
        reasons.append(_r(ReasonCode.LICENCE_SUSPENDED,
                          f"licence {licence.id} is suspended"
                          + (f": {licence.state_reason}" if licence.state_reason else "")))

    if not terms.starts <= use.date <= terms.ends:
        reasons.append(_r(ReasonCode.OUTSIDE_LICENCE_PERIOD,
                          f"the use date {use.date} is outside the licence period "
                          f"{terms.starts} to {terms.ends}"))
    elif today > terms.ends or licence.state is LicenceState.EXPIRED:
        reasons.append(_r(ReasonCode.OUTSIDE_LICENCE_PERIOD,
                          f"licence {licence.id} ended on {terms.ends}"))

    if use.channel not in terms.channels:
        reasons.append(_r(ReasonCode.CHANNEL_NOT_LICENSED,
                          f"channel {use.channel!r} is not licensed "
                          f"(licensed: {', '.join(terms.channels)})"))
    if not covers(terms.territories, use.territory):
        reasons.append(_r(ReasonCode.TERRITORY_NOT_LICENSED,
                          f"territory {use.territory} is not licensed "
                          f"(licensed: {', '.join(terms.territories)})"))
    if not covers(terms.product_categories, use.product_category):
        reasons.append(_r(ReasonCode.CATEGORY_NOT_LICENSED,
                          f"product category {use.product_category!r} is not licensed "
                          f"(licensed: {', '.join(terms.product_categories)})"))

    for alteration in use.alterations:
        identity = alteration in IDENTITY_ALTERATIONS
        if alteration not in terms.permitted_alterations:
            kind = "identity alteration" if identity else "alteration"
            extra = " (identity alterations must be named explicitly)" if identity else ""
            reasons.append(_r(ReasonCode.ALTERATION_NOT_PERMITTED,
                              f"{kind} {alteration!r} is not permitted by the licence{extra}"))
        elif identity and alteration not in scope.alterations:
            reasons.append(_r(ReasonCode.ALTERATION_NOT_PERMITTED,
                              f"identity alteration {alteration!r} is not in the talent's "
                              "consent"))

    prohibited = set(terms.prohibited_content) | set(scope.prohibited_content)
    flagged = sorted((set(use.content_tags) | {use.product_category}) & prohibited)
    for tag in flagged:
        reasons.append(_r(ReasonCode.CONTENT_PROHIBITED,
                          f"content {tag!r} is prohibited by the "
                          + ("licence" if tag in terms.prohibited_content else "consent")))

    outside_consent = [
        name for name, ok in (
            ("channel", use.channel in scope.channels),
            ("territory", covers(scope.territories, use.territory)),
            ("product category", covers(scope.product_categories, use.product_category)),
        ) if not ok
    ]
    if outside_consent:
        reasons.append(_r(ReasonCode.CONSENT_SCOPE_EXCEEDED,
                          f"the {', '.join(outside_consent)} of this use is outside the scope "
                          f"the talent consented to"))

    used = licence.assets_used if assets_used is None else assets_used
    if used >= terms.max_assets:
        reasons.append(_r(ReasonCode.ASSET_QUOTA_EXHAUSTED,
                          f"licence {licence.id} has used {used} of {terms.max_assets} assets"))
    return Decision.of(reasons)


def _periods_overlap(a: LicenceTerms, b: LicenceTerms) -> bool:
    return a.starts <= b.ends and b.starts <= a.ends


def _fee_reasons(terms: LicenceTerms, consent: DigitalReplicaConsent) -> list[Reason]:
    fees, rate = terms.fees, consent.document.rate_of_pay
    if fees.currency != rate.currency:
        return [_of_consent(consent, ReasonCode.FEE_CURRENCY_MISMATCH,
                            f"licence fees are in {fees.currency} but the consent's rate of "
                            f"pay is in {rate.currency}",
                            f"the consent's rate of pay is not in {fees.currency}")]
    if rate.basis == "per_asset" and fees.per_asset < rate.amount:
        return [_of_consent(consent, ReasonCode.FEE_BELOW_CONSENTED_RATE,
                            f"per_asset fee {fees.per_asset} is below the consented rate "
                            f"{rate.amount} {rate.currency} minor units",
                            f"per_asset fee {fees.per_asset} is below the rate of pay the "
                            "talent consented to")]
    if rate.basis == "flat" and fees.flat_fee < rate.amount:
        return [_of_consent(consent, ReasonCode.FEE_BELOW_CONSENTED_RATE,
                            f"flat_fee {fees.flat_fee} is below the consented flat rate "
                            f"{rate.amount}",
                            f"flat_fee {fees.flat_fee} is below the flat rate the talent "
                            "consented to")]
    return []


def check_grant(
    terms: LicenceTerms,
    *,
    brand_id: str,
    twin: Twin,
    consent: DigitalReplicaConsent | None,
    other_licences: list[Licence],
    today: date,
) -> list[Reason]:
    """Every reason a licence with ``terms`` may not be granted to ``brand_id`` (empty: ok)."""
    reasons: list[Reason] = []
    if twin.state not in (TwinState.ENROLLING, TwinState.IN_REVIEW, TwinState.ACTIVE):
        reasons.append(_r(ReasonCode.TWIN_NOT_ACTIVE,
                          f"twin {twin.id} is {twin.state.value}; it cannot be licensed"))
    if consent is None:
        reasons.append(_r(ReasonCode.CONSENT_SCOPE_EXCEEDED,
                          "the talent has no active digital replica consent for this twin"))
    else:
        doc = consent.document
        if consent.state is ConsentState.REVOKED:
            reasons.append(_of_consent(consent, ReasonCode.CONSENT_REVOKED,
                                       f"consent {consent.id} was revoked",
                                       "the talent's consent was revoked"))
        elif consent.state is ConsentState.EXPIRED or today > doc.ends:
            reasons.append(_of_consent(consent, ReasonCode.CONSENT_EXPIRED,
                                       f"consent {consent.id} expired on {doc.ends}",
                                       "the talent's consent has expired"))
        if consent.twin_id != twin.id:
            reasons.append(_of_consent(consent, ReasonCode.CONSENT_MISMATCH,
                                       f"consent {consent.id} is for another twin",
                                       "the consent given is not one for this twin"))
        if terms.starts < doc.starts or terms.ends > doc.ends:
            reasons.append(_of_consent(
                consent, ReasonCode.CONSENT_SCOPE_EXCEEDED,
                f"licence period {terms.starts} to {terms.ends} is not inside the "
                f"consented duration {doc.starts} to {doc.ends}",
                f"licence period {terms.starts} to {terms.ends} is not inside the duration "
                "the talent consented to"))
        scope = doc.scope
        for field, granted, asked in (
            ("channels", scope.channels, terms.channels),
            ("territories", scope.territories, terms.territories),
            ("product_categories", scope.product_categories, terms.product_categories),
        ):
            if not covers_all(granted, asked):
                extra = sorted(set(asked) - set(granted)) if asked != [WILDCARD] else ["*"]
                reasons.append(_of_consent(
                    consent, ReasonCode.CONSENT_SCOPE_EXCEEDED,
                    f"{field} {extra} are outside the consent's scope",
                    f"the licence's {field} go beyond what the talent consented to"))
        identity = sorted(
            (set(terms.permitted_alterations) & IDENTITY_ALTERATIONS) - set(scope.alterations)
        )
        if identity:
            reasons.append(_of_consent(
                consent, ReasonCode.ALTERATION_NOT_PERMITTED,
                f"identity alterations {identity} are permitted by the licence but not "
                "consented to by the talent",
                "identity alterations the licence permits are not consented to by the "
                "talent"))
        reasons += _fee_reasons(terms, consent)

    if today > terms.ends:
        reasons.append(_r(ReasonCode.OUTSIDE_LICENCE_PERIOD,
                          f"the licence would end ({terms.ends}) before today ({today})"))

    for other in other_licences:
        if other.brand_id == brand_id or not other.blocks_others():
            continue
        if not _periods_overlap(terms, other.terms):
            continue
        clash = set()
        if other.terms.exclusive_categories:
            clash |= terms.categories_overlap(other.terms.exclusive_categories)
        if terms.exclusive_categories:
            clash |= other.terms.categories_overlap(terms.exclusive_categories)
        if clash:
            reasons.append(Reason(
                code=ReasonCode.EXCLUSIVITY_CONFLICT,
                message=f"categories {sorted(clash)} overlap exclusive licence {other.id} "
                        f"of this twin to another brand ({other.terms.starts} to "
                        f"{other.terms.ends})",
                concerns=Concerns(kind="licence", twin_id=other.twin_id,
                                  brand_id=other.brand_id),
                withheld=f"categories {sorted(clash)} of this twin are licensed to another "
                         "brand for an overlapping period, exclusively on one side"))

    if terms.representation == "none":
        problem = intended_uses_problem(terms.intended_uses)
        if problem:
            reasons.append(_r(ReasonCode.INTENDED_USES_TOO_VAGUE, problem))
    return reasons


def check_storage(*, licence: Licence, twin: Twin, today: date, alterations: list[str],
                  counts_against_quota: bool = True) -> list[Reason]:
    """Every reason an asset of ``twin`` may not be stored under ``licence`` today (no
    channel or territory yet: ``evaluate`` decides each use when it is published).
    ``counts_against_quota`` is False for an image kept as evidence (failed QA) that is
    never used, and for an edit of an asset that already counts."""
    terms = licence.terms
    reasons: list[Reason] = []
    if licence.state is not LicenceState.ACTIVE:
        code = {LicenceState.REVOKED: ReasonCode.LICENCE_REVOKED,
                LicenceState.SUSPENDED: ReasonCode.LICENCE_SUSPENDED}.get(
                    licence.state, ReasonCode.OUTSIDE_LICENCE_PERIOD)
        reasons.append(_r(code, f"licence is {licence.state.value}"))
    if not terms.starts <= today <= terms.ends:
        reasons.append(_r(ReasonCode.OUTSIDE_LICENCE_PERIOD,
                          f"today is outside {terms.starts} to {terms.ends}"))
    if twin.state is not TwinState.ACTIVE:
        reasons.append(_r(ReasonCode.TWIN_NOT_ACTIVE, f"twin is {twin.state.value}"))
    for alteration in alterations:
        if alteration not in terms.permitted_alterations:
            reasons.append(_r(ReasonCode.ALTERATION_NOT_PERMITTED,
                              f"alteration {alteration!r} is not permitted"))
    if counts_against_quota and licence.assets_used >= terms.max_assets:
        reasons.append(_r(ReasonCode.ASSET_QUOTA_EXHAUSTED,
                          f"{licence.assets_used} of {terms.max_assets} assets used"))
    return reasons
