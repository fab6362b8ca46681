"""The sample of model names annotated for generations (`benchmarks/data/generation-labels.csv`).

    .venv/bin/python -m benchmarks.generation_sample > sample.txt

Prints, one a line and sorted, the 600 model ids of the GPT-4-labelled name set
(`../shared/data/naming-labels/ptm-naming-elements.json`, 14,178 ids; only its keys are read, never its labels,
so the sample and the annotation stay blind to them) with the smallest sha256 of `"generation-2026:" + id`.
A hash of a fixed salt is a uniform sample that anyone can redraw without a random generator's version.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from analysis.common.paths import shared_dir

SALT = "generation-2026:"
SIZE = 600


def source_path() -> Path:
    """The labelled name set in the shared data folder."""
    return shared_dir() / "data" / "naming-labels" / "ptm-naming-elements.json"


def sample_ids(ids: list[str], size: int = SIZE, salt: str = SALT) -> list[str]:
    """The `size` ids with the smallest sha256 of salt + id, sorted by id."""
    def key(model_id: str) -> str:
        return hashlib.sha256((salt + model_id).encode("utf-8")).hexdigest()

    return sorted(sorted(set(ids), key=key)[:size])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=SIZE, help="how many ids (default 600)")
    args = parser.parse_args(argv)
    path = source_path()
    try:
        ids = list(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        print(f"generation_sample: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    for model_id in sample_ids(ids, args.size):
        print(model_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
