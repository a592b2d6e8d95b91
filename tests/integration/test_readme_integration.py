"""The README's brand integration, run as it is written: the ```python block under "A
brand's integration" is read from README.md and executed against the API served by
uvicorn on 127.0.0.1 (in this process, over the world's store), with its webhook receiver
on 127.0.0.1 too. The campaign
runs on the fake backend; the talent approves one of its two assets; the test delivers
the outbox (the service's own delivery round) until the script has published what was
approved. The receiver's signature check is then tried with a forged message."""

from __future__ import annotations

import json
import time
from pathlib import Path
from threading import Thread
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_generation import Tools, brief
from tests.support.served import free_port
from tests.support.web import serve
from tests.support.world import World, as_
from twinstudio.bootstrap import build_api
from twinstudio.domain.accounts import Role
from twinstudio.services.webhooks import deliver_due

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "### A brand's integration"


def readme_block() -> str:
    section = README.read_text(encoding="utf-8").split(HEADING, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def _new_campaign(api: TestClient, world: World, failures: list[BaseException],
                  timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not failures:
        listed = api.get("/api/v1/campaigns", headers=as_(world, Role.BRAND_ADMIN)).json()
        fresh = [c["id"] for c in listed["items"] if c["id"] != world.a.campaign]
        if fresh:
            return fresh[0]
        time.sleep(0.05)
    raise AssertionError(f"the README's script planned no campaign: {failures!r}")


def test_the_readme_brand_integration_runs_as_written(world: World, clock, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    tools = Tools()
    app = build_api(world.ctx, runner=tools.runner, quality=lambda: tools.quality)
    api = TestClient(app, raise_server_exceptions=False)
    with serve(app) as url:
        _run_the_readme(world, clock, tmp_path, monkeypatch, api, tools, url)


def _run_the_readme(world: World, clock, tmp_path: Path,  # type: ignore[no-untyped-def]
                    monkeypatch: pytest.MonkeyPatch, api: TestClient, tools: Tools,
                    url: str) -> None:
    port = free_port()
    hook_url = f"http://127.0.0.1:{port}/twinstudio"
    for name, value in {"TWINSTUDIO_API_URL": url,
                        "TWINSTUDIO_API_KEY": world.key(Role.BRAND_ADMIN),
                        "HOOK_URL": hook_url, "HOOK_PORT": str(port),
                        "PUBLISH_ON": "2026-06-02"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brief.json").write_text(json.dumps(brief(world)))
    # the receiver's clock is the world's (the messages are stamped by it)
    monkeypatch.setattr(time, "time", lambda: clock().timestamp())

    namespace: dict[str, Any] = {"__name__": "readme"}
    failures: list[BaseException] = []

    def script() -> None:
        try:
            exec(compile(readme_block(), str(README), "exec"), namespace)
        except BaseException as error:
            failures.append(error)

    runner = Thread(target=script, daemon=True)
    runner.start()
    try:
        campaign_id = _new_campaign(api, world, failures)
        deadline = time.monotonic() + 120  # the script runs it; the API's runner makes it
        while not failures and time.monotonic() < deadline and not api.get(
                f"/api/v1/campaigns/{campaign_id}",
                headers=as_(world, Role.BRAND_ADMIN)).json()["done"]:
            time.sleep(0.05)
        assert not failures, failures
        assert tools.runner.wait(campaign_id, timeout=120)
        jobs = api.get(f"/api/v1/campaigns/{campaign_id}/jobs",
                       headers=as_(world, Role.BRAND_ADMIN)).json()["items"]
        made = sorted(j["asset_id"] for j in jobs if j["state"] == "succeeded")
        assert len(made) == 2
        approved = api.post(f"/api/v1/assets/{made[0]}/approve",
                            headers=as_(world, Role.TALENT))
        assert approved.status_code == 200, approved.text
        assert runner.is_alive() and not failures  # it waits for campaign.completed
        deadline = time.monotonic() + 60
        while runner.is_alive() and time.monotonic() < deadline:
            deliver_due(world.ctx, worker_id="test")
            runner.join(0.2)
        assert not runner.is_alive(), "the script never saw campaign.completed"
        assert not failures, failures

        def state(asset_id: str) -> str:
            return api.get(f"/api/v1/assets/{asset_id}",
                           headers=as_(world, Role.BRAND_ADMIN)).json()["state"]

        assert state(made[0]) == "published" and state(made[1]) == "pending_approval"
        # the receiver takes only what the endpoint's secret signed
        forged = httpx.post(hook_url, content=b'{"type": "campaign.completed"}', headers={
            "webhook-id": "msg_forged", "webhook-timestamp": str(int(clock().timestamp())),
            "webhook-signature": "v1,AAAA"})
        assert forged.status_code == 400 and "no signature matches" in forged.text
        unsigned = httpx.post(hook_url, content=b"{}")
        assert unsigned.status_code == 400
    finally:
        if "hook" in namespace:
            namespace["hook"].shutdown()
            namespace["hook"].server_close()
