"""Repositories: domain objects in, domain objects out. No business rules here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, String, case, cast, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from twinstudio.domain.accounts import ApiKey, Role, User, WebSession
from twinstudio.domain.asset import Asset, AssetState
from twinstudio.domain.audit import AuditEvent
from twinstudio.domain.common import canonical_json, utcnow
from twinstudio.domain.consent import (
    BiometricRelease,
    BiometricReleaseDocument,
    ConsentDocument,
    ConsentState,
    DigitalReplicaConsent,
    Signature,
)
from twinstudio.domain.errors import IntegrityError, InvalidInput, NotFound
from twinstudio.domain.garment import Garment
from twinstudio.domain.generation import Campaign, CampaignBrief, GenerationRequest, Job, JobState
from twinstudio.domain.ledger import Entry, Transaction, period_of
from twinstudio.domain.licence import Licence, LicenceState, LicenceTerms
from twinstudio.domain.parties import Organisation, OrganisationKind, Talent
from twinstudio.domain.twin import Twin
from twinstudio.services.ports import AssetMark
from twinstudio.store import tables as t


class _Repo:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _one(self, statement: Any, what: str, ident: str) -> Any:
        row = self._c.execute(statement).mappings().first()
        if row is None:
            raise NotFound(f"{what} {ident!r} not found")
        return row


class SqlTalentRepository(_Repo):
    def add(self, talent: Talent, public_key: str) -> None:
        self._c.execute(insert(t.talents).values(**talent.model_dump(), public_key=public_key))

    def get(self, talent_id: str) -> Talent:
        row = self._one(select(t.talents).where(t.talents.c.id == talent_id), "talent", talent_id)
        return Talent(**{k: v for k, v in row.items() if k != "public_key"})

    def public_key(self, talent_id: str) -> str:
        return self._one(select(t.talents.c.public_key).where(t.talents.c.id == talent_id),
                         "talent", talent_id)["public_key"]

    def list(self) -> list[Talent]:
        rows = self._c.execute(select(t.talents).order_by(t.talents.c.created_at,
                                                          t.talents.c.id)).mappings()
        return [Talent(**{k: v for k, v in r.items() if k != "public_key"}) for r in rows]

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
        return Organisation(**{k: v for k, v in row.items() if k != "public_key"})

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
                        .values(state=twin.state.value, updated_at=twin.updated_at))

    def list(self) -> list[Twin]:
        rows = self._c.execute(select(t.twins).order_by(t.twins.c.created_at, t.twins.c.id))
        return [Twin(**r) for r in rows.mappings()]


def _consent_row(c: DigitalReplicaConsent) -> dict[str, Any]:
    return {
        "id": c.id, "talent_id": c.talent_id, "twin_id": c.twin_id, "state": c.state.value,
        "starts": c.document.starts, "ends": c.document.ends,
        "document": canonical_json(c.document.model_dump(mode="json")),
        "document_hash": c.document_hash,
        "signature": canonical_json(c.signature.model_dump(mode="json")),
        "signed_at": c.signed_at, "revoked_at": c.revoked_at,
        "revocation_reason": c.revocation_reason,
    }


def _corrupt(what: str, ident: str, error: Exception) -> IntegrityError:
    first = str(error).splitlines()[0][:200]
    return IntegrityError(f"stored {what} {ident} is corrupt and cannot be read ({first}); "
                          "it no longer matches what was signed")


def _consent(row: Any) -> DigitalReplicaConsent:
    try:
        return _consent_unchecked(row)
    except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
        raise _corrupt("consent", row["id"], error) from None


def _consent_unchecked(row: Any) -> DigitalReplicaConsent:
    return DigitalReplicaConsent(
        id=row["id"], talent_id=row["talent_id"], twin_id=row["twin_id"],
        state=ConsentState(row["state"]),
        document=ConsentDocument.model_validate_json(row["document"]),
        document_hash=row["document_hash"],
        signature=Signature.model_validate_json(row["signature"]),
        signed_at=row["signed_at"], revoked_at=row["revoked_at"],
        revocation_reason=row["revocation_reason"],
    )


class SqlConsentRepository(_Repo):
    def add(self, consent: DigitalReplicaConsent) -> None:
        self._c.execute(insert(t.consents).values(**_consent_row(consent)))

    def get(self, consent_id: str) -> DigitalReplicaConsent:
        return _consent(self._one(select(t.consents).where(t.consents.c.id == consent_id),
                                  "consent", consent_id))

    def update(self, consent: DigitalReplicaConsent) -> None:
        row = _consent_row(consent)
        self._c.execute(update(t.consents).where(t.consents.c.id == consent.id).values(
            state=row["state"], revoked_at=row["revoked_at"],
            revocation_reason=row["revocation_reason"]))

    def list_for_twin(self, twin_id: str) -> list[DigitalReplicaConsent]:
        query = (select(t.consents).where(t.consents.c.twin_id == twin_id)
                 .order_by(t.consents.c.signed_at, t.consents.c.id))
        return [_consent(r) for r in self._c.execute(query).mappings()]

    def list(self) -> list[DigitalReplicaConsent]:
        query = select(t.consents).order_by(t.consents.c.signed_at, t.consents.c.id)
        return [_consent(r) for r in self._c.execute(query).mappings()]


def _release(row: Any) -> BiometricRelease:
    return BiometricRelease(
        id=row["id"], talent_id=row["talent_id"], state=ConsentState(row["state"]),
        document=BiometricReleaseDocument.model_validate_json(row["document"]),
        document_hash=row["document_hash"],
        signature=Signature.model_validate_json(row["signature"]),
        signed_at=row["signed_at"], revoked_at=row["revoked_at"],
    )


class SqlBiometricReleaseRepository(_Repo):
    def add(self, release: BiometricRelease) -> None:
        self._c.execute(insert(t.biometric_releases).values(
            id=release.id, talent_id=release.talent_id, state=release.state.value,
            document=canonical_json(release.document.model_dump(mode="json")),
            document_hash=release.document_hash,
            signature=canonical_json(release.signature.model_dump(mode="json")),
            signed_at=release.signed_at, revoked_at=release.revoked_at))

    def get(self, release_id: str) -> BiometricRelease:
        query = select(t.biometric_releases).where(t.biometric_releases.c.id == release_id)
        return _release(self._one(query, "biometric release", release_id))

    def update(self, release: BiometricRelease) -> None:
        self._c.execute(update(t.biometric_releases)
                        .where(t.biometric_releases.c.id == release.id)
                        .values(state=release.state.value, revoked_at=release.revoked_at))

    def list_for_talent(self, talent_id: str) -> list[BiometricRelease]:
        query = (select(t.biometric_releases)
                 .where(t.biometric_releases.c.talent_id == talent_id)
                 .order_by(t.biometric_releases.c.signed_at))
        return [_release(r) for r in self._c.execute(query).mappings()]


def _licence(row: Any) -> Licence:
    try:
        return _licence_unchecked(row)
    except (ValueError, TypeError) as error:
        raise _corrupt("licence", row["id"], error) from None


def _licence_unchecked(row: Any) -> Licence:
    return Licence(
        id=row["id"], twin_id=row["twin_id"], talent_id=row["talent_id"],
        brand_id=row["brand_id"], consent_id=row["consent_id"],
        terms=LicenceTerms.model_validate_json(row["terms"]),
        document_hash=row["document_hash"],
        signatures=[Signature.model_validate(s) for s in json.loads(row["signatures"])],
        state=LicenceState(row["state"]), state_reason=row["state_reason"],
        granted_at=row["granted_at"], updated_at=row["updated_at"],
        assets_used=row["assets_used"],
    )


class SqlLicenceRepository(_Repo):
    def add(self, licence: Licence) -> None:
        self._c.execute(insert(t.licences).values(
            id=licence.id, twin_id=licence.twin_id, talent_id=licence.talent_id,
            brand_id=licence.brand_id, consent_id=licence.consent_id,
            state=licence.state.value, state_reason=licence.state_reason,
            starts=licence.terms.starts, ends=licence.terms.ends,
            terms=canonical_json(licence.terms.model_dump(mode="json")),
            document_hash=licence.document_hash,
            signatures=canonical_json([s.model_dump(mode="json") for s in licence.signatures]),
            granted_at=licence.granted_at, updated_at=licence.updated_at,
            assets_used=licence.assets_used))

    def get(self, licence_id: str, *, for_update: bool = False) -> Licence:
        query = select(t.licences).where(t.licences.c.id == licence_id)
        if for_update:
            query = query.with_for_update()
        return _licence(self._one(query, "licence", licence_id))

    def update(self, licence: Licence) -> None:
        self._c.execute(update(t.licences).where(t.licences.c.id == licence.id).values(
            state=licence.state.value, state_reason=licence.state_reason,
            updated_at=licence.updated_at, assets_used=licence.assets_used))

    def list(self, *, twin_id: str | None = None, brand_id: str | None = None,
             consent_id: str | None = None) -> list[Licence]:
        query = select(t.licences).order_by(t.licences.c.granted_at, t.licences.c.id)
        if twin_id is not None:
            query = query.where(t.licences.c.twin_id == twin_id)
        if brand_id is not None:
            query = query.where(t.licences.c.brand_id == brand_id)
        if consent_id is not None:
            query = query.where(t.licences.c.consent_id == consent_id)
        return [_licence(r) for r in self._c.execute(query).mappings()]


_AUDIT_LOCK = 0x7477696E  # "twin": PostgreSQL advisory lock key for appends to the chain


def _event(row: Any) -> AuditEvent:
    try:
        payload = json.loads(row["payload"])
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        # A payload that no longer parses was edited: keep the raw text so that the hash
        # check names this event instead of the reader crashing.
        payload = {"unreadable_payload": str(row["payload"])[:1000]}
    return AuditEvent(seq=row["seq"], at=row["at"], actor=row["actor"], type=row["type"],
                      payload=payload, prev_hash=row["prev_hash"], hash=row["hash"])


class SqlAuditLog(_Repo):
    def append(self, *, actor: str, type: str, payload: dict[str, Any],
               at: datetime | None = None) -> AuditEvent:
        if not actor or len(actor) > 80:
            raise InvalidInput(f"actor must be 1 to 80 characters, got {len(actor)}")
        if self._c.dialect.name == "postgresql":
            # Serialise appenders until this transaction ends (SQLite: BEGIN IMMEDIATE).
            self._c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK})
        last = self._c.execute(
            select(t.audit_events).order_by(t.audit_events.c.seq.desc()).limit(1)
        ).mappings().first()
        event = AuditEvent.next_after(_event(last) if last else None, at=at or utcnow(),
                                      actor=actor, type=type, payload=payload)
        self._c.execute(insert(t.audit_events).values(
            seq=event.seq, at=event.at, actor=event.actor, type=event.type,
            payload=canonical_json(event.payload), prev_hash=event.prev_hash, hash=event.hash))
        return event

    def all(self) -> list[AuditEvent]:
        try:
            rows = self._c.execute(select(t.audit_events).order_by(t.audit_events.c.seq))
            return [_event(r) for r in rows.mappings()]
        except (ValueError, TypeError):
            return self._all_tolerant()

    def _all_tolerant(self) -> list[AuditEvent]:
        """Read the chain when a stored time was edited into something that is not a time:
        the event keeps a placeholder time, so verification names it instead of crashing."""
        c = t.audit_events.c
        rows = self._c.execute(select(c.seq, cast(c.at, String).label("at"), c.actor, c.type,
                                      c.payload, c.prev_hash, c.hash).order_by(c.seq))
        events = []
        for row in rows.mappings():
            try:
                at = datetime.fromisoformat(str(row["at"]).replace(" ", "T"))
                at = at if at.tzinfo else at.replace(tzinfo=UTC)
            except ValueError:
                at = datetime(1970, 1, 1, tzinfo=UTC)
            events.append(_event({**row, "at": at}))
        return events

    def tail(self, limit: int) -> list[AuditEvent]:
        rows = self._c.execute(
            select(t.audit_events).order_by(t.audit_events.c.seq.desc()).limit(limit))
        return list(reversed([_event(r) for r in rows.mappings()]))


def _transaction(row: Any, entries: list[Any]) -> Transaction:
    # model_construct: a stored transaction that no longer balances must still be read, so
    # that ``ledger check`` can name it (posting validates; reading reports).
    return Transaction.model_construct(
        id=row["id"], event_key=row["event_key"], event=json.loads(row["event"]),
        licence_id=row["licence_id"], talent_id=row["talent_id"], brand_id=row["brand_id"],
        currency=row["currency"], gross=row["gross"], occurred_at=row["occurred_at"],
        due_on=row["due_on"], reverses=row["reverses"], memo=row["memo"],
        entries=[Entry(account=e["account"], amount=e["amount"]) for e in entries],
    )


class SqlLedger(_Repo):
    """Transactions and entries. ``post`` is exactly-once per event key, on both backends,
    also under concurrent posters (INSERT .. ON CONFLICT DO NOTHING on the unique key)."""

    def post(self, txn: Transaction, *, posted_at: datetime) -> bool:
        dialect_insert = pg_insert if self._c.dialect.name == "postgresql" else sqlite_insert
        statement = dialect_insert(t.ledger_transactions).values(
            id=txn.id, event_key=txn.event_key, event=canonical_json(txn.event),
            licence_id=txn.licence_id, talent_id=txn.talent_id, brand_id=txn.brand_id,
            currency=txn.currency, gross=txn.gross, occurred_at=txn.occurred_at,
            period=period_of(txn.occurred_at.date()), due_on=txn.due_on,
            reverses=txn.reverses, memo=txn.memo, posted_at=posted_at,
        ).on_conflict_do_nothing().returning(t.ledger_transactions.c.id)
        # RETURNING tells reliably whether this call inserted (rowcount does not, on
        # every driver); no row back means the event was posted before.
        if self._c.execute(statement).first() is None:
            return False
        self._c.execute(insert(t.ledger_entries), [
            {"transaction_id": txn.id, "account": e.account, "amount": e.amount}
            for e in txn.entries])
        return True

    def _load(self, query: Any) -> list[Transaction]:
        rows = list(self._c.execute(query.order_by(t.ledger_transactions.c.occurred_at,
                                                   t.ledger_transactions.c.id)).mappings())
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        entries: dict[str, list[Any]] = {i: [] for i in ids}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            for e in self._c.execute(select(t.ledger_entries)
                                     .where(t.ledger_entries.c.transaction_id.in_(part))
                                     .order_by(t.ledger_entries.c.id)).mappings():
                entries[e["transaction_id"]].append(e)
        return [_transaction(r, entries[r["id"]]) for r in rows]

    def get(self, transaction_id: str) -> Transaction:
        found = self._load(select(t.ledger_transactions)
                           .where(t.ledger_transactions.c.id == transaction_id))
        if not found:
            raise NotFound(f"ledger transaction {transaction_id!r} not found")
        return found[0]

    def transactions(self, *, talent_id: str | None = None, brand_id: str | None = None,
                     licence_id: str | None = None, period: str | None = None,
                     until_period: str | None = None) -> list[Transaction]:
        c = t.ledger_transactions.c
        query = select(t.ledger_transactions)
        for column, value in ((c.talent_id, talent_id), (c.brand_id, brand_id),
                              (c.licence_id, licence_id), (c.period, period)):
            if value is not None:
                query = query.where(column == value)
        if until_period is not None:
            query = query.where(c.period <= until_period)
        return self._load(query)

    def entry_sums(self) -> tuple[int, int, int]:
        """(number of entries, sum of debits, sum of credits) over the whole ledger."""
        e = t.ledger_entries.c
        row = self._c.execute(select(
            func.count(), func.coalesce(func.sum(case((e.amount > 0, e.amount), else_=0)), 0),
            func.coalesce(func.sum(case((e.amount < 0, -e.amount), else_=0)), 0),
        )).one()
        return int(row[0]), int(row[1]), int(row[2])

    def close_period(self, licence_id: str, period: str, top_up: int, at: datetime) -> bool:
        dialect_insert = pg_insert if self._c.dialect.name == "postgresql" else sqlite_insert
        statement = dialect_insert(t.ledger_period_closes).values(
            licence_id=licence_id, period=period, top_up=top_up, closed_at=at,
        ).on_conflict_do_nothing().returning(t.ledger_period_closes.c.period)
        return self._c.execute(statement).first() is not None

    def is_closed(self, licence_id: str, period: str) -> bool:
        c = t.ledger_period_closes.c
        row = self._c.execute(select(c.period).where(c.licence_id == licence_id,
                                                     c.period == period)).first()
        return row is not None

    def closed_periods(self) -> list[tuple[str, str, int]]:
        c = t.ledger_period_closes.c
        rows = self._c.execute(select(c.licence_id, c.period, c.top_up)
                               .order_by(c.period, c.licence_id))
        return [(r[0], r[1], r[2]) for r in rows]


def _asset(row: Any) -> Asset:
    return Asset(id=row["id"], twin_id=row["twin_id"], licence_id=row["licence_id"],
                 brand_id=row["brand_id"], state=AssetState(row["state"]), source=row["source"],
                 alterations=json.loads(row["alterations"]), retouched=bool(row["retouched"]),
                 parent_id=row["parent_id"], state_reason=row["state_reason"],
                 created_at=row["created_at"], updated_at=row["updated_at"])


class SqlAssetRepository(_Repo):
    def add(self, asset: Asset) -> None:
        self._c.execute(insert(t.assets).values(
            id=asset.id, twin_id=asset.twin_id, licence_id=asset.licence_id,
            brand_id=asset.brand_id, state=asset.state.value, source=asset.source,
            alterations=canonical_json(asset.alterations), retouched=int(asset.retouched),
            parent_id=asset.parent_id, state_reason=asset.state_reason,
            created_at=asset.created_at, updated_at=asset.updated_at))

    def get(self, asset_id: str) -> Asset:
        return _asset(self._one(select(t.assets).where(t.assets.c.id == asset_id), "asset",
                                asset_id))

    def update(self, asset: Asset) -> None:
        self._c.execute(update(t.assets).where(t.assets.c.id == asset.id).values(
            state=asset.state.value, state_reason=asset.state_reason,
            updated_at=asset.updated_at))

    def list(self, *, licence_id: str | None = None, twin_id: str | None = None) -> list[Asset]:
        query = select(t.assets).order_by(t.assets.c.created_at, t.assets.c.id)
        if licence_id is not None:
            query = query.where(t.assets.c.licence_id == licence_id)
        if twin_id is not None:
            query = query.where(t.assets.c.twin_id == twin_id)
        return [_asset(r) for r in self._c.execute(query).mappings()]


class SqlMarkRepository(_Repo):
    """Watermark codes and fingerprints of marked assets (the provenance registry)."""

    def add(self, mark: AssetMark) -> None:
        self._c.execute(insert(t.asset_marks).values(**mark.__dict__))

    def by_code(self, code: int) -> AssetMark | None:
        row = self._c.execute(select(t.asset_marks).where(t.asset_marks.c.code == code)
                              ).mappings().first()
        return AssetMark(**row) if row else None

    def get(self, asset_id: str) -> AssetMark:
        return AssetMark(**self._one(select(t.asset_marks).where(
            t.asset_marks.c.asset_id == asset_id), "asset mark", asset_id))

    def count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(t.asset_marks)).scalar())

    def all(self) -> list[AssetMark]:
        rows = self._c.execute(select(t.asset_marks).order_by(t.asset_marks.c.created_at,
                                                              t.asset_marks.c.asset_id))
        return [AssetMark(**r) for r in rows.mappings()]

    def sizes(self) -> list[tuple[int, int]]:
        rows = self._c.execute(select(t.asset_marks.c.width, t.asset_marks.c.height).distinct())
        return [(int(r[0]), int(r[1])) for r in rows]

    def version(self) -> tuple[int, str]:
        """Changes whenever a mark is added or removed (count, newest time, last id)."""
        c = t.asset_marks.c
        row = self._c.execute(select(func.count(), func.max(c.created_at),
                                     func.max(c.asset_id))).one()
        return int(row[0]), f"{row[1]}|{row[2]}"


class SqlBiometricStore(_Repo):
    """Wrapped per-twin data keys and encrypted templates (never plaintext)."""

    def key(self, twin_id: str) -> bytes | None:
        c = t.twin_data_keys.c
        row = self._c.execute(select(c.wrapped_key).where(c.twin_id == twin_id)).first()
        return bytes(row[0]) if row and row[0] is not None else None

    def put_key(self, twin_id: str, wrapped: bytes, at: datetime) -> None:
        c = t.twin_data_keys.c
        if self._c.execute(select(c.twin_id).where(c.twin_id == twin_id)).first():
            self._c.execute(update(t.twin_data_keys).where(c.twin_id == twin_id).values(
                wrapped_key=wrapped, created_at=at, destroyed_at=None, destroyed_reason=None))
        else:
            self._c.execute(insert(t.twin_data_keys).values(twin_id=twin_id, wrapped_key=wrapped,
                                                            created_at=at))

    def destroy_key(self, twin_id: str, at: datetime, reason: str) -> bool:
        c = t.twin_data_keys.c
        done = self._c.execute(update(t.twin_data_keys)
                               .where(c.twin_id == twin_id, c.wrapped_key.is_not(None))
                               .values(wrapped_key=None, destroyed_at=at,
                                       destroyed_reason=reason))
        return bool(done.rowcount)

    def add_template(self, *, template_id: str, twin_id: str, kind: str, ciphertext: bytes,
                     retain_until: datetime, at: datetime) -> None:
        self._c.execute(insert(t.biometric_templates).values(
            id=template_id, twin_id=twin_id, kind=kind, ciphertext=ciphertext,
            retain_until=retain_until, created_at=at))

    def templates(self, twin_id: str) -> list[tuple[str, str, bytes, datetime]]:
        c = t.biometric_templates.c
        rows = self._c.execute(select(c.id, c.kind, c.ciphertext, c.retain_until)
                               .where(c.twin_id == twin_id).order_by(c.created_at, c.id))
        return [(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def delete_templates(self, twin_id: str) -> int:
        c = t.biometric_templates.c
        return int(self._c.execute(t.biometric_templates.delete()
                                   .where(c.twin_id == twin_id)).rowcount)

    def twins_past_retention(self, now: datetime) -> list[str]:
        c = t.biometric_templates.c
        rows = self._c.execute(select(c.twin_id).where(c.retain_until < now).distinct())
        return [r[0] for r in rows]


# ------------------------------------------------------------------------- generation


class SqlGarmentRepository(_Repo):
    def add(self, garment: Garment) -> None:
        self._c.execute(insert(t.garments).values(
            id=garment.id, brand_id=garment.brand_id, name=garment.name,
            category=garment.category.value,
            document=canonical_json(garment.model_dump(mode="json")), created_at=utcnow()))

    def get(self, garment_id: str) -> Garment:
        row = self._one(select(t.garments).where(t.garments.c.id == garment_id), "garment",
                        garment_id)
        return _garment(row)

    def by_name(self, brand_id: str, name: str) -> Garment | None:
        row = self._c.execute(select(t.garments).where(
            t.garments.c.brand_id == brand_id, t.garments.c.name == name)).mappings().first()
        return _garment(row) if row else None

    def list(self, *, brand_id: str | None = None) -> list[Garment]:
        query = select(t.garments).order_by(t.garments.c.created_at, t.garments.c.id)
        if brand_id is not None:
            query = query.where(t.garments.c.brand_id == brand_id)
        return [_garment(r) for r in self._c.execute(query).mappings()]


def _garment(row: Any) -> Garment:
    try:
        return Garment.model_validate_json(row["document"])
    except ValueError as error:
        raise _corrupt("garment", row["id"], error) from None


class SqlTwinBodyRepository(_Repo):
    """The body twin of each twin: the talent's body profile and the fitted parameters."""

    def put(self, twin_id: str, profile: dict[str, Any], fit: dict[str, Any],
            at: datetime) -> None:
        values = {"profile": canonical_json(profile), "fit": canonical_json(fit),
                  "updated_at": at}
        done = self._c.execute(update(t.twin_bodies).where(
            t.twin_bodies.c.twin_id == twin_id).values(**values))
        if done.rowcount == 0:
            self._c.execute(insert(t.twin_bodies).values(twin_id=twin_id, **values))

    def get(self, twin_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        row = self._one(select(t.twin_bodies).where(t.twin_bodies.c.twin_id == twin_id),
                        "body twin of twin", twin_id)
        return json.loads(row["profile"]), json.loads(row["fit"])

    def has(self, twin_id: str) -> bool:
        return self._c.execute(select(t.twin_bodies.c.twin_id).where(
            t.twin_bodies.c.twin_id == twin_id)).first() is not None


class SqlCampaignRepository(_Repo):
    def add(self, campaign: Campaign) -> None:
        self._c.execute(insert(t.campaigns).values(
            id=campaign.id, brand_id=campaign.brand_id, name=campaign.name,
            brief=canonical_json(campaign.brief.model_dump(mode="json")),
            created_at=campaign.created_at))

    def get(self, campaign_id: str) -> Campaign:
        return _campaign(self._one(select(t.campaigns).where(t.campaigns.c.id == campaign_id),
                                   "campaign", campaign_id))

    def list(self, *, brand_id: str | None = None) -> list[Campaign]:
        query = select(t.campaigns).order_by(t.campaigns.c.created_at, t.campaigns.c.id)
        if brand_id is not None:
            query = query.where(t.campaigns.c.brand_id == brand_id)
        return [_campaign(r) for r in self._c.execute(query).mappings()]

    def add_refusal(self, campaign_id: str, request: GenerationRequest,
                    reasons: list[dict[str, str]], at: datetime) -> bool:
        """Record a refused variant once (False if it was recorded before)."""
        exists = self._c.execute(select(t.campaign_refusals.c.key).where(
            t.campaign_refusals.c.campaign_id == campaign_id,
            t.campaign_refusals.c.key == request.key)).first()
        if exists:
            return False
        self._c.execute(insert(t.campaign_refusals).values(
            campaign_id=campaign_id, key=request.key,
            request=canonical_json(request.model_dump(mode="json")),
            reasons=canonical_json(reasons), created_at=at))
        return True

    def refusals(self, campaign_id: str) -> list[tuple[GenerationRequest, list[dict[str, str]]]]:
        rows = self._c.execute(select(t.campaign_refusals).where(
            t.campaign_refusals.c.campaign_id == campaign_id).order_by(
            t.campaign_refusals.c.created_at, t.campaign_refusals.c.key)).mappings()
        return [(GenerationRequest.model_validate_json(r["request"]), json.loads(r["reasons"]))
                for r in rows]


def _campaign(row: Any) -> Campaign:
    try:
        brief = CampaignBrief.model_validate_json(row["brief"])
    except ValueError as error:
        raise _corrupt("campaign", row["id"], error) from None
    return Campaign(id=row["id"], brand_id=row["brand_id"], name=row["name"], brief=brief,
                    created_at=row["created_at"])


def _job(row: Any) -> Job:
    return Job(id=row["id"], campaign_id=row["campaign_id"], key=row["key"],
               twin_id=row["twin_id"], licence_id=row["licence_id"],
               request=GenerationRequest.model_validate_json(row["request"]),
               state=JobState(row["state"]), attempts=row["attempts"],
               max_attempts=row["max_attempts"], lease_owner=row["lease_owner"],
               lease_expires_at=row["lease_expires_at"], last_error=row["last_error"],
               asset_id=row["asset_id"], created_at=row["created_at"],
               updated_at=row["updated_at"])


class SqlJobRepository(_Repo):
    """Jobs in the database. ``claim`` takes the oldest queued job, or a running job whose
    lease has expired (its worker died), under a row lock: on PostgreSQL with ``SKIP
    LOCKED`` so that workers never wait on each other; SQLite serialises writers."""

    def add(self, job: Job) -> bool:
        """Insert unless a job with the same idempotency key exists (False then)."""
        if self._c.execute(select(t.jobs.c.id).where(t.jobs.c.key == job.key)).first():
            return False
        self._c.execute(insert(t.jobs).values(**self._values(job), id=job.id,
                                              campaign_id=job.campaign_id, key=job.key,
                                              twin_id=job.twin_id, licence_id=job.licence_id,
                                              request=canonical_json(
                                                  job.request.model_dump(mode="json")),
                                              created_at=job.created_at))
        return True

    @staticmethod
    def _values(job: Job) -> dict[str, Any]:
        return {"state": job.state.value, "attempts": job.attempts,
                "max_attempts": job.max_attempts, "lease_owner": job.lease_owner,
                "lease_expires_at": job.lease_expires_at, "last_error": job.last_error,
                "asset_id": job.asset_id, "updated_at": job.updated_at}

    def get(self, job_id: str, *, for_update: bool = False) -> Job:
        query = select(t.jobs).where(t.jobs.c.id == job_id)
        if for_update:
            query = query.with_for_update()
        return _job(self._one(query, "job", job_id))

    def by_key(self, key: str) -> Job | None:
        row = self._c.execute(select(t.jobs).where(t.jobs.c.key == key)).mappings().first()
        return _job(row) if row else None

    def update(self, job: Job) -> None:
        self._c.execute(update(t.jobs).where(t.jobs.c.id == job.id).values(**self._values(job)))

    def next_claimable(self, now: datetime, campaign_id: str | None = None) -> Job | None:
        claimable = (t.jobs.c.state == "queued") | (
            (t.jobs.c.state == "running") & (t.jobs.c.lease_expires_at < now))
        query = select(t.jobs).where(claimable).order_by(t.jobs.c.created_at,
                                                           t.jobs.c.id).limit(1)
        if campaign_id is not None:
            query = query.where(t.jobs.c.campaign_id == campaign_id)
        if self._c.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self._c.execute(query).mappings().first()
        return _job(row) if row else None

    def list(self, *, campaign_id: str | None = None, twin_id: str | None = None,
             licence_id: str | None = None, states: tuple[str, ...] | None = None
             ) -> list[Job]:
        query = select(t.jobs).order_by(t.jobs.c.created_at, t.jobs.c.id)
        if campaign_id is not None:
            query = query.where(t.jobs.c.campaign_id == campaign_id)
        if twin_id is not None:
            query = query.where(t.jobs.c.twin_id == twin_id)
        if licence_id is not None:
            query = query.where(t.jobs.c.licence_id == licence_id)
        if states is not None:
            query = query.where(t.jobs.c.state.in_(states))
        return [_job(r) for r in self._c.execute(query).mappings()]

    def counts(self, campaign_id: str) -> dict[str, int]:
        rows = self._c.execute(select(t.jobs.c.state, func.count()).where(
            t.jobs.c.campaign_id == campaign_id).group_by(t.jobs.c.state))
        return {state: int(n) for state, n in rows}

    def next_lease_expiry(self, campaign_id: str | None = None) -> datetime | None:
        """When the earliest lease of a running job runs out (None: nothing running)."""
        query = select(func.min(t.jobs.c.lease_expires_at)).where(t.jobs.c.state == "running")
        if campaign_id is not None:
            query = query.where(t.jobs.c.campaign_id == campaign_id)
        value = self._c.execute(query).scalar()
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def pending_for_licence(self, licence_id: str) -> int:
        """Jobs that may still make an asset of the licence (queued or running)."""
        return int(self._c.execute(select(func.count()).select_from(t.jobs).where(
            t.jobs.c.licence_id == licence_id,
            t.jobs.c.state.in_(("queued", "running")))).scalar())


class SqlAssetDetailRepository(_Repo):
    def add(self, asset_id: str, *, job_id: str | None, qa: dict[str, Any],
            reference: dict[str, Any]) -> None:
        self._c.execute(insert(t.asset_details).values(
            asset_id=asset_id, job_id=job_id, qa=canonical_json(qa),
            reference=canonical_json(reference)))

    def get(self, asset_id: str) -> dict[str, Any] | None:
        row = self._c.execute(select(t.asset_details).where(
            t.asset_details.c.asset_id == asset_id)).mappings().first()
        if row is None:
            return None
        return {"job_id": row["job_id"], "qa": json.loads(row["qa"]),
                "reference": json.loads(row["reference"])}

    def add_publication(self, *, publication_id: str, asset_id: str, channel: str,
                        territory: str, published_on: Any, labels: list[str],
                        rendition_sha256: str, at: datetime) -> None:
        self._c.execute(insert(t.asset_publications).values(
            id=publication_id, asset_id=asset_id, channel=channel, territory=territory,
            published_on=published_on, labels=canonical_json(labels),
            rendition_sha256=rendition_sha256, published_at=at))

    def publications(self, asset_id: str | None = None) -> list[dict[str, Any]]:
        query = select(t.asset_publications).order_by(t.asset_publications.c.published_at,
                                                      t.asset_publications.c.id)
        if asset_id is not None:
            query = query.where(t.asset_publications.c.asset_id == asset_id)
        return [{**dict(r), "labels": json.loads(r["labels"])}
                for r in self._c.execute(query).mappings()]

    def request_takedown(self, asset_id: str, at: datetime) -> int:
        return self._c.execute(update(t.asset_publications).where(
            t.asset_publications.c.asset_id == asset_id,
            t.asset_publications.c.takedown_requested_at.is_(None)).values(
            takedown_requested_at=at)).rowcount


# ------------------------------------------------------------------ accounts (migration 0007)


def _user(row: Any) -> User:
    return User(id=row["id"], email=row["email"], name=row["name"], role=Role(row["role"]),
                organisation_id=row["organisation_id"], talent_id=row["talent_id"],
                password_hash=row["password_hash"], active=bool(row["active"]),
                created_at=row["created_at"])


class SqlUserRepository(_Repo):
    def add(self, user: User) -> None:
        self._c.execute(insert(t.users).values(**user.model_dump() | {"role": user.role.value}))

    def get(self, user_id: str) -> User:
        return _user(self._one(select(t.users).where(t.users.c.id == user_id), "user", user_id))

    def by_email(self, email: str) -> User | None:
        row = self._c.execute(select(t.users).where(t.users.c.email == email.strip().lower())
                              ).mappings().first()
        return _user(row) if row else None

    def update(self, user: User) -> None:
        self._c.execute(update(t.users).where(t.users.c.id == user.id).values(
            name=user.name, password_hash=user.password_hash, active=user.active))

    def list(self) -> list[User]:
        rows = self._c.execute(select(t.users).order_by(t.users.c.created_at, t.users.c.id))
        return [_user(r) for r in rows.mappings()]


class SqlApiKeyRepository(_Repo):
    def add(self, key: ApiKey) -> None:
        self._c.execute(insert(t.api_keys).values(**key.model_dump()))

    def by_prefix(self, prefix: str) -> ApiKey | None:
        row = self._c.execute(select(t.api_keys).where(t.api_keys.c.prefix == prefix)
                              ).mappings().first()
        return ApiKey(**row) if row else None

    def get(self, key_id: str) -> ApiKey:
        return ApiKey(**self._one(select(t.api_keys).where(t.api_keys.c.id == key_id),
                                  "API key", key_id))

    def update(self, key: ApiKey) -> None:
        self._c.execute(update(t.api_keys).where(t.api_keys.c.id == key.id).values(
            revoked_at=key.revoked_at, last_used_at=key.last_used_at))

    def list(self, user_id: str | None = None) -> list[ApiKey]:
        query = select(t.api_keys).order_by(t.api_keys.c.created_at, t.api_keys.c.id)
        if user_id is not None:
            query = query.where(t.api_keys.c.user_id == user_id)
        return [ApiKey(**r) for r in self._c.execute(query).mappings()]


class SqlWebSessionRepository(_Repo):
    def add(self, session: WebSession) -> None:
        self._c.execute(insert(t.web_sessions).values(**session.model_dump()))

    def get(self, token_hash: str) -> WebSession | None:
        row = self._c.execute(select(t.web_sessions)
                              .where(t.web_sessions.c.token_hash == token_hash)
                              ).mappings().first()
        return WebSession(**row) if row else None

    def delete(self, token_hash: str) -> None:
        self._c.execute(t.web_sessions.delete().where(t.web_sessions.c.token_hash == token_hash))

    def delete_for_user(self, user_id: str) -> int:
        return int(self._c.execute(t.web_sessions.delete()
                                   .where(t.web_sessions.c.user_id == user_id)).rowcount)

    def delete_expired(self, now: datetime) -> int:
        return int(self._c.execute(t.web_sessions.delete()
                                   .where(t.web_sessions.c.expires_at < now)).rowcount)
