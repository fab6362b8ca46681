"""SeenHashes: the dedup set, against a plain Python set on random batches with repeats."""
from __future__ import annotations

import random

import numpy as np

from hfcrawl.seen import SeenHashes, id_hashes


def test_matches_a_python_set_over_many_batches():
    rng = random.Random(0)
    seen, reference = SeenHashes(), set()
    for _ in range(300):
        batch = [rng.randrange(20_000) for _ in range(rng.randrange(0, 200))]
        new = seen.add_new(np.array(batch, dtype=np.int64))
        expected = []
        for value in batch:
            expected.append(value not in reference)
            reference.add(value)
        assert new.tolist() == expected
    assert len(seen) == len(reference)
    assert all(np.all(level[:-1] < level[1:]) for level in seen.levels)  # sorted, no repeats
    assert len(seen.levels) <= 20


def test_keys_hash_by_kind_and_id():
    seen = SeenHashes()
    assert seen.add_new(id_hashes([("tag", "a/b"), ("author", "a/b"), ("tag", "a/b")])).tolist() == [True, True, False]
    seen.add_all(map(hash, [("tag", "c/d")]))
    assert seen.add_new(id_hashes([("tag", "c/d"), ("tag", "e/f")])).tolist() == [False, True]
