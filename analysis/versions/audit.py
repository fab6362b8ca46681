"""A blind audit of the detector, the GPT-4 labels and the study's regex on held-out names.

The target figure of the detector is an F1 on GPT-4 labels that disagree with themselves (identical names labelled
both ways) and with the project's definition of a version (`Llama-2-7b`). What a researcher wants to know is how often
the detector is right by that definition. `benchmarks/data/version-audit.csv` holds a second, blind annotation of a
stratified sample of the held-out half: every name where the detector and the label disagree (stratum `disagree`)
and a random sample of the names where they agree (stratum `agree`). The two annotators were two language-model
assistants (Claude helper agents of an earlier development session of this project), not people: they read the ids
only, with the guide `benchmarks/data/version-audit-guide.md`, never the labels or the detector's output; they share
some names, to measure how far two readings agree. A name the annotators split on, or called undecidable (`?`), is
left out and its stratum reweighted.

Scores are design-based: each audited name stands for `stratum_size / audited_in_stratum` names of the held-out half
(inverse probability weighting), so any predictor, including a later detector, is scored without bias; intervals
are 95% stratified-bootstrap intervals. `python -m benchmarks.audit_detector` prints them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.common.paths import REPO_ROOT
from analysis.versions import detector
from analysis.versions.evaluation import load_labels, prf

#: The stored audit (a data file kept with the benchmarks; the product reads it, never imports from there).
AUDIT_PATH = REPO_ROOT / "benchmarks" / "data" / "version-audit.csv"

#: Who the two annotators were: a reader of the figures assumes people.
ANNOTATORS = ("two language-model assistants (Claude helper agents of an earlier development session of this "
              "project), not people, who saw only the model ids and the annotation guide")
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
            r = prf(p[idx], truth[idx], w[idx])
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
    return {"names": len(both), "same_verdict": round(agree, 4), "both_decided": len(decided),
            "kappa": round(kappa, 4)}


def audit(path: Path = AUDIT_PATH, resamples: int = 2000) -> dict:
    """Scores of the detector, the GPT-4 labels and the study's regex against the audit (held-out half); 95%
    intervals from `resamples` stratified-bootstrap resamples (none when 0)."""
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
    ci = stratified_bootstrap(strata, sizes, truth, preds, resamples=resamples) if resamples else {}
    scores = {m: {**prf(p, truth, w), **({"ci95": ci[m]} if ci else {})} for m, p in preds.items()}
    per_stratum = {s: {"audited": int((df["stratum"] == s).sum()),
                       "undecided": int(((df["stratum"] == s) & undecided).sum()),
                       "size": int(df.loc[df["stratum"] == s, "stratum_size"].iloc[0])}
                   for s in sorted(df["stratum"].unique())}
    # where the audit sides with the label or with the detector, on the names they disagree on
    dis = dec["stratum"] == "disagree"
    sides = {"detector": int((preds["detector"][dis] == truth[dis]).sum()),
             "labels": int((preds["labels"][dis] == truth[dis]).sum())}
    return {"strata": per_stratum, "scores": scores, "annotators": {**annotator_agreement(df), "who": ANNOTATORS},
            "disagreements_sided_with": sides}
