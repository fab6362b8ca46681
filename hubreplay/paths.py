"""Where the replay hub's data is: the shared read-only folder beside the repository, or $HFCRAWL_SHARED.

The replay hub is a tool of its own: it finds the data itself rather than through the analysis package.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``$HFCRAWL_SHARED``, else ``<repo root>/../shared`` (resolved: it also keys the parsed-data cache)."""
    env = os.environ.get("HFCRAWL_SHARED")
    return (Path(env) if env else REPO_ROOT.parent / "shared").resolve()


def default_lists_dir() -> Path:
    """The study's lists of model ids: one ``<task>.txt`` or ``<organisation>.txt`` a list, in trending order."""
    return shared_dir() / "data" / "seed-2024-02" / "lists"


def pipeline_tags_file() -> Path:
    """The Hub's task (pipeline tag) list of January 2024: names, labels and modalities."""
    return shared_dir() / "data" / "pipeline-tags" / "pipeline_tags_2024-01-26_e67d451.json"


def snapshots_dir() -> Path:
    """Real captures of Hub values (downloads, likes, dates, tags, sha ...) at several dates."""
    return shared_dir() / "data" / "hub-snapshots"
