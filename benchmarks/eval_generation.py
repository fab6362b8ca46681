"""Score the detector's generation element against labelled names.

    python -m benchmarks.eval_generation                    # benchmarks/data/generation-labels.csv
    python -m benchmarks.eval_generation --labels f.csv     # another file with the same columns
    python -m benchmarks.eval_generation --record           # and write the table into docs/benchmarks.md

The labels (`id,generation,family,number,note`; `generation` is yes, no or undecided) were produced by a
language-model assistant (a Claude helper agent), blind to the detector's code, following the definition of
docs/versions.md ("Generations") on a seeded random sample of the names of
`../shared/data/naming-labels/ptm-naming-elements.json`; not by people. Undecided names are left out of the scores
and counted; a row that cannot be read (no id, another answer) is named on one line, counted, and left out.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.common.intervals import wilson
from analysis.common.paths import REPO_ROOT
from analysis.versions.generation import generations

LABELS = REPO_ROOT / "benchmarks" / "data" / "generation-labels.csv"
ANSWERS = ("yes", "no", "undecided")
WHO = ("a language-model assistant (a Claude helper agent, blind to the detector's code), not people")


def read_labels(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The readable rows (`id`, `generation`, `family`, `number`) and one line per row left out."""
    rows, bad = [], []
    with open(path, newline="", encoding="utf-8") as fh:
        for k, row in enumerate(csv.DictReader(fh), start=2):
            mid = (row.get("id") or "").strip()
            answer = (row.get("generation") or "").strip().lower()
            if not mid or answer not in ANSWERS:
                bad.append(f"{path}:{k}: left out (id {mid!r}, generation {answer!r}: expected {'/'.join(ANSWERS)})")
                continue
            rows.append({"id": mid, "generation": answer, "family": (row.get("family") or "").strip(),
                         "number": (row.get("number") or "").strip()})
    return pd.DataFrame(rows, columns=["id", "generation", "family", "number"]), bad


def _bootstrap_f1(truth: np.ndarray, pred: np.ndarray, reps: int = 2000, seed: int = 1) -> tuple[float, float]:
    """95% percentile-bootstrap interval of F1 (names resampled with replacement)."""
    rng = np.random.default_rng(seed)
    n = len(truth)
    if n == 0:
        return float("nan"), float("nan")
    idx = rng.integers(0, n, size=(reps, n))
    t, p = truth[idx], pred[idx]
    tp = (t & p).sum(axis=1)
    denom = t.sum(axis=1) + p.sum(axis=1)
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)
    return float(np.nanpercentile(f1, 2.5)), float(np.nanpercentile(f1, 97.5))


def _share(k: int, n: int) -> dict:
    low, high = wilson(k, n)
    return {"value": round(k / n, 4) if n else float("nan"), "ci95": [round(float(low), 4), round(float(high), 4)],
            "k": k, "n": n}


def score(labels: pd.DataFrame) -> dict:
    """Precision, recall (95% Wilson) and F1 (95% bootstrap) of the generation element; undecided counted apart;
    on the true positives, how often the family and the number agree with the label's."""
    decided = labels[labels["generation"] != "undecided"].reset_index(drop=True)
    got = generations(decided["id"])
    truth = (decided["generation"] == "yes").to_numpy()
    pred = got["generation"].to_numpy(dtype=bool)
    tp, fp, fn = int((truth & pred).sum()), int((~truth & pred).sum()), int((truth & ~pred).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    both = truth & pred
    same_number = int((got["generation_number"][both].astype(str).to_numpy()
                       == decided["number"][both].astype(str).to_numpy()).sum())
    ids = decided["id"]
    return {"labelled": len(labels), "undecided": int((labels["generation"] == "undecided").sum()),
            "scored": len(decided), "positives": int(truth.sum()), "tp": tp, "fp": fp, "fn": fn,
            "precision": _share(tp, tp + fp), "recall": _share(tp, tp + fn),
            "f1": {"value": round(f1, 4), "ci95": [round(x, 4) for x in _bootstrap_f1(truth, pred)]},
            "same_number": _share(same_number, tp),
            "false_positives": ids[~truth & pred].head(15).tolist(),
            "false_negatives": ids[truth & ~pred].head(15).tolist()}


def _row(res: dict) -> dict:
    p, r, f = res["precision"], res["recall"], res["f1"]
    return {"labelled": res["labelled"], "undecided (left out)": res["undecided"], "scored": res["scored"],
            "labelled yes": res["positives"],
            "precision [95%]": f"{p['value']:.3f} [{p['ci95'][0]:.2f}, {p['ci95'][1]:.2f}]",
            "recall [95%]": f"{r['value']:.3f} [{r['ci95'][0]:.2f}, {r['ci95'][1]:.2f}]",
            "F1 [95% bootstrap]": f"{f['value']:.3f} [{f['ci95'][0]:.2f}, {f['ci95'][1]:.2f}]",
            "same number (of tp)": f"{res['same_number']['k']} / {res['same_number']['n']}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.eval_generation", description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--record", action="store_true", help="write the table into docs/benchmarks.md")
    args = ap.parse_args(argv)
    if not args.labels.is_file():
        print(f"error: {args.labels}: no such labels file", file=sys.stderr)
        return 2
    labels, bad = read_labels(args.labels)
    for line in bad:
        print(line, file=sys.stderr)
    if labels.empty:
        print(f"error: {args.labels}: no readable label ({len(bad)} rows left out)", file=sys.stderr)
        return 2
    res = {**score(labels), "rows_left_out": len(bad), "labels": str(args.labels), "labelled_by": WHO}
    row = _row(res)
    for k, v in row.items():
        print(f"{k:24} {v}")
    print(f"false positives: {', '.join(res['false_positives'])}\nfalse negatives: {', '.join(res['false_negatives'])}")
    print(json.dumps(res))
    if args.record:
        from benchmarks.record import record_section

        record_section("Generation element against labels", [row], notes=(
            f"Labels: `{args.labels.name}`, produced by {WHO}, following docs/versions.md (\"Generations\"); "
            f"{len(bad)} unreadable rows left out. Precision and recall with 95% Wilson intervals, F1 with a 95% "
            "percentile bootstrap (2,000 resamples of the names)."))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
