"""Cross-checks of stored rows against the audit chain (pure).

Some facts live outside any signature: a licence's state and its count of assets used, a
consent's or biometric release's state, the ledger's rows. Each of them is also told by
the audit chain, event by event, and the chain is hash-linked and anchored outside the
database. So the expected value is derived from the chain and compared with the row; a
row edited in the database (revoked set back to active, a quota reset, a balanced edit of
ledger entries, a deleted transaction) no longer agrees with its history.

What the chain says, by event (payload fields):
- a licence exists from its ``LicenceGranted`` event, which records its
  ``document_hash`` (the operator's grant and an accepted proposal both write one); each
  ``Licence*`` event with ``to`` sets its state; each
  ``AssetMarked`` with ``counts_against_quota`` true adds one asset used (events written
  before that field existed may or may not have counted: they widen the expected range);
  ``LicenceAssetsCounted`` sets the count;
- a consent: ``ConsentGranted`` (active), ``ConsentRevoked``, ``ConsentExpired``;
- a biometric release: ``BiometricReleaseGranted`` (active), ``BiometricReleaseRevoked``;
- a licence proposal: ``LicenceProposed`` (with its ``document_hash``), then each
  ``LicenceProposal*`` event records the ``state`` it left the proposal in;
- the ledger: each ``LedgerPosted`` / ``LedgerReversed`` names exactly one transaction, its
  gross and (since this check exists) its content hash; each ``LedgerPeriodClosed`` one
  closed period with its top-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from twinstudio.domain.audit import AuditEvent
from twinstudio.domain.consent import BiometricRelease, DigitalReplicaConsent
from twinstudio.domain.ledger import LedgerProblem, Transaction
from twinstudio.domain.licence import Licence, LicenceState
from twinstudio.domain.proposals import LicenceProposal


class IntegrityProblem(BaseModel):
    """One row that does not hold: where it is (``table``, ``row_id``) and what is wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    row_id: str
    problem: str

    def line(self) -> str:
        return f"{self.table} {self.row_id}: {self.problem}"


@dataclass
class _History:
    """What the chain says about one document."""

    created_seq: int | None = None
    document_hash: str | None = None
    state: str | None = None
    last_seq: int | None = None
    used: int = 0       # assets counted for certain
    maybe_used: int = 0  # legacy AssetMarked events that may have counted


def _histories(events: list[AuditEvent], id_field: str, transitions: dict[str, str],
               created_by: str | None = None) -> dict[str, _History]:
    """Per document id in ``id_field``: its creation (the first event of type
    ``created_by``, or of any type, that records a ``document_hash``) and its state
    (``transitions``: event type -> state; ``*``: the payload's ``to``)."""
    out: dict[str, _History] = {}
    for event in events:
        ident = event.payload.get(id_field)
        if not isinstance(ident, str):
            continue
        history = out.setdefault(ident, _History())
        if "document_hash" in event.payload and history.created_seq is None \
                and created_by in (None, event.type):
            history.created_seq = event.seq
            history.document_hash = event.payload["document_hash"]
            history.state = "active"
            history.last_seq = event.seq
        state = transitions.get(event.type)
        if state == "*":
            state = event.payload.get("to") if isinstance(event.payload.get("to"), str) \
                else None
        if state is not None:
            history.state, history.last_seq = state, event.seq
    return out


def _document_problems(table: str, ident: str, kind: str, history: _History | None,
                       document_hash: str, state: str) -> list[IntegrityProblem]:
    if history is None or history.created_seq is None:
        return [IntegrityProblem(table=table, row_id=ident, problem=(
            f"no audit event records this {kind} being made (the row was written "
            "outside the application)"))]
    problems = []
    if history.document_hash != document_hash:
        problems.append(IntegrityProblem(table=table, row_id=ident, problem=(
            f"document hash {document_hash[:16]}... differs from the one audit event "
            f"{history.created_seq} recorded at signature ({str(history.document_hash)[:16]}"
            "...)")))
    if history.state != state:
        problems.append(IntegrityProblem(table=table, row_id=ident, problem=(
            f"state is {state!r} but the audit chain says {history.state!r} (event "
            f"{history.last_seq}): the state was edited in the database")))
    return problems


_LICENCE_STATES = {f"Licence{s.value.title()}": "*" for s in LicenceState}


def licence_problems(licences: list[Licence],
                     events: list[AuditEvent]) -> list[IntegrityProblem]:
    """Each licence's grant, state and assets used, against its audit events."""
    histories = _histories(events, "licence_id", _LICENCE_STATES,
                           created_by="LicenceGranted")
    for event in events:  # assets used
        history = histories.get(str(event.payload.get("licence_id")))
        if history is None:
            continue
        if event.type == "AssetMarked":
            counted = event.payload.get("counts_against_quota")
            if counted is None:
                history.maybe_used += 1
            elif counted is True:
                history.used += 1
        elif event.type == "LicenceAssetsCounted" and isinstance(
                event.payload.get("assets_used"), int):
            history.used, history.maybe_used = event.payload["assets_used"], 0
    problems = []
    for licence in licences:
        history = histories.get(licence.id)
        problems += _document_problems("licences", licence.id, "licence", history,
                                       licence.document_hash, licence.state.value)
        if history is None or history.created_seq is None:
            continue
        low, high = history.used, history.used + history.maybe_used
        if not low <= licence.assets_used <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            problems.append(IntegrityProblem(table="licences", row_id=licence.id, problem=(
                f"assets_used is {licence.assets_used} but the audit chain counts "
                f"{expected} asset(s) against its quota: the count was edited")))
    return problems


