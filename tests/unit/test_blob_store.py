"""The content store's part in leaving no orphans: ``add`` says whether it created a
blob, ``discard`` removes one whose rows did not commit, and bytes another writer stored
too are never discarded (its rows may name them)."""

from __future__ import annotations

import pytest

from twinstudio.services.blob_writes import blob_writes
from twinstudio.store.blobs import BlobStore


def test_a_discarded_blob_is_gone_and_a_shared_one_stays(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    sha, created = store.add(b"master")
    assert created and store.shas() == [sha]
    assert store.discard(sha) and store.shas() == []
    shared, first = store.add(b"depth")
    again, second = store.add(b"depth")  # another job made the same conditioning image
    assert shared == again and first and not second
    assert not store.discard(shared)  # the creator's rollback keeps what the other needs
    assert store.get(shared) == b"depth"


def test_blob_writes_discard_what_a_failed_block_created_and_only_that(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    kept = store.put(b"garment image")
    with pytest.raises(RuntimeError), blob_writes(store) as written:
        written.put(b"master")
        written.put(b"mask")
        written.put(b"mask")  # the same bytes twice in one transaction: still its own
        written.put(b"garment image")  # stored before by someone else
        raise RuntimeError("the commit failed")
    assert store.shas() == [kept]
    with blob_writes(store) as written:  # a block that ends well keeps its blobs
        sha = written.put(b"master")
    assert sorted(store.shas()) == sorted([kept, sha])
