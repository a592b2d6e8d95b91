"""The typed client (``twinstudio.client``) against ``httpx.MockTransport``: errors by the
envelope's type (else by status), retries only of idempotent calls, one Idempotency-Key
per create shared by its retries, pagination, timeouts; sync and async alike."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date

import httpx
import pytest

from twinstudio.api.schemas import AssetPublic, Page
from twinstudio.client import (
    IDEMPOTENCY_HEADER,
    ApiError,
    AsyncClient,
    Busy,
    Client,
    Conflict,
    IntegrityError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Reason,
    RightsRefused,
    ServerError,
    Timeout,
    TooLarge,
    TooManyAttempts,
    TransportError,
    Unauthenticated,
)
from twinstudio.domain.policy import ProposedUse

Handler = Callable[[httpx.Request], httpx.Response]
NOW = "2026-06-01T12:00:00Z"


def _asset(i: int) -> dict[str, object]:
    return {"id": f"ast_{i}", "twin_id": "twn_1", "licence_id": "lic_1", "brand_id": "brd_1",
            "state": "approved", "source": "studio", "alterations": [], "retouched": False,
            "parent_id": None, "state_reason": None, "created_at": NOW, "updated_at": NOW}


def _error(status: int, type_: str, message: str = "no",
           reasons: list[dict[str, str]] | None = None,
           headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {
        "type": type_, "message": message, "reasons": reasons or []}})


class Recorder:
    """A MockTransport handler answering from a list (the last answer repeats)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _client(handler: Handler, **options: object) -> tuple[Client, list[float]]:
    options = {"retries": 3, "backoff": 0.5, **options}
    client = Client("http://studio.test", "key-1", transport=httpx.MockTransport(handler),
                    **options)  # type: ignore[arg-type]
    slept: list[float] = []
    client._sleep = slept.append  # type: ignore[method-assign]
    return client, slept


def _async_client(handler: Handler, **options: object) -> tuple[AsyncClient, list[float]]:
    options = {"retries": 3, "backoff": 0.5, **options}
    client = AsyncClient("http://studio.test", "key-1",
                         transport=httpx.MockTransport(handler),
                         **options)  # type: ignore[arg-type]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client._sleep = sleep  # type: ignore[method-assign]
    return client, slept


# ------------------------------------------------------------------ requests


def test_requests_go_under_api_v1_with_the_api_key_and_typed_answers() -> None:
    calls = Recorder(httpx.Response(200, json=_asset(1)))
    client, _ = _client(calls)
    asset = client.assets.get("ast_1")
    assert isinstance(asset, AssetPublic) and asset.id == "ast_1"
    [request] = calls.requests
    assert str(request.url) == "http://studio.test/api/v1/assets/ast_1"
    assert request.headers["X-API-Key"] == "key-1"
    assert IDEMPOTENCY_HEADER not in request.headers


def test_a_base_url_that_names_the_api_root_is_used_as_it_is() -> None:
    assert Client("http://h:8000/api/v1/", "k").base_url == "http://h:8000/api/v1"
    assert Client("http://h:8000", "k").base_url == "http://h:8000/api/v1"


def test_bodies_are_the_domain_models_as_json_and_unset_filters_are_left_out() -> None:
    calls = Recorder(httpx.Response(200, json={"allowed": True, "reasons": []}))
    client, _ = _client(calls)
    use = ProposedUse(channel="social", territory="SE", date=date(2026, 7, 1),
                      product_category="outerwear")
    decision = client.policy.check("lic_1", use)
    assert decision.allowed
    sent = json.loads(calls.requests[0].content)
    assert sent == {"licence_id": "lic_1", "use": {
        "channel": "social", "territory": "SE", "date": "2026-07-01",
        "product_category": "outerwear", "alterations": [], "content_tags": []}}
    calls.answers = [httpx.Response(200, json={"items": [], "total": 0, "limit": 5,
                                               "offset": 0})]
    client.assets.list(state="approved", limit=5)
    assert dict(calls.requests[1].url.params) == {"state": "approved", "limit": "5",
                                                  "offset": "0"}


def test_verify_uploads_the_image_as_multipart_with_its_type() -> None:
    calls = Recorder(httpx.Response(200, json={
        "verdict": "unknown", "asset_id": None, "asset_state": None, "twin_id": None,
        "licence_id": None, "signals_agree": True, "signals": {}, "elapsed_ms": 1.0,
        "explanation": "nothing found"}))
    client, _ = _client(calls)
    assert client.verify(b"\x89PNG\r\n\x1a\n" + b"0" * 20).verdict == "unknown"
    request = calls.requests[0]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="image"' in request.content and b"Content-Type: image/png" in request.content


