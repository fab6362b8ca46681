"""The study's figures, one function per experiment; each writes one PNG (through `output.figure`) and returns
nothing.

All figures are drawn with matplotlib's Agg backend (no display needed), titled, with labelled axes, and with
horizontal bars for token and group names so that long labels never overlap.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from analysis.common.intervals import MIN_N  # noqa: E402
from analysis.report import output  # noqa: E402
from analysis.report.output import DPI, MAX_WIDTH_PX  # noqa: E402

SIZE_CLASSES = ("2 tokens", "3 tokens", "4 tokens", "5+ tokens")
SIZE_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52")


#: Counts on an axis with thousands separators (12,345), as in the tables and the report.
THOUSANDS = FuncFormatter(lambda x, _pos: f"{x:,.0f}")
#: How many scatter points of experiment 2a are named on the figure: the largest tasks, and the highest shares.
LABELLED_LARGEST, LABELLED_HIGHEST = 8, 6


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _group_label(tokens: str, width: int = 44) -> str:
    """A token group that fits `width` characters: whole tokens, then how many more the CSV holds ("+ 9 more")."""
    if len(tokens) <= width:
        return tokens
    words, kept = tokens.split(" "), []
    for w in words:
        if len(" ".join(kept + [w])) > width - 10:
            break
        kept.append(w)
    return f"{' '.join(kept)} + {len(words) - len(kept)} more"


def pie_version_share(e1: pd.DataFrame, path: Path, method_label: str) -> None:
    """Experiment 1: ids with / without a version, as the study's pie chart."""
    row = e1.iloc[0]
    matching, total = int(row["matching"]), int(row["models"])
    with output.figure(path, (6.5, 5)) as fig:
        ax = fig.subplots()
        ax.pie([matching, total - matching],
               labels=[f"with a version\n{matching:,} ids", f"without\n{total - matching:,} ids"],
               autopct="%.2f%%", startangle=90, colors=["#DD8452", "#4C72B0"],
               wedgeprops={"linewidth": 1, "edgecolor": "white"})
        ax.set_title(f"Experiment 1: share of model ids with a version ({method_label})\n"
                     f"{total:,} models of the task lists")
        ax.axis("equal")


def _labelled_tasks(e2: pd.DataFrame) -> pd.DataFrame:
    """The tasks a reader looks for: the largest ones, and those with the highest share (of MIN_N models or more:
    the highest shares of a few models are noise)."""
    sized = e2[e2["models"] >= MIN_N]
    return pd.concat([e2.nlargest(LABELLED_LARGEST, "models"), sized.nlargest(LABELLED_HIGHEST, "share_pct")]) \
        .drop_duplicates("task")


def _small_n_band(ax: plt.Axes, smallest: float) -> None:
    """Shade the tasks of fewer than MIN_N models: their points are drawn faded, their shares say little."""
    if smallest < MIN_N:
        ax.axvspan(min(smallest, 1) * 0.7, MIN_N, color="0.93", zorder=0,
                   label=f"under {MIN_N} models (faded): a share of so few is noise")


def _share_of_task(r: pd.Series) -> str:
    return f"{r['task']} ({int(r['models']):,}; {r['share_pct']:.1f}%)"


def _number_points(ax: plt.Axes, points: pd.DataFrame, y: str = "share_pct",
                   describe: Callable[[pd.Series], str] = _share_of_task,
                   heading: str = "named tasks (models; % versioned)") -> None:
    """Number each point (x = `models`, y = column `y`) beside it, moving a number up until it covers no number
    already placed, and list the numbers with `describe(row)` right of the axes: readable where names would
    overlap, and 42 colours could not be told apart."""
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    for i, (_, r) in enumerate(points.iterrows(), 1):
        for dy in range(0, 60, 7):
            text = ax.annotate(str(i), (r["models"], r[y]), textcoords="offset points", xytext=(5, dy + 2),
                               fontsize=8, fontweight="bold", color="#8C3B0C")
            box = text.get_window_extent(renderer).expanded(1.1, 1.1)
            if not any(box.overlaps(b) for b in placed):
                break
            text.remove()
        placed.append(box)
    key = "\n".join(f"{i:>2}  {describe(r)}" for i, (_, r) in enumerate(points.iterrows(), 1))
    ax.text(1.02, 1.0, f"{heading}\n\n{key}", transform=ax.transAxes, va="top", fontsize=8, family="monospace",
            linespacing=1.5)


