"""Twin training end to end on tiny random SDXL models (CPU, one thread), on a real store
(SQLite and PostgreSQL): a training job from the talent's capture photos (two real
portraits, decrypted in memory) with the talent's consent to train; its adapter stored
encrypted with the twin's key; a campaign image made with it, whose ``verify`` names the
adapter's hash; a training killed after a checkpoint (its lease runs out) and one stopped
by Ctrl-C, each resumed by a worker to the same weights as an uninterrupted run; and the
withdrawal of the consent to train, after which the adapter is gone and the campaign job
that needed it is refused with the reason."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import consent_doc
from tests.generation.test_diffusion_recipes import one_thread
from tests.integration.test_diffusion_tiny import (
    diffusion_backend_for_tests,
    register,
)
from tests.integration.test_generation import _run, brief, gctx, world
from tests.support.faces import PEOPLE
from tests.support.fakes import ScriptedQuality
from twinstudio.domain.errors import Conflict
from twinstudio.domain.training import (
    AdapterState,
    TrainingParams,
    TrainingState,
    trigger_token,
)
from twinstudio.generation.diffusion.training import LoraTrainer
from twinstudio.services.adapters import adapter_for_generation, list_adapters, withdraw_training
from twinstudio.services.biometrics import PHOTO, photo_plaintext, store_template
from twinstudio.services.campaigns import create_campaign
from twinstudio.services.rights import grant_consent
from twinstudio.services.training import (
    get_job,
    request_training,
    run_training,
    training_examples,
)
from twinstudio.services.verification import verify_image
from twinstudio.services.webhooks import register_endpoint

__all__ = ["gctx", "one_thread", "world"]  # fixtures (one_thread: autouse)

pytestmark = pytest.mark.xdist_group("diffusion")
PARAMS = TrainingParams(steps=6, rank=4, learning_rate=1e-3, resolution=64,
                        checkpoint_every=2, seed=7)


@pytest.fixture(scope="module")
def tiny_sdxl(tmp_path_factory) -> dict[str, Path]:
    from twinstudio.generation.diffusion.testing import build_tiny_sdxl

    return build_tiny_sdxl(tmp_path_factory.mktemp("tiny-train") / "sdxl")


class Killed(BaseException):
    """What a SIGKILL looks like from inside: the worker stops where it is, nothing of
    it runs after (no except Exception, no finally that records anything)."""


@pytest.fixture
def trained_world(gctx, world, tiny_sdxl, real_faces):  # type: ignore[no-untyped-def]
    gctx.trainer = LoraTrainer("cpu")
    consent = grant_consent(gctx, talent_id=world["talent"].id,
                            document=consent_doc(gctx.today(), model_training=True))
    with gctx.uow() as uow:  # the capture photos enrolment keeps (encrypted)
        for name in PEOPLE["person_a"]:
            store_template(gctx, uow, twin_id=world["twin"].id, kind=PHOTO, actor="test",
                           data=photo_plaintext(name, (real_faces / name).read_bytes()))
        uow.commit()
    names = register(gctx, "sdxl", tiny_sdxl)
    return {**world, "consent": consent, "base": names["base"], "models": names}


def _train(gctx, twin_id: str, base: str, **kw):  # type: ignore[no-untyped-def]
    job = request_training(gctx, twin_id, base_model=base, params=PARAMS, actor="talent")
    return job, run_training(gctx, job.id, worker_id=kw.pop("worker_id", "w1"), **kw)


def test_an_adapter_is_trained_kept_encrypted_used_and_named_by_verify(gctx, trained_world,
                                                                      clock):
    w = trained_world
    examples = training_examples(gctx, w["twin"].id)
    captions = sorted(text for _, text in examples)
    assert len(examples) == 4 and captions[0].endswith("face close-up")  # dlib found both
    hook = register_endpoint(gctx, organisation_id=w["agency"].id, actor="agency",
                             url="https://93.184.216.34/hooks", events=["adapter.trained"])
    job, result = _train(gctx, w["twin"].id, w["base"])
    assert result is not None and result.state == "succeeded", result
    assert len(result.losses) == PARAMS.steps
    with gctx.uow() as uow:  # the talent's agency is told, in the same transaction
        [told] = [uow.webhooks.message(d.message_id)
                  for d in uow.webhooks.deliveries(endpoint_id=hook.endpoint.id)]
    assert told.type == "adapter.trained" and told.data["adapter_id"] == result.adapter_id
    [adapter] = list_adapters(gctx, w["twin"].id)
    assert adapter.id == result.adapter_id and adapter.version == 1
    assert adapter.consent_id == w["consent"].id and adapter.base_model == w["base"]
    with gctx.uow() as uow:
        ciphertext = uow.training.weights(adapter.id)
        assert uow.training.checkpoint(job.id) is None  # the run's checkpoint is gone
        base_hash = uow.models.find(w["base"]).manifest_sha256
    use = adapter_for_generation(gctx, w["twin"].id, w["base"])
    assert use is not None and hashlib.sha256(use.weights).hexdigest() == adapter.sha256
    assert ciphertext is not None and use.weights not in ciphertext
    assert adapter.base_manifest_sha256 == base_hash
    assert get_job(gctx, job.id).state is TrainingState.SUCCEEDED
    # a campaign image made with it: the C2PA assertion names the adapter's hash
    generator = {"backend": "diffusion", "recipe": "sdxl", "models": w["models"],
                 "candidates": 1, "steps": 2, "guidance": 2.0}
    plan = create_campaign(gctx, brand_id=w["brand"].id, actor="brand", brief=brief(
        w, generator=generator, formats=["feed"], looks=[[w["tee"].id]]))
    assert plan.queued == 1
    [made] = _run(gctx, backend=diffusion_backend_for_tests(max_side=96),
                  quality=ScriptedQuality([0.4]))
    assert made.state == "succeeded", made
    with gctx.uow() as uow:
        record = uow.asset_details.get(made.asset_id)
        image = gctx.blobs.get(uow.marks.get(made.asset_id).blob_sha256)
    assert record is not None
    assert record["reference"]["generation"]["prompt"].startswith(
        f"a photo of {trigger_token(w['twin'].id)} person, ")
    verified = verify_image(gctx, image).as_dict()
    c2pa = verified["signals"]["c2pa"]["generation"]
    assert c2pa["lora_sha256"] == adapter.sha256
    assert c2pa["adapter"] == {"id": adapter.id, "version": 1, "base_model": w["base"],
                               "sha256": adapter.sha256}
    # the talent withdraws the consent to train: the adapter is destroyed, and a job
    # that would use it is refused with the reason instead of made without it
    assert withdraw_training(gctx, w["consent"].id, reason="no more", actor="talent") == [
        adapter.id]
    assert list_adapters(gctx, w["twin"].id)[0].state is AdapterState.DESTROYED
    again = create_campaign(gctx, brand_id=w["brand"].id, actor="brand", brief=brief(
        w, name="AW26 again", generator=generator, formats=["square"],
        looks=[[w["tee"].id]]))
    assert again.queued == 1
    [refused] = _run(gctx, backend=diffusion_backend_for_tests(max_side=96),
                     quality=ScriptedQuality([0.4]))
    assert refused.state == "cancelled"
    assert [r["code"] for r in refused.reasons] == ["adapter_destroyed"]


def test_a_killed_and_a_stopped_training_resume_to_the_same_weights(gctx, trained_world,
                                                                   clock):
    w = trained_world
    _, whole = _train(gctx, w["twin"].id, w["base"])
    assert whole is not None and whole.state == "succeeded"
    reference = list_adapters(gctx, w["twin"].id)[0].sha256

    def kill_at(step: int):  # type: ignore[no-untyped-def]
        def on_step(report) -> None:  # type: ignore[no-untyped-def]
            if report.step == step:
                raise Killed()
        return on_step

    job = request_training(gctx, w["twin"].id, base_model=w["base"], params=PARAMS,
                           actor="talent")
    with pytest.raises(Killed):
        run_training(gctx, job.id, worker_id="dead", on_step=kill_at(3))
    left = get_job(gctx, job.id)
    assert left.state is TrainingState.RUNNING and left.lease_owner == "dead"
    assert left.step == 2  # the checkpoint of step 2 is kept
    with pytest.raises(Conflict, match="held by dead"):  # its lease still runs
        run_training(gctx, job.id, worker_id="w2")
    clock.advance(seconds=301)
    resumed = run_training(gctx, job.id, worker_id="w2")
    assert resumed is not None and resumed.state == "succeeded"
    assert len(resumed.losses) == PARAMS.steps - 2  # steps 3..6 only
    # Ctrl-C: the trainer checkpoints at the next step and gives the job back
    stopped_job = request_training(gctx, w["twin"].id, base_model=w["base"],
                                   params=PARAMS, actor="talent")
    steps: list[int] = []
    stopped = run_training(gctx, stopped_job.id, worker_id="cli",
                           on_step=lambda r: steps.append(r.step),
                           should_stop=lambda: len(steps) >= 3)
    assert stopped is not None and stopped.state == "queued" and stopped.step == 3
    assert get_job(gctx, stopped_job.id).state is TrainingState.QUEUED
    finished = run_training(gctx, stopped_job.id, worker_id="cli-2")
    assert finished is not None and finished.state == "succeeded"
    adapters = list_adapters(gctx, w["twin"].id)
    assert [a.version for a in adapters] == [1, 2, 3]
    assert {a.sha256 for a in adapters} == {reference}  # bit for bit the same weights


def test_a_worker_that_lost_its_lease_stores_nothing(gctx, trained_world, clock):
    """While w1 trains, its lease runs out and w2 takes the job: w1's next checkpoint is
    refused, it stops, and no adapter of w1's is stored."""
    w = trained_world
    job = request_training(gctx, w["twin"].id, base_model=w["base"], params=PARAMS,
                           actor="talent")
    taken: list[object] = []

    def lease_runs_out(report) -> None:  # type: ignore[no-untyped-def]
        if report.step == 3:
            clock.advance(seconds=301)
            with gctx.uow() as uow:
                taken.append(uow.training.claim(job.id, now=clock(), worker_id="w2",
                                                lease_until=clock() + timedelta(seconds=300)))
                uow.commit()

    lost = run_training(gctx, job.id, worker_id="w1", on_step=lease_runs_out)
    assert lost is not None and lost.state == "lost" and taken[0] is not None
    assert list_adapters(gctx, w["twin"].id) == []
    current = get_job(gctx, job.id)
    assert current.state is TrainingState.RUNNING and current.lease_owner == "w2"
    assert current.step == 2  # w1's step-4 checkpoint was not kept


def test_a_job_whose_base_model_was_removed_is_refused_not_retried(gctx, trained_world):
    from twinstudio.services.models import remove_model

    w = trained_world
    job = request_training(gctx, w["twin"].id, base_model=w["base"], params=PARAMS,
                           actor="talent")
    remove_model(gctx, w["base"], actor="operator")
    refused = run_training(gctx, job.id, worker_id="w1")
    assert refused is not None and refused.state == "cancelled"
    assert [r["code"] for r in refused.reasons] == ["base_model_unsuitable"]
    assert get_job(gctx, job.id).state is TrainingState.CANCELLED
