"""Use cases of the rights layer: consents, biometric releases, licences, policy checks,
revocation and expiry. Each runs in one unit of work: all or nothing, audited."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from twinstudio.domain.consent import (
    BiometricRelease,
    BiometricReleaseDocument,
    ConsentDocument,
    ConsentState,
    DigitalReplicaConsent,
    Signature,
    release_in_force,
    signing_message,
)
from twinstudio.domain.errors import (
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    RightsRefused,
)
from twinstudio.domain.ledger import BillableEvent, EventType
from twinstudio.domain.licence import Licence, LicenceState, LicenceTerms
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.policy import (
    Concerns,
    Decision,
    ProposedUse,
    Reason,
    ReasonCode,
    check_grant,
    evaluate,
)
from twinstudio.domain.proposals import LicenceProposal, ProposalState
from twinstudio.domain.text import check_text
from twinstudio.domain.twin import Twin, TwinState
from twinstudio.services.adapters import destroy_adapters_in
from twinstudio.services.billing import post_in
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork, WithdrawalResult
from twinstudio.services.webhooks import emit, emit_for_licence


def _sign(ctx: ServiceContext, *, kind: str, document_hash: str, signer_id: str, role: str,
          public_key: str, at: datetime) -> Signature:
    signature = ctx.keyring.sign(signer_id, signing_message(kind, document_hash))
    return Signature(signer_id=signer_id, role=role, public_key=public_key,  # type: ignore[arg-type]
                     signature=signature, signed_at=at)


# ---------------------------------------------------------------- consent


def grant_consent(ctx: ServiceContext, *, talent_id: str, document: ConsentDocument,
                  actor: str | None = None) -> DigitalReplicaConsent:
    """The talent signs a digital replica consent for their own twin."""
    now = ctx.now()
    with ctx.uow() as uow:
        talent = uow.talents.get(talent_id)
        twin = uow.twins.get_by_talent(talent_id)
        if twin.state in (TwinState.RETIRED, TwinState.SHREDDED):
            raise Conflict(f"twin {twin.id} is {twin.state.value}; it cannot take new consent")
        if document.language != talent.language:
            raise InvalidInput(
                f"the consent is written in {document.language!r} but talent {talent_id} reads "
                f"{talent.language!r}: give it to them in their language")
        if document.ends < ctx.today():
            raise InvalidInput(f"the consent would already have ended ({document.ends})")
        consent_id = DigitalReplicaConsent.model_fields["id"].default_factory()  # type: ignore[misc]
        digest = document.document_hash(talent_id=talent_id, consent_id=consent_id)
        signature = _sign(ctx, kind="consent", document_hash=digest, signer_id=talent_id,
                          role="talent", public_key=uow.talents.public_key(talent_id), at=now)
        consent = DigitalReplicaConsent(id=consent_id, talent_id=talent_id, twin_id=twin.id,
                                        document=document, document_hash=digest,
                                        signature=signature, signed_at=now)
        uow.consents.add(consent)
        uow.talents.touch(talent_id, now)
        uow.audit.append(actor=actor or talent_id, type="ConsentGranted", at=now, payload={
            "consent_id": consent.id, "talent_id": talent_id, "twin_id": twin.id,
            "document_hash": digest, "starts": document.starts, "ends": document.ends})
        uow.commit()
    return consent


def revoke_consent(ctx: ServiceContext, consent_id: str, *, reason: str,
                   actor: str | None = None) -> RevocationResult:
    """Revoke a consent: its licences are suspended and the twin's queued work withdrawn."""
    check_text(reason, "reason", multiline=True)
    now = ctx.now()
    with ctx.uow() as uow:
        consent = uow.consents.get(consent_id)
        if consent.state is ConsentState.REVOKED:
            raise Conflict(f"consent {consent_id} is already revoked")
        uow.twins.get(consent.twin_id, for_update=True)
        revoked = consent.model_copy(update={"state": ConsentState.REVOKED, "revoked_at": now,
                                             "revocation_reason": reason})
        uow.consents.update(revoked)
        uow.talents.touch(consent.talent_id, now)
        uow.audit.append(actor=actor or consent.talent_id, type="ConsentRevoked", at=now,
                         payload={"consent_id": consent_id, "twin_id": consent.twin_id,
                                  "reason": reason})
        result = RevocationResult(consent_id=consent_id)
        for licence in uow.licences.list(consent_id=consent_id):
            if licence.state is LicenceState.ACTIVE:
                _set_licence_state(uow, licence, LicenceState.SUSPENDED,
                                   f"consent {consent_id} revoked: {reason}", actor or "system",
                                   now, "LicenceSuspended")
                result.suspended_licences.append(licence.id)
        result.withdrawals = _withdraw(ctx, uow, consent.twin_id, result.suspended_licences,
                                       f"consent revoked: {reason}")
        if consent.document.model_training:  # the right to train ends with the consent
            result.destroyed_adapters = destroy_adapters_in(
                uow, twin_id=consent.twin_id, reason=f"consent revoked: {reason}",
                actor=actor or consent.talent_id, now=now)
        _tell_consent_revoked(uow, consent, result.suspended_licences, reason, now)
        uow.commit()
    return result


