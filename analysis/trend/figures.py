"""The trend's figures: share of versioned names by creation month, per snapshot, and per snapshot for the largest
tasks. Each function writes one PNG (through `analysis.report.output.figure`) and returns its path; `draw_all` draws
every one from a `TrendResult`.

Separate from `analysis.report.figures` (the study's) so that the two change independently; same Agg backend.
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

from analysis.common.intervals import MIN_N  # noqa: E402
from analysis.inputs.tasks import largest_tasks  # noqa: E402
from analysis.report import output  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from analysis.trend.run import TrendResult

REGEX_COLOUR, DETECTOR_COLOUR, COUNT_COLOUR = "#DD8452", "#4C72B0", "#8c8c8c"


def _monthly(series: pd.DataFrame) -> pd.DataFrame:
    """One population's months on a continuous monthly index from its first to its last month: a month it does not
    cover is a gap (NaN), never bridged by its line."""
    months = pd.PeriodIndex(series["created_month"], freq="M")
    full = pd.period_range(months.min(), months.max(), freq="M")
    return series.set_index(months).reindex(full)


def _population_lines(ax: plt.Axes, by_snapshot: pd.DataFrame) -> None:
    """Per population (snapshot), the detector's and the regex's share by creation month: a line through the months
    of MIN_N models or more only, hollow markers for the months of fewer."""
    colours = plt.get_cmap("tab10").colors
    for i, (label, part) in enumerate(by_snapshot.groupby("snapshot", sort=False)):
        part = _monthly(part)
        x = mdates.date2num(part.index.to_timestamp().to_pydatetime())
        enough = part["models"].to_numpy(dtype=float) >= MIN_N
        for col, style, method in (("detector_pct", "-", "detector"), ("regex_pct", ":", "regex")):
            y = part[col].to_numpy(dtype=float)
            colour = colours[i % len(colours)]
            ax.plot(x, np.where(enough, y, np.nan), ls=style, marker="o", ms=3, lw=1.6, color=colour,
                    label=f"{label}: {method}")
            small = ~enough & ~np.isnan(y)
            ax.plot(x[small], y[small], ls="none", marker="o", ms=4, mfc="none", mec=colour, mew=0.8)


def cohort_shares(cohorts: pd.DataFrame, path: Path, by_snapshot: pd.DataFrame | None = None) -> Path:
    """Share of versioned names by creation month, one line per population (the snapshot each model's line comes
    from: a line never joins two populations), models per month as faint bars behind; months of fewer than MIN_N
    models are hollow markers, off the line."""
    real = cohorts[cohorts["created_month"].str.match(r"^\d{4}-\d{2}$")]
    held = cohorts.loc[~cohorts.index.isin(real.index), "models"].sum()
    if by_snapshot is None or by_snapshot.empty:  # one population
        by_snapshot = real.assign(snapshot="all inputs")
    by_snapshot = by_snapshot[by_snapshot["created_month"].str.match(r"^\d{4}-\d{2}$")]
    x = mdates.date2num(pd.to_datetime(real["created_month"] + "-01").dt.to_pydatetime())  # days: bar widths
    with output.figure(path, (11.5, 5.4)) as fig:
        ax = fig.subplots()
        counts = ax.twinx()
        counts.bar(x, real["models"], width=27, color=COUNT_COLOUR, alpha=0.35, label="models created that month")
        counts.set_ylabel("models created in the month (bars)", color="#666")
        counts.tick_params(axis="y", colors="#666")
        ax.set_zorder(counts.get_zorder() + 1)
        ax.patch.set_visible(False)
        _population_lines(ax, by_snapshot)
        ax.set_ylabel("% of names with a version (solid: detector, dotted: regex)")
        top = float(by_snapshot[["regex_pct", "detector_pct"]].max().max()) if len(by_snapshot) else 0.0
        ax.set_ylim(0, max(5.0, top * 1.15))
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.grid(True, axis="y", alpha=0.3)
        handles = ax.get_legend_handles_labels()[0] + counts.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8, ncol=2)
        note = (f"{int(real['models'].sum()):,} models by creation month, one line per snapshot (each a different "
                f"population; a line never spans two). Months under {MIN_N} models: hollow markers, off the line. "
                f"{int(held):,} models carry the Hub's placeholder date 2022-03-02 (created before March 2022, month "
                "unknown): not shown, first row of cohorts.csv.")
        ax.set_title("Share of versioned model names by creation month\n" + textwrap.fill(note, 125), fontsize=10)
    return path


def _tick(row: pd.Series) -> str:
    return f"{row['snapshot']}\n{row['short']}\n{int(row['with_task']):,} with a task"


def snapshot_shares(overall: pd.DataFrame, short: dict[str, str], path: Path) -> Path:
    """Share of versioned names per snapshot (models with a task), the population under each bar pair."""
    df = overall.assign(short=overall["snapshot"].map(short))
    x = np.arange(len(df))
    with output.figure(path, (max(6.0, 1.9 * len(df) + 2), 4.8)) as fig:
        ax = fig.subplots()
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
    return path


def task_shares(by_task: pd.DataFrame, tasks: list[str], order: list[str], path: Path) -> Path:
    """Per snapshot, share of versioned names for the largest tasks: one panel per task, models per point."""
    cols = 3
    rows = max(1, -(-len(tasks) // cols))
    with output.figure(path, (3.8 * cols, 3.4 * rows)) as fig:
        axes = fig.subplots(rows, cols, sharey=True, squeeze=False)
        x = np.arange(len(order))
        top = float(by_task.loc[by_task["task"].isin(tasks), ["regex_pct", "detector_pct"]].max().max() or 5) * 1.25
        for ax, task in zip(axes.flat, tasks):
            t = by_task[by_task["task"] == task].set_index("snapshot").reindex(order)
            few = t["models"].to_numpy(dtype=float) < MIN_N  # NaN (absent) is not few: nothing is drawn there
            for col, colour, label in (("regex_pct", REGEX_COLOUR, "study regex"),
                                       ("detector_pct", DETECTOR_COLOUR, "version detector")):
                y = t[col].to_numpy(dtype=float)
                # no line: each snapshot is another population; a point of fewer than MIN_N models is hollow
                ax.plot(x[~few], y[~few], ls="none", marker="o", color=colour, label=label)
                ax.plot(x[few], y[few], ls="none", marker="o", mfc="none", mec=colour, mew=1.2)
            for xi, n, y in zip(x, t["models"], t[["regex_pct", "detector_pct"]].max(axis=1)):
                if pd.notna(n):
                    ax.annotate(f"n={int(n):,}", (xi, y), textcoords="offset points", xytext=(0, 5), ha="center",
                                fontsize=7, color="#555")
            ax.set_title(task, fontsize=10)
            ax.set_xticks(x, order, fontsize=8, rotation=30)
            ax.set_ylim(0, min(112.0, max(top, 5.0)))  # room for the n above a 100% point
            ax.grid(True, axis="y", alpha=0.3)
        for ax in list(axes.flat)[len(tasks):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("% with a version")
        hollow = plt.Line2D([], [], ls="none", marker="o", mfc="none", mec="0.3", label=f"fewer than {MIN_N} models")
        axes.flat[0].legend(handles=axes.flat[0].get_legend_handles_labels()[0] + [hollow], frameon=False, fontsize=8,
                            loc="upper left")
        fig.suptitle("Share of versioned names per snapshot, largest tasks (n: models of the task in the snapshot; "
                     f"hollow: fewer than {MIN_N}; no line: each snapshot is another population)", fontsize=10)
        fig.tight_layout()
    return path


def draw_all(result: TrendResult, fig_dir: Path) -> list[Path]:
    """Every trend figure under `fig_dir`; a figure with nothing to show is left out."""

    short = {i["snapshot"]: i["short"] for i in result.inputs}
    paths = [snapshot_shares(result.overall, short, fig_dir / "trend_overall.png")]
    if not result.by_task.empty:
        order = list(result.overall["snapshot"])
        paths.append(task_shares(result.by_task, largest_tasks(result.by_task), order, fig_dir / "trend_by_task.png"))
    if result.cohorts["created_month"].str.match(r"^\d{4}-\d{2}$").any():
        paths.append(cohort_shares(result.cohorts, fig_dir / "cohorts.png", result.cohorts_by_snapshot))
    return paths
