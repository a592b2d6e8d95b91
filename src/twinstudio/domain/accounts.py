"""Accounts: who may sign in, what role they act in, and which parties they belong to.

A user either belongs to an organisation (agency, brand) or *is* a talent. Roles:

    talent         the person whose twin it is: their twin, consents, assets, statements
    agency         an agency's staff: the agency's talents and everything of theirs
    brand_editor   a brand's staff: the brand's licences, assets (reads; asset edits)
    brand_admin    as brand_editor, and licences are proposed and revoked by them
    compliance     reads everything, changes nothing (audit, verification)
    admin          everything

Who may *see* an object is decided by ``Scope`` (built by the access service from the
store); what a role may *do* is ``ACTIONS``. Pure: no I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twinstudio.domain.common import new_id, utcnow, with_article
from twinstudio.domain.text import Name, text_problem


class Role(StrEnum):
    TALENT = "talent"
    AGENCY = "agency"
    BRAND_EDITOR = "brand_editor"
    BRAND_ADMIN = "brand_admin"
    COMPLIANCE = "compliance"
    ADMIN = "admin"


BRAND_ROLES = frozenset({Role.BRAND_EDITOR, Role.BRAND_ADMIN})
ORGANISATION_ROLES = {Role.AGENCY: "agency", Role.BRAND_EDITOR: "brand",
                      Role.BRAND_ADMIN: "brand"}
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


def validate_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value) or text_problem(value):
        raise ValueError(f"email {value[:100]!r} is not an address such as "
                         "'ana@example.com'")
    return value


class User(BaseModel):
    """A person who signs in. ``password_hash`` is an argon2 hash (never the password)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("usr"))
    email: str
    name: Name = Field(min_length=1, max_length=200)
    role: Role
    organisation_id: str | None = None
    talent_id: str | None = None
    password_hash: str
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return validate_email(value)

    @model_validator(mode="after")
    def _affiliation(self) -> User:
        problem = affiliation_problem(self.role, self.organisation_id, self.talent_id)
        if problem:
            raise ValueError(problem)
        return self


def affiliation_problem(role: Role, organisation_id: str | None,
                        talent_id: str | None) -> str | None:
    """A talent user is linked to a talent; agency and brand users to an organisation;
    compliance and admin to neither."""
    if role is Role.TALENT:
        if not talent_id:
            return "a talent user needs the id of their talent (a tal_... id)"
        if organisation_id:
            return "a talent user is linked to their talent, not to an organisation"
    elif role in ORGANISATION_ROLES:
        kind = ORGANISATION_ROLES[role]
        prefix = "agy" if kind == "agency" else "brd"
        if not organisation_id:
            return (f"{with_article(role.value)} user belongs to an organisation: give the "
                    f"id of their {kind} (a {prefix}_... id)")
        if talent_id:
            return f"{with_article(role.value)} user belongs to their {kind}, not to a talent"
    elif organisation_id or talent_id:
        return (f"{with_article(role.value)} user belongs to no organisation and is not a "
                "talent")
    return None


class ApiKey(BaseModel):
    """A key for programs, acting as its user. Only a hash of the secret is kept; the
    prefix finds the row. Past ``expires_at`` (when set) it is refused like a revoked
    key."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: new_id("key"))
    user_id: str
    name: Name = Field(min_length=1, max_length=100)
    prefix: str
    secret_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class WebSession(BaseModel):
    """A signed-in browser. The cookie carries a random token; only its hash is kept."""

    model_config = ConfigDict(extra="forbid")

    token_hash: str
    user_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Principal:
    """Who is acting, as the interfaces see them after authentication."""

    user_id: str
    email: str
    name: str
    role: Role
    organisation_id: str | None = None
    talent_id: str | None = None

    @property
    def actor(self) -> str:
        """The audit chain's actor for what this principal does (at most 80 chars)."""
        return f"user:{self.user_id}"

    @property
    def reads_everything(self) -> bool:
        return self.role in (Role.COMPLIANCE, Role.ADMIN)

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user_id=user.id, email=user.email, name=user.name, role=user.role,
                   organisation_id=user.organisation_id, talent_id=user.talent_id)


