"""report.md and report.html of the trend: every comparison shows who each snapshot counts.

A share moves with the population counted (every model, the most downloaded, a recent openly licensed sample, the
trending lists) as much as with naming practice, so each table carries the population or the models behind each
share. The HTML is the same Markdown through `analysis.report.markdown_to_html`.
"""
from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.common.intervals import MIN_N as MIN_MONTH_MODELS
from analysis.inputs.tasks import TASK_RENAMES, largest_tasks
from analysis.report.document import STYLE, html_page, markdown_to_html
from analysis.report.markdown import table as markdown_table

if TYPE_CHECKING:  # pragma: no cover
    from analysis.trend.run import TrendResult

TITLE = "Versioning over time: snapshots of the Hub and creation cohorts"


def md_table(df: pd.DataFrame, max_rows: int | None = None) -> str:
    """A Markdown table (numbers right-aligned, thousands separated, shares with 2 decimals, a missing one blank)."""
    return markdown_table(df, max_rows=max_rows, na="", more="; all in the CSV")


def _inputs_md(result: TrendResult) -> str:
    rows = pd.DataFrame([{
        "snapshot": i["snapshot"], "population": i["population"], "format": f"`{i['format']}`",
        "models": i["models"], "with a task": i["with_task"],
        "with a creation time": i["dated"], "created": (f"{i['created_from']} to {i['created_to']}"
                                                        if i["created_from"] else "no creation time"),
        "dropped lines": i["malformed"] + i["duplicates"],
        "origin": (i.get("origin") or {}).get("kind", "unknown")} for i in result.inputs])
    files = "\n".join(f"- {i['snapshot']}: `{i['input']}`" for i in result.inputs)
    return md_table(rows) + "\n\nFiles read:\n\n" + files


def _task_pivot(result: TrendResult, tasks: list[str]) -> pd.DataFrame:
    """Tasks x snapshots: 'regex% / detector% (models)' in each cell."""
    t = result.by_task[result.by_task["task"].isin(tasks)].astype({"models": "int64", "regex_pct": "float64",
                                                                     "detector_pct": "float64"})
    cell = (t["regex_pct"].map("{:.1f}".format) + " / " + t["detector_pct"].map("{:.1f}".format)
            + " (" + t["models"].map("{:,}".format) + ")")
    wide = t.assign(cell=cell).pivot(index="task", columns="snapshot", values="cell")
    wide = wide.reindex(index=tasks, columns=list(result.overall["snapshot"])).fillna("")
    header = pd.DataFrame([{s: f"_{sh}_" for s, sh in zip(result.overall["snapshot"],
                                                         [i["short"] for i in result.inputs])}], index=["(population)"])
    return pd.concat([header, wide]).reset_index(names="task")


def _cohort_md(result: TrendResult) -> str:
    c = result.cohorts
    if c.empty:
        return ("No input has creation times: no cohorts. The crawl feeds (`created_at`), the 2022-10 snapshot "
                "(`creation_time`) and the 2026-08 one carry them.")
    dated = [i for i in result.inputs if i["dated"]]
    placeholder = c[c["created_month"] == "placeholder 2022-03-02"]
    held = int(placeholder["models"].sum())
    pooled = ", ".join(f"{i['snapshot']} ({i['dated']:,} with a creation time)" for i in dated)
    text = (f"Pooled from {pooled}: **{int(c['models'].sum()):,} models**, one row per id, the line of the input "
            f"given last kept. Shares are over every dated model, with or without a task. ")
    if held:
        p = placeholder.iloc[0]
        text += (f"**{held:,} models carry the Hub's placeholder creation time 2022-03-02 23:29 UTC**, which every "
                 f"repository created before March 2022 got: their real month is unknown, so they are not in the "
                 f"monthly rows but in a row of their own (`placeholder 2022-03-02`: {p['regex_pct']:.2f}% regex, "
                 f"{p['detector_pct']:.2f}% detector). ")
    text += ("A month's share is as representative as the inputs that dated it: a snapshot that samples recent "
             "models fills the last months only.\n\n")
    months = c[c["created_month"] != "placeholder 2022-03-02"]
    shown = months[months["models"] >= MIN_MONTH_MODELS]
    return (text + md_table(pd.concat([placeholder, shown])) + f"\n\n_{len(months) - len(shown)} months with fewer "
            f"than {MIN_MONTH_MODELS} models not shown ({int(months['models'].sum() - shown['models'].sum()):,} "
            f"models); every month in cohorts.csv_")


