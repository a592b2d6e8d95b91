"""The audit chain: an append-only, hash-linked log of every state change that matters.

Each event's hash is SHA-256 over the canonical JSON of (seq, at, actor, type, payload,
prev_hash); the first event links to GENESIS. Editing, deleting, inserting or reordering
any event breaks a hash or a link at (or right after) that point, and ``verify_chain``
names the first bad sequence number. Truncating the newest events leaves a valid shorter
chain: compare the reported head with one published elsewhere (``expected_head``).
"""

from __future__ import annotations

import json
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