def _tell_consent_revoked(uow: UnitOfWork, consent: DigitalReplicaConsent,
                          suspended: list[str], reason: str, now: datetime) -> None:
    """``consent.revoked`` to the talent's agency (everything) and to each brand whose
    licence it suspended (only that brand's licences; the talent's reason withheld)."""
    base = {"consent_id": consent.id, "twin_id": consent.twin_id, "state": "revoked"}
    emit(uow, "consent.revoked", [uow.talents.get(consent.talent_id).agency_id],
         {**base, "reason": reason, "suspended_licences": suspended}, now=now)
    by_brand: dict[str, list[str]] = {}
    for licence_id in suspended:
        by_brand.setdefault(uow.licences.get(licence_id).brand_id, []).append(licence_id)
    for brand_id, licence_ids in by_brand.items():
        emit(uow, "consent.revoked", [brand_id], {**base, "suspended_licences": licence_ids},
             now=now)


@dataclass
class RevocationResult:
    consent_id: str | None = None
    licence_id: str | None = None
    suspended_licences: list[str] = field(default_factory=list)
    withdrawals: list[WithdrawalResult] = field(default_factory=list)  # one per hook
    destroyed_adapters: list[str] = field(default_factory=list)  # the twin's LoRAs

    def _all(self, name: str) -> list[str]:
        return [i for w in self.withdrawals for i in (getattr(w, name) or [])]

    @property
    def cancelled_jobs(self) -> list[str]:
        return self._all("cancelled_jobs")

    @property
    def withdrawn_assets(self) -> list[str]:
        return self._all("withdrawn_assets")

    @property
    def flagged_for_takedown(self) -> list[str]:
        return self._all("flagged_for_takedown")

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``consent revoke --json`` / ``licence revoke --json``: what was
        revoked, the licences it suspended and, under ``withdrawn``, what each hook did."""
        withdrawn = [w.as_dict() for w in self.withdrawals]
        if self.consent_id is not None:
            return {"consent_id": self.consent_id, "state": "revoked",
                    "suspended_licences": self.suspended_licences, "withdrawn": withdrawn,
                    "destroyed_adapters": self.destroyed_adapters}
        return {"licence_id": self.licence_id, "state": "revoked", "withdrawn": withdrawn}


def _withdraw(ctx: ServiceContext, uow: UnitOfWork, twin_id: str, licence_ids: list[str],
              reason: str) -> list[WithdrawalResult]:
    return [hook(uow, twin_id=twin_id, licence_ids=licence_ids, reason=reason)
            for hook in ctx.rights_withdrawn_hooks]


# ---------------------------------------------------------------- biometric release


def grant_biometric_release(ctx: ServiceContext, *, talent_id: str,
                            document: BiometricReleaseDocument,
                            actor: str | None = None) -> BiometricRelease:
    """The talent's written release for biometric processing (needed before enrolment)."""
    now = ctx.now()
    with ctx.uow() as uow:
        talent = uow.talents.get(talent_id)
        if document.language != talent.language:
            raise InvalidInput(
                f"the release is written in {document.language!r} but the talent reads "
                f"{talent.language!r}")
        release_id = BiometricRelease.model_fields["id"].default_factory()  # type: ignore[misc]
        digest = document.document_hash(talent_id=talent_id, release_id=release_id)
        signature = _sign(ctx, kind="biometric_release", document_hash=digest,
                          signer_id=talent_id, role="talent",
                          public_key=uow.talents.public_key(talent_id), at=now)
        release = BiometricRelease(id=release_id, talent_id=talent_id, document=document,
                                   document_hash=digest, signature=signature, signed_at=now)
        uow.releases.add(release)
        uow.talents.touch(talent_id, now)
        uow.audit.append(actor=actor or talent_id, type="BiometricReleaseGranted", at=now,
                         payload={"release_id": release.id, "talent_id": talent_id,
                                  "retention_days": document.retention_days,
                                  "document_hash": digest})
        uow.commit()
    return release


