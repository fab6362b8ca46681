"""Experiment 2c: token groups, i.e. for every pair of families, the set of version tokens they share.

The study counts, for each non-empty set S, the pairs of families whose token sets intersect in exactly S, and
reports the groups of 2 tokens and of 3 or more (its published files hold no 1-token group). Its code compares
every pair of families: `pairwise_group_counts`, kept here as the reference. `group_counts` gives the same counts
without going through the pairs:

1. Identical token sets are merged with a multiplicity w (w(w-1)/2 pairs intersect in the set itself).
2. Distinct sets are ordered by size; each pair is counted once, from its smaller member A. The families after A
   whose set contains a subset Y of A are counted with one AND of bitset posting lists (bit = family), walking the
   subsets of A depth-first and pruning every branch whose count drops to zero: F(Y) = #{later families ⊇ Y}.
3. The number of later families meeting A in *exactly* X is the Möbius inversion of F over the subsets of A:
   E(X) = Σ_{Y ⊇ X} (-1)^{|Y|-|X|} F(Y), computed for all X at once as an in-place transform (|A| passes over a
   2^|A| array). Each E(X) > 0 adds w_A·E(X) to the group X.
4. The subset lattice of A has 2^|A'| points (A' = tokens of A that some later set holds). For the few largest
   sets, where 2^|A'| exceeds CUBE_FACTOR times the number of sets after A, intersecting A with each of those
   (few, large) later sets directly is cheaper, and that is what is done for them.

Counts are identical to the pairwise method (tested on the study's data and on random inputs).
"""
from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Switch from the subset lattice to direct intersections when 2^|A'| > CUBE_FACTOR * (number of later sets).
CUBE_FACTOR = 4
#: Never build a subset lattice over more than this many tokens.
MAX_CUBE_TOKENS = 20

Groups = Counter  # frozenset[str] -> number of family pairs


def pairwise_group_counts(sets: Iterable[frozenset[str]]) -> Groups:
    """The study's method: intersect every pair of families, count each non-empty intersection. O(n^2)."""
    counts: Groups = Counter()
    for a, b in itertools.combinations(list(sets), 2):
        common = a & b
        if common:
            counts[frozenset(common)] += 1
    return counts


def _subset_counts(later: list[int]) -> np.ndarray:
    """F[mask] = number of later families holding every token of `mask` (bit j = j-th token), 0 where pruned."""
    s = len(later)
    F = np.zeros(1 << s, dtype=np.int64)
    stack: list[tuple[int, int, int]] = [(0, -1, 0)]
    while stack:
        mask, bits, start = stack.pop()
        for j in range(start, s):
            v = later[j] if bits == -1 else bits & later[j]
            if v:
                m = mask | (1 << j)
                F[m] = v.bit_count()
                stack.append((m, v, j + 1))
    return F


def _exact_from_supersets(F: np.ndarray, s: int) -> np.ndarray:
    """Möbius inversion over the subset lattice: E[X] = Σ_{Y ⊇ X} (-1)^{|Y\\X|} F[Y], in place."""
    for b in range(s):
        view = F.reshape(-1, 2, 1 << b)
        view[:, 0, :] -= view[:, 1, :]
    return F


def _vocabulary(distinct: list[frozenset[str]]) -> list[str]:
    """Tokens by decreasing frequency (ties by name): frequent tokens get the low bits, so shared parts are short."""
    freq = Counter(t for s in distinct for t in s)
    return sorted(freq, key=lambda t: (-freq[t], t))


def _vocabulary_bitsets(distinct: list[frozenset[str]]) -> list[int]:
    index = {t: i for i, t in enumerate(_vocabulary(distinct))}
    return [sum(1 << index[t] for t in s) for s in distinct]


def _bit_positions(bits: int) -> list[int]:
    out = []
    while bits:
        low = bits & -bits
        out.append(low.bit_length() - 1)
        bits ^= low
    return out


def group_counts(sets: Iterable[frozenset[str]]) -> Groups:
    """Exact-intersection counts over all pairs of families, without enumerating the pairs (module docstring)."""
    multiplicity = Counter(s for s in sets if s)
    distinct = sorted(multiplicity, key=lambda s: (len(s), sorted(s)))
    weights = [multiplicity[s] for s in distinct]
    postings: dict[str, int] = {}  # token -> bitset of families (bit = family, in `distinct` order)
    ends: list[int] = []
    position = 0
    for s, w in zip(distinct, weights):
        block = ((1 << w) - 1) << position
        for t in s:
            postings[t] = postings.get(t, 0) | block
        position += w
        ends.append(position)
    counts: Groups = Counter()
    direct: Counter = Counter()  # token bitset -> count, for the intersections done directly
    vocab_bits: list[int] | None = None
    n = len(distinct)
    for k, (a, wa) in enumerate(zip(distinct, weights)):
        if wa > 1:
            counts[a] += wa * (wa - 1) // 2
        tokens, later = [], []
        for t in sorted(a):
            bits = postings[t] >> ends[k]  # families after A only
            if bits:
                tokens.append(t)
                later.append(bits)
        s = len(tokens)
        if not s:
            continue
        if s <= MAX_CUBE_TOKENS and (1 << s) <= CUBE_FACTOR * (n - k - 1):
            E = _exact_from_supersets(_subset_counts(later), s)
            for x in (np.flatnonzero(E[1:]) + 1).tolist():
                counts[frozenset(tokens[j] for j in range(s) if x >> j & 1)] += wa * int(E[x])
        else:  # the few largest sets: intersect directly with the later sets, as token bitsets
            if vocab_bits is None:
                vocab_bits = _vocabulary_bitsets(distinct)
            abits = vocab_bits[k]
            for bb, wb in zip(vocab_bits[k + 1:], weights[k + 1:]):
                common = abits & bb
                if common:
                    direct[common] += wa * wb
    if direct:
        vocab = _vocabulary(distinct)
        for bits, c in direct.items():
            counts[frozenset(vocab[i] for i in _bit_positions(bits))] += c
    return counts


def groups_table(counts: Groups, min_size: int = 2) -> pd.DataFrame:
    """2c table: `tokens` (space-separated, sorted), `size`, `count`; largest count first (ties: size, tokens)."""
    rows = [(" ".join(sorted(g)), len(g), c) for g, c in counts.items() if len(g) >= min_size and c > 0]
    df = pd.DataFrame(rows, columns=["tokens", "size", "count"])
    df = df.astype({"tokens": str, "size": "int64", "count": "int64"})
    return df.sort_values(["count", "size", "tokens"], ascending=[False, False, True],
                          kind="stable").reset_index(drop=True)