def _cohort_task_md(result: TrendResult) -> str:
    """Quarters x largest tasks: 'regex% / detector% (models)', cells of fewer than MIN_MONTH_MODELS models left
    empty (a share of a handful of models is noise)."""
    t = result.cohorts_by_task
    if t.empty:
        return "_no dated model with a task_"
    sizes = t.groupby("task")["models"].sum()
    tasks = sorted(sizes.index, key=lambda k: (-sizes[k], k))
    big = t[t["models"] >= MIN_MONTH_MODELS]
    if big.empty:
        return f"_no quarter has {MIN_MONTH_MODELS} models or more of a task; every row in cohorts_by_task.csv_"
    cell = (big["regex_pct"].map("{:.1f}".format) + " / " + big["detector_pct"].map("{:.1f}".format)
            + " (" + big["models"].map("{:,}".format) + ")")
    wide = big.assign(cell=cell).pivot(index="created_quarter", columns="task", values="cell")
    quarters = list(dict.fromkeys(t["created_quarter"]))
    wide = wide.reindex(index=[q for q in quarters if q in wide.index], columns=tasks).fillna("")
    return ("Cells: regex % / detector % (models created in the quarter); cells of fewer than "
            f"{MIN_MONTH_MODELS} models are left empty, quarters without any not shown; every row in "
            "cohorts_by_task.csv.\n\n" + md_table(wide.reset_index()))


def markdown(result: TrendResult, figures: list[Path], command: str) -> str:
    """The whole report in Markdown."""
    from analysis.report.labels import HEADING, NOTE  # noqa: PLC0415

    fig = {p.stem: p for p in figures}

    def img(k: str, alt: str) -> str:
        return f"\n\n![{alt}]({fig[k].as_posix()})" if k in fig else ""

    tasks = largest_tasks(result.by_task, 10)
    task_table = md_table(_task_pivot(result, tasks)) if tasks else "_no model of any input has a task_"
    renames = ", ".join(f"`{a}` -> `{b}`" for a, b in TASK_RENAMES.items())
    kept = (", ".join(f"`{t}` ({n:,})" for t, n in sorted(result.not_today.items()))
            or "none")
    parts = [
        f"# {TITLE}",
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} from code `{_git_commit() or 'unknown'}`"
        f" by `{command or 'python -m analysis trend'}`.",
        "A model name is versioned when it holds a version: the study's regex (`[vV]\\d[.-]?\\d?[.-]?\\d?` anywhere "
        "in the id) and the version detector (`analysis.versions.detector`) are both shown. **Each snapshot counts a "
        "different population**, and a share moves with who is counted as much as with naming practice: read "
        "every comparison below with the population next to it.",
        "## 1. Inputs and their populations", _inputs_md(result),
        "## 2. Share of versioned names per snapshot",
        "Over the models with a task (as the study's experiment 1 counts them; `models` is every model of the "
        "snapshot).\n\n" + md_table(result.overall) + img("trend_overall", "share per snapshot"),
        "## 3. Per task, per snapshot",
        "Cells: regex % / detector % (models of the task in the snapshot); the population of each snapshot is in "
        f"the first row. The {len(tasks)} largest tasks over all snapshots; every task in trend_by_task.csv. Tasks "
        f"renamed to today's names: {renames}. Tasks not in the Hub's task list of late 2025 (retired before, or newer), kept as they are: {kept}.\n\n"
        + task_table + img("trend_by_task", "share per snapshot, largest tasks"),
        "## 4. Creation cohorts", _cohort_md(result) + img("cohorts", "share by creation month"),
        "## 5. Creation cohorts per task",
        "Per creation quarter, the largest tasks of the pooled dated models (the placeholder-date models in a row "
        "of their own per task). " + _cohort_task_md(result),
        "Tables: [trend_overall.csv](tables/trend_overall.csv), [trend_by_task.csv](tables/trend_by_task.csv), "
        "[cohorts.csv](tables/cohorts.csv), [cohorts_by_task.csv](tables/cohorts_by_task.csv), "
        "[cohorts_by_snapshot.csv](tables/cohorts_by_snapshot.csv) (each month per population). Every share with "
        "its 95% Wilson interval (`*_ci_low_pct`, `*_ci_high_pct`). Method: "
        "`docs/trend.md`.",
    ]
    if result.synthetic:  # every heading and the first words say so; the inputs' table names the origin
        parts = [f"{p} ({HEADING})" if p.startswith("#") else p for p in parts]
        parts.insert(1, f"> **{NOTE}**")
    return "\n\n".join(parts) + "\n"


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def write_report(result: TrendResult, out: Path, figures: list[Path], command: str = "") -> None:
    """report.md and report.html under `out` (figures linked by relative path)."""
    md = markdown(result, figures, command)
    (out / "report.md").write_text(md, encoding="utf-8")
    page = html_page(TITLE, markdown_to_html(md), STYLE + "\nimg{max-width:100%;border:1px solid #ddd;margin:1em 0} "
                     "h2{margin-top:2em}")
    (out / "report.html").write_text(page, encoding="utf-8")
