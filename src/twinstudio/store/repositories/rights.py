"""Consents, biometric releases, licences and the audit chain. Signed documents
that no longer parse are reported as corrupt, never silently read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, cast, insert, select, text, update

from twinstudio.domain.audit import AuditEvent
from twinstudio.domain.common import STORED, canonical_json, utcnow
from twinstudio.domain.consent import (
    BiometricRelease,
    BiometricReleaseDocument,
    ConsentDocument,
    ConsentState,
    DigitalReplicaConsent,
    Signature,
)
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.licence import Licence, LicenceState, LicenceTerms
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _corrupt, _Repo


def _consent_row(c: DigitalReplicaConsent) -> dict[str, Any]:
    return {
        "id": c.id, "talent_id": c.talent_id, "twin_id": c.twin_id, "state": c.state.value,
        "starts": c.document.starts, "ends": c.document.ends,
        "document": canonical_json(c.document.model_dump(mode="json")),
        "document_hash": c.document_hash,
        "signature": canonical_json(c.signature.model_dump(mode="json")),
        "signed_at": c.signed_at, "revoked_at": c.revoked_at,
        "revocation_reason": c.revocation_reason,
        "training_withdrawn_at": c.training_withdrawn_at,
    }


def _consent(row: Any) -> DigitalReplicaConsent:
    try:
        return _consent_unchecked(row)
    except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
        raise _corrupt("consent", row["id"], error) from None


def _consent_unchecked(row: Any) -> DigitalReplicaConsent:
    return DigitalReplicaConsent(
        id=row["id"], talent_id=row["talent_id"], twin_id=row["twin_id"],
        state=ConsentState(row["state"]),
        document=ConsentDocument.model_validate_json(row["document"], context=STORED),
        document_hash=row["document_hash"],
        signature=Signature.model_validate_json(row["signature"]),
        signed_at=row["signed_at"], revoked_at=row["revoked_at"],
        revocation_reason=row["revocation_reason"],
        training_withdrawn_at=row["training_withdrawn_at"],
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
            revocation_reason=row["revocation_reason"],
            training_withdrawn_at=row["training_withdrawn_at"]))

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
        document=BiometricReleaseDocument.model_validate_json(row["document"],
                                                              context=STORED),
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
        terms=LicenceTerms.model_validate_json(row["terms"], context=STORED),
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
    # the newest event this transaction appended: the unit of work anchors it on commit
    appended: AuditEvent | None = None

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
        self.appended = event
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