def scatter_share_by_task(e2: pd.DataFrame, path: Path, method_label: str) -> None:
    """Experiment 2a: (models, % with a version) per task; the largest tasks and the highest shares are numbered
    and named beside the plot (42 colours cannot be told apart); every task's numbers are in e2_share_by_task.csv."""
    n = len(e2)
    with output.figure(path, (8.4, 5.6)) as fig:  # with the key beside it, within MAX_WIDTH_PX
        ax = fig.subplots()
        named = _labelled_tasks(e2).sort_values(["models", "task"], ascending=[False, True]) if n else e2
        rest = e2[~e2["task"].isin(named["task"])]
        few = rest["models"] < MIN_N
        ax.scatter(rest["models"][~few], rest["share_pct"][~few], color="#9DB4D3", s=35, edgecolor="0.35",
                   linewidth=0.4, label="other tasks")
        ax.scatter(rest["models"][few], rest["share_pct"][few], facecolors="none", s=35, edgecolor="0.6", linewidth=0.6,
                   alpha=0.6)
        if n:
            _small_n_band(ax, float(e2["models"].min()))
        ax.scatter(named["models"], named["share_pct"], color="#DD8452", s=45, edgecolor="black", linewidth=0.5,
                   label=f"numbered: the {LABELLED_LARGEST} largest tasks and the {LABELLED_HIGHEST} highest shares")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.set_xlabel("models in the task (log scale)")
        ax.set_ylabel("% of ids with a version")
        ax.set_ylim(0, max(100.0, float(e2["share_pct"].max() if n else 0) + 5))
        ax.grid(True, which="major", alpha=0.3)
        ax.set_title(f"Experiment 2a: share of versioned ids per task ({method_label}), {n} tasks")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.text(0.0, -0.13, "Each point is a task. All tasks: tables/e2_share_by_task.csv.", transform=ax.transAxes,
                fontsize=7.5, color="0.35", va="top")
        _number_points(ax, named)


def _grid(rows: int, cols: int, label_in: float, ax_w: float, ax_h: float | list[float],
          title_in: float = 0.7) -> tuple[tuple[float, float], list[tuple[float, float, float, float]]]:
    """A grid laid out in inches: the figure's size, and each axes' rectangle (fractions of the figure, row by row)
    with room for the y labels (`label_in`) left of it; no layout engine.

    `ax_h` is one height for every row, or one per row (a row of few bars is no taller than it needs). Labels are
    cut to a known length before drawing, so their width is bounded and nothing overlaps; laying the axes out once
    is also several times faster than tight_layout's repeated text measuring.
    """
    gap_x, gap_y, xlabel_in, sub_in = 0.35, 0.55, 0.45, 0.3
    heights = ax_h if isinstance(ax_h, list) else [ax_h] * rows
    cell_w = label_in + ax_w + gap_x
    fig_w, fig_h = cols * cell_w + 0.2, sum(sub_in + h + xlabel_in + gap_y for h in heights) + title_in
    rects = []
    top = fig_h - title_in
    for h in heights:
        bottom = top - (sub_in + h + xlabel_in + gap_y) + xlabel_in + gap_y / 2
        for c in range(cols):
            left = c * cell_w + label_in
            rects.append((left / fig_w, bottom / fig_h, ax_w / fig_w, h / fig_h))
        top -= sub_in + h + xlabel_in + gap_y
    return (fig_w, fig_h), rects


