"""The audit chain: an append-only, hash-linked log of every state change that matters.

Each event's hash is SHA-256 over the canonical JSON of (seq, at, actor, type, payload,
prev_hash); the first event links to GENESIS. Editing, deleting, inserting or reordering
any event breaks a hash or a link at (or right after) that point, and ``verify_chain``
names the first bad sequence number. Truncating the newest events, or rewriting the chain
consistently (every hash recomputed), leaves a valid chain; two things outside the database
catch that: a head published elsewhere (``expected_head``) and the workspace's signed
checkpoints (``Checkpoint``: head sequence and hash after each commit, kept in a file the
database cannot reach, checked by ``check_anchors``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from twinstudio.domain.common import canonical_json, ensure_utc, sha256_hex

GENESIS = "0" * 64


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    at: datetime
    actor: str
    type: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @staticmethod
    def compute_hash(
        *, seq: int, at: datetime, actor: str, type: str, payload: dict[str, Any], prev_hash: str
    ) -> str:
        body = {"seq": seq, "at": ensure_utc(at), "actor": actor, "type": type,
                "payload": payload, "prev_hash": prev_hash}
        return sha256_hex(canonical_json(body))

    @classmethod
    def next_after(
        cls, previous: AuditEvent | None, *, at: datetime, actor: str, type: str,
        payload: dict[str, Any],
    ) -> AuditEvent:
        """The event that follows ``previous`` (or starts the chain)."""
        seq = 1 if previous is None else previous.seq + 1
        prev_hash = GENESIS if previous is None else previous.hash
        # Round-trip the payload through JSON so that what is hashed is what is stored.
        payload = json.loads(canonical_json(payload))
        at = ensure_utc(at)
        digest = cls.compute_hash(seq=seq, at=at, actor=actor, type=type, payload=payload,
                                  prev_hash=prev_hash)
        return cls(seq=seq, at=at, actor=actor, type=type, payload=payload,
                   prev_hash=prev_hash, hash=digest)


class ChainReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    # signed checkpoints outside the database (None: this workspace keeps none)
    checkpoints: int | None = None
    anchored_seq: int = 0  # the newest event a genuine checkpoint vouches for


def verify_chain(events: list[AuditEvent], expected_head: str | None = None) -> ChainReport:
    """Check ``events`` (in stored order) link and hash correctly from GENESIS.

    ``expected_head`` is an optional ``"SEQ:HASH"`` published earlier; a chain that no
    longer contains it was truncated or rewritten.
    """
    prev_hash = GENESIS
    head_seq = 0
    for index, event in enumerate(events):
        expected_seq = index + 1
        if event.seq != expected_seq:
            what = "missing (deleted)" if event.seq > expected_seq else "out of order or inserted"
            return _bad(events, index, expected_seq,
                        f"expected sequence {expected_seq}, found {event.seq}: an event is {what}")
        if event.prev_hash != prev_hash:
            return _bad(events, index, event.seq,
                        f"event {event.seq} does not link to the event before it "
                        "(an event before it was deleted, inserted or reordered)")
        recomputed = AuditEvent.compute_hash(seq=event.seq, at=event.at, actor=event.actor,
                                             type=event.type, payload=event.payload,
                                             prev_hash=event.prev_hash)
        if recomputed != event.hash:
            return _bad(events, index, event.seq, f"event {event.seq} was edited: hash mismatch")
        prev_hash = event.hash
        head_seq = event.seq
    report = ChainReport(ok=True, events=len(events), head_seq=head_seq, head_hash=prev_hash)
    if expected_head is not None:
        seq_text, _, hash_text = expected_head.partition(":")
        try:
            seq = int(seq_text)
        except ValueError:
            seq = -1
        found = next((e for e in events if e.seq == seq), None)
        if found is None or found.hash != hash_text:
            return report.model_copy(update={
                "ok": False, "first_bad_seq": max(seq, 1) if found is None else seq,
                "problem": f"the published head {expected_head} is not in the chain "
                           "(events were truncated or the chain was rewritten)"})
    return report


def _bad(events: list[AuditEvent], index: int, seq: int, problem: str) -> ChainReport:
    head = events[index - 1] if index > 0 else None
    return ChainReport(ok=False, events=len(events), head_seq=head.seq if head else 0,
                       head_hash=head.hash if head else GENESIS, first_bad_seq=seq,
                       problem=problem)


class Checkpoint(BaseModel):
    """A signed statement "after a commit the chain's head was event ``seq`` with ``hash``",
    written at ``at`` to the workspace's anchors file (``line``: where it was read)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    hash: str
    at: datetime
    signature: str
    line: int = 0

    def body(self) -> dict[str, Any]:
        """What the signature covers (head sequence = number of events, hash, time)."""
        return {"kind": "twinstudio/audit-checkpoint/v1", "seq": self.seq, "hash": self.hash,
                "at": ensure_utc(self.at)}


class AnchorReading(BaseModel):
    """The checkpoints of an anchors file, and its lines that are not checkpoints."""

    model_config = ConfigDict(extra="forbid")

    location: str
    checkpoints: list[Checkpoint] = []
    unreadable_lines: list[int] = []


def check_anchors(report: ChainReport, events: list[AuditEvent], reading: AnchorReading,
                  genuine: Callable[[Checkpoint], bool]) -> ChainReport:
    """Check a chain that verified (``report``) against signed checkpoints.

    Every checkpoint must name an event of the chain with the same hash: one beyond the
    head means events were deleted; one whose hash differs means the chain was rewritten
    (hashes recomputed) at or before that event, after the newest checkpoint that still
    matches. Only a checkpoint that disagrees needs its signature checked (``genuine``):
    one that agrees proves nothing false, so verification stays cheap on long files.
    """
    where = reading.location
    if reading.unreadable_lines:
        return report.model_copy(update={
            "ok": False, "checkpoints": len(reading.checkpoints),
            "problem": f"{where} line {reading.unreadable_lines[0]} is not a checkpoint "
                       "(the anchors file was edited)"})
    by_seq = {event.seq: event.hash for event in events}
    anchored = 0
    for checkpoint in sorted(reading.checkpoints, key=lambda c: (c.seq, c.line)):
        stored = by_seq.get(checkpoint.seq)
        if stored == checkpoint.hash:
            anchored = max(anchored, checkpoint.seq)
            continue
        update: dict[str, Any] = {"ok": False, "checkpoints": len(reading.checkpoints),
                                  "anchored_seq": anchored}
        stamp = ensure_utc(checkpoint.at).isoformat(timespec="seconds")
        if not genuine(checkpoint):
            update["problem"] = (f"{where} line {checkpoint.line} is not signed by this "
                                 "workspace's anchor key (the anchors file was edited)")
        elif stored is None:
            update["first_bad_seq"] = report.head_seq + 1
            update["problem"] = (
                f"the chain ends at event {report.head_seq} but a signed checkpoint of "
                f"{stamp} has event {checkpoint.seq}: events {report.head_seq + 1} to "
                f"{checkpoint.seq} were deleted")
        else:
            update["first_bad_seq"] = anchored + 1
            update["problem"] = (
                f"event {checkpoint.seq} differs from its signed checkpoint of {stamp}: the "
                f"chain was rewritten (hashes recomputed) between events {anchored + 1} and "
                f"{checkpoint.seq}")
        return report.model_copy(update=update)
    return report.model_copy(update={"checkpoints": len(reading.checkpoints),
                                     "anchored_seq": anchored})
