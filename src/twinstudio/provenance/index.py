"""An in-memory index over the fingerprint registry, for lookups among many assets.

PDQ: all hashes in one (N, 4) uint64 array; a query is one XOR and a popcount over N rows.
ORB: locality-sensitive hashing of descriptors. Each of ``TABLES`` tables keys a descriptor
by ``KEY_BITS`` fixed bits; a query's descriptors vote for the assets sharing a bucket, and
only the few best-voted assets go through the exact (RANSAC) match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinstudio.provenance.fingerprint import PDQ_MATCH_DISTANCE, LocalFeatures

TABLES = 6
KEY_BITS = 14
_rng = np.random.default_rng(20261129)
# Which descriptor bits make each table's key (fixed: the index must be rebuildable).
_KEY_POSITIONS = np.stack([_rng.choice(256, KEY_BITS, replace=False) for _ in range(TABLES)])


_BITS_IN_BYTE = np.array([bin(i).count("1") for i in range(256)], np.uint8)


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per uint64 (works on NumPy 1.26 and 2.x alike)."""
    as_bytes = words.view(np.uint8).reshape(*words.shape, 8)
    return _BITS_IN_BYTE[as_bytes].sum(axis=-1, dtype=np.int64)


def _keys(descriptors: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """(n, TABLES) uint16 bucket keys of (n, 32) uint8 descriptors (chunked: memory)."""
    weights = (1 << np.arange(KEY_BITS, dtype=np.uint32))
    out = np.empty((len(descriptors), TABLES), np.uint16)
    for start in range(0, len(descriptors), chunk):
        bits = np.unpackbits(descriptors[start:start + chunk], axis=1)  # (n, 256)
        chosen = bits[:, _KEY_POSITIONS]  # (n, TABLES, KEY_BITS)
        out[start:start + chunk] = (chosen.astype(np.uint32) * weights).sum(axis=2)
    return out


@dataclass
class FingerprintIndex:
    asset_ids: list[str] = field(default_factory=list)
    _pdq: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.uint64))
    _pdq_mirror: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.uint64))
    _lsh_keys: list[np.ndarray] = field(default_factory=list)    # per table: sorted keys
    _lsh_owner: list[np.ndarray] = field(default_factory=list)   # per table: asset index
    features: list[LocalFeatures | None] = field(default_factory=list)

    @classmethod
    def build(cls, rows: list[tuple[str, bytes, bytes, LocalFeatures | None]]
              ) -> FingerprintIndex:
        index = cls()
        index.asset_ids = [r[0] for r in rows]
        if rows:
            index._pdq = np.frombuffer(b"".join(r[1] for r in rows), np.uint64).reshape(-1, 4)
            index._pdq_mirror = np.frombuffer(b"".join(r[2] for r in rows),
                                              np.uint64).reshape(-1, 4)
        index.features = [r[3] for r in rows]
        descriptors, owners = [], []
        for i, feats in enumerate(index.features):
            if feats is not None and len(feats.descriptors):
                descriptors.append(feats.descriptors)
                owners.append(np.full(len(feats.descriptors), i, np.int32))
        if descriptors:
            all_keys = _keys(np.concatenate(descriptors))
            all_owners = np.concatenate(owners)
            for t in range(TABLES):
                order = np.argsort(all_keys[:, t], kind="stable")
                index._lsh_keys.append(all_keys[order, t])
                index._lsh_owner.append(all_owners[order])
        return index

    def __len__(self) -> int:
        return len(self.asset_ids)

    def nearest_pdq(self, query: bytes, query_mirror: bytes | None = None
                    ) -> tuple[str, int] | None:
        """The closest asset by PDQ (the query and its mirror against both stored hashes),
        if within the match distance."""
        if not len(self):
            return None
        best_index, best = -1, 257
        for q in (query, query_mirror):
            if q is None:
                continue
            qv = np.frombuffer(q, np.uint64)
            for table in (self._pdq, self._pdq_mirror):
                distances = _popcount(table ^ qv).sum(axis=1)
                i = int(np.argmin(distances))
                if distances[i] < best:
                    best_index, best = i, int(distances[i])
        if best <= PDQ_MATCH_DISTANCE:
            return self.asset_ids[best_index], best
        return None

    def candidates(self, query: LocalFeatures, limit: int = 32) -> list[int]:
        """Asset positions with the highest LSH vote for the query's descriptors, best
        first. Votes are weighted by the inverse size of the bucket (a descriptor common to
        many assets, like a flat backdrop's, says little), and overfull buckets are skipped
        as stop-words, which also bounds the work per lookup."""
        if not self._lsh_keys or not len(query.descriptors):
            return []
        qkeys = _keys(query.descriptors)
        n = len(self)
        cap = max(64, 8 * len(self._lsh_keys[0]) // (1 << KEY_BITS))
        owners, weights = [], []
        for t in range(TABLES):
            left = np.searchsorted(self._lsh_keys[t], qkeys[:, t], side="left")
            right = np.searchsorted(self._lsh_keys[t], qkeys[:, t], side="right")
            lengths = right - left
            keep = (lengths > 0) & (lengths <= cap)
            left, lengths = left[keep], lengths[keep]
            total = int(lengths.sum())
            if not total:
                continue
            starts = np.repeat(left - np.cumsum(lengths) + lengths, lengths)
            owners.append(self._lsh_owner[t][starts + np.arange(total)])
            weights.append(np.repeat(1.0 / lengths, lengths))
        if not owners:
            return []
        votes = np.bincount(np.concatenate(owners), weights=np.concatenate(weights),
                            minlength=n)
        top = np.argsort(votes)[::-1][:limit]
        return [int(i) for i in top if votes[i] > 0]
