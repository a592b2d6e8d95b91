"""The diffusion backend with real diffusers pipelines: tiny random models built in the
diffusers on-disk layout (``generation.diffusion.testing``), registered in the model
registry, run by campaign jobs through QA, approval, publication and ``verify`` on a real
store (SQLite and PostgreSQL), with every socket blocked. The studio render is the fake
one (no body model here; tests/body covers the real conditioning)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest

from tests.generation.test_diffusion_recipes import one_thread
from tests.integration.test_generation import _run, brief, gctx, world
from tests.support.fakes import FakeStudio, ScriptedQuality
from twinstudio.domain.generation import FORMATS
from twinstudio.generation.diffusion.backend import DiffusionBackend
from twinstudio.services.assets import approve_asset, publish_asset
from twinstudio.services.campaigns import create_campaign
from twinstudio.services.jobs import resolve_inputs
from twinstudio.services.models import add_model
from twinstudio.services.verification import verify_image

__all__ = ["gctx", "one_thread", "world"]  # fixtures (one_thread: autouse)

pytestmark = pytest.mark.xdist_group("diffusion")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, dict[str, Path]]:
    from twinstudio.generation.diffusion.testing import build_tiny_flux2_klein, build_tiny_sdxl

    root = tmp_path_factory.mktemp("tiny-models")
    return {"sdxl": build_tiny_sdxl(root / "sdxl", inpaint=True),
            "flux2-klein": build_tiny_flux2_klein(root / "flux2")}


def diffusion_backend_for_tests(max_side: int) -> DiffusionBackend:
    """The real diffusion backend on the CPU over the fake studio render."""
    return DiffusionBackend(FakeStudio(), device="cpu", max_side=max_side)


KINDS = {"base": "base", "inpaint": "base", "pose_controlnet": "controlnet",
         "depth_controlnet": "controlnet", "ip_adapter": "ip_adapter"}


def register(ctx, recipe: str, folders: dict[str, Path]) -> dict[str, str]:
    names = {}
    for role, folder in folders.items():
        name = f"tiny-{recipe}-{role.replace('_', '-')}"
        add_model(ctx, name=name, path=str(folder), kind=KINDS[role],
                  licence="Apache-2.0", commercial=True, actor="operator")
        names[role] = name
    return names


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a network connection fails the test."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.parametrize("recipe", ["sdxl", "flux2-klein"])
def test_a_campaign_runs_end_to_end_on_tiny_pipelines_offline(gctx, world, tiny, recipe,
                                                              clock, no_network):
    assert os.environ.get("HF_HUB_OFFLINE") in (None, "1")
    names = register(gctx, recipe, tiny[recipe])
    generator = {"backend": "diffusion", "recipe": recipe, "models": names,
                 "candidates": 2, "steps": 2, "guidance": 2.0}
    plan = create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, generator=generator, formats=["feed"], looks=[[world["tee"].id]]))
    assert plan.queued == 1
    backend = diffusion_backend_for_tests(max_side=128)
    [outcome] = _run(gctx, backend=backend, quality=ScriptedQuality([0.4, 0.2]))
    assert outcome.state == "succeeded", outcome
    assert outcome.asset_state == "pending_approval"
    approve_asset(gctx, outcome.asset_id, party_id=world["talent"].id, actor="talent")
    published = publish_asset(gctx, outcome.asset_id, channel="social", territory="SE",
                              day=clock.now.date(), actor="brand")
    image = gctx.provenance.decode(published.image)
    assert (image.width, image.height) == (FORMATS["feed"].width, FORMATS["feed"].height)
    verified = verify_image(gctx, published.image).as_dict()
    assert verified["verdict"] == "licensed"
    generation = verified["signals"]["c2pa"]["generation"]
    assert generation["recipe"] == recipe and generation["steps"] == 2
    assert {m["role"] for m in generation["models"]} == set(names)
    with gctx.uow() as uow:
        registered = {m.name: m.manifest_sha256 for m in uow.models.list()}
    assert all(m["manifest_sha256"] == registered[m["name"]] for m in generation["models"])
    assert no_network == []


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # no store question here
def test_the_same_seed_gives_the_same_image_and_another_seed_another(gctx, world, tiny):
    names = register(gctx, "sdxl", tiny["sdxl"])
    generator = {"backend": "diffusion", "recipe": "sdxl", "candidates": 2, "steps": 2,
                 "models": {r: n for r, n in names.items() if r != "inpaint"}}
    create_campaign(gctx, brand_id=world["brand"].id, actor="brand", brief=brief(
        world, generator=generator, formats=["square"], looks=[[world["tee"].id]]))
    with gctx.uow() as uow:
        [job] = uow.jobs.list()
    inputs = resolve_inputs(gctx, job.request)
    first = diffusion_backend_for_tests(max_side=96).generate(inputs)
    again = diffusion_backend_for_tests(max_side=96).generate(inputs)
    assert [c.seed for c in first.candidates] == [c.seed for c in again.candidates]
    for a, b in zip(first.candidates, again.candidates, strict=True):
        assert np.array_equal(a.image, b.image)
    assert not np.array_equal(first.candidates[0].image, first.candidates[1].image)
    assert first.candidates[0].image.shape == (864, 864, 3)  # the format's size
    look = os.environ.get("TWINSTUDIO_LOOK_DIR")  # to look at a tiny-model grid
    if look:
        from PIL import Image

        row = np.concatenate([first.conditioning_images["studio"],
                              first.conditioning_images["pose"],
                              *[np.asarray(Image.fromarray(c.image).resize((96, 96)))
                                for c in first.candidates]], axis=1)
        Image.fromarray(row).resize((row.shape[1] * 3, 288), Image.NEAREST).save(
            Path(look) / "tiny-grid.png")
