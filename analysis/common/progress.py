"""A small progress display on stderr: one line per step with its elapsed time, counters inside long loops."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """Prints `[  1.2s] step ...` lines; `quiet=True` silences it (tests, benchmarks)."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {text}", file=self.stream, flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.say(f"{name} ...")
        start = time.perf_counter()
        yield
        took = time.perf_counter() - start
        self.timings[name] = self.timings.get(name, 0.0) + took
        self.say(f"{name} done in {took:.1f}s")

    def item(self, label: str, i: int, n: int) -> None:
        self.say(f"  {label} ({i}/{n})")
