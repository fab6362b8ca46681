"""Pure-Python, CPU-bound work split over forked processes where the machine has the cores for it.

The rule-based readers of names (`analysis.detector`, `analysis.taxonomy`) are plain Python: one core reads about
10,000 names a second. On a machine with two cores, half of the distinct names go to one forked child while the
parent reads the other half; with one core, or where `fork` does not exist, the same function runs sequentially.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count, where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether work can go to forked children: at least two cores and the `fork` start method."""
    return cores() >= 2 and "fork" in mp.get_all_start_methods()


def fork_map(fn: Callable[[T], R], chunks: Sequence[T], parallel: bool | None = None) -> list[R]:
    """`[fn(c) for c in chunks]`, the chunks after the first on forked children while the parent runs the first.

    `fn` must be a module-level function and pure Python: a forked child must not call into pandas/pyarrow, whose
    thread pools do not survive a fork. `parallel=None` decides with `can_fork()`; False forces the sequential path.
    """
    if parallel is None:
        parallel = can_fork()
    workers = min(len(chunks) - 1, cores() - 1) if parallel else 0
    if workers < 1:
        return [fn(c) for c in chunks]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        rest = [pool.submit(fn, c) for c in chunks[1:]]
        first = fn(chunks[0])
        return [first] + [f.result() for f in rest]
