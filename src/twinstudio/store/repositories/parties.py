"""Talents, organisations and twins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from twinstudio.domain.common import STORED
from twinstudio.domain.parties import Organisation, OrganisationKind, Talent
from twinstudio.domain.twin import Twin
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _Repo


class SqlTalentRepository(_Repo):
    def add(self, talent: Talent, public_key: str) -> None:
        self._c.execute(insert(t.talents).values(**talent.model_dump(), public_key=public_key))

    def get(self, talent_id: str) -> Talent:
        row = self._one(select(t.talents).where(t.talents.c.id == talent_id), "talent", talent_id)
        return Talent.model_validate({k: v for k, v in row.items() if k != "public_key"},
                                     context=STORED)

    def public_key(self, talent_id: str) -> str:
        return self._one(select(t.talents.c.public_key).where(t.talents.c.id == talent_id),
                         "talent", talent_id)["public_key"]

    def list(self) -> list[Talent]:
        rows = self._c.execute(select(t.talents).order_by(t.talents.c.created_at,
                                                          t.talents.c.id)).mappings()
        return [Talent.model_validate({k: v for k, v in r.items() if k != "public_key"},
                                      context=STORED) for r in rows]

    def touch(self, talent_id: str, at: datetime) -> None:
        self._c.execute(update(t.talents).where(t.talents.c.id == talent_id)
                        .values(last_interaction_at=at))


class SqlOrganisationRepository(_Repo):
    def add(self, organisation: Organisation, public_key: str) -> None:
        values = organisation.model_dump()
        values["kind"] = organisation.kind.value
        self._c.execute(insert(t.organisations).values(**values, public_key=public_key))

    @staticmethod
    def _build(row: Any) -> Organisation:
        return Organisation.model_validate({k: v for k, v in row.items() if k != "public_key"},
                                           context=STORED)

    def get(self, organisation_id: str, kind: OrganisationKind | None = None) -> Organisation:
        query = select(t.organisations).where(t.organisations.c.id == organisation_id)
        if kind is not None:
            query = query.where(t.organisations.c.kind == kind.value)
        return self._build(self._one(query, kind.value if kind else "organisation",
                                     organisation_id))

    def public_key(self, organisation_id: str) -> str:
        query = select(t.organisations.c.public_key).where(
            t.organisations.c.id == organisation_id)
        return self._one(query, "organisation", organisation_id)["public_key"]

    def list(self, kind: OrganisationKind | None = None) -> list[Organisation]:
        query = select(t.organisations).order_by(t.organisations.c.created_at,
                                                 t.organisations.c.id)
        if kind is not None:
            query = query.where(t.organisations.c.kind == kind.value)
        return [self._build(r) for r in self._c.execute(query).mappings()]


class SqlTwinRepository(_Repo):
    def add(self, twin: Twin) -> None:
        self._c.execute(insert(t.twins).values(**twin.model_dump() | {"state": twin.state.value}))

    def get(self, twin_id: str, *, for_update: bool = False) -> Twin:
        query = select(t.twins).where(t.twins.c.id == twin_id)
        if for_update:
            query = query.with_for_update()
        return Twin(**self._one(query, "twin", twin_id))

    def get_by_talent(self, talent_id: str) -> Twin:
        query = select(t.twins).where(t.twins.c.talent_id == talent_id)
        return Twin(**self._one(query, "twin of talent", talent_id))

    def update(self, twin: Twin) -> None:
        self._c.execute(update(t.twins).where(t.twins.c.id == twin.id)
                        .values(state=twin.state.value, updated_at=twin.updated_at,
                                open_to_offers=twin.open_to_offers))

    def list(self) -> list[Twin]:
        rows = self._c.execute(select(t.twins).order_by(t.twins.c.created_at, t.twins.c.id))
        return [Twin(**r) for r in rows.mappings()]