def revoke_biometric_release(ctx: ServiceContext, release_id: str, *,
                             actor: str | None = None) -> BiometricRelease:
    """Revoke a biometric release. The enrolment issue hooks crypto-shredding onto this."""
    now = ctx.now()
    with ctx.uow() as uow:
        release = uow.releases.get(release_id)
        if release.state is not ConsentState.ACTIVE:
            raise Conflict(f"biometric release {release_id} is {release.state.value}")
        revoked = release.model_copy(update={"state": ConsentState.REVOKED, "revoked_at": now})
        uow.releases.update(revoked)
        uow.audit.append(actor=actor or release.talent_id, type="BiometricReleaseRevoked",
                         at=now, payload={"release_id": release_id,
                                          "talent_id": release.talent_id})
        # Without a release nothing biometric may be kept: crypto-shred the twin's data.
        from twinstudio.services.biometrics import shred_in

        twin = uow.twins.get_by_talent(release.talent_id)
        shred_in(uow, twin_id=twin.id, reason="biometric release revoked",
                 actor=actor or release.talent_id, now=now)
        uow.commit()
    return revoked


def active_biometric_release(uow: UnitOfWork, talent_id: str) -> BiometricRelease | None:
    """The talent's release in force, if any (no biometric processing without one)."""
    return release_in_force(uow.releases.list_for_talent(talent_id))


# ---------------------------------------------------------------- licences


def grant_licence(ctx: ServiceContext, *, twin_id: str, brand_id: str, terms: LicenceTerms,
                  consent_id: str | None = None, actor: str | None = None,
                  licence_id: str | None = None, brand_signature: Signature | None = None,
                  audit: dict[str, Any] | None = None,
                  within: UnitOfWork | None = None) -> Licence:
    """Grant a licence of a twin to a brand, signed by the talent and the brand.

    Brands do not call this: they propose, and the talent's side accepts
    (``services.proposals``, which passes the proposal's ``licence_id``, the
    ``brand_signature`` made when it was proposed and its own unit of work as ``within``:
    nothing is committed here then). Called directly it is the workspace operator's path
    (``twinstudio licence grant``), both signatures applied at once; ``audit`` adds to the
    LicenceGranted event (who acted for whom).

    Refused (``RightsRefused`` with every reason) when no active consent covers the terms,
    an exclusive licence of another brand overlaps, or the uses are too vague without
    representation. The twin row is locked so that two grants cannot both pass the
    exclusivity check.
    """
    now = ctx.now()
    with nullcontext(within) if within is not None else ctx.uow() as uow:
        twin = uow.twins.get(twin_id, for_update=True)
        uow.organisations.get(brand_id, OrganisationKind.BRAND)
        consent = covering_consent(ctx, uow, twin, brand_id=brand_id, terms=terms,
                                   consent_id=consent_id)

        licence_id = licence_id or Licence.model_fields["id"].default_factory()  # type: ignore[misc]
        digest = Licence.compute_hash(licence_id=licence_id, twin_id=twin_id,
                                      talent_id=twin.talent_id, brand_id=brand_id,
                                      consent_id=consent.id, terms=terms)
        signatures = [
            _sign(ctx, kind="licence", document_hash=digest, signer_id=twin.talent_id,
                  role="talent", public_key=uow.talents.public_key(twin.talent_id), at=now),
            brand_signature or _sign(
                ctx, kind="licence", document_hash=digest, signer_id=brand_id, role="brand",
                public_key=uow.organisations.public_key(brand_id), at=now),
        ]
        licence = Licence(id=licence_id, twin_id=twin_id, talent_id=twin.talent_id,
                          brand_id=brand_id, consent_id=consent.id, terms=terms,
                          document_hash=digest, signatures=signatures, granted_at=now,
                          updated_at=now)
        uow.licences.add(licence)
        uow.talents.touch(twin.talent_id, now)
        uow.audit.append(actor=actor or brand_id, type="LicenceGranted", at=now, payload={
            "licence_id": licence_id, "twin_id": twin_id, "brand_id": brand_id,
            "consent_id": consent.id, "document_hash": digest, "starts": terms.starts,
            "ends": terms.ends, "exclusive_categories": terms.exclusive_categories,
            **(audit or {})})
        # The flat fee falls due on signature, in the same transaction as the licence.
        post_in(uow, BillableEvent(type=EventType.LICENCE_SIGNED, licence_id=licence_id,
                                   occurred_at=max(now, _start_of(terms.starts, now))),
                now=now, actor="system")
        emit_for_licence(uow, "licence.granted", licence, now=now)
        if within is None:
            uow.commit()
    return licence


