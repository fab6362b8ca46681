"""A compact set of 64-bit hashes, for "each model once per crawl" at the Hub's full size.

A Python set of 3 million ids (or of their hashes as Python ints) costs 200-300 MB; here each model costs 8 bytes.
Hashes live in sorted NumPy arrays of doubling sizes (a log-structured merge): a page's hashes are looked up in every
level with one vectorised `searchsorted` each, and the new ones become a small level that merges with the next when
it grows as large. With 3 million models there are about a dozen levels; each hash is merged about a dozen times.

Two distinct ids share a 64-bit hash with odds of about n**2 / 2**65: 1 in 4 million for a 3-million-model crawl.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class SeenHashes:
    def __init__(self) -> None:
        self.levels: list[np.ndarray] = []  # sorted, disjoint; sizes decrease along the list
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add_new(self, hashes: np.ndarray) -> np.ndarray:
        """Mask of the hashes not seen before (and first in this batch); adds them."""
        hashes = np.asarray(hashes, dtype=np.int64)
        if hashes.size == 0:
            return np.zeros(0, dtype=bool)
        # first occurrence of each hash in the batch (a stable sort: cheaper than np.unique on small batches)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        first = np.ones(hashes.size, dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        # the levels are looked up with the sorted batch (searchsorted walks both in order), then mapped back
        fresh = first
        for level in self.levels:
            where = np.searchsorted(level, ordered)
            np.minimum(where, level.size - 1, out=where)
            fresh &= level[where] != ordered
        new = np.zeros(hashes.size, dtype=bool)
        new[order[fresh]] = True
        added = ordered[fresh]  # sorted already
        if added.size:
            self._push(added)
        return new

    def add_all(self, hashes: Iterable[int]) -> None:
        """Adds hashes without asking which were new (loading a feed on resume)."""
        self.add_new(np.fromiter(hashes, dtype=np.int64))

    def _push(self, level: np.ndarray) -> None:
        self.count += level.size
        while self.levels and self.levels[-1].size <= level.size:
            # both are sorted and disjoint: a stable sort of the two runs is a linear merge (np.union1d would
            # hash or sort them afresh)
            level = np.concatenate((self.levels.pop(), level))
            level.sort(kind="stable")
        self.levels.append(level)


def id_hashes(keys: Iterable[object], count: int = -1) -> np.ndarray:
    """64-bit hashes of dedup keys (Python's own hash of a string or tuple: fast, and stable within a process)."""
    return np.fromiter(map(hash, keys), dtype=np.int64, count=count)