def _label_width(labels: list[str], fontsize: float = 8) -> float:
    """Inches needed by the longest label (a generous 0.62 em per character)."""
    longest = max((len(x) for x in labels), default=4)
    return 0.25 + longest * fontsize * 0.62 / 72


def token_bars(tables: dict[str, pd.DataFrame], path: Path, top: int, title: str) -> None:
    """Experiment 2b / 3: the top tokens of each task or organisation (number of families holding each)."""
    names = list(tables) or ["(none)"]
    cols = max(1, min(2, len(names)))  # two panels fit the report's column (MAX_WIDTH_PX) unscaled
    rows = math.ceil(len(names) / cols)
    heads = {n: tables.get(n, pd.DataFrame(columns=["token", "families"])).head(top) for n in names}
    labels = {n: [_short(str(t), 24) for t in df["token"]] for n, df in heads.items()}
    size, rects = _grid(rows, cols, _label_width([x for v in labels.values() for x in v]), 3.2,
                        max(1.5, 0.19 * top + 0.3))
    with output.figure(path, size, tight=False) as fig:
        axes = [fig.add_axes(r) for r in rects]
        for ax, name in zip(axes, names):
            df = heads[name]
            ax.barh(labels[name][::-1], df["families"].to_numpy()[::-1], color="#4C72B0")
            ax.set_ylim(len(df) - top - 0.5, len(df) - 0.5)  # same bar height in every panel, bars from the top
            _style_bar_panel(ax, name, "families holding the token", df.empty, "no family with two models")
        for ax in axes[len(names):]:
            ax.axis("off")
        fig.suptitle(title, fontsize=12, y=1 - 0.25 / fig.get_figheight())


def _style_bar_panel(ax, title: str, xlabel: str, empty: bool, empty_text: str) -> None:
    """Title, axis label, ticks and an empty-panel note: the same for every horizontal bar panel."""
    ax.set_title(title, fontsize=10, y=1.0)  # where matplotlib puts it, without measuring every tick label
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.xaxis.set_major_formatter(THOUSANDS)
    if empty:
        ax.text(0.5, 0.5, empty_text, ha="center", va="center", transform=ax.transAxes)


def _size_class(size: pd.Series) -> pd.Series:
    return size.clip(upper=5).map({2: SIZE_CLASSES[0], 3: SIZE_CLASSES[1], 4: SIZE_CLASSES[2], 5: SIZE_CLASSES[3]})


#: The size classes of `group_bars`: groups of 2 tokens, and of 3 or more.
GROUP_CLASSES = {"2": ("groups of 2 tokens", 2, 2), "3+": ("3 tokens or more", 3, 10**9)}


def group_bars(tables: dict[str, pd.DataFrame], path: Path, top: int, title: str,
               classes: tuple[str, ...] = ("2", "3+")) -> None:
    """Experiment 2c / 3: per scope, the top groups of each size class (`GROUP_CLASSES`), coloured by group size;
    one column of panels, so that the figure fits the report's column unscaled and its labels read."""
    names = list(tables) or ["(none)"]
    colour_of = dict(zip(SIZE_CLASSES, SIZE_COLOURS))
    panels = []
    for name in names:
        df = tables.get(name, pd.DataFrame(columns=["tokens", "size", "count"]))
        for cls in classes:
            label, low, high = GROUP_CLASSES[cls]
            part = df[(df["size"] >= low) & (df["size"] <= high)].head(top)
            panels.append((f"{name}: {label}", [_group_label(str(t)) for t in part["tokens"]], part))
    # each panel as tall as its bars: an organisation with one group gets no tall empty panel
    bars = [max(len(part), 3) for _, _, part in panels]
    size, rects = _grid(len(panels), 1, _label_width([x for _, labs, _ in panels for x in labs]), 4.6,
                        [max(0.6, 0.19 * b + 0.3) for b in bars], title_in=1.2)
    with output.figure(path, size, tight=False) as fig:
        axes = [fig.add_axes(r) for r in rects]
        for i, (ax, (label, labs, part)) in enumerate(zip(axes, panels)):
            colours = [colour_of[c] for c in _size_class(part["size"])][::-1]
            ax.barh(labs[::-1], part["count"].to_numpy()[::-1], color=colours)
            ax.set_ylim(len(part) - bars[i] - 0.5, len(part) - 0.5)
            _style_bar_panel(ax, label, "family pairs sharing exactly this group", part.empty, "none")
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in SIZE_COLOURS]
        h = fig.get_figheight()
        fig.legend(handles, SIZE_CLASSES, title="group size", loc="upper left", ncol=4, fontsize=8,
                   title_fontsize=8, bbox_to_anchor=(0.02, 1 - 0.45 / h), frameon=False)  # under the title
        fig.suptitle(title, fontsize=12, x=0.02, ha="left", y=1 - 0.15 / h)


