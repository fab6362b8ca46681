"""pytest plugin: the real 2024 names, read and run through the detector's rules once per session.

Load it from tests/conftest.py with ``pytest_plugins = ["tests.realnames"]``.

Fixture ``real_2024`` (session scope): the ids of the 2024 lists and of the labelled names (../shared/data), their
distinct names, and the detector's reading of every name (`detector._scan`, the per-name reference the tests of the
detector, the taxonomy and the comparison check the vectorised paths against). Several test modules check a fast
path on every one of these ~190k names; reading them and running the rules on them is most of the work, so it is
done here once instead of once per module. It comes in two sizes, and each test that uses it runs on both: ``sample``
(one id of the lists in SAMPLE_EVERY, and every labelled name: the quick loop) and ``all`` (every id; marked
``e2e``, as it takes seconds per test, so ``make test`` runs it and ``pytest -m "not e2e"`` does not). The rules run through `_scan`'s own cache (it holds more entries than
there are names), so a product path run later in the session on the same names (`compare._read_ids`,
`detector.detect`) finds them read: the same values, the cache is the product's own.
Skipped, with the reason, when the lists are not there; without the labels file, the names are the lists' alone.
"""
from __future__ import annotations

import gc
import json
from dataclasses import dataclass

import pytest

from analysis.versions import detector
from analysis.versions.vocab import LABELS_PATH, data_dir

LISTS = data_dir() / "seed-2024-02" / "lists"
LABELS = data_dir() / LABELS_PATH


@dataclass(frozen=True)
class Real2024:
    """The real names, each list in file order."""

    list_ids: list[str]  # every line of the 2024 lists (files in name order; an id in two lists is there twice)
    labelled_ids: list[str]  # the labelled names' ids, in the labels file's order (none without the labels file)
    names: list[str]  # the distinct names (owner removed) of both, first seen first
    found: list[tuple]  # `detector._scan(name)[0]` of each name: the versions found ((text, start, end, rule), ...)
    every: int  # 1: every id of the lists; SAMPLE_EVERY: one in that many (the counts tests expect shrink with it)

    @property
    def ids(self) -> list[str]:
        """The distinct ids of the 2024 lists, sorted."""
        return sorted(set(self.list_ids))


def read_2024(every: int = 1) -> Real2024:
    """Reads the lists (one id in `every`) and the labels and runs the rules on every distinct name (about 8 s on
    one core for the whole lists)."""
    list_ids = [x.strip() for f in sorted(LISTS.glob("*.txt")) for x in f.read_text(encoding="utf-8").splitlines()
                if x.strip()][::every]
    labelled_ids = list(json.loads(LABELS.read_text(encoding="utf-8"))) if LABELS.is_file() else []
    names = list(dict.fromkeys(i.rpartition("/")[2] for i in list_ids + labelled_ids))
    gc_was = gc.isenabled()
    gc.disable()  # ~190k small tuples: the cyclic GC would rescan them over and over (as `detector.has_version`)
    try:
        found = [detector._scan(n)[0] for n in names]
    finally:
        if gc_was:
            gc.enable()
    return Real2024(list_ids, labelled_ids, names, found, every)


@pytest.fixture(scope="session")
def lists_2024():
    """The 2024 lists as `analysis.inputs.load` reads them (models frame, 239k rows), read once per session: take a
    `.copy()` before changing it."""
    from analysis.inputs.load import load

    if not LISTS.is_dir():
        pytest.skip(f"needs the 2024 lists ({LISTS})")
    return load([LISTS]).models


#: The quick loop's share of the lists' ids.
SAMPLE_EVERY = 8


@pytest.fixture(scope="session", params=[SAMPLE_EVERY, pytest.param(1, marks=pytest.mark.e2e)], ids=["sample", "all"])
def real_2024(request) -> Real2024:
    if not LISTS.is_dir():
        pytest.skip(f"needs the 2024 lists ({LISTS})")
    real = read_2024(request.param)
    # session-long data: out of the cyclic GC's sight, or every later collection would rescan its ~1M objects
    gc.freeze()
    return real
