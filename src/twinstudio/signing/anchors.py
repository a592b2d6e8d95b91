"""Signed checkpoints of the audit chain, in an append-only file of the workspace.

After every commit that appended audit events, the unit of work hands the chain's new head
to ``FileAuditAnchors.record``: one JSON line ``{"seq", "hash", "at", "sig"}`` is appended
to ``<workspace>/audit-anchors.jsonl``, signed with the workspace's anchor key
(Ed25519, ``<workspace>/keys/audit-anchor.ed25519.pem``, mode 0600, created on first use).
Someone who can write the database but not the workspace can then neither rewrite the
chain consistently nor delete its newest events without ``audit verify`` noticing.

Writers are the processes of one workspace (CLI, ``serve`` workers, campaign workers): each
line is one ``write`` to a file opened with ``O_APPEND`` under an exclusive ``flock``, so
lines never interleave; they may land out of sequence order, which verification allows.
The file is not fsynced (the database commit is): a crash can lose the newest lines, which
only leaves the file behind the chain, and that verifies. A last line without its newline
(a torn write) is ignored; any other unreadable line is reported.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from twinstudio.domain.audit import AnchorReading, AuditEvent, Checkpoint
from twinstudio.domain.common import canonical_json, utcnow
from twinstudio.signing.keyring import verify_signature

try:  # POSIX; elsewhere O_APPEND alone keeps small writes whole
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

ANCHORS_FILE = "audit-anchors.jsonl"
ANCHOR_KEY_FILE = "audit-anchor.ed25519.pem"


def _message(checkpoint: Checkpoint) -> bytes:
    return canonical_json(checkpoint.body()).encode()


class FileAuditAnchors:
    """``AuditAnchors`` over a file (``path``) and a key file (``key_path``)."""

    def __init__(self, path: Path, key_path: Path) -> None:
        self.path = path
        self.key_path = key_path
        self._key: Ed25519PrivateKey | None = None
        self._public: str | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ key

    def _private_key(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._key is None:
                if not self.key_path.exists():
                    self._create_key()
                key = serialization.load_pem_private_key(self.key_path.read_bytes(),
                                                         password=None)
                if not isinstance(key, Ed25519PrivateKey):
                    raise ValueError(f"{self.key_path} is not an Ed25519 key")
                self._key = key
            return self._key

    def _create_key(self) -> None:
        """Create the key once, even when several processes start at the same time: the
        key is written whole to a file of its own, then linked in (``link`` fails if
        another process was first; its key is the one used)."""
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        tmp = self.key_path.with_name(f".{self.key_path.name}.{os.getpid()}."
                                      f"{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(tmp, self.key_path)
        finally:
            tmp.unlink(missing_ok=True)

    def _public_key(self) -> str | None:
        """The anchor key's public half (base64 raw), or None when there is no key."""
        if self._public is None:
            if not self.key_path.exists():
                return None
            raw = self._private_key().public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            self._public = base64.b64encode(raw).decode()
        return self._public

    # ------------------------------------------------------------------ AuditAnchors

    def record(self, head: AuditEvent) -> None:
        """Append a signed checkpoint of ``head``. Never raises: the commit it follows is
        done; a checkpoint that could not be written is logged (the file stays behind)."""
        try:
            unsigned = Checkpoint(seq=head.seq, hash=head.hash, at=utcnow(), signature="")
            signature = base64.b64encode(self._private_key().sign(_message(unsigned))).decode()
            line = canonical_json({"seq": unsigned.seq, "hash": unsigned.hash,
                                   "at": unsigned.at, "sig": signature}) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line.encode())
            finally:
                os.close(fd)  # also releases the lock
        except (OSError, ValueError) as error:
            log.warning("audit checkpoint of event %s not written to %s: %s", head.seq,
                        self.path, error)

    def read(self) -> AnchorReading:
        reading = AnchorReading(location=str(self.path))
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return reading
        lines = data.split(b"\n")
        lines.pop()  # what follows the last newline: nothing, or a torn write
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
                reading.checkpoints.append(Checkpoint(
                    seq=item["seq"], hash=item["hash"], at=item["at"],
                    signature=item["sig"], line=number))
            except (ValueError, KeyError, TypeError):
                reading.unreadable_lines.append(number)
        return reading

    def genuine(self, checkpoint: Checkpoint) -> bool:
        try:
            public = self._public_key()
        except (OSError, ValueError):  # an unreadable key vouches for nothing
            return False
        return public is not None and verify_signature(public, _message(checkpoint),
                                                       checkpoint.signature)