def groups_by_size_stacked(tables: dict[str, pd.DataFrame], path: Path, title: str) -> None:
    """Experiment 2c / 3: one stacked bar per scope: family pairs by the size of the group they share."""
    names = list(tables)
    data = pd.DataFrame(0, index=names, columns=list(SIZE_CLASSES), dtype="int64")
    for name, df in tables.items():
        if len(df):
            sums = df.groupby(_size_class(df["size"]))["count"].sum()
            for cls, v in sums.items():
                data.loc[name, cls] = int(v)
    with output.figure(path, (min(MAX_WIDTH_PX / DPI - 0.8, max(6.0, 0.7 * len(names) + 3)), 5)) as fig:
        ax = fig.subplots()
        bottom = np.zeros(len(names))
        for cls, colour in zip(SIZE_CLASSES, SIZE_COLOURS):
            vals = data[cls].to_numpy(dtype=float)
            ax.bar(names, vals, bottom=bottom, color=colour, label=cls)
            bottom += vals
        ax.set_ylabel("family pairs sharing a group of 2+ tokens")
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.set_xlabel("")
        ax.set_title(title)
        ax.legend(title="group size", fontsize=8)
        plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
        ax.grid(True, axis="y", alpha=0.3)


# --- the version detector next to the study's regex (analysis/study/compare.py) ---------------------------------------------

def _compare_named(by_task: pd.DataFrame) -> pd.DataFrame:
    """The tasks a reader looks for: the largest, and of MIN_N models or more the largest differences and the
    highest shares."""
    y = by_task[["regex_pct", "detector_pct"]].max(axis=1)
    sized = by_task["models"] >= MIN_N
    picked = pd.concat([by_task.sort_values("models", ascending=False).head(6),
                        by_task.reindex(by_task["diff_pct"].abs()[sized].sort_values(ascending=False).index).head(8),
                        by_task.assign(y=y)[sized].sort_values("y", ascending=False).head(5)])
    named = picked.drop_duplicates("task").drop(columns="y", errors="ignore")
    return named.assign(y=y.loc[named.index]).sort_values(["models", "task"], ascending=[False, True])


def _compare_of_task(r: pd.Series) -> str:
    return f"{_short(str(r['task']), 30)} ({int(r['models']):,}; {r['regex_pct']:.1f} -> {r['detector_pct']:.1f})"


def compare_share_by_task(by_task: pd.DataFrame, path: Path) -> None:
    """Models vs % versioned per task, the study's regex and the version detector joined by a line; the tasks a
    reader looks for are numbered and named beside the plot (names on the plot overlapped)."""
    with output.figure(path, (8.4, 6)) as fig:  # with the key beside it, within MAX_WIDTH_PX
        ax = fig.subplots()
        if len(by_task):
            x = by_task["models"]
            ax.vlines(x, by_task["regex_pct"], by_task["detector_pct"], color="0.8", lw=1, zorder=1)
            for few in (False, True):  # fewer than MIN_N models: drawn faded, in the shaded band
                rows, alpha = by_task[(x < MIN_N) == few], 0.3 if few else 1.0
                ax.scatter(rows["models"], rows["regex_pct"], marker="o", facecolors="none", edgecolors="tab:red",
                           alpha=alpha, label=None if few else "study regex", zorder=2)
                ax.scatter(rows["models"], rows["detector_pct"], marker="o", color="tab:blue", alpha=alpha,
                           label=None if few else "version detector", zorder=3)
            _small_n_band(ax, float(x.min()))
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(THOUSANDS)
            top = float(by_task[["regex_pct", "detector_pct"]].max().max())
            ax.set_ylim(0, max(100.0, top + 5))
        ax.set_xlabel("models in the task list (log)")
        ax.set_ylabel("% of names with a version")
        ax.set_title("Share of versioned model names per task: study regex vs version detector")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
        if len(by_task):
            _number_points(ax, _compare_named(by_task), y="y", describe=_compare_of_task,
                           heading="named tasks (models; regex % -> detector %)")


