"""CPU-bound work on forked processes where the machine has the cores for it (`fork_map`, `Forked`).

The rule-based readers of names (`analysis.versions.detector`, `analysis.versions.taxonomy`) are plain Python: one core reads about
10,000 names a second. On a machine with two cores, half of the distinct names go to one forked child while the
parent reads the other half; with one core, or where `fork` does not exist, the same function runs sequentially.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

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


#: Below this many names, a forked process costs more than the work it takes off (the fork of a process holding the
#: loaded data, its start, the result sent back): the work stays in this process.
FORK_MIN_ITEMS = 20_000


def worth_forking(items: int) -> bool:
    """Whether work over `items` names is worth a forked process: enough of them, and `can_fork()`."""
    return items >= FORK_MIN_ITEMS and can_fork()


def fork_map(fn: Callable[[T], R], chunks: Sequence[T], parallel: bool | None = None) -> list[R]:
    """`[fn(c) for c in chunks]`, the chunks after the first on forked children while the parent runs the first.

    `fn` must be a module-level function. A forked child may use pandas: Arrow and OpenBLAS re-create their thread
    pools after a fork (at-fork handlers, apache/arrow#2363 and #14594). `parallel=None` decides with `can_fork()`;
    False forces the sequential path.
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


class Forked:
    """`fn(*args)` started on a forked process at once (nothing pickled on the way in); `result()` waits for it.

    Without `fork` or a second core it runs sequentially, when `result()` is first called. The child's exception
    is raised again by `result()`; `cancel()` stops a child whose result is no longer wanted."""

    def __init__(self, fn: Callable[..., Any], *args: object, parallel: bool | None = None) -> None:
        self._fn, self._args, self._proc, self._recv = fn, args, None, None
        use_fork = can_fork() if parallel is None else parallel and "fork" in mp.get_all_start_methods()
        if use_fork:
            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(send, fn, args), name=getattr(fn, "__name__", "forked"))
            self._proc.start()
            send.close()

    @property
    def forked(self) -> bool:
        return self._proc is not None

    def result(self) -> Any:
        if self._proc is None:
            return self._fn(*self._args)
        try:
            ok, value = self._recv.recv()
        except EOFError:
            self._proc.join()
            raise RuntimeError(f"the forked process {self._proc.name} died (exit code {self._proc.exitcode})") from None
        self._proc.join()
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()


def _child(send, fn: Callable, args: tuple) -> None:  # pragma: no cover - runs in the forked process
    try:
        out = (True, fn(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        out = (False, exc)
    try:
        send.send(out)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
        send.send((False, RuntimeError(f"{fn.__name__} in a forked process: {out[1]!r} ({exc})")))
    send.close()
