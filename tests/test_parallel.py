"""Forked work: same results as the sequential path, and failures reach the caller."""
from __future__ import annotations

import os
import time

import pytest

from analysis.common import parallel


def _square_all(xs: list[int]) -> list[int]:
    return [x * x for x in xs]


def _pid_and(x: int) -> tuple[int, int]:
    return os.getpid(), x + 1


def _fail(msg: str) -> None:
    raise ValueError(msg)


@pytest.mark.parametrize("par", [False, True])
def test_fork_map_keeps_order(par):
    chunks = [list(range(i, 50, 3)) for i in range(3)]
    assert parallel.fork_map(_square_all, chunks, parallel=par) == [_square_all(c) for c in chunks]
    assert parallel.fork_map(_square_all, [], parallel=par) == []


@pytest.mark.parametrize("par", [False, True])
def test_forked_result_and_errors(par):
    f = parallel.Forked(_pid_and, 41, parallel=par)
    pid, v = f.result()
    assert v == 42
    if par and parallel.can_fork():
        assert f.forked and pid != os.getpid()
    else:
        assert not f.forked and pid == os.getpid()
    with pytest.raises(ValueError, match="boom"):
        parallel.Forked(_fail, "boom", parallel=par).result()


@pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform: nothing runs apart to cancel")
def test_forked_cancel():
    started = time.monotonic()
    f = parallel.Forked(time.sleep, 30, parallel=True)
    f.cancel()  # returns at once, the child is gone
    assert f.forked and not f._proc.is_alive()
    assert time.monotonic() - started < 10  # not the child's 30 s
