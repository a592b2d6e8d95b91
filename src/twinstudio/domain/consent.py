"""Consent documents the talent signs themself.

DigitalReplicaConsent — New York Fashion Workers Act (2025): a digital replica may be
created or used only with clear, conspicuous, *separate* written consent signed by the
model (not through a power of attorney held by a management company), describing the
scope, purpose, rate of pay and duration, in the model's own language.

BiometricRelease — Illinois BIPA §15(b) (written release naming purpose and retention
period) and GDPR Art. 9(2)(a) (explicit consent for biometric data). Enrolment needs one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twinstudio.domain.common import canonical_json, new_id, sha256_hex, utcnow
from twinstudio.domain.money import validate_currency
from twinstudio.domain.parties import validate_language
from twinstudio.domain.text import FreeText
from twinstudio.domain.vocabulary import (
    ALTERATIONS,
    CHANNELS,
    CONTENT_TAGS,
    PRODUCT_CATEGORIES,
    TERRITORIES,
    check_codes,
)

# Three years after the last interaction is BIPA's outer limit for keeping biometric data.
MAX_BIOMETRIC_RETENTION_DAYS = 3 * 365


class Signature(BaseModel):
    """An Ed25519 signature of a document hash by one party (verified by an adapter)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signer_id: str
    role: Literal["talent", "brand", "agency"]
    algorithm: Literal["ed25519"] = "ed25519"
    public_key: str  # base64 raw 32-byte key
    signature: str  # base64 64-byte signature over signing_message(kind, document_hash)
    signed_at: datetime


def signing_message(kind: str, document_hash: str) -> bytes:
    """The exact bytes a party signs: domain-separated so a signature cannot be reused."""
    return f"twinstudio/{kind}/v1:{document_hash}".encode()


class ConsentScope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # each list holds distinct codes of its vocabulary: at most as many as it has
    channels: list[str] = Field(min_length=1, max_length=len(CHANNELS))
    territories: list[str] = Field(min_length=1, max_length=len(TERRITORIES))
    product_categories: list[str] = Field(min_length=1, max_length=len(PRODUCT_CATEGORIES))
    # Identity alterations (body_shape, age, skin_tone, facial_features) are possible only
    # when the talent names them here; styling alterations need no mention.
    alterations: list[str] = Field(default_factory=list, max_length=len(ALTERATIONS))
    prohibited_content: list[str] = Field(default_factory=list, max_length=len(CONTENT_TAGS))

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

    @field_validator("alterations")
    @classmethod
    def _alterations(cls, v: list[str]) -> list[str]:
        return check_codes("alterations", v, ALTERATIONS)

    @field_validator("prohibited_content")
    @classmethod
    def _content(cls, v: list[str]) -> list[str]:
        return check_codes("prohibited_content", v, CONTENT_TAGS)


class RateOfPay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(max_length=10)
    amount: int = Field(ge=0, le=10**13, strict=True)  # minor units
    basis: Literal["per_asset", "flat", "per_day"]

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return validate_currency(v)


class ConsentDocument(BaseModel):
    """What the talent reads and signs. Its canonical JSON is hashed and signed."""

    model_config = ConfigDict(extra="forbid")

    purpose: FreeText = Field(min_length=10, max_length=2000)
    scope: ConsentScope
    rate_of_pay: RateOfPay
    starts: date
    ends: date
    language: str = Field(max_length=35)
    signer: Literal["self"] = "self"
    separate_document: bool = True
    # Training a model of the likeness (a per-twin LoRA from the capture photos) needs
    # its own explicit "yes": not given unless the talent says so. Consents signed before
    # this field existed lack it and do not allow training (their hash is unchanged).
    model_training: bool = Field(default=False, strict=True)

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        return validate_language(v)

    @model_validator(mode="before")
    @classmethod
    def _refuse_proxy(cls, data: object) -> object:
        # Say why, rather than a generic "literal_error", when someone else signs.
        if isinstance(data, dict) and data.get("signer", "self") != "self":
            raise ValueError(
                "signer must be 'self': a digital replica consent is signed by the talent "
                "themself, never under a power of attorney (NY Fashion Workers Act)"
            )
        if isinstance(data, dict) and data.get("separate_document", True) is not True:
            raise ValueError(
                "separate_document must be true: the consent must be a document separate "
                "from any representation agreement (NY Fashion Workers Act)"
            )
        return data

    @model_validator(mode="after")
    def _dates(self) -> ConsentDocument:
        if self.ends < self.starts:
            raise ValueError(f"consent ends ({self.ends}) before it starts ({self.starts})")
        return self

    def document_hash(self, *, talent_id: str, consent_id: str) -> str:
        # model_training appears in the signed document only when given, so that a
        # consent signed before the field existed hashes as it did
        document = self.model_dump(mode="json",
                                   exclude=None if self.model_training else {"model_training"})
        body = {"kind": "digital_replica_consent", "id": consent_id, "talent_id": talent_id,
                "document": document}
        return sha256_hex(canonical_json(body))


class ConsentState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class DigitalReplicaConsent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("cns"))
    talent_id: str
    twin_id: str
    document: ConsentDocument
    document_hash: str
    signature: Signature
    state: ConsentState = ConsentState.ACTIVE
    signed_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    # the talent withdrew the training part (model_training) and kept the rest in force
    training_withdrawn_at: datetime | None = None

    def is_in_force(self, today: date) -> bool:
        return (
            self.state is ConsentState.ACTIVE
            and self.document.starts <= today <= self.document.ends
        )


class BiometricReleaseDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: FreeText = Field(min_length=10, max_length=2000)
    retention_days: int = Field(ge=1, le=MAX_BIOMETRIC_RETENTION_DAYS, strict=True)
    written_release: bool
    explicit_consent: bool
    language: str = Field(max_length=35)

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        return validate_language(v)

    @model_validator(mode="after")
    def _both_required(self) -> BiometricReleaseDocument:
        if not self.written_release:
            raise ValueError("written_release must be true (Illinois BIPA §15(b)(3))")
        if not self.explicit_consent:
            raise ValueError("explicit_consent must be true (GDPR Art. 9(2)(a))")
        return self

    def document_hash(self, *, talent_id: str, release_id: str) -> str:
        body = {"kind": "biometric_release", "id": release_id, "talent_id": talent_id,
                "document": self.model_dump(mode="json")}
        return sha256_hex(canonical_json(body))


class BiometricRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("bio"))
    talent_id: str
    document: BiometricReleaseDocument
    document_hash: str
    signature: Signature
    state: ConsentState = ConsentState.ACTIVE
    signed_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None

    def retain_until(self, last_interaction: datetime) -> datetime:
        """Biometric data must be destroyed by this time (never later than 3 years)."""
        days = min(self.document.retention_days, MAX_BIOMETRIC_RETENTION_DAYS)
        return last_interaction + timedelta(days=days)


def release_in_force(releases: list[BiometricRelease]) -> BiometricRelease | None:
    """The newest release still in force among a talent's releases (oldest first), if any:
    no biometric processing happens without one."""
    for release in reversed(releases):
        if release.state is ConsentState.ACTIVE:
            return release
    return None
