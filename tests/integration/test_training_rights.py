"""Twin training's rights, on a real store (SQLite and PostgreSQL), without running a
trainer: the consent to train (explicit, off by default, old consents unchanged), the
refusals before any photo is read, the adapters' export (signed by the talent's key),
deletion and destruction by every revocation that ends the right to train, generation
refused once a twin's adapter is gone, and who may see and do what through the API."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from tests.conftest import consent_doc
from tests.support.world import World, as_
from twinstudio.bootstrap import build_api
from twinstudio.domain.accounts import Role
from twinstudio.domain.common import canonical_json, sha256_hex
from twinstudio.domain.errors import Conflict, IntegrityError, InvalidInput, RightsRefused
from twinstudio.domain.training import AdapterState, TrainingCode
from twinstudio.services.adapters import (
    adapter_bases,
    adapter_for_generation,
    delete_adapter,
    export_adapter,
    list_adapters,
    verify_export,
    withdraw_training,
)
from twinstudio.services.rights import grant_consent, revoke_biometric_release, revoke_consent
from twinstudio.services.training import request_training

WORLD_WEIGHTS = b"adapter weights of tenant a"


@pytest.fixture
def api(world: World) -> TestClient:
    return TestClient(build_api(world.ctx), raise_server_exceptions=False)


def _train_consent(world: World) -> str:
    return grant_consent(world.ctx, talent_id=world.a.talent,
                         document=consent_doc(world.ctx.today(), model_training=True)).id


def _audit(world: World, kind: str) -> list[dict]:  # type: ignore[type-arg]
    with world.ctx.uow() as uow:
        return [e.payload for e in uow.audit.all() if e.type == kind]


def test_the_consent_to_train_is_off_by_default_and_old_consents_hash_as_before(world):
    document = consent_doc(world.ctx.today())
    assert document.model_training is False
    # a consent signed before the field existed: its document has no model_training key
    before = {k: v for k, v in document.model_dump(mode="json").items()
              if k != "model_training"}
    old_hash = sha256_hex(canonical_json({"kind": "digital_replica_consent", "id": "cns_x",
                                          "talent_id": "tal_x", "document": before}))
    assert document.document_hash(talent_id="tal_x", consent_id="cns_x") == old_hash
    yes = consent_doc(world.ctx.today(), model_training=True)
    assert yes.document_hash(talent_id="tal_x", consent_id="cns_x") != old_hash
    with pytest.raises(ValueError, match="model_training"):
        consent_doc(world.ctx.today(), model_training="yes")


def test_training_is_refused_without_the_consent_field_and_without_a_release(world):
    with pytest.raises(RightsRefused) as refused:
        request_training(world.ctx, world.a.twin, base_model="any", actor="test")
    assert [r.code for r in refused.value.reasons] == [TrainingCode.CONSENT_MISSING]
    _train_consent(world)
    with pytest.raises(InvalidInput, match="no model 'nowhere' is registered"):
        request_training(world.ctx, world.a.twin, base_model="nowhere", actor="test")
    revoke_biometric_release(world.ctx, world.a.release, actor="test")
    with pytest.raises(RightsRefused) as refused:
        request_training(world.ctx, world.a.twin, base_model="any", actor="test")
    assert [r.code for r in refused.value.reasons] == [TrainingCode.RELEASE_MISSING]
    with world.ctx.uow() as uow:
        assert uow.training.jobs(twin_id=world.a.twin)[-1].id == world.a.training  # none new
    # the release's revocation shredded the key and destroyed the adapter made with it
    adapter = list_adapters(world.ctx, world.a.twin)[0]
    assert adapter.state is AdapterState.DESTROYED
    assert adapter.end_reason is not None and "biometric release revoked" in adapter.end_reason
    with world.ctx.uow() as uow:
        assert uow.training.weights(adapter.id) is None
    assert _audit(world, "AdapterDestroyed")[0]["adapters"] == [adapter.id]


def test_the_talent_exports_a_signed_adapter_and_a_changed_byte_fails(world):
    assert adapter_for_generation(world.ctx, world.a.twin, "world-base").weights == WORLD_WEIGHTS
    exported = export_adapter(world.ctx, world.a.adapter, actor="test")
    manifest = verify_export(world.ctx, exported.data)
    assert manifest["owner"] == {"talent_id": world.a.talent, "name": "Talent a"}
    assert manifest["consent_id"] == world.a.consent and manifest["base_model"] == "world-base"
    assert manifest["weights_sha256"] == sha256_hex(WORLD_WEIGHTS.decode())
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    assert parts["pytorch_lora_weights.safetensors"] == WORLD_WEIGHTS

    def rezip(changed: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in {**parts, **changed}.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    with pytest.raises(IntegrityError, match="weights do not match"):
        verify_export(world.ctx, rezip({"pytorch_lora_weights.safetensors": b"X" + WORLD_WEIGHTS}))
    forged = parts["manifest.json"].replace(b'"Talent a"', b'"Someone else"')
    with pytest.raises(IntegrityError, match="signature does not verify"):
        verify_export(world.ctx, rezip({"manifest.json": forged}))
    assert _audit(world, "AdapterExported")[0]["adapter_id"] == world.a.adapter


def test_withdrawing_the_consent_to_train_destroys_adapters_and_refuses_generation(world):
    with pytest.raises(Conflict, match="never allowed training"):
        withdraw_training(world.ctx, world.a.consent, reason="no", actor="test")
    consent_id = _train_consent(world)
    assert withdraw_training(world.ctx, consent_id, reason="I changed my mind",
                             actor="test") == [world.a.adapter]
    with pytest.raises(Conflict, match="already withdrawn"):
        withdraw_training(world.ctx, consent_id, reason="again", actor="test")
    with pytest.raises(RightsRefused) as refused:
        adapter_for_generation(world.ctx, world.a.twin, "world-base")
    assert refused.value.reasons[0].code == TrainingCode.ADAPTER_DESTROYED
    assert "destroyed (training consent withdrawn: I changed my mind)" in \
        refused.value.reasons[0].message
    assert adapter_for_generation(world.ctx, world.a.twin, "another-base") is None
    with pytest.raises(RightsRefused) as again:  # and no new training under it
        request_training(world.ctx, world.a.twin, base_model="any", actor="test")
    assert [r.code for r in again.value.reasons] == [TrainingCode.CONSENT_MISSING]
    with pytest.raises(Conflict, match="its weights no longer exist"):
        export_adapter(world.ctx, world.a.adapter, actor="test")
    # tenant b's adapter is untouched
    assert list_adapters(world.ctx, world.b.twin)[0].state is AdapterState.ACTIVE


def test_revoking_a_consent_that_allowed_training_destroys_the_adapters(world):
    plain = revoke_consent(world.ctx, world.a.consent, reason="stop")  # no training in it
    assert plain.destroyed_adapters == []
    assert list_adapters(world.ctx, world.a.twin)[0].state is AdapterState.ACTIVE
    consent_id = _train_consent(world)
    result = revoke_consent(world.ctx, consent_id, reason="stop everything")
    assert result.destroyed_adapters == [world.a.adapter]
    assert result.as_dict()["destroyed_adapters"] == [world.a.adapter]


def test_the_talent_deletes_a_version_and_its_weights_are_erased(world):
    deleted = delete_adapter(world.ctx, world.a.adapter, reason="old photos", actor="test")
    assert deleted.state is AdapterState.DELETED and deleted.end_reason == "old photos"
    with pytest.raises(Conflict, match="already deleted"):
        delete_adapter(world.ctx, world.a.adapter, reason="again", actor="test")
    assert adapter_bases(world.ctx, world.a.twin) == []
    with pytest.raises(RightsRefused) as refused:
        adapter_for_generation(world.ctx, world.a.twin, "world-base")
    assert "was deleted (old photos)" in refused.value.reasons[0].message


def test_through_the_api_a_brand_sees_only_that_an_adapter_exists(world, api):
    brand = as_(world, Role.BRAND_ADMIN)
    bases = api.get(f"/api/v1/licences/{world.a.licence}/twin-adapters", headers=brand)
    assert bases.status_code == 200, bases.text
    assert bases.json() == {"twin_id": world.a.twin, "base_models": ["world-base"]}
    for path in (f"/adapters/{world.a.adapter}/export", f"/adapters/{world.a.adapter}",
                 f"/twins/{world.a.twin}/adapters"):
        assert api.get(f"/api/v1{path}", headers=brand).status_code == 404, path
    assert api.post(f"/api/v1/twins/{world.a.twin}/trainings", headers=brand,
                    json={"base_model": "x"}).status_code == 404
    compliance = as_(world, Role.COMPLIANCE)
    listed = api.get(f"/api/v1/twins/{world.a.twin}/adapters", headers=compliance).json()
    assert [a["id"] for a in listed["items"]] == [world.a.adapter]
    assert api.get(f"/api/v1/adapters/{world.a.adapter}/export",
                   headers=compliance).status_code == 403
    talent = as_(world, Role.TALENT)
    exported = api.get(f"/api/v1/adapters/{world.a.adapter}/export", headers=talent)
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    assert verify_export(world.ctx, exported.content)["adapter_id"] == world.a.adapter
    refused = api.post(f"/api/v1/twins/{world.a.twin}/trainings", headers=talent,
                       json={"base_model": "world-base"})
    assert refused.status_code == 403
    assert [r["code"] for r in refused.json()["error"]["reasons"]] == [
        TrainingCode.CONSENT_MISSING]
    bad = api.post(f"/api/v1/twins/{world.a.twin}/trainings", headers=talent,
                   json={"base_model": "world-base", "params": {"resolution": 100}})
    assert bad.status_code == 422 and "multiple of 16" in bad.text
    agency = as_(world, Role.AGENCY)
    deleted = api.post(f"/api/v1/adapters/{world.a.adapter}/delete", headers=agency,
                       json={"reason": "the talent asked"})
    assert deleted.status_code == 200 and deleted.json()["state"] == "deleted"
    job = api.get(f"/api/v1/trainings/{world.a.training}", headers=talent).json()
    assert job["state"] == "succeeded" and job["adapter_id"] == world.a.adapter
    assert "lease_owner" not in job
