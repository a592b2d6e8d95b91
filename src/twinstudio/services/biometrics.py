"""Biometric duties (Illinois BIPA, GDPR Art. 9): no template without a signed release;
templates encrypted at rest with a per-twin key; kept at most until the release's
retention date (never more than 3 years after the talent's last interaction); destroyed
by crypto-shredding when the release is revoked, the twin is shredded, or retention ends.
The audit chain records every one of these facts and never any biometric data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from twinstudio.domain.budgets import ANALYSIS_SIDE
from twinstudio.domain.common import new_id
from twinstudio.domain.consent import MAX_BIOMETRIC_RETENTION_DAYS, release_in_force
from twinstudio.domain.errors import ConfigurationError, Conflict, RightsRefused
from twinstudio.domain.policy import Reason
from twinstudio.services.adapters import destroy_adapters_in
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import UnitOfWork, Vault

RELEASE_MISSING = "biometric_release_missing"
# the kinds of template a twin keeps: the face embeddings (mean, front template, one per
# photo), the body keypoints, and each usable capture photo (for a likeness review and,
# with the talent's consent, training)
FACE, BODY_KEYPOINTS, PHOTO = "face", "body_keypoints", "capture_photo"


def _vault(ctx: ServiceContext) -> Vault:
    if ctx.vault is None:
        raise ConfigurationError("no template vault configured (TWINSTUDIO_MASTER_KEY)")
    return ctx.vault


@dataclass
class StoredTemplate:
    template_id: str
    retain_until: datetime


def store_template(ctx: ServiceContext, uow: UnitOfWork, *, twin_id: str, kind: str,
                   data: bytes, actor: str) -> StoredTemplate:
    """Encrypt and keep one template inside an open unit of work (refused without a
    release in force)."""
    vault = _vault(ctx)
    now = ctx.now()
    twin = uow.twins.get(twin_id, for_update=True)
    talent = uow.talents.get(twin.talent_id)
    release = release_in_force(uow.releases.list_for_talent(twin.talent_id))
    if release is None:
        raise RightsRefused("biometric processing refused", [Reason(
            code=RELEASE_MISSING, message=f"talent {talent.id} has no biometric release in "
                                          "force (BIPA written release, GDPR Art. 9)")])
    wrapped = uow.biometrics.key(twin_id)
    if wrapped is None:
        wrapped = vault.new_key()
        uow.biometrics.put_key(twin_id, wrapped, now)
    retain_until = min(release.retain_until(talent.last_interaction_at),
                       talent.last_interaction_at + timedelta(days=MAX_BIOMETRIC_RETENTION_DAYS))
    template_id = new_id("tpl")
    uow.biometrics.add_template(template_id=template_id, twin_id=twin_id, kind=kind,
                                ciphertext=vault.encrypt(wrapped, data, twin_id),
                                retain_until=retain_until, at=now)
    uow.audit.append(actor=actor, type="BiometricTemplateStored", at=now, payload={
        "twin_id": twin_id, "template_id": template_id, "kind": kind,
        "release_id": release.id, "retain_until": retain_until})
    return StoredTemplate(template_id, retain_until)


def read_templates(ctx: ServiceContext, twin_id: str,
                   kinds: Sequence[str] | None = None) -> list[tuple[str, bytes]]:
    """(kind, plaintext) of the twin's templates (of ``kinds``, or all); refused once
    shredded."""
    with ctx.uow() as uow:
        return _decrypted(_vault(ctx), uow, twin_id, kinds)


def _decrypted(vault: Vault, uow: UnitOfWork, twin_id: str,
               kinds: Sequence[str] | None) -> list[tuple[str, bytes]]:
    wrapped = uow.biometrics.key(twin_id)
    rows = uow.biometrics.templates(twin_id, kinds)
    if wrapped is None:
        if rows:
            raise Conflict(f"the biometric key of twin {twin_id} was destroyed")
        return []
    return [(kind, vault.decrypt(wrapped, blob, twin_id)) for _, kind, blob, _ in rows]


def photo_plaintext(name: str, data: bytes) -> bytes:
    """A capture photo as a template's plaintext: its name, a NUL, its bytes."""
    if "\0" in name:
        raise ValueError("a photo name has no NUL")
    return name.encode() + b"\0" + data


