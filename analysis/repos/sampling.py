"""A share measured on a sample of repositories, stated for the population it was drawn from.

The repos crawl's record carries its design, `sample` = {"method": "all" | "random" | "per_task", "size",
"per_task", "seed", "population", "population_by_task": {task: N_h}, "sampled_by_task": {task: n_h}}:

* `all`: every repository of the input; the share is the population's, its Wilson interval is that of the process
  that made it (a super-population view);
* `random`: a simple random sample; the Wilson interval of the sample is the interval for the input's population
  (of `population` models);
* `per_task`: a stratified sample (up to `per_task` repositories of each task); small tasks are over-represented,
  so the overall share is the stratified estimate p = sum_h W_h p_h with W_h = N_h / N, and its variance
  Var(p) = sum_h W_h^2 (1 - n_h / N_h) p_h (1 - p_h) / (n_h - 1) (finite-population correction; a task of one
  sampled repository adds no variance term), the 95% interval p +- 1.96 sqrt(Var), clipped to [0, 1].
  Cochran, *Sampling Techniques* (3rd ed., 1977), ch. 5, with the unbiased sample variance of each stratum.

Without a `sample` in the record, the population the repositories stand for is unknown: the shares are the
sample's, and the report says so.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.common.intervals import Z95, wilson

METHODS = ("all", "random", "per_task")


def design(sample: Any) -> dict[str, Any] | None:
    """The record's `sample`, or None when it is missing or names no known method."""
    if not isinstance(sample, dict) or sample.get("method") not in METHODS:
        return None
    return sample


def stratified(k: np.ndarray, n: np.ndarray, population: np.ndarray) -> tuple[float, float, float]:
    """(estimate, low, high) as fractions: the stratified share of k_h successes in n_h draws from N_h per stratum.

    Strata without a sampled repository carry no estimate: their weight is left out (the caller says how much of
    the population that is)."""
    k, n, big_n = (np.asarray(a, dtype=float) for a in (k, n, population))
    seen = (n > 0) & (big_n > 0)
    k, n, big_n = k[seen], n[seen], big_n[seen]
    if not len(n):
        return float("nan"), float("nan"), float("nan")
    w = big_n / big_n.sum()
    p = k / n
    fpc = np.clip(1.0 - n / big_n, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        term = np.where(n > 1, w * w * fpc * p * (1 - p) / (n - 1), 0.0)
    est = float((w * p).sum())
    half = Z95 * float(np.sqrt(term.sum()))
    return est, max(0.0, est - half), min(1.0, est + half)


def estimate(counts: pd.DataFrame, measure: str, sample: dict[str, Any] | None) -> dict[str, Any]:
    """The overall share of `measure` (a column of successes in `counts`, beside `task` and `found`, one row per
    task) for the population the sample stands for: a dict of share/low/high (percent), n, population, method."""
    k, n = counts[measure].to_numpy(dtype=float), counts["found"].to_numpy(dtype=float)
    total_k, total_n = float(k.sum()), float(n.sum())
    method = sample["method"] if sample else "unknown"
    if method == "per_task":
        by_task = sample.get("population_by_task") or {}
        big_n = counts["task"].map(lambda t: by_task.get(t, 0)).to_numpy(dtype=float)
        share, low, high = stratified(k, n, big_n)
        covered = float(big_n[n > 0].sum())
        return {"measure": measure, "method": method, "k": int(total_k), "n": int(total_n),
                "share_pct": 100 * share, "ci_low_pct": 100 * low, "ci_high_pct": 100 * high,
                "population": int(sample.get("population") or sum(by_task.values())),
                "population_covered": int(covered)}
    low, high = wilson(total_k, total_n)
    return {"measure": measure, "method": method, "k": int(total_k), "n": int(total_n),
            "share_pct": 100 * total_k / total_n if total_n else float("nan"),
            "ci_low_pct": 100 * float(low), "ci_high_pct": 100 * float(high),
            "population": int(sample["population"]) if sample and sample.get("population") else None,
            "population_covered": None}


def estimates(counts: pd.DataFrame, measures: list[str], sample: dict[str, Any] | None) -> pd.DataFrame:
    """repos_estimates.csv: one row per measure (see `estimate`), shares rounded to 2 decimals."""
    rows = pd.DataFrame([estimate(counts, m, sample) for m in measures])
    for c in ("share_pct", "ci_low_pct", "ci_high_pct"):
        rows[c] = rows[c].astype(float).round(2)
    return rows


def describe(sample: dict[str, Any] | None, n: int) -> str:
    """One sentence: which population the shares stand for, and how they were estimated."""
    if sample is None:
        return (f"The record of the repos crawl names no sampling design: the shares are those of these {n:,} "
                "repositories; the population they stand for is unknown.")
    pop = sample.get("population")
    pop_txt = f"{int(pop):,} models" if pop else "a population of unknown size"
    if sample["method"] == "all":
        return f"Every repository of the input was crawled ({pop_txt}): the shares are the population's."
    if sample["method"] == "random":
        return (f"A simple random sample of {n:,} found repositories (seed {sample.get('seed')}) of the input's "
                f"{pop_txt}: the 95% Wilson intervals are for that population.")
    return (f"A sample of up to {sample.get('per_task')} repositories per task (seed {sample.get('seed')}) of the "
            f"input's {pop_txt}: per task a 95% Wilson interval; overall, each task weighted by its share of the "
            "population (stratified estimate, 95% interval from the stratified variance with finite-population "
            "correction; docs/provenance.md).")
