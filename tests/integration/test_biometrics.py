"""Biometric duties on a real store: release required, encryption at rest, retention,
crypto-shredding that no key can undo, and an audit chain that stays valid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.domain.errors import Conflict, IntegrityError, RightsRefused
from twinstudio.domain.twin import TwinState
from twinstudio.services.audit import verify_audit
from twinstudio.services.biometrics import purge_expired, read_templates, store_template
from twinstudio.services.parties import add_talent, set_twin_state
from twinstudio.services.rights import grant_biometric_release, revoke_biometric_release
from twinstudio.signing.vault import TemplateVault

TEMPLATE = bytes(range(256)) * 2  # stands in for a 128-D float32 face embedding


def _release(ctx, talent_id, days=365):
    return grant_biometric_release(ctx, talent_id=talent_id, document=BiometricReleaseDocument(
        purpose="Face template to check the identity of generated images",
        retention_days=days, written_release=True, explicit_consent=True, language="en"))


def _store(ctx, twin_id):
    with ctx.uow() as uow:
        stored = store_template(ctx, uow, twin_id=twin_id, kind="face", data=TEMPLATE,
                                actor="test")
        uow.commit()
    return stored


def test_no_template_without_a_release(ctx):
    _, twin = add_talent(ctx, name="No Release")
    with pytest.raises(RightsRefused) as refused:
        _store(ctx, twin.id)
    assert [r.code for r in refused.value.reasons] == ["biometric_release_missing"]
    with ctx.uow() as uow:
        assert uow.biometrics.templates(twin.id) == [] and uow.biometrics.key(twin.id) is None


def test_templates_are_encrypted_at_rest_and_bound_to_their_twin(ctx, engine):
    talent, twin = add_talent(ctx, name="Encrypted")
    _release(ctx, talent.id)
    stored = _store(ctx, twin.id)
    assert read_templates(ctx, twin.id) == [("face", TEMPLATE)]
    with engine.connect() as c:
        blob = bytes(c.execute(text("SELECT ciphertext FROM biometric_templates")).scalar())
        wrapped = bytes(c.execute(text("SELECT wrapped_key FROM twin_data_keys")).scalar())
    assert TEMPLATE not in blob and TEMPLATE[:32] not in blob
    assert len(wrapped) == 40  # an AES-256 key, wrapped (RFC 3394)
    with pytest.raises(IntegrityError):
        ctx.vault.decrypt(wrapped, blob, "twn_other")  # authenticated to this twin
    with pytest.raises(IntegrityError):
        TemplateVault("another-master-key-entirely").decrypt(wrapped, blob, twin.id)
    assert stored.retain_until == ctx.now() + timedelta(days=365)


def test_revoking_the_release_shreds_for_good(ctx, engine):
    talent, twin = add_talent(ctx, name="Shredded")
    release = _release(ctx, talent.id)
    _store(ctx, twin.id)
    with engine.connect() as c:
        blob = bytes(c.execute(text("SELECT ciphertext FROM biometric_templates")).scalar())
        wrapped = bytes(c.execute(text("SELECT wrapped_key FROM twin_data_keys")).scalar())
    revoke_biometric_release(ctx, release.id)
    with ctx.uow() as uow:
        assert uow.biometrics.key(twin.id) is None
        assert uow.biometrics.templates(twin.id) == []
    assert read_templates(ctx, twin.id) == []
    # Even a copy of the ciphertext kept elsewhere (a backup) cannot be read without the
    # destroyed key, and a fresh key of the same vault does not open it.
    with pytest.raises(IntegrityError):
        ctx.vault.decrypt(ctx.vault.new_key(), blob, twin.id)
    assert ctx.vault.decrypt(wrapped, blob, twin.id) == TEMPLATE  # only the destroyed key
    report = verify_audit(ctx)
    assert report.ok
    with ctx.uow() as uow:
        types = [e.type for e in uow.audit.all()]
    assert types[-2:] == ["BiometricReleaseRevoked", "BiometricsShredded"]


def test_shredding_the_twin_destroys_its_key_and_a_read_is_refused(ctx, engine):
    talent, twin = add_talent(ctx, name="Gone")
    _release(ctx, talent.id)
    _store(ctx, twin.id)
    with engine.begin() as c:  # keep a ciphertext row as if restored from a backup
        c.execute(text("CREATE TABLE kept AS SELECT * FROM biometric_templates"))
    set_twin_state(ctx, twin.id, TwinState.SHREDDED, reason="talent asked", actor="talent")
    with engine.begin() as c:
        c.execute(text("INSERT INTO biometric_templates SELECT * FROM kept"))
        c.execute(text("DROP TABLE kept"))
    with pytest.raises(Conflict, match="destroyed"):
        read_templates(ctx, twin.id)
    assert verify_audit(ctx).ok


def test_retention_is_enforced_by_purge(ctx, clock):
    talent, twin = add_talent(ctx, name="Retained")
    _release(ctx, talent.id, days=30)
    _store(ctx, twin.id)
    assert purge_expired(ctx) == []
    clock.advance(days=31)
    assert purge_expired(ctx) == [twin.id]
    assert read_templates(ctx, twin.id) == []
    assert purge_expired(ctx) == []