def test_a_binary_answer_comes_back_as_bytes() -> None:
    client, _ = _client(Recorder(httpx.Response(200, content=b"\xff\xd8\xffjpeg",
                                                headers={"content-type": "image/jpeg"})))
    assert client.assets.image("ast_1") == b"\xff\xd8\xffjpeg"


# ------------------------------------------------------------------ errors

ERRORS = [
    (401, "unauthenticated", Unauthenticated), (429, "too_many_attempts", TooManyAttempts),
    (403, "permission_denied", PermissionDenied), (403, "rights_refused", RightsRefused),
    (404, "not_found", NotFound), (409, "conflict", Conflict),
    (409, "invalid_transition", InvalidTransition), (409, "integrity_error", IntegrityError),
    (413, "too_large", TooLarge), (422, "invalid_input", InvalidInput), (503, "busy", Busy),
    (500, "internal_error", ServerError), (500, "configuration_error", ServerError),
]


@pytest.mark.parametrize(("status", "type_", "kind"), ERRORS,
                         ids=[type_ for _, type_, _ in ERRORS])
def test_each_error_type_of_the_envelope_raises_its_own_class(
        status: int, type_: str, kind: type[ApiError]) -> None:
    reasons = [{"code": "consent_revoked", "message": "the consent was revoked"},
               {"code": "outside_term", "message": "after the licence ends"}]
    client, _ = _client(Recorder(_error(status, type_, "refused here", reasons)), retries=0)
    with pytest.raises(kind) as caught:
        client.me.get()
    error = caught.value
    assert type(error) is kind and isinstance(error, ApiError)
    assert (error.status, error.type, error.message) == (status, type_, "refused here")
    assert error.reasons == [Reason("consent_revoked", "the consent was revoked"),
                             Reason("outside_term", "after the licence ends")]
    assert error.codes == ["consent_revoked", "outside_term"]
    assert "consent_revoked" in str(error)


def test_the_hierarchy_follows_the_servers() -> None:
    assert issubclass(TooLarge, InvalidInput) and issubclass(TooManyAttempts, Unauthenticated)
    assert issubclass(InvalidTransition, Conflict) and issubclass(Timeout, TransportError)


@pytest.mark.parametrize(("status", "kind"), [
    (422, InvalidInput), (409, Conflict), (403, PermissionDenied), (404, NotFound),
    (413, TooLarge), (401, Unauthenticated), (500, ServerError), (418, ApiError)])
def test_an_unknown_type_falls_back_to_the_class_of_its_status(
        status: int, kind: type[ApiError]) -> None:
    client, _ = _client(Recorder(_error(status, "something_new")), retries=0)
    with pytest.raises(kind) as caught:
        client.me.get()
    assert type(caught.value) is kind and caught.value.type == "something_new"


def test_an_answer_without_an_envelope_is_an_error_of_its_status() -> None:
    client, _ = _client(Recorder(httpx.Response(502, text="<html>Bad gateway</html>")),
                        retries=0)
    with pytest.raises(ServerError) as caught:
        client.me.get()
    assert caught.value.status == 502 and caught.value.type == "http_error"
    assert "Bad gateway" in caught.value.message and caught.value.reasons == []


# ------------------------------------------------------------------ retries


def test_a_get_is_retried_on_503_with_exponential_backoff() -> None:
    calls = Recorder(_error(503, "busy"), _error(503, "busy"), httpx.Response(200, json=_asset(1)))
    client, slept = _client(calls)
    assert client.assets.get("ast_1").id == "ast_1"
    assert len(calls.requests) == 3 and slept == [0.5, 1.0]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_get_gives_up_after_its_retries_with_the_last_error(status: int) -> None:
    calls = Recorder(_error(status, "whatever"))
    client, slept = _client(calls, retries=2, backoff=0.1)
    with pytest.raises(ApiError) as caught:
        client.assets.get("ast_1")
    assert caught.value.status == status
    assert len(calls.requests) == 3 and slept == pytest.approx([0.1, 0.2])


def test_retry_after_is_honoured_and_capped() -> None:
    calls = Recorder(_error(503, "busy", headers={"Retry-After": "2"}),
                     _error(503, "busy", headers={"Retry-After": "3600"}),
                     httpx.Response(200, json=_asset(1)))
    client, slept = _client(calls, max_delay=10.0)
    client.assets.get("ast_1")
    assert slept == [2.0, 10.0]