def consent_problems(consents: list[DigitalReplicaConsent],
                     events: list[AuditEvent]) -> list[IntegrityProblem]:
    """Each consent's grant and state, against its audit events."""
    histories = _histories(events, "consent_id", {"ConsentRevoked": "revoked",
                                                  "ConsentExpired": "expired"},
                           created_by="ConsentGranted")
    return [p for consent in consents
            for p in _document_problems("consents", consent.id, "consent",
                                        histories.get(consent.id), consent.document_hash,
                                        consent.state.value)]


def release_problems(releases: list[BiometricRelease],
                     events: list[AuditEvent]) -> list[IntegrityProblem]:
    """Each biometric release's grant and state, against its audit events."""
    histories = _histories(events, "release_id", {"BiometricReleaseRevoked": "revoked"},
                           created_by="BiometricReleaseGranted")
    return [p for release in releases
            for p in _document_problems("biometric_releases", release.id,
                                        "biometric release", histories.get(release.id),
                                        release.document_hash, release.state.value)]


def proposal_problems(proposals: list[LicenceProposal],
                      events: list[AuditEvent]) -> list[IntegrityProblem]:
    """Each licence proposal's creation and state, against its audit events."""
    histories = _histories(events, "proposal_id", {}, created_by="LicenceProposed")
    for event in events:
        history = histories.get(str(event.payload.get("proposal_id")))
        state = event.payload.get("state")
        if history is not None and isinstance(state, str) and (
                event.type == "LicenceProposed" or event.type.startswith("LicenceProposal")):
            history.state, history.last_seq = state, event.seq
    return [p for proposal in proposals
            for p in _document_problems("licence_proposals", proposal.id, "proposal",
                                        histories.get(proposal.id), proposal.document_hash,
                                        proposal.state.value)]


_POSTINGS = ("LedgerPosted", "LedgerReversed")


def ledger_problems(transactions: list[Transaction], closed: list[tuple[str, str, int]],
                    events: list[AuditEvent]) -> list[LedgerProblem]:
    """Every posting audit event has exactly one transaction that matches what it recorded
    (gross, content hash), every transaction has exactly one such event; the same for
    closed periods and their top-ups."""
    problems: list[LedgerProblem] = []
    posted: dict[str, AuditEvent] = {}
    for event in events:
        if event.type not in _POSTINGS:
            continue
        ident = str(event.payload.get("transaction_id"))
        if ident in posted:
            problems.append(LedgerProblem(transaction_id=ident, problem=(
                f"audit events {posted[ident].seq} and {event.seq} both record its posting")))
        posted.setdefault(ident, event)
    seen = set()
    for txn in transactions:
        seen.add(txn.id)
        event = posted.get(txn.id)
        if event is None:
            problems.append(LedgerProblem(transaction_id=txn.id, problem=(
                "no audit event records its posting (the transaction was written outside "
                "the application)")))
            continue
        problems += _posting_problems(txn, event)
    for ident, event in posted.items():
        if ident not in seen:
            problems.append(LedgerProblem(transaction_id=ident, problem=(
                f"missing: audit event {event.seq} ({event.type}) records its posting, but "
                "the transaction is not in the ledger (it was deleted)")))
    problems += _closing_problems(closed, events)
    return problems


def _posting_problems(txn: Transaction, event: AuditEvent) -> list[LedgerProblem]:
    payload: dict[str, Any] = event.payload
    where = f"audit event {event.seq} ({event.type})"
    recorded = payload.get("transaction_hash")
    if recorded is not None:
        if recorded != txn.content_hash():
            return [LedgerProblem(transaction_id=txn.id, problem=(
                f"its entries or fields differ from what {where} recorded at posting (gross "
                f"{txn.gross}, {len(txn.entries)} entries now): edited in the database"))]
        return []
    # postings from before the content hash: what the event did record must agree
    problems = []
    for name, value in (("gross", txn.gross), ("event_key", txn.event_key),
                        ("licence_id", txn.licence_id), ("currency", txn.currency),
                        ("reverses", txn.reverses)):
        if name in payload and payload[name] != value:
            problems.append(LedgerProblem(transaction_id=txn.id, problem=(
                f"{name} is {value!r} but {where} recorded {payload[name]!r}")))
    return problems


def _closing_problems(closed: list[tuple[str, str, int]],
                      events: list[AuditEvent]) -> list[LedgerProblem]:
    audited = {}
    for event in events:
        if event.type == "LedgerPeriodClosed":
            key = f"{event.payload.get('licence_id')}:{event.payload.get('period')}"
            audited[key] = (event.seq, event.payload.get("top_up"))
    problems = []
    stored = {f"{licence_id}:{period}": top_up for licence_id, period, top_up in closed}
    for key, top_up in stored.items():
        if key not in audited:
            problems.append(_closing(key, "no audit event records this period's closing"))
        elif audited[key][1] != top_up:
            problems.append(_closing(key, f"top-up {top_up} differs from the "
                                          f"{audited[key][1]} audit event {audited[key][0]} "
                                          "recorded"))
    for key, (seq, _) in audited.items():
        if key not in stored:
            problems.append(_closing(key, f"missing: audit event {seq} records this period's "
                                          "closing (the row was deleted)"))
    return problems


def _closing(key: str, problem: str) -> LedgerProblem:
    return LedgerProblem(transaction_id=None, problem=f"closed period {key}: {problem}",
                         table="ledger_period_closes", row_id=key)
