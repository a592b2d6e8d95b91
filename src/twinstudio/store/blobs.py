"""Content-addressed files under the workspace: the SHA-256 of the bytes names the file,
writes are atomic (temporary file, fsync, rename), and the same bytes are stored once.

A blob is written before the rows that name it commit, so that a committed row never names
a missing file; ``add`` says whether this call created the file, and ``discard`` removes
it again when those rows did not commit (``services.blob_writes``). Bytes that another
writer stored too are marked shared (an empty ``<sha>.shared`` beside them) and are never
discarded: that writer's rows may name them. Both run under one lock of the store (a
``flock`` on ``.lock``, across processes), so that a check and its change are one step.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twinstudio.domain.errors import InvalidInput, NotFound

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process's threads only
    fcntl = None  # type: ignore[assignment]

_SHA = re.compile(r"^[0-9a-f]{64}$")
_THREADS = threading.Lock()  # without fcntl


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise InvalidInput(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        return self.add(data)[0]

    def add(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``: its SHA-256, and whether this call created the file (False:
        the bytes were stored already, and are now marked shared)."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        with self._locked():
            if target.exists():
                _mark_shared(target)
                return sha, False
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "wb") as handle:  # written and synced outside the lock
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            with self._locked():
                if target.exists():  # another writer was quicker: theirs and ours now
                    _mark_shared(target)
                    return sha, False
                os.replace(tmp, target)
                return sha, True
        finally:
            tmp.unlink(missing_ok=True)

    def discard(self, sha256: str) -> bool:
        """Remove a blob that ``add`` created for rows that did not commit, unless another
        writer stored the same bytes meanwhile (False: it stays)."""
        target = self.path(sha256)
        with self._locked():
            if _shared(target).exists():
                return False
            target.unlink(missing_ok=True)
            return True

    def shas(self) -> list[str]:
        """Every stored blob's SHA-256 (sorted)."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.glob("??/*") if _SHA.match(p.name))

    def get(self, sha256: str) -> bytes:
        target = self.path(sha256)
        if not target.exists():
            raise NotFound(f"blob {sha256} not found")
        data = target.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            from twinstudio.domain.errors import IntegrityError

            raise IntegrityError(f"blob {sha256} was altered on disk")
        return data

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            with _THREADS:
                yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _shared(target: Path) -> Path:
    return target.with_name(f"{target.name}.shared")


def _mark_shared(target: Path) -> None:
    _shared(target).touch(exist_ok=True)
