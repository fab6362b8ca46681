"""Versioning over time: the share of versioned names per snapshot, per task, and per creation month.

Pure functions over tables. A snapshot's models (`analysis.inputs.snapshots`) are scored once (`score`: tasks mapped to
today's names, the study's regex and the detector); the tables are aggregates of those scores. Cohorts (by creation
month) pool every input that has creation times, one row per id, the line of the input given last kept; they are
folded in one input at a time (`fold_cohorts`), so only a compact table of the inputs read so far is kept.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.common.intervals import wilson, with_wilson_pct
from analysis.common.progress import Progress
from analysis.inputs import snapshots
from analysis.inputs.load import InputError, input_provenance, is_synthetic
from analysis.inputs.tasks import TASK_RENAMES, TODAY_TASKS, largest_tasks  # noqa: F401 - part of the trend's API
from analysis.report import output
from analysis.trend import figures as trend_figures
from analysis.trend.report import write_report
from analysis.versions.generation import has_generation
from analysis.versions.regex import regex_has_version

#: Repositories created before March 2022 all carry this creation time on the Hub (seconds vary: :04, :05).
PLACEHOLDER = pd.Timestamp("2022-03-02T23:29:00Z")
PLACEHOLDER_LABEL = "placeholder 2022-03-02"
#: Month codes: months since 1970-01; the placeholder and "no creation time" get codes of their own.
PLACEHOLDER_MONTH, NO_MONTH = -1, -2

#: Every share's 95% Wilson interval (of `models`, or `with_task` overall), after the columns of each table.
CI_COLUMNS = ["regex_ci_low_pct", "regex_ci_high_pct", "detector_ci_low_pct", "detector_ci_high_pct"]
#: generation_*: names carrying a family's generation (`analysis.versions.generation`), its share and 95% Wilson interval
GENERATION_COLUMNS = ["generation", "generation_pct", "generation_ci_low_pct", "generation_ci_high_pct"]
OVERALL_COLUMNS = ["snapshot", "models", "with_task", "regex_pct", "detector_pct", "population", *CI_COLUMNS,
                   *GENERATION_COLUMNS]
BY_TASK_COLUMNS = ["snapshot", "task", "models", "regex_pct", "detector_pct", *CI_COLUMNS, *GENERATION_COLUMNS]
#: `from`: the snapshots whose lines the month's models are (a month can pool populations: cohorts_by_snapshot
#: keeps them apart).
COHORT_COLUMNS = ["created_month", "models", "regex_pct", "detector_pct", *CI_COLUMNS, "from"]
COHORT_TASK_COLUMNS = ["created_quarter", "task", "models", "regex_pct", "detector_pct", *CI_COLUMNS]
COHORT_SNAPSHOT_COLUMNS = ["created_month", "snapshot", "models", "regex_pct", "detector_pct", *CI_COLUMNS]

Detector = Callable[[pd.Series], pd.Series]


def today_task(task: pd.Series) -> pd.Series:
    """Each task under today's name (`TASK_RENAMES`); tasks still listed today, and missing ones, unchanged."""
    return task.replace(TASK_RENAMES)


def month_codes(created_ns: np.ndarray) -> np.ndarray:
    """int64 UTC nanoseconds -> months since 1970-01 (int32); PLACEHOLDER_MONTH for the Hub's placeholder time
    (2022-03-02 23:29 UTC), NO_MONTH where missing."""
    missing = created_ns == np.iinfo(np.int64).min
    months = created_ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64).astype(np.int32)
    minute = created_ns // 60_000_000_000
    placeholder = minute == PLACEHOLDER.value // 60_000_000_000
    return np.where(missing, NO_MONTH, np.where(placeholder, PLACEHOLDER_MONTH, months)).astype(np.int32)


def score(models: pd.DataFrame, created_ns: np.ndarray, detect: Detector) -> pd.DataFrame:
    """One row per model: `id`, `task` (today's name, categorical), `month` (month_codes), `regex`, `detector`."""
    ids = models["id"]
    return pd.DataFrame({
        "id": ids.to_numpy(),
        "task": today_task(models["task"]).astype("category").to_numpy(),
        "month": month_codes(created_ns),
        "regex": regex_has_version(ids).fillna(False).to_numpy(dtype=bool),
        "detector": detect(ids).to_numpy(dtype=bool),
        "generation": has_generation(ids).to_numpy(dtype=bool),
    })