def test_a_client_error_is_not_retried() -> None:
    calls = Recorder(_error(404, "not_found"))
    client, slept = _client(calls)
    with pytest.raises(NotFound):
        client.assets.get("ast_x")
    assert len(calls.requests) == 1 and slept == []


def test_a_post_without_an_idempotency_key_is_sent_once() -> None:
    calls = Recorder(_error(503, "busy"), httpx.Response(200, json=_asset(1)))
    client, slept = _client(calls)
    with pytest.raises(Busy):
        client.assets.approve("ast_1")
    assert len(calls.requests) == 1 and slept == []
    assert IDEMPOTENCY_HEADER not in calls.requests[0].headers


def test_a_post_without_a_key_is_not_retried_after_a_connection_error() -> None:
    calls = Recorder(httpx.ConnectError("refused"), httpx.Response(200, json=_asset(1)))
    client, _ = _client(calls)
    with pytest.raises(TransportError):
        client.assets.reject("ast_1", "not me")
    assert len(calls.requests) == 1


def test_a_retried_create_sends_the_same_idempotency_key_each_time() -> None:
    plan = {"campaign_id": "cmp_1", "name": "AW26", "brand_id": "brd_1", "variants": 1,
            "queued": 1, "already_queued": 0, "beyond_cap": 0, "refused": []}
    calls = Recorder(_error(503, "busy"), httpx.ConnectError("reset"),
                     httpx.Response(201, json=plan))
    client, slept = _client(calls)
    assert client.campaigns.create({"name": "AW26", "looks": [["gar_1"]]}).queued == 1
    keys = [r.headers[IDEMPOTENCY_HEADER] for r in calls.requests]
    assert len(keys) == 3 and len(set(keys)) == 1 and len(keys[0]) == 36
    assert slept == [0.5, 1.0]
    calls.requests.clear()
    client.campaigns.create({"name": "AW26", "looks": [["gar_1"]]})
    assert calls.requests[0].headers[IDEMPOTENCY_HEADER] != keys[0]  # one key per call


def test_a_create_whose_first_try_still_runs_is_asked_again_with_its_key() -> None:
    garment = {"id": "gar_1", "brand_id": "brd_1", "name": "Parka", "category": "coat",
               "product_category": "outerwear", "fit": "regular", "length": "regular",
               "base_color": "#2f4f6f", "colour_source": "given", "colorways": [],
               "pattern_sha256": None, "pattern_size_cm": 12.0, "image_sha256": None}
    calls = Recorder(_error(409, "idempotency_key_in_flight", headers={"Retry-After": "1"}),
                     httpx.Response(201, json=garment))
    client, slept = _client(calls)
    assert client.garments.create("Parka", "coat", fabric_color="#2f4f6f").id == "gar_1"
    assert slept == [1.0] and len({r.headers[IDEMPOTENCY_HEADER] for r in calls.requests}) == 1
    plain = Recorder(_error(409, "conflict"))
    client, slept = _client(plain)
    with pytest.raises(Conflict):  # any other conflict is an answer
        client.garments.create("Parka", "coat", fabric_color="#2f4f6f")
    assert len(plain.requests) == 1 and slept == []


def test_the_caller_may_name_the_idempotency_key() -> None:
    calls = Recorder(httpx.Response(201, json={
        "id": "tal_1", "name": "Astrid", "language": "en", "agency_id": None,
        "synthetic": False, "created_at": NOW, "twin_id": "twn_1", "twin_state": "enrolling"}))
    client, _ = _client(calls)
    client.talents.create("Astrid", idempotency_key="order-42")
    assert calls.requests[0].headers[IDEMPOTENCY_HEADER] == "order-42"


def test_connection_errors_of_a_get_are_retried_then_raised() -> None:
    calls = Recorder(httpx.ConnectError("refused"))
    client, slept = _client(calls, retries=2)
    with pytest.raises(TransportError) as caught:
        client.me.get()
    assert not isinstance(caught.value, Timeout)
    assert len(calls.requests) == 3 and slept == [0.5, 1.0]
    assert "GET /me" in str(caught.value)


# ------------------------------------------------------------------ timeouts


def test_the_timeout_is_given_to_each_request() -> None:
    calls = Recorder(httpx.Response(200, json=_asset(1)))
    client, _ = _client(calls, timeout=4.5)
    client.assets.get("ast_1")
    assert calls.requests[0].extensions["timeout"] == {"connect": 4.5, "read": 4.5,
                                                       "write": 4.5, "pool": 4.5}


