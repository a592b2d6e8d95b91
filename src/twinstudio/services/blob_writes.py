"""Blobs written for one transaction, removed again when it does not commit.

A blob is written before the rows that name it commit (a committed row never names a
missing file). When the transaction fails instead (a job that lost its lease, a state
the machine refuses, a database error), ``blob_writes`` discards the blobs it created,
so that a failed job leaves no file that no row references. Bytes another writer stored
as well stay (``Blobs.discard`` keeps them). Only a process killed between the write and
the commit can still leave a file behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from twinstudio.domain.errors import ConfigurationError
from twinstudio.services.ports import Blobs


class BlobWrites:
    """The blobs put for one transaction; ``undo`` discards those this one created."""

    def __init__(self, blobs: Blobs | None) -> None:
        self._blobs = blobs
        self._put: set[str] = set()
        self._created: list[str] = []

    def put(self, data: bytes) -> str:
        if self._blobs is None:
            raise ConfigurationError("no content store configured (run 'twinstudio init')")
        sha = hashlib.sha256(data).hexdigest()
        if sha in self._put:  # the same bytes twice in one transaction: still ours alone
            return sha
        sha, created = self._blobs.add(data)
        self._put.add(sha)
        if created:
            self._created.append(sha)
        return sha

    def undo(self) -> None:
        for sha in self._created:
            self._blobs.discard(sha)  # type: ignore[union-attr]  # created: blobs is set
        self._created.clear()


@contextmanager
def blob_writes(blobs: Blobs | None) -> Iterator[BlobWrites]:
    """``with blob_writes(blobs) as written, ctx.uow() as uow: ... uow.commit()``: the
    blobs ``written.put`` created are discarded if the block raises (after the rollback)."""
    writes = BlobWrites(blobs)
    try:
        yield writes
    except BaseException:
        writes.undo()
        raise
