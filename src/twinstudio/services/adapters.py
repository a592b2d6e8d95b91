"""The talent's adapters: the versions of a twin's LoRA, their export (decrypted, with a
manifest the talent's key signs), their deletion by the talent, their destruction when a
revocation ends the right to train, and the newest one a generation uses.

Every end of an adapter erases its encrypted weights in the same transaction as the
change that ends it and is audited (``AdapterDeleted``, ``AdapterDestroyed``); the
checkpoints of the twin's unfinished trainings go with them.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime

from twinstudio.domain.common import canonical_json
from twinstudio.domain.errors import ConfigurationError, Conflict, IntegrityError, RightsRefused
from twinstudio.domain.text import check_text
from twinstudio.domain.training import (
    AdapterState,
    TrainingState,
    TwinAdapter,
    adapter_manifest,
    adapter_refusal,
    manifest_hash,
    newest_adapter,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork, Vault

SIGNATURE_KIND = "twinstudio/twin-adapter/v1"
WEIGHTS_NAME = "pytorch_lora_weights.safetensors"


def vault_of(ctx: ServiceContext) -> Vault:
    if ctx.vault is None:
        raise ConfigurationError("no vault configured (TWINSTUDIO_MASTER_KEY)")
    return ctx.vault


def aad(twin_id: str, what: str, ident: str) -> str:
    """What a ciphertext made with the twin's key is bound to (the key encrypts the
    biometric templates too): ``twin/adapter/ID``, ``twin/checkpoint/JOB``."""
    return f"{twin_id}/{what}/{ident}"


def list_adapters(ctx: ServiceContext, twin_id: str) -> list[TwinAdapter]:
    """Every version of the twin's adapters, ended ones included (oldest first)."""
    with ctx.uow() as uow:
        uow.twins.get(twin_id)
        return uow.training.adapters(twin_id=twin_id)


def adapter_bases(ctx: ServiceContext, twin_id: str) -> list[str]:
    """What a brand may know: the base models the twin has an active adapter for."""
    with ctx.uow() as uow:
        return sorted({a.base_model for a in uow.training.adapters(twin_id=twin_id)
                       if a.state is AdapterState.ACTIVE})


def get_adapter(ctx: ServiceContext, adapter_id: str) -> TwinAdapter:
    with ctx.uow() as uow:
        return uow.training.adapter(adapter_id)


def _weights(ctx: ServiceContext, uow: UnitOfWork, adapter: TwinAdapter) -> bytes:
    import hashlib

    if adapter.state is not AdapterState.ACTIVE:
        raise Conflict(f"adapter {adapter.id} was {adapter.state.value} "
                       f"({adapter.end_reason}): its weights no longer exist")
    wrapped = uow.biometrics.key(adapter.twin_id)
    blob = uow.training.weights(adapter.id)
    if wrapped is None or blob is None:
        raise Conflict(f"adapter {adapter.id}: the twin's key or the weights were destroyed")
    weights = vault_of(ctx).decrypt(wrapped, blob, aad(adapter.twin_id, "adapter", adapter.id))
    if hashlib.sha256(weights).hexdigest() != adapter.sha256:
        raise IntegrityError(f"adapter {adapter.id}: its weights do not match their hash")
    return weights


@dataclass(frozen=True)
class AdapterExport:
    filename: str
    data: bytes                 # a ZIP: the weights, manifest.json, manifest.sig.json
    manifest: dict[str, object]


def export_adapter(ctx: ServiceContext, adapter_id: str, *, actor: str) -> AdapterExport:
    """The adapter's weights, decrypted, with a manifest saying whose they are and under
    which consent, signed with the talent's key (audited)."""
    now = ctx.now()
    with ctx.uow() as uow:
        adapter = uow.training.adapter(adapter_id)
        weights = _weights(ctx, uow, adapter)
        talent = uow.talents.get(adapter.talent_id)
        public_key = uow.talents.public_key(adapter.talent_id)
        manifest = adapter_manifest(adapter, talent_name=talent.name, exported_at=now)
        digest = manifest_hash(manifest)
        signature = {"kind": SIGNATURE_KIND, "manifest_sha256": digest,
                     "signer_id": talent.id, "public_key": public_key,
                     "signature": ctx.keyring.sign(talent.id, signing_message(digest))}
        uow.audit.append(actor=actor, type="AdapterExported", at=now, payload={
            "adapter_id": adapter.id, "twin_id": adapter.twin_id,
            "manifest_sha256": digest})
        uow.commit()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(WEIGHTS_NAME, weights)
        archive.writestr("manifest.json", canonical_json(manifest))
        archive.writestr("manifest.sig.json", json.dumps(signature, indent=2))
    name = f"{adapter.twin_id}-{adapter.base_model}-v{adapter.version}.zip"
    return AdapterExport(filename=name, data=buffer.getvalue(), manifest=manifest)


def signing_message(manifest_sha256: str) -> bytes:
    return f"{SIGNATURE_KIND}:{manifest_sha256}".encode()


