"""The OpenAPI document is valid, and schemathesis fuzzes every operation through the
ASGI app with an admin API key (the deepest code paths): no response is a 5xx, and every
response matches the documented schema. Bounded to a few examples per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.world import build_world, world_context
from twinstudio.bootstrap import build_api
from twinstudio.domain.accounts import Role

MAX_EXAMPLES = 6


@pytest.fixture
def fuzzed(engine, tmp_path, clock):
    world = build_world(world_context(engine, tmp_path, clock))
    return world, build_api(world.ctx, max_body_bytes=2 * 1024 * 1024)


def test_openapi_document_is_complete_and_valid(fuzzed):
    _, app = fuzzed
    doc = app.openapi()
    schemathesis.openapi.from_dict(doc).validate()  # against the OpenAPI 3.1 meta-schema
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("summary") and op.get("operationId"), (method, path)
            assert "404" in op["responses"] and "401" in op["responses"], (method, path)
            assert any(code.startswith("2") for code in op["responses"]), (method, path)


def test_schemathesis_finds_no_server_error_on_any_operation(fuzzed):
    world, app = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"X-API-Key": world.key(Role.ADMIN)}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 28
    statuses: list[int] = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case):  # type: ignore[no-untyped-def]
            response = case.call_and_validate(headers=headers, checks=[
                not_a_server_error, response_schema_conformance, status_code_conformance])
            statuses.append(response.status_code)

        run()
    assert len(statuses) >= 2 * len(operations)
    assert sum(200 <= s < 300 for s in statuses) >= len(operations) // 2, statuses
