"""``integrity check``: every check that tampering with the database must pass, in one run.

1. the audit chain: links and hashes, then the signed checkpoints kept outside the
   database (a consistent rewrite or deleted newest events fail);
2. the signed documents: each consent, biometric release, licence and licence proposal
   against its hash and its signers' keys of record;
3. what no signature covers, against the chain: licence state and assets used, consent,
   release and proposal state (``domain/integrity.py`` derives them);
4. the ledger: balance, each event key once, and each posting against its audit event
   (exactly one transaction per posting event and back, with the content it recorded).

The report lists every problem, in that order; the first names the first bad row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from twinstudio.domain.audit import ChainReport
from twinstudio.domain.consent import BiometricRelease, signing_message
from twinstudio.domain.errors import IntegrityError, NotFound
from twinstudio.domain.integrity import (
    IntegrityProblem,
    consent_problems,
    licence_problems,
    proposal_problems,
    release_problems,
)
from twinstudio.domain.proposals import LicenceProposal
from twinstudio.services.audit import verify_audit
from twinstudio.services.billing import check_ledger
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork
from twinstudio.services.rights import SignatureReport, verify_consent, verify_licence

_ID = re.compile(r"\b[a-z]{3}_[0-9a-f]{24}\b")


@dataclass
class IntegrityReport:
    """What ``integrity check`` found: the chain's report, how many rows of each kind
    were checked, and every problem (first: the first bad row)."""

    chain: ChainReport
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[IntegrityProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> IntegrityProblem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        """One line for a workspace where everything holds."""
        c = self.checked
        if self.chain.checkpoints:
            anchors = (f"anchored by {self.chain.checkpoints} signed checkpoint(s) up to "
                       f"event {self.chain.anchored_seq}")
        else:
            anchors = "no signed checkpoints yet"
        return (f"integrity ok: audit chain of {c.get('audit_events', 0)} events ({anchors}); "
                f"{c.get('consents', 0)} consent(s), {c.get('biometric_releases', 0)} "
                f"biometric release(s), {c.get('licences', 0)} licence(s), "
                f"{c.get('licence_proposals', 0)} licence proposal(s) signed and "
                f"consistent with the chain; {c.get('ledger_transactions', 0)} ledger "
                "transaction(s) balanced and each matching its audit event")

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked,
                "chain": self.chain.model_dump(mode="json"),
                "first_problem": self.first.model_dump() if self.first else None,
                "problems": [p.model_dump() for p in self.problems]}


def check_integrity(ctx: ServiceContext) -> IntegrityReport:
    """Run every check (read-only) and report each row that does not hold."""
    chain = verify_audit(ctx)
    report = IntegrityReport(chain, {"audit_events": chain.events,
                                     "checkpoints": chain.checkpoints or 0})
    if not chain.ok:
        location = str(chain.first_bad_seq) if chain.first_bad_seq is not None else "-"
        report.problems.append(IntegrityProblem(
            table="audit_events", row_id=location,
            problem=chain.problem or "the audit chain does not verify"))
    with ctx.uow() as uow:
        events = uow.audit.all()
        consents = _read(report, "consents", uow.consents.list)
        licences = _read(report, "licences", uow.licences.list)
        releases = _read(report, "biometric_releases", lambda: _releases(uow))
        proposals = _read(report, "licence_proposals", uow.proposals.list)
    report.checked.update(consents=len(consents), licences=len(licences),
                          biometric_releases=len(releases), licence_proposals=len(proposals))
    # signatures and hashes of the documents (the same checks as 'consent verify' and
    # 'licence verify')
    for consent in consents:
        _signed(report, "consents", consent.id, verify_consent(ctx, consent.id))
    for release in releases:
        _signed(report, "biometric_releases", release.id, _verify_release(ctx, release))
    for licence in licences:
        _signed(report, "licences", licence.id, verify_licence(ctx, licence.id))
    for proposal in proposals:
        _signed(report, "licence_proposals", proposal.id, _verify_proposal(ctx, proposal))
    # what no signature covers, against the chain
    report.problems += consent_problems(consents, events)
    report.problems += release_problems(releases, events)
    report.problems += licence_problems(licences, events)
    report.problems += proposal_problems(proposals, events)
    # the ledger: balance and postings against their audit events
    ledger = check_ledger(ctx)
    report.checked["ledger_transactions"] = ledger.transactions
    for problem in ledger.problems:
        report.problems.append(IntegrityProblem(
            table=problem.table, row_id=problem.row_id or problem.transaction_id or "-",
            problem=problem.problem))
    if ledger.debits != ledger.credits:
        report.problems.append(IntegrityProblem(
            table="ledger_entries", row_id="-",
            problem=f"debits {ledger.debits} differ from credits {ledger.credits}"))
    return report


def _read(report: IntegrityReport, table: str, read: Any) -> list[Any]:
    """The rows of ``table``; a row that no longer parses is a problem of its own."""
    try:
        return list(read())
    except IntegrityError as error:
        named = _ID.search(error.message)  # the store names the row it could not read
        report.problems.append(IntegrityProblem(
            table=table, row_id=named.group(0) if named else "-", problem=error.message))
        return []


def _releases(uow: UnitOfWork) -> list[BiometricRelease]:
    return [r for talent in uow.talents.list() for r in uow.releases.list_for_talent(talent.id)]


def _signed(report: IntegrityReport, table: str, ident: str,
            checked: SignatureReport) -> None:
    if checked.valid:
        return
    if not checked.document_hash_ok:
        problem = ("its content no longer matches its signed hash (the document was edited "
                   "in the database)")
    else:
        bad = [f"{s['role']}:{s['signer_id']}" for s in checked.signatures if not s["valid"]]
        bad += [f"{m} (missing)" for m in checked.missing_signers if m not in bad]
        problem = ("signature(s) do not verify with the signers' keys of record: "
                   + ", ".join(bad))
    report.problems.append(IntegrityProblem(table=table, row_id=ident, problem=problem))


def _verify_proposal(ctx: ServiceContext, proposal: LicenceProposal) -> SignatureReport:
    """A licence proposal against its hash and the brand's key of record."""
    sig = proposal.brand_signature
    with ctx.uow() as uow:
        try:
            key = uow.organisations.public_key(proposal.brand_id)
        except NotFound:
            key = None
    checked = _signed_by(ctx, sig, key=key, signer_id=proposal.brand_id, kind="licence",
                         document_hash=proposal.document_hash)
    if sig.role != "brand":
        checked["valid"] = False
    return SignatureReport(proposal.id, proposal.recompute_hash() == proposal.document_hash,
                           [checked], [])


def _signed_by(ctx: ServiceContext, sig: Any, *, key: str | None, signer_id: str, kind: str,
               document_hash: str) -> dict[str, Any]:
    """One signature checked against the signer's key of record (None: no key)."""
    valid = (key is not None and sig.signer_id == signer_id and sig.public_key == key
             and ctx.keyring.verify(key, signing_message(kind, document_hash), sig.signature))
    return {"signer_id": sig.signer_id, "role": sig.role, "valid": valid}


def _verify_release(ctx: ServiceContext, release: BiometricRelease) -> SignatureReport:
    """A biometric release against its hash and the talent's key of record."""
    recomputed = release.document.document_hash(talent_id=release.talent_id,
                                                release_id=release.id)
    sig = release.signature
    with ctx.uow() as uow:
        try:
            key = uow.talents.public_key(release.talent_id)
        except NotFound:
            key = None
    checked = _signed_by(ctx, sig, key=key, signer_id=release.talent_id,
                         kind="biometric_release", document_hash=release.document_hash)
    return SignatureReport(release.id, recomputed == release.document_hash, [checked], [])