def compare_global(glob: dict, regex_rules: Counter, path: Path) -> None:
    """The global share by both methods, and what the regex's matches are by the detector's rule."""
    with output.figure(path, (11, 4.5)) as fig:
        a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        shares = [glob["regex_pct"], glob["detector_pct"]]
        a1.bar(["study regex", "version detector"], shares, color=["tab:red", "tab:blue"])
        for i, v in enumerate(shares):
            a1.text(i, v, f"{v:.1f}%", ha="center", va="bottom")
        a1.set_ylim(0, max(max(shares), 1) * 1.15)
        a1.set_ylabel("% of names with a version")
        a1.set_title(f"Global share ({glob['models']:,} task-listed models)")
        items = regex_rules.most_common(9)
        if items:
            labels = [k for k, _ in items][::-1]
            vals = [v for _, v in items][::-1]
            colors = ["tab:blue" if k == "version (confirmed)" else "tab:gray" for k in labels]
            bars = a2.barh(labels, vals, color=colors)
            a2.bar_label(bars, labels=[f"{v:,}" for v in vals], padding=3, fontsize=8)
            a2.set_xlim(0, max(vals) * 1.18)
            a2.xaxis.set_major_formatter(THOUSANDS)
            a2.set_xlabel("ids matched by the study regex")
        a2.set_title("What the regex's matches are, by detector rule")
        fig.tight_layout()


# ----------------------------------------------------------------------------------------------------------------
# Versioning beyond names (analysis.repos.predecessors, analysis.repos)

MODE_COLOURS = {"name_and_git": "#8172B3", "name_only": "#4C72B0", "git_only": "#55A868", "in_place": "#DD8452",
                "never_updated": "#BBBBBB"}


def predecessor_bars(pred: pd.DataFrame, path: Path, major_ref: float | None, minor_ref: float | None) -> None:
    """Share of major / minor versions whose predecessor is on the Hub, per scope, beside Ajibode et al.'s figures
    (none on synthetic data: `major_ref` None)."""
    ref = pd.DataFrame([{"scope": "Ajibode et al. 2025 (LLMs)", "major_with_predecessor_pct": major_ref,
                         "minor_with_predecessor_pct": minor_ref}])
    rows = pd.concat([ref, pred], ignore_index=True) if major_ref is not None else pred.reset_index(drop=True)
    labels = [_short(str(s), 30) for s in rows["scope"]]
    y = np.arange(len(rows))[::-1]
    with output.figure(path, (9, 0.55 * len(rows) + 1.6)) as fig:
        ax = fig.subplots()
        for off, col, colour, name in ((0.2, "major_with_predecessor_pct", "#4C72B0", "major (N >= 2)"),
                                       (-0.2, "minor_with_predecessor_pct", "#DD8452", "minor (X.Y, Y >= 1)")):
            vals = rows[col].astype(float).fillna(0).to_numpy()
            bars = ax.barh(y + off, vals, height=0.38, color=colour, label=name)
            ax.bar_label(bars, labels=[f"{v:.0f}%" for v in vals], fontsize=7, padding=2)
        if major_ref is not None:
            ax.axhline(y[0] - 0.5, color="#888", linewidth=0.8)
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of versions whose predecessor is on the Hub (same owner, same name apart from the version)")
        ax.set_title("Versions with their predecessor on the Hub: this input (names, detector)"
                     + (" vs Ajibode et al." if major_ref is not None else ""))
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(True, axis="x", alpha=0.3)