def covering_consent(ctx: ServiceContext, uow: UnitOfWork, twin: Twin, *, brand_id: str,
                     terms: LicenceTerms,
                     consent_id: str | None = None) -> DigitalReplicaConsent:
    """The consent a licence of ``twin`` with ``terms`` to ``brand_id`` would rest on:
    ``consent_id``, or the newest active consent under which ``check_grant`` passes.
    ``RightsRefused`` with every reason (those of the first candidate) when none does."""
    others = uow.licences.list(twin_id=twin.id)
    if consent_id is not None:
        candidates = [uow.consents.get(consent_id)]
        if candidates[0].twin_id != twin.id:
            # another twin's consent is not the asker's to name: answered word for word
            # as an id that does not exist
            raise NotFound(f"consent {consent_id!r} not found")
    else:
        candidates = [c for c in reversed(uow.consents.list_for_twin(twin.id))
                      if c.state is ConsentState.ACTIVE] or [None]  # type: ignore[list-item]
    reasons: list[Reason] = []
    for candidate in candidates:
        found = check_grant(terms, brand_id=brand_id, twin=twin, consent=candidate,
                            other_licences=others, today=ctx.today())
        if not found and candidate is not None:
            return candidate
        if not reasons:
            reasons = found
    raise RightsRefused("licence refused", reasons)


def _start_of(day, now: datetime) -> datetime:  # type: ignore[no-untyped-def]
    """Midnight UTC of ``day``: a licence signed before it starts owes its flat fee on its
    first day, when it comes into force."""
    return datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo)


def _set_licence_state(uow: UnitOfWork, licence: Licence, state: LicenceState, reason: str,
                       actor: str, now: datetime, event: str) -> Licence:
    changed = licence.model_copy(update={"state": state, "state_reason": reason,
                                         "updated_at": now})
    uow.licences.update(changed)
    uow.audit.append(actor=actor, type=event, at=now, payload={
        "licence_id": licence.id, "twin_id": licence.twin_id, "from": licence.state.value,
        "to": state.value, "reason": reason})
    return changed


def revoke_licence(ctx: ServiceContext, licence_id: str, *, reason: str,
                   actor: str) -> RevocationResult:
    """Revoke a licence (talent or brand); the twin's queued work under it is withdrawn."""
    check_text(reason, "reason", multiline=True)
    now = ctx.now()
    with ctx.uow() as uow:
        licence = uow.licences.get(licence_id, for_update=True)
        if licence.state in (LicenceState.REVOKED, LicenceState.EXPIRED):
            raise Conflict(f"licence {licence_id} is already {licence.state.value}")
        revoked = _set_licence_state(uow, licence, LicenceState.REVOKED, reason, actor, now,
                                     "LicenceRevoked")
        emit_for_licence(uow, "licence.revoked", revoked, now=now, reason=reason)
        result = RevocationResult(licence_id=licence_id)
        result.withdrawals = _withdraw(ctx, uow, licence.twin_id, [licence_id],
                                       f"licence revoked: {reason}")
        uow.commit()
    return result


