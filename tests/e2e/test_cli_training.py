"""Twin training from the command line, on tiny random SDXL models: the talent signs a
consent that allows training and a biometric release, the capture photos are kept (as
enrolment keeps them), ``twin train`` trains with its progress bar, ``twin adapters``
lists the version, ``twin adapter export`` writes the weights with a manifest that
``twin adapter verify`` checks, and ``consent withdraw-training`` destroys the adapter.
Without the consent to train, ``twin train`` is refused with the reason's code."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_cli import (
    EXIT_OK,
    EXIT_REFUSED,
    World,
    build_world,
    consent_document,
    invoke,
)
from tests.generation.test_diffusion_recipes import one_thread
from tests.support.images import encode, scene

__all__ = ["one_thread"]  # autouse: torch on one thread
pytestmark = pytest.mark.xdist_group("diffusion")


@pytest.fixture
def w(tmp_path: Path) -> World:
    return build_world(tmp_path, invoke)


def _keep_capture_photos(w: World) -> None:
    """What enrolment leaves behind for training: the capture photos, encrypted."""
    from twinstudio.cli import context
    from twinstudio.services.biometrics import PHOTO, photo_plaintext, store_template

    ctx = context(w.workspace)
    with ctx.uow() as uow:
        for i in range(2):
            store_template(ctx, uow, twin_id=w.twin, kind=PHOTO, actor="test", data=(
                photo_plaintext(f"capture-{i}.png", encode(scene(40 + i, 96, 128), "PNG"))))
        uow.commit()


def test_train_list_export_verify_and_withdraw_from_the_command_line(w: World) -> None:
    from twinstudio.generation.diffusion.testing import build_tiny_sdxl

    base = build_tiny_sdxl(w.files / "tiny")["base"]
    assert w.run("model", "add", "tiny-base", "--path", base, "--kind", "base",
                 "--licence", "Apache-2.0", "--commercial", "yes").code == EXIT_OK
    release = w.run("biometrics", "release", "--talent", w.talent, "--document", w.file(
        "release.json", {"purpose": "Capture photos kept to train the twin's LoRA",
                         "retention_days": 365, "written_release": True,
                         "explicit_consent": True, "language": "sv"}))
    assert release.code == EXIT_OK, release
    _keep_capture_photos(w)
    refused = w.run("twin", "train", w.twin, "--base", "tiny-base", "--steps", "2")
    assert refused.code == EXIT_REFUSED
    assert "training_consent_missing" in refused.stderr + refused.stdout
    granted = w.run("consent", "grant", "--talent", w.talent, "--document", w.file(
        "train.json", consent_document(model_training=True)), "--json")
    assert granted.code == EXIT_OK, granted
    consent = granted.json()["id"]

    trained = w.run("twin", "train", w.twin, "--base", "tiny-base", "--steps", "4",
                    "--rank", "4", "--resolution", "64", "--checkpoint-every", "2",
                    "--learning-rate", "0.001")
    assert trained.code == EXIT_OK, trained
    assert "4/4" in trained.stdout and "stored (encrypted with the twin's key)" in trained.stdout
    [adapter] = w.run("twin", "adapters", w.twin, "--json").json()
    assert adapter["base_model"] == "tiny-base" and adapter["version"] == 1
    assert adapter["state"] == "active" and adapter["params"]["steps"] == 4
    [job] = w.run("twin", "trainings", w.twin, "--json").json()
    assert job["state"] == "succeeded" and job["adapter_id"] == adapter["id"]

    out = w.files / "adapter.zip"
    exported = w.run("twin", "adapter", "export", adapter["id"], "-o", out, "--json")
    assert exported.code == EXIT_OK, exported
    assert exported.json()["manifest"]["weights_sha256"] == adapter["sha256"]
    with zipfile.ZipFile(out) as archive:
        assert set(archive.namelist()) == {"pytorch_lora_weights.safetensors",
                                           "manifest.json", "manifest.sig.json"}
    checked = w.run("twin", "adapter", "verify", out)
    assert checked.code == EXIT_OK and "genuine" in checked.stdout

    withdrawn = w.run("consent", "withdraw-training", consent, "--reason", "changed my mind",
                      "--json")
    assert withdrawn.code == EXIT_OK, withdrawn
    assert withdrawn.json()["destroyed_adapters"] == [adapter["id"]]
    [after] = w.run("twin", "adapters", w.twin, "--json").json()
    assert after["state"] == "destroyed"
    again = w.run("twin", "adapter", "export", adapter["id"], "-o", w.files / "again.zip")
    assert again.code != EXIT_OK and "no longer exist" in again.stderr
