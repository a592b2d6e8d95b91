"""The ``webhook`` commands: the operator registers an endpoint (the secret printed once),
a licence revocation leaves a message in the outbox, ``webhook deliver --once`` sends it
signed to a local receiver, the log shows it, and ``replay`` sends it again; a private
target without the allow-list is refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import EXIT_BAD_INPUT, EXIT_OK, World, build_world, invoke
from tests.support.webhooks import Receiver
from twinstudio.domain.webhooks import verify


@pytest.fixture
def w(tmp_path: Path) -> World:
    return build_world(tmp_path, invoke)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver()
    yield r
    r.close()


def test_register_deliver_read_and_replay_from_the_command_line(w: World, receiver,
                                                                monkeypatch) -> None:
    refused = w.run("webhook", "add", w.brand, "--url", receiver.url,
                    "--event", "licence.revoked")
    assert refused.code == EXIT_BAD_INPUT
    assert "127.0.0.1 resolves to 127.0.0.1, a loopback address" in refused.stderr
    monkeypatch.setenv("TWINSTUDIO_WEBHOOK_ALLOW", "127.0.0.1")
    unknown = w.run("webhook", "add", w.brand, "--url", receiver.url, "--event", "nope")
    assert unknown.code == EXIT_BAD_INPUT and "unknown event types: nope" in unknown.stderr
    added = w.run("webhook", "add", w.brand, "--url", receiver.url, "--event",
                  "licence.revoked", "--event", "asset.approved", "--json")
    assert added.code == EXIT_OK, added
    endpoint = added.json()
    assert endpoint["secret"].startswith("whsec_")
    listed = w.run("webhook", "list", "--json").json()
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]

    assert w.run("licence", "revoke", w.licence, "--reason", "season over").code == EXIT_OK
    sent = w.run("webhook", "deliver", "--once", "--json")
    assert sent.code == EXIT_OK and len(sent.json()["delivered"]) == 1
    (got,) = receiver.wait_for(1)
    verify(endpoint["secret"], got.headers, got.body,
           now=int(got.headers["webhook-timestamp"]))
    log = w.run("webhook", "deliveries", endpoint["id"], "--json").json()
    assert [(d["event_type"], d["state"], d["attempts"]) for d in log] == [
        ("licence.revoked", "delivered", 1)]
    table = w.run("webhook", "deliveries", endpoint["id"])
    assert "licence.revoked" in table.stdout and "delivered" in table.stdout
    assert w.run("webhook", "replay", log[0]["id"]).code == EXIT_OK
    assert len(w.run("webhook", "deliver", "--once", "--json").json()["delivered"]) == 1
    again = receiver.wait_for(2)[1]
    assert again.headers["webhook-id"] == got.headers["webhook-id"]
