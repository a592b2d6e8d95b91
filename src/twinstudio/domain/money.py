"""Money: integer minor units with an ISO 4217 currency. Never floats."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from twinstudio.domain.iso_codes import ISO_4217_MINOR_UNITS


def validate_currency(code: str) -> str:
    if code not in ISO_4217_MINOR_UNITS:
        raise ValueError(f"unknown currency {code!r}: expected an ISO 4217 code such as 'EUR'")
    return code


class Money(BaseModel):
    """An amount in minor units (cents for EUR, yen for JPY)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    amount: int
    currency: str

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return validate_currency(value)

    def format(self) -> str:
        digits = ISO_4217_MINOR_UNITS[self.currency]
        if digits == 0:
            return f"{self.amount} {self.currency}"
        sign = "-" if self.amount < 0 else ""
        major, minor = divmod(abs(self.amount), 10**digits)
        return f"{sign}{major}.{minor:0{digits}d} {self.currency}"
