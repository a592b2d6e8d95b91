"""Domain objects for pure tests (signatures are placeholders: evaluate() never reads them)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tests.conftest import consent_doc, terms
from twinstudio.domain.consent import DigitalReplicaConsent, Signature
from twinstudio.domain.licence import Licence, LicenceTerms
from twinstudio.domain.twin import Twin, TwinState

AT = datetime(2026, 6, 1, tzinfo=UTC)
SIG = Signature(signer_id="tal_0123456789abcdef", role="talent", public_key="AAAA",
                signature="AAAA", signed_at=AT)


def make_world(
    licence_terms: LicenceTerms | None = None, *, today: date = date(2026, 6, 1),
    twin_state: TwinState = TwinState.ACTIVE, consent_overrides: dict[str, Any] | None = None,
) -> tuple[Licence, DigitalReplicaConsent, Twin]:
    twin = Twin(id="twn_1", talent_id="tal_1", state=twin_state)
    overrides = {"starts": "2025-01-01", "ends": "2028-12-31", **(consent_overrides or {})}
    doc = consent_doc(today, **overrides)
    consent = DigitalReplicaConsent(id="cns_1", talent_id="tal_1", twin_id=twin.id,
                                    document=doc, document_hash="0" * 64, signature=SIG)
    lt = licence_terms or terms()
    licence = Licence(id="lic_1", twin_id=twin.id, talent_id="tal_1", brand_id="brd_1",
                      consent_id=consent.id, terms=lt, document_hash="0" * 64,
                      signatures=[SIG])
    return licence, consent, twin
