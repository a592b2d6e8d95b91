"""Concurrent requests that run the perception models cannot crash the server (issue 19,
finding 1). Before dlib's models had a lock, 2 to 4 verify requests in flight ended the
``twinstudio serve`` process in a segfault (or glibc's "corrupted size vs. prev_size")
in half the runs. Here a real server process gets 8 concurrent ``POST /api/v1/verify``
and 8 concurrent portal verify forms of real face photos (the face signal runs: no
credential, mark or fingerprint resolves them); it must still be alive after, and every
answer be 200 or 503 (a 503 with Retry-After). With one place and no queue, some
requests are refused with 503 at once."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest

from tests.support.faces import PHOTOS
from tests.support.served import Served, build_workspace, serve

pytestmark = [pytest.mark.xdist_group("perception")]

CONCURRENT = 8


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("perception") / "ws"
    key, _ = build_workspace(folder)
    return folder, key


def _photos(real_faces: Path) -> list[tuple[str, bytes]]:
    return [(name, (real_faces / name).read_bytes()) for name in PHOTOS]


def _at_once(calls: list) -> list[httpx.Response | Exception]:  # type: ignore[type-arg]
    """Run every call in its own thread, released together; their answers in order."""
    start = threading.Barrier(len(calls))
    answers: list[httpx.Response | Exception] = [RuntimeError("no answer")] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            answers[i] = calls[i]()
        except Exception as error:
            answers[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return answers


def _api_calls(served: Served, key: str, photos: list[tuple[str, bytes]]) -> list:  # type: ignore[type-arg]
    def call(name: str, data: bytes):  # type: ignore[no-untyped-def]
        return lambda: httpx.post(f"{served.url}/api/v1/verify", headers={"X-API-Key": key},
                                  files={"image": (name, data, "image/jpeg")}, timeout=240)
    return [call(*photos[i % len(photos)]) for i in range(CONCURRENT)]


def _form_calls(served: Served, photos: list[tuple[str, bytes]]) -> list:  # type: ignore[type-arg]
    calls = []
    for i in range(CONCURRENT):
        client = httpx.Client(base_url=served.url, timeout=240)
        page = client.get("/verify")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        name, data = photos[i % len(photos)]
        calls.append(lambda c=client, t=token, n=name, d=data: c.post(
            "/verify", data={"csrf_token": t}, files={"image": (n, d, "image/jpeg")}))
    return calls


def _check(served: Served, answers: list[httpx.Response | Exception]) -> list[int]:
    assert served.alive(), f"the server died:\n{served.output()[-3000:]}"
    errors = [a for a in answers if isinstance(a, Exception)]
    assert not errors, f"{errors[:3]}\n{served.output()[-3000:]}"
    statuses = [a.status_code for a in answers]  # type: ignore[union-attr]
    assert set(statuses) <= {200, 503}, statuses
    for answer in answers:
        assert isinstance(answer, httpx.Response)
        if answer.status_code == 503:
            assert int(answer.headers["Retry-After"]) >= 1
    assert httpx.get(f"{served.url}/api/v1/openapi.json", timeout=30).status_code == 200
    return statuses


def test_concurrent_verify_through_the_api_and_the_portal_cannot_crash_the_server(
        workspace, real_faces):
    folder, key = workspace
    photos = _photos(real_faces)
    # every request admitted at once: all of them reach the models together
    wide = {"TWINSTUDIO_PERCEPTION_CONCURRENCY": str(2 * CONCURRENT),
            "TWINSTUDIO_PERCEPTION_QUEUE": "0", "TWINSTUDIO_PERCEPTION_WAIT_SECONDS": "60"}
    with serve(folder, env=wide) as served:
        for _ in range(2):
            calls = _api_calls(served, key, photos) + _form_calls(served, photos)
            statuses = _check(served, _at_once(calls))
            assert statuses == [200] * len(calls)  # room for all: none refused
        answer = httpx.post(f"{served.url}/api/v1/verify", headers={"X-API-Key": key},
                            files={"image": photos[0]}, timeout=60)
        assert answer.json()["signals"]["face"]["checked"] is True
        assert answer.json()["signals"]["face"]["faces"] >= 1


def test_a_full_gate_answers_503_with_retry_after_and_the_rest_are_served(
        workspace, real_faces):
    folder, key = workspace
    photos = _photos(real_faces)
    narrow = {"TWINSTUDIO_PERCEPTION_CONCURRENCY": "1", "TWINSTUDIO_PERCEPTION_QUEUE": "0",
              "TWINSTUDIO_PERCEPTION_WAIT_SECONDS": "3"}
    with serve(folder, env=narrow) as served:
        answers = _at_once(_api_calls(served, key, photos) + _form_calls(served, photos))
        statuses = _check(served, answers)
        assert 503 in statuses and 200 in statuses, statuses
        refused = [a for a in answers if isinstance(a, httpx.Response) and a.status_code == 503]
        api_refusals = [a for a in refused if a.request.url.path.startswith("/api/")]
        page_refusals = [a for a in refused if not a.request.url.path.startswith("/api/")]
        for answer in api_refusals:
            assert answer.json()["error"]["type"] == "busy"
            assert answer.headers["Retry-After"] == "3"
        for answer in page_refusals:
            assert answer.headers["content-type"].startswith("text/html")
            assert "Busy" in answer.text
