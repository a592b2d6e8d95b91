"""A licence from a talent's twin to a brand, with terms a machine can check.

The terms JSON is the contract between people and code: every field is validated, every
code belongs to a closed vocabulary (see ``vocabulary``), unknown fields are refused.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twinstudio.domain.common import canonical_json, new_id, sha256_hex, utcnow
from twinstudio.domain.consent import Signature
from twinstudio.domain.money import validate_currency
from twinstudio.domain.text import FreeText
from twinstudio.domain.vocabulary import (
    ALTERATIONS,
    CHANNELS,
    CONTENT_TAGS,
    PRODUCT_CATEGORIES,
    REPRESENTATION,
    TERRITORIES,
    WILDCARD,
    check_codes,
)

MAX_PAYMENT_TERMS_DAYS = 45  # NY Fashion Workers Act: paid within 45 days
MAX_AMOUNT = 10**13  # minor units; far above any fee, far below a 64-bit column


class Fees(BaseModel):
    """What the brand pays, in integer minor units of ``currency``.

    ``flat_fee`` is due when the licence is signed; ``per_asset`` per approved asset;
    ``per_publication[channel]`` per publication on that channel, a publication being one
    asset on one channel in one territory (the licence prices channels and territories:
    the same asset on ``social`` in FR and in SE is paid twice); ``minimum_guarantee`` is
    the least the talent earns (gross) per calendar month of the licence, topped up when
    the month closes (a month the licence covers in part guarantees its share of the
    days, rounded down).
    ``agency_commission_percent`` and ``platform_fee_percent`` split the gross (rounded down).
    """

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(max_length=10)
    per_asset: int = Field(default=0, ge=0, le=MAX_AMOUNT, strict=True)
    per_publication: dict[str, int] = Field(default_factory=dict, max_length=len(CHANNELS))
    flat_fee: int = Field(default=0, ge=0, le=MAX_AMOUNT, strict=True)
    minimum_guarantee: int = Field(default=0, ge=0, le=MAX_AMOUNT, strict=True)
    agency_commission_percent: Decimal = Field(default=Decimal(0), ge=0, le=100,
                                               decimal_places=2)
    platform_fee_percent: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    payment_terms_days: int = Field(default=30, ge=1, le=MAX_PAYMENT_TERMS_DAYS, strict=True)

    @model_validator(mode="after")
    def _split_fits(self) -> Fees:
        if self.agency_commission_percent + self.platform_fee_percent > 100:
            raise ValueError("agency commission and platform fee exceed 100 % together")
        return self

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return validate_currency(v)

    @field_validator("per_publication")
    @classmethod
    def _per_publication(cls, v: dict[str, int]) -> dict[str, int]:
        check_codes("fees.per_publication", list(v), CHANNELS)
        for channel, amount in v.items():
            if not isinstance(amount, int) or isinstance(amount, bool) \
                    or not 0 <= amount <= MAX_AMOUNT:
                raise ValueError(
                    f"fees.per_publication.{channel} must be a non-negative integer "
                    f"in minor units up to {MAX_AMOUNT}, got {amount!r}"
                )
        return v


class LicenceTerms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # each list holds distinct codes of its vocabulary: at most as many as it has
    channels: list[str] = Field(min_length=1, max_length=len(CHANNELS))
    territories: list[str] = Field(min_length=1, max_length=len(TERRITORIES))
    starts: date
    ends: date
    product_categories: list[str] = Field(min_length=1, max_length=len(PRODUCT_CATEGORIES))
    permitted_alterations: list[str] = Field(default_factory=list, max_length=len(ALTERATIONS))
    prohibited_content: list[str] = Field(default_factory=list, max_length=len(CONTENT_TAGS))
    exclusive_categories: list[str] = Field(default_factory=list,
                                            max_length=len(PRODUCT_CATEGORIES))
    approval_required: bool = True
    max_assets: int = Field(ge=1, strict=True)
    intended_uses: FreeText = Field(max_length=4000)
    representation: str = Field(max_length=20)
    fees: Fees

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        return check_codes("channels", v, CHANNELS)

    @field_validator("territories")
    @classmethod
    def _territories(cls, v: list[str]) -> list[str]:
        return check_codes("territories", v, TERRITORIES, wildcard=True)

    @field_validator("product_categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        return check_codes("product_categories", v, PRODUCT_CATEGORIES, wildcard=True)

    @field_validator("permitted_alterations")
    @classmethod
    def _alterations(cls, v: list[str]) -> list[str]:
        return check_codes("permitted_alterations", v, ALTERATIONS)

    @field_validator("prohibited_content")
    @classmethod
    def _content(cls, v: list[str]) -> list[str]:
        return check_codes("prohibited_content", v, CONTENT_TAGS)

    @field_validator("exclusive_categories")
    @classmethod
    def _exclusive(cls, v: list[str]) -> list[str]:
        return check_codes("exclusive_categories", v, PRODUCT_CATEGORIES)

    @field_validator("representation")
    @classmethod
    def _representation(cls, v: str) -> str:
        if v not in REPRESENTATION:
            raise ValueError(f"representation must be one of counsel, union, none; got {v!r}")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> LicenceTerms:
        if self.ends < self.starts:
            raise ValueError(f"licence ends ({self.ends}) before it starts ({self.starts})")
        if self.product_categories != [WILDCARD]:
            outside = sorted(set(self.exclusive_categories) - set(self.product_categories))
            if outside:
                raise ValueError(
                    f"exclusive_categories {outside} are not among product_categories"
                )
        unlicensed = sorted(set(self.fees.per_publication) - set(self.channels))
        if unlicensed:
            raise ValueError(f"fees.per_publication names unlicensed channels {unlicensed}")
        return self

    def categories_overlap(self, categories: list[str]) -> set[str]:
        """Categories of ``categories`` this licence covers (``*`` on either side: all)."""
        if self.product_categories == [WILDCARD]:
            return set(PRODUCT_CATEGORIES) if categories == [WILDCARD] else set(categories)
        if categories == [WILDCARD]:
            return set(self.product_categories)
        return set(self.product_categories) & set(categories)


# California Labor Code §927: without counsel or a union, a digital-replica provision must
# contain a reasonably specific description of the intended uses. Blanket wording is not.
_BLANKET = re.compile(
    r"\b(any|all)\s+(use|uses|purpose|purposes|media|medium|channels?)\b"
    r"|\bany\s+and\s+all\b|\bunlimited\b|\bwithout\s+limitation\b|\bin\s+perpetuity\b"
    r"|\bwhatever\b|\betc\b|\bas\s+needed\b",
    re.IGNORECASE,
)
MIN_INTENDED_USES_WORDS = 6


def intended_uses_problem(text: str) -> str | None:
    """Why a description of intended uses is too vague for CA Labor Code §927, or None."""
    words = re.findall(r"[\w'-]+", text)
    if len(words) < MIN_INTENDED_USES_WORDS:
        return (
            f"intended_uses has {len(words)} word(s); without counsel or a union the licence "
            f"needs a reasonably specific description (at least {MIN_INTENDED_USES_WORDS} words:"
            " what, where, for which products)"
        )
    match = _BLANKET.search(text)
    if match:
        return f"intended_uses uses blanket wording ({match.group(0)!r}); name the actual uses"
    return None


class LicenceState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Licence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("lic"))
    twin_id: str
    talent_id: str
    brand_id: str
    consent_id: str
    terms: LicenceTerms
    document_hash: str
    signatures: list[Signature]
    state: LicenceState = LicenceState.ACTIVE
    state_reason: str | None = None
    granted_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    assets_used: int = 0

    @staticmethod
    def compute_hash(
        *, licence_id: str, twin_id: str, talent_id: str, brand_id: str, consent_id: str,
        terms: LicenceTerms,
    ) -> str:
        body = {
            "kind": "licence", "id": licence_id, "twin_id": twin_id, "talent_id": talent_id,
            "brand_id": brand_id, "consent_id": consent_id,
            "terms": terms.model_dump(mode="json"),
        }
        return sha256_hex(canonical_json(body))

    def recompute_hash(self) -> str:
        return self.compute_hash(
            licence_id=self.id, twin_id=self.twin_id, talent_id=self.talent_id,
            brand_id=self.brand_id, consent_id=self.consent_id, terms=self.terms,
        )

    def blocks_others(self) -> bool:
        """An exclusive licence blocks other brands while it is active or only suspended."""
        return self.state in (LicenceState.ACTIVE, LicenceState.SUSPENDED)
