"""Signed checkpoints of the audit chain: the pure check against a chain, and the file
adapter (signed lines, one key however many writers, torn last line, edited lines)."""

from __future__ import annotations

import json
import multiprocessing as mp
from datetime import UTC, datetime, timedelta
from pathlib import Path

from twinstudio.domain.audit import (
    AnchorReading,
    AuditEvent,
    Checkpoint,
    check_anchors,
    verify_chain,
)
from twinstudio.signing.anchors import FileAuditAnchors

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def chain(n: int, tag: str = "") -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for i in range(n):
        events.append(AuditEvent.next_after(events[-1] if events else None,
                                            at=T0 + timedelta(seconds=i), actor="tester",
                                            type="Thing", payload={"i": i, "tag": tag}))
    return events


def anchors(tmp_path: Path) -> FileAuditAnchors:
    return FileAuditAnchors(tmp_path / "audit-anchors.jsonl",
                            tmp_path / "keys" / "audit-anchor.ed25519.pem")


def checked(events: list[AuditEvent], store: FileAuditAnchors):  # type: ignore[no-untyped-def]
    return check_anchors(verify_chain(events), events, store.read(), store.genuine)


def test_a_chain_that_matches_its_checkpoints_verifies(tmp_path):
    store, events = anchors(tmp_path), chain(6)
    for seq in (2, 5, 6):
        store.record(events[seq - 1])
    report = checked(events, store)
    assert report.ok and report.checkpoints == 3 and report.anchored_seq == 6
    assert (tmp_path / "keys" / "audit-anchor.ed25519.pem").stat().st_mode & 0o777 == 0o600


def test_a_consistent_rewrite_names_the_first_event_after_the_last_good_checkpoint(tmp_path):
    store, events = anchors(tmp_path), chain(6)
    for seq in (2, 5, 6):
        store.record(events[seq - 1])
    forged = events[:3]  # events 4 to 6 replaced, every hash recomputed
    for event in events[3:]:
        forged.append(AuditEvent.next_after(forged[-1], at=event.at, actor=event.actor,
                                            type=event.type, payload={"forged": True}))
    assert verify_chain(forged).ok
    report = checked(forged, store)
    assert not report.ok and report.first_bad_seq == 3 and "rewritten" in report.problem
    assert "between events 3 and 5" in report.problem


def test_deleted_newest_events_are_named(tmp_path):
    store, events = anchors(tmp_path), chain(6)
    store.record(events[5])
    report = checked(events[:4], store)
    assert not report.ok and report.first_bad_seq == 5
    assert "events 5 to 6 were deleted" in report.problem
    assert not checked([], store).ok  # the whole chain deleted


def test_a_checkpoint_not_signed_by_the_anchor_key_is_reported(tmp_path):
    store, events = anchors(tmp_path), chain(3)
    store.record(events[2])
    line = json.loads(store.path.read_text())
    forged = {**line, "seq": 9}
    store.path.write_text(json.dumps(line) + "\n" + json.dumps(forged) + "\n")
    report = checked(events, store)
    assert not report.ok and report.first_bad_seq is None
    assert "line 2 is not signed" in report.problem
    # a checkpoint that agrees with the chain vouches for nothing false: not checked
    assert check_anchors(verify_chain(events), events, AnchorReading(
        location="x", checkpoints=[Checkpoint(seq=3, hash=events[2].hash, at=T0,
                                              signature="")]), lambda c: False).ok


def test_a_torn_last_line_is_ignored_and_other_unreadable_lines_are_reported(tmp_path):
    store, events = anchors(tmp_path), chain(3)
    store.record(events[1])
    with store.path.open("a") as handle:
        handle.write('{"seq": 3, "ha')  # a crash in the middle of a write
    assert checked(events, store).ok
    store.path.write_text("not json\n" + store.path.read_text())
    report = checked(events, store)
    assert not report.ok and "line 1 is not a checkpoint" in report.problem


def test_no_anchors_file_verifies_with_no_checkpoints(tmp_path):
    report = checked(chain(2), anchors(tmp_path))
    assert report.ok and report.checkpoints == 0


def _write(folder: str, start: int, count: int) -> None:
    store = FileAuditAnchors(Path(folder) / "audit-anchors.jsonl",
                             Path(folder) / "keys" / "audit-anchor.ed25519.pem")
    events = chain(start + count)
    for event in events[start:]:
        store.record(event)


def test_concurrent_writers_share_one_key_and_never_interleave_lines(tmp_path):
    context = mp.get_context("spawn")
    workers = [context.Process(target=_write, args=(str(tmp_path), n * 50, 50))
               for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = anchors(tmp_path)
    reading = store.read()
    assert reading.unreadable_lines == [] and len(reading.checkpoints) == 200
    assert sorted(c.seq for c in reading.checkpoints) == list(range(1, 201))
    assert all(store.genuine(c) for c in reading.checkpoints)  # one key signed them all
    assert checked(chain(200), store).ok