class NameVerdicts:
    """`detect` (a vectorised detector such as `analysis.versions.detector.has_version`) remembering its verdict per distinct
    name across inputs: successive crawls share most names, so each name is read by the rules once. The detector
    decides on the name alone (the part after the owner), so a name's verdict holds for every owner."""

    def __init__(self, detect: Detector) -> None:
        self.detect = detect
        self.known = pd.Series([], dtype=bool, index=pd.Index([], dtype="str"))

    def __call__(self, ids: pd.Series) -> pd.Series:
        names = ids.astype("str").str.replace(r"(?s)^.*/", "", regex=True)
        codes, uniq = pd.factorize(names)
        uniq = pd.Index(uniq, dtype="str")
        verdict = self.known.reindex(uniq)
        new = verdict.isna().to_numpy()
        if new.any():
            fresh = self.detect(pd.Series(uniq[new], dtype="str")).to_numpy(dtype=bool)
            verdict.iloc[np.flatnonzero(new)] = fresh
            self.known = pd.concat([self.known, pd.Series(fresh, index=uniq[new])])
        return pd.Series(verdict.to_numpy(dtype=bool)[codes], index=ids.index)


def _shares(grouped: pd.core.groupby.DataFrameGroupBy) -> pd.DataFrame:
    """models, regex_pct, detector_pct per group (percentages as the study's e2 rounds them)."""
    agg = grouped.agg(models=("regex", "size"), regex=("regex", "sum"), detector=("detector", "sum"),
                      generation=("generation", "sum"))
    agg["regex_pct"] = (100.0 * agg["regex"] / agg["models"]).round(4)
    agg["detector_pct"] = (100.0 * agg["detector"] / agg["models"]).round(4)
    agg["generation_pct"] = (100.0 * agg["generation"] / agg["models"]).round(4)
    agg = with_wilson_pct(agg, "generation", "models", "generation_")
    return _intervals(agg, "models").drop(columns=["regex", "detector"])


def _intervals(table: pd.DataFrame, n: str) -> pd.DataFrame:
    """The 95% Wilson interval of both shares, from the counts `regex` and `detector` of `n`."""
    return with_wilson_pct(with_wilson_pct(table, "regex", n, prefix="regex_"), "detector", n, prefix="detector_")


def overall_row(label: str, scored: pd.DataFrame, population: str) -> dict:
    """trend_overall.csv's row: shares over the models with a task, as the study's e1 counts them."""
    tasked = scored[scored["task"].notna()]
    n = len(tasked)

    def pct(col: str) -> float:
        return round(100.0 * int(tasked[col].sum()) / n, 4) if n else float("nan")

    counts = pd.DataFrame({"regex": [int(tasked["regex"].sum())], "detector": [int(tasked["detector"].sum())],
                           "n": [n]})
    cis = _intervals(counts, "n").iloc[0]
    low, high = wilson(int(tasked["generation"].sum()), n)
    return {"snapshot": label, "models": len(scored), "with_task": n, "regex_pct": pct("regex"),
            "detector_pct": pct("detector"), "population": population, **{c: cis[c] for c in CI_COLUMNS},
            "generation": int(tasked["generation"].sum()), "generation_pct": pct("generation"),
            "generation_ci_low_pct": round(100.0 * float(low), 2), "generation_ci_high_pct": round(100.0 * float(high), 2)}