@dataclass
class ExpiryResult:
    """What a sweep expired (ids)."""

    consents: list[str] = field(default_factory=list)
    licences: list[str] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"consents": self.consents, "licences": self.licences,
                "proposals": self.proposals}


def expire_proposal_in(uow: UnitOfWork, proposal: LicenceProposal, *, now: datetime,
                       actor: str) -> LicenceProposal:
    """Record that an unanswered licence proposal lapsed (its state and audit event)."""
    expired = proposal.decide(ProposalState.EXPIRED, now=now, by=actor)
    uow.proposals.update(expired)
    kind, payload = expired.event("LicenceProposalExpired", expires_at=proposal.expires_at)
    uow.audit.append(actor=actor, type=kind, at=now, payload=payload)
    return expired


def expire_rights(ctx: ServiceContext, *, actor: str = "system") -> ExpiryResult:
    """Mark consents and licences whose end date has passed, and licence proposals left
    unanswered past their expiry, as expired (idempotent)."""
    now, today = ctx.now(), ctx.today()
    expired = ExpiryResult()
    with ctx.uow() as uow:
        for consent in uow.consents.list():
            if consent.state is ConsentState.ACTIVE and consent.document.ends < today:
                uow.consents.update(consent.model_copy(update={"state": ConsentState.EXPIRED}))
                uow.audit.append(actor=actor, type="ConsentExpired", at=now, payload={
                    "consent_id": consent.id, "ends": consent.document.ends})
                expired.consents.append(consent.id)
        by_twin: dict[str, list[str]] = {}
        for licence in uow.licences.list():
            if licence.state in (LicenceState.ACTIVE, LicenceState.SUSPENDED) \
                    and licence.terms.ends < today:
                _set_licence_state(uow, licence, LicenceState.EXPIRED,
                                   f"licence period ended on {licence.terms.ends}", actor, now,
                                   "LicenceExpired")
                expired.licences.append(licence.id)
                by_twin.setdefault(licence.twin_id, []).append(licence.id)
        for twin_id, licence_ids in by_twin.items():
            _withdraw(ctx, uow, twin_id, licence_ids, "licence expired")
        for proposal in uow.proposals.list(state=ProposalState.PROPOSED):
            if proposal.lapsed(now):
                expired.proposals.append(expire_proposal_in(uow, proposal, now=now,
                                                            actor=actor).id)
        uow.commit()
    return expired


def get_consent(ctx: ServiceContext, consent_id: str) -> DigitalReplicaConsent:
    """One consent (NotFound for an unknown id)."""
    with ctx.uow() as uow:
        return uow.consents.get(consent_id)


def list_consents(ctx: ServiceContext) -> list[DigitalReplicaConsent]:
    """Every consent, in signing order."""
    with ctx.uow() as uow:
        return uow.consents.list()


def get_licence(ctx: ServiceContext, licence_id: str) -> Licence:
    """One licence (NotFound for an unknown id)."""
    with ctx.uow() as uow:
        return uow.licences.get(licence_id)


def list_licences(ctx: ServiceContext, *, brand_id: str | None = None,
                  twin_id: str | None = None) -> list[Licence]:
    """Licences, in granting order, optionally of one brand and/or one twin."""
    with ctx.uow() as uow:
        return uow.licences.list(brand_id=brand_id, twin_id=twin_id)


def integrity_reasons(ctx: ServiceContext, uow: UnitOfWork, licence: Licence,
                      consent: DigitalReplicaConsent) -> list[Reason]:
    """Refusals for documents that no longer match what the parties signed (hash and
    signatures by the key of record). Every decision that relies on a licence calls this:
    terms edited in the database decide nothing."""
    checked, missing = _check_signatures(
        ctx, uow, "licence", licence.document_hash, licence.signatures,
        {licence.talent_id: "talent", licence.brand_id: "brand"})
    consent_checked, consent_missing = _check_signatures(
        ctx, uow, "consent", consent.document_hash, [consent.signature],
        {consent.talent_id: "talent"})
    reasons = []
    if not (licence.recompute_hash() == licence.document_hash and not missing
            and all(c["valid"] for c in checked)):
        reasons.append(Reason(
            code=ReasonCode.LICENCE_INTEGRITY_FAILED,
            message=f"licence {licence.id} does not match what the talent and brand signed"))
    if not (consent.document.document_hash(talent_id=consent.talent_id, consent_id=consent.id)
            == consent.document_hash and not consent_missing
            and all(c["valid"] for c in consent_checked)):
        reasons.append(Reason(
            code=ReasonCode.CONSENT_INTEGRITY_FAILED,
            message=f"consent {consent.id} does not match what the talent signed",
            concerns=Concerns(kind="consent", twin_id=consent.twin_id),
            withheld="the talent's consent does not match what they signed"))
    return reasons