# What each role may do (beyond reading what it can see). Reads are decided by Scope.
_T, _A, _BE, _BA, _AD = (Role.TALENT, Role.AGENCY, Role.BRAND_EDITOR, Role.BRAND_ADMIN,
                         Role.ADMIN)
ACTIONS: dict[str, frozenset[Role]] = {
    "read": frozenset(Role),
    "talent.create": frozenset({_A, _AD}),
    "twin.enrol": frozenset({_T, _A, _AD}),
    "consent.grant": frozenset({_T, _AD}),
    "consent.revoke": frozenset({_T, _A, _AD}),
    "release.grant": frozenset({_T, _AD}),
    "release.revoke": frozenset({_T, _A, _AD}),
    # a licence is a two-party act: the brand proposes (and may withdraw its proposal),
    # the talent's side answers (accepts by signing, or refuses); the talent's side lists
    # a twin as open to offers from brands without a licence of it
    "licence.propose": frozenset({_BA, _AD}),
    "licence.answer": frozenset({_T, _A, _AD}),
    "twin.offers": frozenset({_T, _A, _AD}),
    "licence.revoke": frozenset({_T, _A, _BA, _AD}),
    "asset.withdraw": frozenset({_T, _A, _BE, _BA, _AD}),
    "asset.approve": frozenset({_T, _A, _AD}),
    "asset.edit": frozenset({_BE, _BA, _AD}),
    "asset.publish": frozenset({_BE, _BA, _AD}),
    "brand.write": frozenset({_BE, _BA, _AD}),
    "audit.read": frozenset({Role.COMPLIANCE, _AD}),
    # likeness reviews: the photos of two capture sets and the decision on them
    "likeness.review": frozenset({Role.COMPLIANCE, _AD}),
    # an organisation's webhook endpoints (issue 20): registered, rotated, disabled and
    # their deliveries replayed by its admins (a brand's admin, an agency)
    "webhook.manage": frozenset({_A, _BA, _AD}),
    # twin training (issue 16): the talent's side has a LoRA of the likeness trained,
    # exports and deletes its versions; brands only learn that one exists
    "twin.train": frozenset({_T, _A, _AD}),
    "adapter.manage": frozenset({_T, _A, _AD}),
}


def may(principal: Principal, action: str) -> bool:
    """Whether the principal's role allows ``action`` (unknown actions: never)."""
    return principal.role in ACTIONS.get(action, frozenset())


@dataclass(frozen=True)
class Scope:
    """What a principal can see. ``everything`` for compliance and admin; otherwise the
    talents (and their twins) it acts for, and the brand it works at."""

    everything: bool = False
    talent_ids: frozenset[str] = frozenset()
    twin_ids: frozenset[str] = frozenset()
    brand_id: str | None = None
    agency_id: str | None = None

    def sees_talent(self, talent_id: str) -> bool:
        return self.everything or talent_id in self.talent_ids

    def sees_twin(self, twin_id: str) -> bool:
        return self.everything or twin_id in self.twin_ids

    def sees_brand(self, brand_id: str) -> bool:
        return self.everything or (self.brand_id is not None and brand_id == self.brand_id)

    def sees_organisation(self, organisation_id: str) -> bool:
        return self.everything or organisation_id in (self.brand_id, self.agency_id)

    def sees_licence(self, *, twin_id: str, brand_id: str) -> bool:
        """A licence is seen by its talent's side and by its brand."""
        return self.sees_twin(twin_id) or self.sees_brand(brand_id)

    def sees_asset(self, *, twin_id: str, brand_id: str) -> bool:
        return self.sees_twin(twin_id) or self.sees_brand(brand_id)
