"""Fixtures of the API tests: the two-tenant world (``tests.support.world``) and a
client of its API. A module that needs another world or client defines its own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.world import World, build_world, world_context
from twinstudio.bootstrap import build_api


@pytest.fixture
def world(engine, tmp_path, clock) -> World:  # type: ignore[no-untyped-def]
    return build_world(world_context(engine, tmp_path, clock))


@pytest.fixture
def api(world: World) -> TestClient:
    return TestClient(build_api(world.ctx), raise_server_exceptions=False)
