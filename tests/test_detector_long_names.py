"""The detector reads a name in time linear in its length: one absurdly long id in a feed must not stall the study."""
from __future__ import annotations

import signal
import time

import pytest

from analysis.versions import detector

# Shapes that made the rules re-read the name: Gym ids (`-vN` after a known environment), dates next to explicit
# versions and release tags, versions glued to words, one huge word.
UNITS = ["ppo-LunarLander-v2-", "2023-06-16-v1-beta-", "OnlyAnimeV2av2", "x", "Llama-2-7b-q4_k_m-1.5-"]


@pytest.fixture(autouse=True)
def rules_uncached(monkeypatch):
    """`detect` runs the rules on each call (time the rules, not the cache), and leaves the cache as it was: the real
    names read by the session (tests/realnames.py) stay read for the tests after this module."""
    monkeypatch.setattr(detector, "_scan", detector._scan.__wrapped__)


def _read(name: str) -> detector.Detection:
    return detector.detect(name)


def _best_time(name: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        _read(name)
        best = min(best, time.perf_counter() - t)
    return best


@pytest.mark.parametrize("unit", UNITS)
def test_a_200_kb_name_costs_about_100_times_a_2_kb_name(unit):
    small = "user/" + unit * (2_000 // len(unit)) + "-v7"
    big = "user/" + unit * (200_000 // len(unit)) + "-v7"
    t_small = max(_best_time(small, 5), 1e-4)
    # 100 times the text: linear work takes about 100 times as long; the quadratic reading took 10,000 times (a 40 KB
    # id 32 s). The bound is generous (loaded machine); an alarm stops a run that is far beyond it.
    bound = 1000 * t_small

    def too_slow(*_):
        raise TimeoutError(f"a 200 KB name took more than {bound:.1f} s (2 KB: {t_small:.4f} s)")

    old = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, max(2 * bound, 5.0))
    try:
        t_big = _best_time(big, 1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert t_big < bound, f"200 KB: {t_big:.3f} s, 2 KB: {t_small:.4f} s (ratio {t_big / t_small:.0f})"


def test_a_long_name_is_still_read_by_the_rules():
    name = "user/" + "ppo-LunarLander-v2-" * 5_000 + "model-v7"
    d = _read(name)
    assert d.has_version and d.versions == ["v7"]
    assert sum(1 for _, rule in d.rejected if rule == "environment") == 5_000
    assert _read("user/" + "ppo-LunarLander-v2-" * 5_000).reason == "environment"