def read_photos(ctx: ServiceContext, twin_id: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of the capture photos kept (encrypted) with the twin's templates, by
    name."""
    out = []
    for _, plaintext in read_templates(ctx, twin_id, [PHOTO]):
        name, _, data = plaintext.partition(b"\0")
        out.append((name.decode(), data))
    return sorted(out)


def shred_in(uow: UnitOfWork, *, twin_id: str, reason: str, actor: str,
             now: datetime) -> bool:
    """Destroy the twin's data key and its ciphertexts (inside an open unit of work)."""
    destroyed = uow.biometrics.destroy_key(twin_id, now, reason)
    removed = uow.biometrics.delete_templates(twin_id)
    if destroyed or removed:
        uow.audit.append(actor=actor, type="BiometricsShredded", at=now, payload={
            "twin_id": twin_id, "reason": reason, "templates_removed": removed})
    # the twin's adapters were made from these photos and are encrypted with this key
    adapters = destroy_adapters_in(uow, twin_id=twin_id, reason=reason, actor=actor, now=now)
    return bool(destroyed or removed or adapters)


def purge_expired(ctx: ServiceContext, *, actor: str = "system") -> list[str]:
    """Shred every twin whose templates passed their retention date (run daily)."""
    now = ctx.now()
    with ctx.uow() as uow:
        twins = uow.biometrics.twins_past_retention(now)
        for twin_id in twins:
            shred_in(uow, twin_id=twin_id, reason="retention period ended", actor=actor,
                     now=now)
        uow.commit()
    return twins


def enrolled_face_templates(ctx: ServiceContext, *, in_review: bool = False
                            ) -> dict[str, list[float]]:
    """Mean face embedding (list of 128 floats) of every enrolled twin (active, suspended or
    retired; with ``in_review``, also twins whose enrolment waits for a likeness review);
    crypto-shredded twins are skipped (their templates can no longer be read)."""
    import json

    from twinstudio.domain.twin import TwinState

    states = {TwinState.ACTIVE, TwinState.SUSPENDED, TwinState.RETIRED}
    if in_review:
        states.add(TwinState.IN_REVIEW)
    vault = _vault(ctx)
    out: dict[str, list[float]] = {}
    with ctx.uow() as uow:  # one transaction for every twin (match and verify call this)
        for twin in uow.twins.list():
            if twin.state not in states:
                continue
            try:
                templates = _decrypted(vault, uow, twin.id, [FACE])
            except Conflict:
                continue
            if templates:
                out[twin.id] = json.loads(templates[0][1])["mean"]
    return out


def lookalike_pairs(ctx: ServiceContext) -> list[tuple[str, str]]:
    """Every pair of twins a compliance user decided are different people although
    their faces are within the identity threshold."""
    with ctx.uow() as uow:
        return uow.lookalikes.pairs()


@dataclass
class LikenessReferences:
    """What a diffusion recipe sees of the talent: a face crop and a full-body capture,
    decoded from the encrypted enrolment photos in memory only (never stored again)."""

    face: object | None = None        # RGB uint8 array
    full_body: object | None = None   # RGB uint8 array
    face_photo: str | None = None     # the photos' names (for the record, not the pixels)
    body_photo: str | None = None


FACE_MARGIN = 0.45   # the crop around the face box: this share of its size on each side


def likeness_references(ctx: ServiceContext, twin_id: str) -> LikenessReferences:
    """The face crop (largest face among the enrolment photos, with margin) and the
    full-body photo (the one with the most body keypoints) of a twin. Read only while the
    talent's biometric release is in force: without one (or once shredded) there are
    none, and the recipe runs without them."""
    import json

    if ctx.provenance is None:
        return LikenessReferences()
    with ctx.uow() as uow:
        twin = uow.twins.get(twin_id)
        if release_in_force(uow.releases.list_for_talent(twin.talent_id)) is None:
            return LikenessReferences()
        try:
            rows = _decrypted(_vault(ctx), uow, twin_id, [PHOTO, BODY_KEYPOINTS])
        except Conflict:
            return LikenessReferences()
    photos: dict[str, bytes] = {}
    keypoints: dict[str, dict[str, object]] = {}
    for kind, plaintext in rows:
        if kind == PHOTO:
            name, _, data = plaintext.partition(b"\0")
            photos[name.decode()] = data
        else:
            keypoints = json.loads(plaintext)
    out = LikenessReferences()
    best_area = 0
    for name, data in sorted(photos.items()):
        crop = face_crop(ctx, ctx.provenance.decode(data, max_side=ANALYSIS_SIDE).rgb)
        if crop is not None and crop[1] > best_area:
            out.face, best_area = crop
            out.face_photo = name
    if keypoints:
        name = max(sorted(keypoints), key=lambda n: len(keypoints[n] or {}))
        if name in photos:
            out.full_body = ctx.provenance.decode(photos[name], max_side=ANALYSIS_SIDE).rgb
            out.body_photo = name
    return out


def face_crop(ctx: ServiceContext, rgb: Any) -> tuple[Any, int] | None:
    """The first face of ``rgb`` with ``FACE_MARGIN`` around it, and its box's area (None
    without a face or face tools)."""
    faces = ctx.faces.embeddings(rgb) if ctx.faces is not None else []
    if not faces:
        return None
    left, top, right, bottom = faces[0][1]
    pad = int(FACE_MARGIN * max(right - left, bottom - top))
    height, width = rgb.shape[:2]
    crop = rgb[max(0, top - pad):min(height, bottom + pad),
               max(0, left - pad):min(width, right + pad)].copy()
    return crop, (right - left) * (bottom - top)