def repos_modes_stacked(modes: pd.DataFrame, path: Path) -> None:
    """One 100% stacked bar per task (and `all`): how found repositories version, in exactly one mode each. A task
    of fewer than MIN_N found repositories is drawn apart (faded, hatched) and its n is in its label."""
    wide = modes.pivot_table(index="task", columns="mode", values="repos", aggfunc="sum", sort=False).fillna(0)
    wide = wide.reindex(columns=list(MODE_COLOURS), fill_value=0)
    wide.loc["all"] = wide.sum()
    wide = wide.loc[["all"] + [t for t in wide.index if t != "all"]]
    found = wide.sum(axis=1).to_numpy()
    shares = 100.0 * wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    few = found < MIN_N
    labels = [f"{t} (n = {int(n):,})" for t, n in zip(wide.index, found)]
    y = np.arange(len(wide))[::-1]
    with output.figure(path, (10, 0.38 * len(wide) + 2.2)) as fig:
        ax = fig.subplots()
        left = np.zeros(len(wide))
        for mode, colour in MODE_COLOURS.items():
            vals = shares[mode].to_numpy()
            for part, alpha, hatch in ((~few, 1.0, None), (few, 0.35, "///")):
                if part.any():
                    ax.barh(y[part], vals[part], left=left[part], color=colour, height=0.75, alpha=alpha, hatch=hatch,
                            edgecolor="white" if hatch is None else "0.4", linewidth=0.3,
                            label=mode.replace("_", " ") if hatch is None or few.all() else None)  # once
            left += vals
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_ylim(-0.6, len(wide) - 0.4)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of the task's found repositories (n = found repositories)")
        ax.set_title("How repositories are versioned: name, git refs, in place, or never updated", pad=28)
        ax.legend(ncol=5, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        if few.any():
            ax.text(0.0, -0.08 - 0.6 / fig.get_figheight(), f"Faded, hatched: {int(few.sum())} task(s) of fewer than "
                    f"{MIN_N} found repositories (a share of so few is noise; n in the label).", transform=ax.transAxes,
                    fontsize=8, color="0.3", va="top")


def log_bins(top: float, bins: int = 30) -> np.ndarray:
    """Bin edges for whole counts on a log axis: log-spaced from 1 to `top`, each holding at least one whole number
    (edges at n - 0.5), so no bin of a log axis is an empty sliver between two integers."""
    edges = np.unique(np.round(np.geomspace(1, max(top, 2.0) + 1, bins)))
    return np.append(edges - 0.5, edges[-1] + 0.5)


def commit_count_histogram(counts: np.ndarray, path: Path, updated_min: int) -> None:
    """Commits on `main` per found repository, on log-spaced bins and a log scale (a long right tail)."""
    counts = np.asarray(counts, dtype=float)
    counts = counts[np.isfinite(counts)]
    with output.figure(path, (8, 4.5)) as fig:
        ax = fig.subplots()
        top = max(float(counts.max()) if len(counts) else 1.0, 2.0)
        ax.hist(np.clip(counts, 1, None), bins=log_bins(top), color="#4C72B0", edgecolor="white", linewidth=0.3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.axvline(updated_min - 0.5, color="#C44E52", linestyle="--", linewidth=1)
        ax.text(updated_min - 0.4, ax.get_ylim()[1] * 0.5, f" updated: {updated_min}+ commits", color="#C44E52",
                fontsize=8)
        ax.set_xlabel("commits on main (log scale; log-spaced bins, 0 counted as 1)")
        ax.set_ylabel("repositories in the bin (log scale)")
        ax.set_title(f"Commit counts of {len(counts):,} found repositories")
        ax.grid(True, which="major", alpha=0.3)
