"""End-to-end tests of ``twinstudio integrity check`` and of ``audit verify`` against the
workspace's signed checkpoints (SQLite workspace, tampered with through its file)."""

from __future__ import annotations

import json

from tests.e2e.test_cli import EXIT_INTEGRITY, EXIT_OK, World, world
from twinstudio.domain.audit import AuditEvent

__all__ = ["world"]  # the fixture, imported for pytest


def test_integrity_check_passes_a_clean_workspace_with_a_short_summary(world: World) -> None:
    assert (world.workspace / "audit-anchors.jsonl").is_file()
    outcome = world.run("integrity", "check")
    assert outcome.code == EXIT_OK, outcome
    lines = outcome.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("integrity ok: audit chain of 6 events")
    assert "1 licence(s)" in lines[0] and "1 consent(s)" in lines[0]
    report = world.run("integrity", "check", "--json").json()
    assert report["ok"] and report["problems"] == [] and report["first_problem"] is None
    assert report["chain"]["anchored_seq"] == report["chain"]["head_seq"] == 6
    assert report["checked"]["licences"] == 1


def test_a_licence_set_back_to_active_exits_4_naming_the_row(world: World) -> None:
    revoked = world.run("licence", "revoke", world.licence, "--reason", "cancelled",
                        "--by", world.brand)
    assert revoked.code == EXIT_OK, revoked
    world.sql("UPDATE licences SET state = 'active' WHERE id = ?", world.licence)
    outcome = world.run("integrity", "check")
    assert outcome.code == EXIT_INTEGRITY, outcome
    assert outcome.stdout.startswith(f"integrity broken: licences {world.licence}: state is "
                                     "'active' but the audit chain says 'revoked'")
    report = world.run("integrity", "check", "--json")
    assert report.code == EXIT_INTEGRITY
    assert report.json()["first_problem"]["table"] == "licences"
    assert report.json()["first_problem"]["row_id"] == world.licence
    assert world.run("audit", "verify").code == EXIT_OK  # the chain itself is intact


def test_deleting_the_newest_event_fails_audit_verify_and_integrity_check(world: World) -> None:
    world.sql("DELETE FROM audit_events WHERE seq = 6")
    verify = world.run("audit", "verify")
    assert verify.code == EXIT_INTEGRITY, verify
    assert "broken at sequence 6" in verify.stdout and "deleted" in verify.stdout
    outcome = world.run("integrity", "check")
    assert outcome.code == EXIT_INTEGRITY
    assert outcome.stdout.startswith("integrity broken: audit_events 6: ")
    assert "more problem(s)" in outcome.stdout  # the licence's grant is no longer told


def test_a_consistent_rewrite_of_the_chain_fails_audit_verify(world: World) -> None:
    rows = world.sql("SELECT seq, at, actor, type, payload FROM audit_events ORDER BY seq")
    previous = None
    for seq, at, actor, type_, payload in rows:
        data = json.loads(payload)
        if type_ == "LicenceGranted":
            data["brand_id"] = world.rival_brand  # the licence was granted to someone else
        event = AuditEvent.next_after(previous, at=_utc(at), actor=actor, type=type_,
                                      payload=data)
        world.sql("UPDATE audit_events SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                  json.dumps(event.payload, sort_keys=True, separators=(",", ":")),
                  event.prev_hash, event.hash, seq)
        previous = event
    verify = world.run("audit", "verify", "--json")
    assert verify.code == EXIT_INTEGRITY, verify
    assert verify.json()["first_bad_seq"] == 6 and "rewritten" in verify.json()["problem"]


def _utc(stored: str):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromisoformat(stored).replace(tzinfo=UTC)
