"""Content-addressed files under the workspace: the SHA-256 of the bytes names the file,
writes are atomic (temporary file, fsync, rename), and the same bytes are stored once."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from twinstudio.domain.errors import InvalidInput, NotFound
from twinstudio.fileio import atomic_write

_SHA = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise InvalidInput(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        atomic_write(target, data)
        return sha

    def get(self, sha256: str) -> bytes:
        target = self.path(sha256)
        if not target.exists():
            raise NotFound(f"blob {sha256} not found")
        data = target.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            from twinstudio.domain.errors import IntegrityError

            raise IntegrityError(f"blob {sha256} was altered on disk")
        return data