def test_a_timeout_is_retried_for_a_get_and_raised_as_timeout() -> None:
    calls = Recorder(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"))
    client, slept = _client(calls, retries=1)
    with pytest.raises(Timeout):
        client.assets.get("ast_1")
    assert len(calls.requests) == 2 and slept == [0.5]


def test_a_timeout_of_a_post_without_a_key_is_raised_at_once() -> None:
    calls = Recorder(httpx.ReadTimeout("slow"))
    client, _ = _client(calls)
    with pytest.raises(Timeout):
        client.campaigns.run("cmp_1")
    assert len(calls.requests) == 1


# ------------------------------------------------------------------ pagination


def _paged(total: int) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        limit, offset = int(request.url.params["limit"]), int(request.url.params["offset"])
        items = [_asset(i) for i in range(offset, min(offset + limit, total))]
        return httpx.Response(200, json={"items": items, "total": total, "limit": limit,
                                         "offset": offset})
    return handler


def test_iter_follows_limit_and_offset_until_the_total() -> None:
    calls = Recorder(httpx.Response(200))
    handler = _paged(7)

    def recording(request: httpx.Request) -> httpx.Response:
        calls.requests.append(request)
        return handler(request)

    client, _ = _client(recording)
    ids = [a.id for a in client.assets.iter(state="approved", page_size=3)]
    assert ids == [f"ast_{i}" for i in range(7)]
    assert [(r.url.params["offset"], r.url.params["state"]) for r in calls.requests] == [
        ("0", "approved"), ("3", "approved"), ("6", "approved")]


def test_list_gives_one_page_with_its_total() -> None:
    client, _ = _client(_paged(7))
    page = client.assets.list(limit=2, offset=4)
    assert isinstance(page, Page) and [a.id for a in page.items] == ["ast_4", "ast_5"]
    assert (page.total, page.limit, page.offset) == (7, 2, 4)


def test_iter_stops_on_an_empty_page_and_refuses_a_bad_page_size() -> None:
    client, _ = _client(Recorder(httpx.Response(200, json={"items": [], "total": 9,
                                                           "limit": 100, "offset": 0})))
    assert list(client.assets.iter()) == []
    with pytest.raises(ValueError, match="page_size"):
        client.assets.iter(page_size=501)


# ------------------------------------------------------------------ async


def test_the_async_client_makes_the_same_calls() -> None:
    calls = Recorder(_error(503, "busy", headers={"Retry-After": "1"}),
                     httpx.Response(200, json=_asset(1)))

    async def scenario() -> tuple[str, list[float], list[str]]:
        client, slept = _async_client(calls)
        async with client:
            asset = await client.assets.get("ast_1")
        paged, _ = _async_client(_paged(5))
        async with paged:
            ids = [a.id async for a in paged.assets.iter(page_size=2)]
        return asset.id, slept, ids

    asset_id, slept, ids = asyncio.run(scenario())
    assert asset_id == "ast_1" and slept == [1.0] and len(calls.requests) == 2
    assert ids == [f"ast_{i}" for i in range(5)]


def test_the_async_client_maps_errors_and_keys_creates() -> None:
    calls = Recorder(_error(403, "rights_refused", reasons=[
        {"code": "consent_revoked", "message": "revoked"}]))

    async def scenario() -> RightsRefused:
        client, _ = _async_client(calls)
        async with client:
            with pytest.raises(RightsRefused) as caught:
                await client.licences.propose("twn_1", "brd_1", {"channels": ["social"]})
        return caught.value

    error = asyncio.run(scenario())
    assert error.codes == ["consent_revoked"] and len(calls.requests) == 1
    assert IDEMPOTENCY_HEADER in calls.requests[0].headers


def test_the_async_client_does_not_retry_a_post_without_a_key() -> None:
    calls = Recorder(_error(503, "busy"))

    async def scenario() -> None:
        client, _ = _async_client(calls)
        async with client:
            with pytest.raises(Busy):
                await client.assets.withdraw("ast_1")

    asyncio.run(scenario())
    assert len(calls.requests) == 1


def test_the_clients_are_context_managers_that_close() -> None:
    with Client("http://h", "k") as client:
        pass
    assert client._http.is_closed

    async def scenario() -> AsyncClient:
        async with AsyncClient("http://h", "k") as client:
            pass
        return client

    assert asyncio.run(scenario())._http.is_closed


def test_the_client_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="api_key"):
        Client("http://h", "")
    with pytest.raises(ValueError, match="negative"):
        Client("http://h", "k", retries=-1)
