"""Score the detector, the GPT-4 labels and the study's regex against a blind audit of held-out names.

    python -m benchmarks.audit_detector

Why: the issue-5 target is an F1 on GPT-4 labels that disagree with themselves (identical names labelled both ways)
and with the issue's own definitions (`Llama-2-7b`). What a researcher wants to know is how often the detector is
right by those definitions. `benchmarks/data/version-audit.csv` holds a second, blind annotation of a stratified
sample of the held-out half: every name where the detector and the label disagree (stratum `disagree`) and a random
sample of the names where they agree (stratum `agree`). Two annotators read the ids only, with the guide
`benchmarks/data/version-audit-guide.md` (the issue's definitions), never the labels or the detector's output; they
share some names, to measure how far two careful readings agree. A name the annotators split on, or called
undecidable (`?`), is left out and its stratum reweighted.

Scores are design-based: each audited name stands for `stratum_size / audited_in_stratum` names of the held-out half
(inverse probability weighting), so any predictor, including a later detector, is scored without bias; intervals
are 95% stratified-bootstrap intervals.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import detector
from benchmarks.eval_detector import load_labels

AUDIT_PATH = Path(__file__).resolve().parent / "data" / "version-audit.csv"
VERDICTS = {"V": True, "N": False}


def draw_sample(agree: int = 200, seed: int = 20261127) -> pd.DataFrame:
    """The audited sample: every held-out name where the detector and the label disagree, and `agree` names drawn at
    random among the others, shuffled (the stored audit was drawn at commit 15c4976; a later detector draws another
    `disagree` stratum, so re-drawing is for a new audit, not for re-scoring the stored one)."""
    df = load_labels("test")
    det = detector.has_version(df["id"]).to_numpy(dtype=bool)
    dis = df[det != df["is_version"].to_numpy(dtype=bool)].assign(stratum="disagree")
    agr = df[det == df["is_version"].to_numpy(dtype=bool)]
    sample = pd.concat([dis, agr.sample(agree, random_state=seed).assign(stratum="agree")])
    sample["stratum_size"] = sample["stratum"].map({"disagree": len(dis), "agree": len(agr)})
    return sample.sample(frac=1, random_state=7)[["id", "stratum", "stratum_size"]].reset_index(drop=True)


def load_audit(path: Path = AUDIT_PATH) -> pd.DataFrame:
    """The audited names: id, stratum, stratum_size, annotator_a, annotator_b, verdict (V, N or ?), versions, reason."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"id", "stratum", "stratum_size", "verdict"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    bad = ~df["verdict"].isin(["V", "N", "?"])
    if bad.any():
        raise ValueError(f"{path}: verdict must be V, N or ?; line(s) {list(df.index[bad] + 2)[:5]}")
    df["stratum_size"] = df["stratum_size"].astype(int)
    return df


