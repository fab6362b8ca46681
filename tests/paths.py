"""Where the shared real data is: ../shared beside the project root, or $HFCRAWL_SHARED."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HFCRAWL_SHARED", ROOT.parent / "shared")).resolve()
LISTS = SHARED / "data" / "seed-2024-02" / "lists"