def verify_export(ctx: ServiceContext, data: bytes) -> dict[str, object]:
    """Check an exported adapter: the weights match the manifest's hash and the manifest
    its signature by the talent's key. Returns the manifest; IntegrityError otherwise."""
    import hashlib

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            weights = archive.read(WEIGHTS_NAME)
            manifest = json.loads(archive.read("manifest.json"))
            signature = json.loads(archive.read("manifest.sig.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise IntegrityError(f"not an exported adapter: {error}") from None
    if hashlib.sha256(weights).hexdigest() != manifest.get("weights_sha256"):
        raise IntegrityError("the weights do not match the manifest's weights_sha256")
    digest = manifest_hash(manifest)
    if digest != signature.get("manifest_sha256") or not ctx.keyring.verify(
            signature.get("public_key", ""), signing_message(digest),
            signature.get("signature", "")):
        raise IntegrityError("the manifest's signature does not verify")
    return manifest


def delete_adapter(ctx: ServiceContext, adapter_id: str, *, reason: str,
                   actor: str) -> TwinAdapter:
    """The talent (or agency) deletes one version: its weights are erased."""
    check_text(reason, "reason")
    now = ctx.now()
    with ctx.uow() as uow:
        adapter = uow.training.adapter(adapter_id, for_update=True)
        ended = adapter.end(AdapterState.DELETED, reason=reason, now=now)
        uow.training.end_adapter(ended)
        uow.audit.append(actor=actor, type="AdapterDeleted", at=now, payload={
            "adapter_id": adapter.id, "twin_id": adapter.twin_id, "reason": reason})
        uow.commit()
    return ended


def destroy_adapters_in(uow: UnitOfWork, *, twin_id: str, reason: str, actor: str,
                        now: datetime) -> list[str]:
    """Destroy every active adapter of the twin, its trainings' checkpoints, and cancel
    its unfinished trainings (inside the caller's transaction); audited."""
    destroyed = []
    for adapter in uow.training.adapters(twin_id=twin_id):
        if adapter.state is AdapterState.ACTIVE:
            uow.training.end_adapter(adapter.end(AdapterState.DESTROYED, reason=reason,
                                                 now=now))
            destroyed.append(adapter.id)
    cancelled = []
    for job in uow.training.jobs(twin_id=twin_id):
        if not job.done:
            uow.training.update_job(job.transition(
                TrainingState.CANCELLED, now=now, lease_owner=None, lease_expires_at=None,
                error=f"cancelled: {reason}"))
            cancelled.append(job.id)
    uow.training.drop_checkpoints(twin_id)
    if destroyed or cancelled:
        uow.audit.append(actor=actor, type="AdapterDestroyed", at=now, payload={
            "twin_id": twin_id, "adapters": destroyed, "cancelled_trainings": cancelled,
            "reason": reason})
    return destroyed


def withdraw_training(ctx: ServiceContext, consent_id: str, *, reason: str,
                      actor: str) -> list[str]:
    """The talent withdraws the consent to train (the rest of the consent stays in
    force): every adapter of the twin is destroyed. Returns their ids."""
    check_text(reason, "reason")
    now = ctx.now()
    with ctx.uow() as uow:
        consent = uow.consents.get(consent_id)
        if not consent.document.model_training:
            raise Conflict(f"consent {consent_id} never allowed training")
        if consent.training_withdrawn_at is not None:
            raise Conflict(f"consent {consent_id}: training was already withdrawn")
        uow.twins.get(consent.twin_id, for_update=True)
        uow.consents.update(consent.model_copy(update={"training_withdrawn_at": now}))
        uow.audit.append(actor=actor, type="TrainingConsentWithdrawn", at=now, payload={
            "consent_id": consent_id, "twin_id": consent.twin_id, "reason": reason})
        destroyed = destroy_adapters_in(uow, twin_id=consent.twin_id,
                                        reason=f"training consent withdrawn: {reason}",
                                        actor=actor, now=now)
        uow.commit()
    return destroyed


@dataclass(frozen=True)
class AdapterUse:
    """The adapter a generation uses, decrypted in memory."""

    adapter: TwinAdapter
    weights: bytes


def adapter_for_generation(ctx: ServiceContext, twin_id: str, base_model: str
                           ) -> AdapterUse | None:
    """The newest active adapter of the twin for ``base_model`` (None: none was ever
    made); refused (``adapter_destroyed``) when the twin's adapters for it were deleted or
    destroyed, so that no image is made without the likeness it was meant to carry."""
    with ctx.uow() as uow:
        adapters = uow.training.adapters(twin_id=twin_id)
        refusal = adapter_refusal(adapters, base_model)
        if refusal is not None:
            raise RightsRefused("generation refused", [refusal])
        adapter = newest_adapter(adapters, base_model)
        if adapter is None:
            return None
        return AdapterUse(adapter, _weights(ctx, uow, adapter))