def by_task(label: str, scored: pd.DataFrame) -> pd.DataFrame:
    """trend_by_task.csv's rows of one snapshot, largest task first (ties by name), as the study's e2 orders them."""
    tasked = scored[scored["task"].notna()]
    agg = _shares(tasked.groupby(tasked["task"].astype(str), observed=True)).reset_index()
    agg.insert(0, "snapshot", label)
    agg = agg.sort_values(["models", "task"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return agg[BY_TASK_COLUMNS]


def fold_cohorts(pooled: pd.DataFrame | None, scored: pd.DataFrame, label: str = "") -> pd.DataFrame | None:
    """Add one input's dated models to the pool of the inputs read before: one row per id, this input's line kept
    where both have it (its `snapshot` is `label`). Models without a creation time are left out (they neither
    count nor replace)."""
    dated = scored.loc[scored["month"] != NO_MONTH, ["id", "task", "month", "regex", "detector", "generation"]]
    if dated.empty:
        return pooled
    dated = dated.assign(task=dated["task"].astype(str).where(dated["task"].notna()), snapshot=label)
    if pooled is None:
        return dated.reset_index(drop=True)
    both = pd.concat([pooled, dated], ignore_index=True)
    return both[~both["id"].duplicated(keep="last")].reset_index(drop=True)


def month_label(codes: np.ndarray) -> np.ndarray:
    """Month codes -> 'YYYY-MM' (PLACEHOLDER_LABEL for the placeholder)."""
    real = np.maximum(codes, 0).astype("datetime64[M]").astype(str)
    return np.where(codes == PLACEHOLDER_MONTH, PLACEHOLDER_LABEL, real)


def quarter_label(codes: np.ndarray) -> np.ndarray:
    """Month codes -> 'YYYY-Qn' (PLACEHOLDER_LABEL for the placeholder)."""
    year = 1970 + np.maximum(codes, 0) // 12
    q = np.maximum(codes, 0) % 12 // 3 + 1
    real = np.char.add(np.char.add(year.astype(str), "-Q"), q.astype(str))
    return np.where(codes == PLACEHOLDER_MONTH, PLACEHOLDER_LABEL, real)


def cohorts(pooled: pd.DataFrame | None) -> pd.DataFrame:
    """cohorts.csv: one row per creation month, oldest first; the placeholder-date models in a first row of their
    own (their real creation month is unknown: any time before March 2022)."""
    if pooled is None or pooled.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    agg = _shares(pooled.groupby("month")).reset_index().sort_values("month")
    agg.insert(0, "created_month", month_label(agg["month"].to_numpy()))
    sources = pooled.groupby("month")["snapshot"].unique().map(lambda labels: " + ".join(sorted(map(str, labels))))
    agg["from"] = agg["month"].map(sources)
    return agg[COHORT_COLUMNS].reset_index(drop=True)


def cohorts_by_snapshot(pooled: pd.DataFrame | None) -> pd.DataFrame:
    """cohorts_by_snapshot.csv: cohorts.csv per population (the snapshot whose line each model is), so that a
    figure never joins two populations with one line; snapshots in the order given, months oldest first."""
    if pooled is None or pooled.empty:
        return pd.DataFrame(columns=COHORT_SNAPSHOT_COLUMNS)
    order = {label: i for i, label in enumerate(pd.unique(pooled["snapshot"]))}
    agg = _shares(pooled.groupby(["snapshot", "month"])).reset_index()
    agg = agg.assign(rank=agg["snapshot"].map(order)).sort_values(["rank", "month"])
    agg.insert(0, "created_month", month_label(agg["month"].to_numpy()))
    return agg[COHORT_SNAPSHOT_COLUMNS].reset_index(drop=True)


def cohorts_by_task(pooled: pd.DataFrame | None, top: int = 6) -> pd.DataFrame:
    """cohorts_by_task.csv: per creation quarter, the `top` largest tasks of the pooled models (placeholder models
    in a row of their own per task), quarters oldest first, tasks largest first."""
    if pooled is None or pooled.empty or not pooled["task"].notna().any():
        return pd.DataFrame(columns=COHORT_TASK_COLUMNS)
    tasked = pooled[pooled["task"].notna()]
    sizes = tasked["task"].value_counts()
    largest = sorted(sizes.index[:top], key=lambda t: (-sizes[t], t))
    sub = tasked[tasked["task"].isin(largest)]
    quarter = np.where(sub["month"] == PLACEHOLDER_MONTH, -1, sub["month"].to_numpy() // 3)
    agg = _shares(sub.groupby([quarter, sub["task"].to_numpy()])).reset_index(names=["q", "task"])
    agg["rank"] = agg["task"].map({t: i for i, t in enumerate(largest)})
    agg = agg.sort_values(["q", "rank"]).reset_index(drop=True)
    agg.insert(0, "created_quarter", quarter_label(np.where(agg["q"] < 0, PLACEHOLDER_MONTH, agg["q"] * 3)))
    return agg[COHORT_TASK_COLUMNS]


# ----------------------------------------------------------------------------------------------------------------
# Running: one input at a time, tables and figures into a temporary folder moved into place at the end


def parse_inputs(specs: list[str]) -> list[tuple[str, Path]]:
    """`LABEL=INPUT` arguments -> (label, path); raises InputError with a one-line message on a malformed one."""
    out: list[tuple[str, Path]] = []
    for spec in specs:
        label, sep, path = spec.partition("=")
        if not sep or not label.strip() or not path.strip():
            raise InputError(f"{spec!r}: expected LABEL=INPUT (e.g. 2022-10=models-2022-10.csv.gz)")
        if label.strip() in {lb for lb, _ in out}:
            raise InputError(f"{spec!r}: label {label.strip()!r} given twice")
        out.append((label.strip(), Path(path.strip())))
    if not out:
        raise InputError("no input given")
    return out


@dataclass
class TrendResult:
    """The four tables plus what the report says about each input."""

    overall: pd.DataFrame
    by_task: pd.DataFrame
    cohorts: pd.DataFrame
    cohorts_by_task: pd.DataFrame
    inputs: list[dict[str, Any]] = field(default_factory=list)
    not_today: dict[str, int] = field(default_factory=dict)  # tasks not in today's list, not renamed: models
    cohorts_by_snapshot: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COHORT_SNAPSHOT_COLUMNS))

    @property
    def synthetic(self) -> bool:
        """Whether an input is replay-hub data: then every table, figure and heading of the trend says so."""
        return is_synthetic(self.inputs)


def compute(inputs: list[tuple[str, Path]], detect: Detector | None = None,
            progress: Progress | None = None) -> TrendResult:
    """Read and score every input, one at a time (only the pooled dated models are kept between inputs)."""
    from analysis.versions.detector import has_version  # noqa: PLC0415 - the detector's tables load on first use

    detect = NameVerdicts(detect or has_version)
    progress = progress or Progress(quiet=True)
    formats = [snapshots.sniff(p) for _, p in inputs]  # every input told before any is read
    rows, tables, infos, pooled, not_today = [], [], [], None, {}
    for (label, path), fmt in zip(inputs, formats):
        with progress.step(f"{label}: read and score {path.name} ({fmt.name})"):
            snap = snapshots.read_input(label, path)
            scored = score(snap.models, snapshots.created_times(snap.models["created_at"]), detect)
        rows.append(overall_row(label, scored, fmt.population))
        tables.append(by_task(label, scored))
        pooled = fold_cohorts(pooled, scored, label)
        infos.append(_input_info(snap, scored))
        for task, n in snap.models["task"].value_counts().items():
            if task not in TODAY_TASKS and task not in TASK_RENAMES:
                not_today[str(task)] = not_today.get(str(task), 0) + int(n)
        del snap, scored
    return TrendResult(pd.DataFrame(rows, columns=OVERALL_COLUMNS), pd.concat(tables, ignore_index=True),
                       cohorts(pooled), cohorts_by_task(pooled), infos, not_today, cohorts_by_snapshot(pooled))


def _input_info(snap: snapshots.Snapshot, scored: pd.DataFrame) -> dict[str, Any]:
    month = scored["month"].to_numpy()
    dated = month[month >= 0]
    return {"snapshot": snap.label, "input": str(snap.path), "format": snap.format.name, "short": snap.format.short,
            "population": snap.format.population, "lines": snap.lines, "models": len(scored),
            "with_task": int(scored["task"].notna().sum()), "dated": int((month != NO_MONTH).sum()),
            "placeholder": int((month == PLACEHOLDER_MONTH).sum()),
            "created_from": month_label(dated.min(keepdims=True))[0] if len(dated) else "",
            "created_to": month_label(dated.max(keepdims=True))[0] if len(dated) else "",
            "malformed": snap.dropped.get("malformed", 0), "duplicates": snap.dropped.get("duplicates", 0),
            "origin": input_provenance(Path(snap.path), "lists" if Path(snap.path).is_dir() else "feed")["origin"]}


def write_tables(result: TrendResult, out: Path) -> list[Path]:
    """tables/trend_overall.csv, trend_by_task.csv, cohorts.csv, cohorts_by_task.csv, cohorts_by_snapshot.csv under
    `out` (labelled synthetic on replay-hub data); their paths relative to `out`."""
    names = {"trend_overall": result.overall, "trend_by_task": result.by_task, "cohorts": result.cohorts,
             "cohorts_by_task": result.cohorts_by_task, "cohorts_by_snapshot": result.cohorts_by_snapshot}
    return [output.write_table(df, out, name, synthetic=result.synthetic) for name, df in names.items()]


def run_trend(inputs: list[tuple[str, Path]], out: Path, make_figures: bool = True, command: str = "",
              progress: Progress | None = None) -> TrendResult:
    """Everything into a temporary folder next to `out`, moved into place only when all of it is written: a failing
    run leaves an existing `out` as it was."""
    progress = progress or Progress(quiet=True)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    result = compute(inputs, progress=progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    umask = os.umask(0o022)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp's folder is private (0700); the output is an ordinary folder
    try:
        write_tables(result, tmp)
        figs = []
        if make_figures:
            with progress.step("figures"):
                with output.synthetic_titles(result.synthetic):
                    figs = trend_figures.draw_all(result, tmp / "figures")
        with progress.step("report"):
            write_report(result, tmp, [f.relative_to(tmp) for f in figs], command)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def _replace_dir(new: Path, out: Path) -> None:
    """Move `new` to `out`; an existing `out` is set aside first and removed only once `new` is in place."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    try:
        new.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
