"""The audit chain detects edits, deletions, insertions and reordering (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinstudio.domain.audit import GENESIS, AuditEvent, verify_chain
from twinstudio.domain.errors import InvalidInput

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def chain(n: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for i in range(n):
        events.append(AuditEvent.next_after(events[-1] if events else None,
                                            at=T0 + timedelta(seconds=i), actor="tester",
                                            type="Thing", payload={"i": i, "name": "Zoë"}))
    return events


def test_intact_chain_verifies_and_reports_head():
    events = chain(5)
    report = verify_chain(events)
    assert report.ok and report.events == 5 and report.head_seq == 5
    assert report.head_hash == events[-1].hash and events[0].prev_hash == GENESIS
    assert verify_chain([]).ok


def test_edited_payload_names_its_sequence():
    events = chain(6)
    events[3] = events[3].model_copy(update={"payload": {"i": 99}})
    report = verify_chain(events)
    assert not report.ok and report.first_bad_seq == 4 and "edited" in report.problem


def test_edited_event_with_recomputed_hash_breaks_the_next_link():
    events = chain(6)
    e = events[2]
    forged_hash = AuditEvent.compute_hash(seq=e.seq, at=e.at, actor="mallory", type=e.type,
                                          payload=e.payload, prev_hash=e.prev_hash)
    events[2] = e.model_copy(update={"actor": "mallory", "hash": forged_hash})
    report = verify_chain(events)
    assert report.first_bad_seq == 4


def test_deleted_event_is_detected():
    events = chain(6)
    del events[2]
    assert verify_chain(events).first_bad_seq == 3


def test_reordered_events_are_detected():
    events = chain(6)
    events[1], events[2] = events[2], events[1]
    assert verify_chain(events).first_bad_seq == 2


def test_inserted_event_is_detected():
    events = chain(5)
    fake = AuditEvent.next_after(events[1], at=T0, actor="mallory", type="Forged", payload={})
    events.insert(2, fake)
    assert verify_chain(events).first_bad_seq == 4


def test_truncation_is_detected_against_a_published_head():
    events = chain(6)
    head = f"{events[-1].seq}:{events[-1].hash}"
    assert verify_chain(events, expected_head=head).ok
    report = verify_chain(events[:4], expected_head=head)
    assert not report.ok and "truncated" in report.problem


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 12), st.data())
def test_any_single_tampering_is_detected_at_or_before_the_next_event(n, data):
    events = chain(n)
    index = data.draw(st.integers(0, n - 1))
    kind = data.draw(st.sampled_from(["edit", "delete", "swap"]))
    if kind == "edit":
        events[index] = events[index].model_copy(update={"type": "Edited"})
    elif kind == "delete":
        if index == n - 1:  # deleting the head is truncation: covered by expected_head
            return
        del events[index]
    else:
        other = data.draw(st.integers(0, n - 1).filter(lambda j: j != index))
        events[index], events[other] = events[other], events[index]
        index = min(index, other)
    report = verify_chain(events)
    assert not report.ok
    assert report.first_bad_seq in (index + 1, index + 2)


def test_naive_times_are_refused():
    with pytest.raises(InvalidInput, match="naive datetime given"):
        AuditEvent.next_after(None, at=datetime(2026, 1, 1), actor="a", type="t", payload={})
