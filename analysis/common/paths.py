"""Where things are: the repository, and the shared read-only data beside it (`../shared`, or $HFCRAWL_SHARED).

One definition for the analysis, the tests, the replay hub and the benchmarks; it imports nothing heavy.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """The shared read-only data folder: $HFCRAWL_SHARED, else `<repo root>/../shared`."""
    env = os.environ.get("HFCRAWL_SHARED")
    return Path(env) if env else REPO_ROOT.parent / "shared"
