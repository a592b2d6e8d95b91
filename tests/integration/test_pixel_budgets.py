"""Pixel budgets per route (issue 19, finding 2), on SQLite and PostgreSQL: the 47 KB
all-zero 7000x7000 PNG is verified on a copy at most 2048 px a side (every analysis --
watermark, fingerprint, faces -- sees at most that); kept images (a garment's packshot
or pattern, an asset edit) over 16 MP are refused with ``too_many_pixels``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.images import zero_png as bomb_png
from tests.support.world import World, build_world, world_context
from twinstudio.bootstrap import build_api
from twinstudio.domain.accounts import Role
from twinstudio.domain.budgets import ANALYSIS_SIDE, TOO_MANY_PIXELS


@pytest.fixture
def world(engine, tmp_path, clock) -> World:
    return build_world(world_context(engine, tmp_path, clock))


@pytest.fixture
def api(world):
    return TestClient(build_api(world.ctx), raise_server_exceptions=False)


def as_(world: World, role: Role) -> dict[str, str]:
    return {"X-API-Key": world.key(role)}


@pytest.fixture
def analysed(world, monkeypatch) -> list[tuple[str, tuple[int, ...]]]:
    """The shape of every array the verification analyses."""
    seen: list[tuple[str, tuple[int, ...]]] = []
    tools = world.ctx.provenance
    for name in ("read_mark", "find"):
        real = getattr(tools, name)

        def spy(rgb, *args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            seen.append((_name, rgb.shape))
            return _real(rgb, *args, **kwargs)

        monkeypatch.setattr(tools, name, spy)
    if world.ctx.faces is not None:
        real_faces = world.ctx.faces.embeddings

        def faces_spy(rgb):  # type: ignore[no-untyped-def]
            seen.append(("faces", rgb.shape))
            return real_faces(rgb)

        monkeypatch.setattr(world.ctx.faces, "embeddings", faces_spy)
    return seen


def test_the_zero_bomb_is_verified_on_a_copy_of_at_most_2048_px(world, api, analysed):
    data = bomb_png()
    response = api.post("/api/v1/verify", files={"image": ("zeros.png", data, "image/png")},
                        headers=as_(world, Role.COMPLIANCE))
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "unknown"
    assert {name for name, _ in analysed} >= {"read_mark", "find"}
    assert all(max(shape[:2]) <= ANALYSIS_SIDE for _, shape in analysed), analysed


def test_a_packshot_over_16_megapixels_is_refused_with_too_many_pixels(world, api):
    big = bomb_png(4500)  # 20 MP: decodable at the edge (50 MP), too many to keep
    response = api.post("/api/v1/garments", data={"name": "Huge", "category": "coat",
                                                  "fabric_color": "#336699"},
                        files={"image": ("huge.png", big, "image/png")},
                        headers=as_(world, Role.BRAND_EDITOR))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == TOO_MANY_PIXELS
    assert "limit is 16" in error["message"]


def test_an_asset_edit_over_16_megapixels_is_refused_with_too_many_pixels(world, api):
    response = api.post(f"/api/v1/assets/{world.a.assets[0]}/edit",
                        files={"image": ("retouched.png", bomb_png(4500), "image/png")},
                        headers=as_(world, Role.BRAND_EDITOR))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["type"] == TOO_MANY_PIXELS
