"""Where the shared real data is: ../shared beside the project root, or $HFCRAWL_SHARED."""
from __future__ import annotations

from analysis.common.paths import REPO_ROOT, shared_dir

ROOT = REPO_ROOT
SHARED = shared_dir().resolve()
LISTS = SHARED / "data" / "seed-2024-02" / "lists"