def check_use(ctx: ServiceContext, licence_id: str, use: ProposedUse) -> Decision:
    """Decide a proposed use under a licence, today (read-only)."""
    with ctx.uow() as uow:
        licence = uow.licences.get(licence_id)
        consent = uow.consents.get(licence.consent_id)
        twin = uow.twins.get(licence.twin_id)
        broken = integrity_reasons(ctx, uow, licence, consent)
    decision = evaluate(use, licence=licence, consent=consent, twin=twin, today=ctx.today())
    return Decision.of([*decision.reasons, *broken]) if broken else decision


# ---------------------------------------------------------------- signatures


@dataclass
class SignatureReport:
    document_id: str
    document_hash_ok: bool
    signatures: list[dict]
    missing_signers: list[str]

    @property
    def valid(self) -> bool:
        return (self.document_hash_ok and not self.missing_signers
                and all(s["valid"] for s in self.signatures))

    def as_dict(self) -> dict:
        return {"document_id": self.document_id, "valid": self.valid,
                "document_hash_ok": self.document_hash_ok, "signatures": self.signatures,
                "missing_signers": self.missing_signers}


def _check_signatures(ctx: ServiceContext, uow: UnitOfWork, kind: str, document_hash: str,
                      signatures: list[Signature], required: dict[str, str]) -> tuple[list, list]:
    checked = []
    for sig in signatures:
        # The key must be the signer's key of record, not whatever key the row carries.
        try:
            if sig.role == "talent":
                key_of_record = uow.talents.public_key(sig.signer_id)
            else:
                key_of_record = uow.organisations.public_key(sig.signer_id)
        except NotFound:  # signed by someone who is not a party: not a valid signature
            checked.append({"signer_id": sig.signer_id, "role": sig.role, "valid": False})
            continue
        ok = sig.public_key == key_of_record and ctx.keyring.verify(
            key_of_record, signing_message(kind, document_hash), sig.signature)
        checked.append({"signer_id": sig.signer_id, "role": sig.role, "valid": ok})
    valid_signers = {(c["signer_id"], c["role"]) for c in checked if c["valid"]}
    missing = [f"{role}:{sid}" for sid, role in required.items()
               if (sid, role) not in valid_signers]
    return checked, missing


def verify_licence(ctx: ServiceContext, licence_id: str) -> SignatureReport:
    """Recompute the licence's hash from its stored terms and check both signatures."""
    with ctx.uow() as uow:
        licence = uow.licences.get(licence_id)
        checked, missing = _check_signatures(
            ctx, uow, "licence", licence.document_hash, licence.signatures,
            {licence.talent_id: "talent", licence.brand_id: "brand"})
    return SignatureReport(licence_id, licence.recompute_hash() == licence.document_hash,
                           checked, missing)


def verify_consent(ctx: ServiceContext, consent_id: str) -> SignatureReport:
    with ctx.uow() as uow:
        consent = uow.consents.get(consent_id)
        checked, missing = _check_signatures(
            ctx, uow, "consent", consent.document_hash, [consent.signature],
            {consent.talent_id: "talent"})
    recomputed = consent.document.document_hash(talent_id=consent.talent_id,
                                                consent_id=consent.id)
    return SignatureReport(consent_id, recomputed == consent.document_hash, checked, missing)


def require_valid(report: SignatureReport) -> None:
    if not report.valid:
        raise IntegrityError(f"document {report.document_id} does not verify: "
                             f"{report.as_dict()}")