def weighted_prf(pred: np.ndarray, truth: np.ndarray, weight: np.ndarray) -> dict:
    """Precision, recall and F1 of `pred` against `truth`, each row counting `weight` names."""
    tp = float((weight * (pred & truth)).sum())
    fp = float((weight * (pred & ~truth)).sum())
    fn = float((weight * (~pred & truth)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"tp": round(tp, 1), "fp": round(fp, 1), "fn": round(fn, 1), "precision": round(p, 4),
            "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def _weights(strata: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each row stands for `stratum_size / rows of its stratum` names."""
    _, inv, counts = np.unique(strata, return_inverse=True, return_counts=True)
    return sizes / counts[inv]


def stratified_bootstrap(strata: np.ndarray, sizes: np.ndarray, truth: np.ndarray, preds: dict[str, np.ndarray],
                         resamples: int = 2000, seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """95% intervals of precision, recall and F1 per predictor, resampling rows with replacement within each stratum
    (the sample's design), so a stratum keeps its weight in every resample."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    w = _weights(strata, sizes)
    stats: dict[str, dict[str, list[float]]] = {m: {"precision": [], "recall": [], "f1": []} for m in preds}
    for _ in range(resamples):
        idx = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        for m, p in preds.items():
            r = weighted_prf(p[idx], truth[idx], w[idx])
            for k in ("precision", "recall", "f1"):
                stats[m][k].append(r[k])
    return {m: {k: [round(float(x), 4) for x in np.percentile(v, [2.5, 97.5])] for k, v in ks.items()}
            for m, ks in stats.items()}


def annotator_agreement(df: pd.DataFrame) -> dict:
    """Names read by both annotators: how often their verdicts agree, and Cohen's kappa on V / N."""
    both = df[(df.get("annotator_a", "") != "") & (df.get("annotator_b", "") != "")]
    if both.empty:
        return {"names": 0}
    a, b = both["annotator_a"], both["annotator_b"]
    agree = float((a == b).mean())
    decided = both[a.isin(["V", "N"]) & b.isin(["V", "N"])]
    da, db = decided["annotator_a"] == "V", decided["annotator_b"] == "V"
    po = float((da == db).mean()) if len(decided) else float("nan")
    pe = float(da.mean() * db.mean() + (1 - da.mean()) * (1 - db.mean())) if len(decided) else float("nan")
    kappa = (po - pe) / (1 - pe) if pe < 1 else 1.0
    return {"names": int(len(both)), "same_verdict": round(agree, 4), "both_decided": int(len(decided)),
            "kappa": round(kappa, 4)}


def audit(path: Path = AUDIT_PATH, resamples: int = 2000) -> dict:
    """Scores of the detector, the GPT-4 labels and the study's regex against the audit (held-out half)."""
    df = load_audit(path)
    labels = load_labels("test").set_index("id")["is_version"]
    unknown = ~df["id"].isin(labels.index)
    if unknown.any():
        raise ValueError(f"{path}: {int(unknown.sum())} audited id(s) are not in the held-out half, e.g. "
                         f"{df.loc[unknown, 'id'].iloc[0]!r}")
    undecided = df["verdict"] == "?"
    dec = df[~undecided].reset_index(drop=True)
    truth = dec["verdict"].map(VERDICTS).to_numpy(dtype=bool)
    preds = {"detector": detector.has_version(dec["id"]).to_numpy(dtype=bool),
             "labels": dec["id"].map(labels).to_numpy(dtype=bool),
             "regex": detector.regex_has_version(dec["id"]).to_numpy(dtype=bool)}
    strata = dec["stratum"].to_numpy()
    sizes = dec["stratum_size"].to_numpy(dtype=float)
    w = _weights(strata, sizes)
    ci = stratified_bootstrap(strata, sizes, truth, preds, resamples=resamples)
    scores = {m: {**weighted_prf(p, truth, w), "ci95": ci[m]} for m, p in preds.items()}
    per_stratum = {s: {"audited": int((df["stratum"] == s).sum()),
                       "undecided": int(((df["stratum"] == s) & undecided).sum()),
                       "size": int(df.loc[df["stratum"] == s, "stratum_size"].iloc[0])}
                   for s in sorted(df["stratum"].unique())}
    # where the audit sides with the label or with the detector, on the names they disagree on
    dis = dec["stratum"] == "disagree"
    sides = {"detector": int((preds["detector"][dis] == truth[dis]).sum()),
             "labels": int((preds["labels"][dis] == truth[dis]).sum())}
    return {"strata": per_stratum, "scores": scores, "annotators": annotator_agreement(df),
            "disagreements_sided_with": sides}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.audit_detector", description=__doc__.split("\n\n")[0])
    ap.add_argument("--audit", type=Path, default=AUDIT_PATH)
    ap.add_argument("--resamples", type=int, default=2000)
    args = ap.parse_args(argv)
    res = audit(args.audit, args.resamples)
    w = sys.stdout.write
    st = res["strata"]
    w("Blind audit of the held-out half: "
      + ", ".join(f"{s} {v['audited']} of {v['size']:,} names ({v['undecided']} left undecided)"
                  for s, v in st.items()) + "\n")
    an = res["annotators"]
    if an.get("names"):
        w(f"Two annotators on {an['names']} shared names: same verdict {an['same_verdict']:.1%}, "
          f"Cohen's kappa {an['kappa']:.2f} on the {an['both_decided']} both decided (V or N)\n")
    sd = res["disagreements_sided_with"]
    w(f"Where the detector and the labels disagree, the audit sides with the detector on {sd['detector']} names and "
      f"with the labels on {sd['labels']}\n\n")
    w(f"{'against the audit':18} {'precision':>16} {'recall':>16} {'F1':>16}\n")
    for m, r in res["scores"].items():
        c = r["ci95"]
        w(f"{m:18} " + " ".join(f"{r[k]:.3f} [{c[k][0]:.2f},{c[k][1]:.2f}]" for k in ("precision", "recall", "f1"))
          + "\n")
    w("\n" + json.dumps({m: {k: r[k] for k in ("precision", "recall", "f1")} for m, r in res["scores"].items()})
      + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
