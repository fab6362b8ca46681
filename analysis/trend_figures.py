"""The trend's figures: share of versioned names by creation month, per snapshot, and per snapshot for the largest
tasks. Each function writes one PNG; `draw_all` draws every one from a `TrendResult`.

Separate from `analysis.figures` (the study's) so that the two change independently; same Agg backend.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from analysis.trend import TrendResult

DPI = 100
REGEX_COLOUR, DETECTOR_COLOUR, COUNT_COLOUR = "#DD8452", "#4C72B0", "#8c8c8c"
#: Months with fewer dated models than this get no share point (a share of 3 models is noise); their bar stays.
MIN_MONTH_MODELS = 20


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def cohort_shares(cohorts: pd.DataFrame, path: Path) -> Path:
    """Share of versioned names by creation month (regex, detector), models per month as faint bars behind."""
    real = cohorts[cohorts["created_month"].str.match(r"^\d{4}-\d{2}$")]
    held = cohorts.loc[~cohorts.index.isin(real.index), "models"].sum()
    x = mdates.date2num(pd.to_datetime(real["created_month"] + "-01").dt.to_pydatetime())  # days: bar widths
    fig, ax = plt.subplots(figsize=(12, 5.2))
    counts = ax.twinx()
    counts.bar(x, real["models"], width=27, color=COUNT_COLOUR, alpha=0.35, label="models created that month")
    counts.set_ylabel("models created in the month (bars)", color="#666")
    counts.tick_params(axis="y", colors="#666")
    ax.set_zorder(counts.get_zorder() + 1)
    ax.patch.set_visible(False)
    enough = real["models"].to_numpy() >= MIN_MONTH_MODELS
    for col, colour, label in (("regex_pct", REGEX_COLOUR, "study regex"),
                               ("detector_pct", DETECTOR_COLOUR, "version detector")):
        ax.plot(x, np.where(enough, real[col], np.nan), marker="o", ms=3, lw=1.8, color=colour, label=label)
    ax.set_ylabel("% of names with a version")
    ax.set_ylim(0, max(5.0, float(np.nanmax(np.where(enough, real[["regex_pct", "detector_pct"]].max(axis=1),
                                                      np.nan), initial=0)) * 1.15))
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(True, axis="y", alpha=0.3)
    handles = ax.get_legend_handles_labels()[0] + counts.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", frameon=False)
    note = (f"{int(real['models'].sum()):,} models by creation month; months under {MIN_MONTH_MODELS} models "
            f"have no point. {int(held):,} models carry the Hub's placeholder date 2022-03-02 (created before "
            f"March 2022, month unknown): not shown, first row of cohorts.csv.")
    ax.set_title("Share of versioned model names by creation month\n" + textwrap.fill(note, 130), fontsize=10)
    return _save(fig, path)


def _tick(row: pd.Series) -> str:
    return f"{row['snapshot']}\n{row['short']}\n{int(row['with_task']):,} with a task"


def snapshot_shares(overall: pd.DataFrame, short: dict[str, str], path: Path) -> Path:
    """Share of versioned names per snapshot (models with a task), the population under each bar pair."""
    df = overall.assign(short=overall["snapshot"].map(short))
    x = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.9 * len(df) + 2), 4.8))
    for off, col, colour, label in ((-0.2, "regex_pct", REGEX_COLOUR, "study regex"),
                                    (0.2, "detector_pct", DETECTOR_COLOUR, "version detector")):
        bars = ax.bar(x + off, df[col], width=0.4, color=colour, label=label)
        ax.bar_label(bars, fmt="%.1f%%", fontsize=8, padding=2)
    ax.set_xticks(x, [_tick(r) for _, r in df.iterrows()], fontsize=8)
    ax.set_ylabel("% of names with a version (models with a task)")
    ax.set_ylim(0, max(5.0, float(df[["regex_pct", "detector_pct"]].max().max()) * 1.2))
    ax.legend(frameon=False, loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title("Share of versioned names per snapshot: each counts a different population")
    return _save(fig, path)


def task_shares(by_task: pd.DataFrame, tasks: list[str], order: list[str], path: Path) -> Path:
    """Per snapshot, share of versioned names for the largest tasks: one panel per task, models per point."""
    cols = 3
    rows = max(1, -(-len(tasks) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 3.3 * rows), sharey=True, squeeze=False)
    x = np.arange(len(order))
    top = float(by_task.loc[by_task["task"].isin(tasks), ["regex_pct", "detector_pct"]].max().max() or 5) * 1.25
    for ax, task in zip(axes.flat, tasks):
        t = by_task[by_task["task"] == task].set_index("snapshot").reindex(order)
        for col, colour, label in (("regex_pct", REGEX_COLOUR, "study regex"),
                                   ("detector_pct", DETECTOR_COLOUR, "version detector")):
            ax.plot(x, t[col], marker="o", color=colour, label=label)
        for xi, n, y in zip(x, t["models"], t[["regex_pct", "detector_pct"]].max(axis=1)):
            if pd.notna(n):
                ax.annotate(f"{int(n):,}", (xi, y), textcoords="offset points", xytext=(0, 5), ha="center",
                            fontsize=7, color="#555")
        ax.set_title(task, fontsize=10)
        ax.set_xticks(x, order, fontsize=8, rotation=30)
        ax.set_ylim(0, min(105.0, max(top, 5.0)))
        ax.grid(True, axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% with a version")
    axes.flat[0].legend(frameon=False, fontsize=8, loc="upper left")
    fig.suptitle("Share of versioned names per snapshot, largest tasks (grey: models of the task in the snapshot)")
    fig.tight_layout()
    return _save(fig, path)


def draw_all(result: TrendResult, fig_dir: Path) -> list[Path]:
    """Every trend figure under `fig_dir`; a figure with nothing to show is left out."""
    from analysis.trend import largest_tasks  # noqa: PLC0415 - analysis.trend imports this module

    short = {i["snapshot"]: i["short"] for i in result.inputs}
    paths = [snapshot_shares(result.overall, short, fig_dir / "trend_overall.png")]
    if not result.by_task.empty:
        order = list(result.overall["snapshot"])
        paths.append(task_shares(result.by_task, largest_tasks(result.by_task), order, fig_dir / "trend_by_task.png"))
    if result.cohorts["created_month"].str.match(r"^\d{4}-\d{2}$").any():
        paths.append(cohort_shares(result.cohorts, fig_dir / "cohorts.png"))
    return paths
