"""The study's figures, one function per experiment; each writes one PNG and returns nothing.

All figures are drawn with matplotlib's Agg backend (no display needed), titled, with labelled axes, and with
horizontal bars for token and group names so that long labels never overlap.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DPI = 110
SIZE_CLASSES = ("2 tokens", "3 tokens", "4 tokens", "5+ tokens")
SIZE_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52")


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _save(fig: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def pie_version_share(e1: pd.DataFrame, path: Path, method_label: str) -> None:
    """Experiment 1: ids with / without a version, as the study's pie chart."""
    row = e1.iloc[0]
    matching, total = int(row["matching"]), int(row["models"])
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ax.pie([matching, total - matching], labels=[f"with a version\n{matching:,} ids", f"without\n{total - matching:,} ids"],
           autopct="%.2f%%", startangle=90, colors=["#DD8452", "#4C72B0"], wedgeprops={"linewidth": 1, "edgecolor": "white"})
    ax.set_title(f"Experiment 1: share of model ids with a version ({method_label})\n{total:,} models of the task lists")
    ax.axis("equal")
    _save(fig, path)


def scatter_share_by_task(e2: pd.DataFrame, path: Path, method_label: str) -> None:
    """Experiment 2a: (models, % with a version) per task, one colour per task, legend below in size order."""
    n = len(e2)
    colours = plt.cm.nipy_spectral(np.linspace(0.02, 0.95, max(n, 1)))
    fig, ax = plt.subplots(figsize=(11, 6))
    for colour, (_, r) in zip(colours, e2.iterrows()):
        ax.scatter(r["models"], r["share_pct"], color=colour, s=45, edgecolor="black", linewidth=0.4,
                   label=f"{r['task']} ({int(r['models']):,}; {r['share_pct']:.1f}%)")
    ax.set_xscale("log")
    ax.set_xlabel("models in the task (log scale)")
    ax.set_ylabel("% of ids with a version")
    ax.set_ylim(0, max(100.0, float(e2["share_pct"].max() if n else 0) + 5))
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(f"Experiment 2a: share of versioned ids per task ({method_label}), {n} tasks")
    ncol = 3 if n > 12 else 2
    ax.legend(title="task (models; % versioned), largest first", loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=ncol, fontsize=7.5, title_fontsize=8.5, frameon=False)
    _save(fig, path)


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return math.ceil(n / cols), cols


def token_bars(tables: dict[str, pd.DataFrame], path: Path, top: int, title: str) -> None:
    """Experiment 2b / 3: the top tokens of each task or organisation (number of families holding each)."""
    names = list(tables) or ["(none)"]
    rows, cols = _grid(len(names), 3)
    height = max(3.0, 0.22 * top + 1.2)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, height * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        df = tables.get(name, pd.DataFrame(columns=["token", "families"])).head(top)
        ax.barh([_short(t, 24) for t in df["token"]][::-1], df["families"].to_numpy()[::-1], color="#4C72B0")
        ax.set_title(f"{name}", fontsize=10)
        ax.set_xlabel("families holding the token")
        ax.tick_params(axis="y", labelsize=8)
        if df.empty:
            ax.text(0.5, 0.5, "no family with two models", ha="center", va="center", transform=ax.transAxes)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    _save(fig, path)


def _size_class(size: pd.Series) -> pd.Series:
    return size.clip(upper=5).map({2: SIZE_CLASSES[0], 3: SIZE_CLASSES[1], 4: SIZE_CLASSES[2], 5: SIZE_CLASSES[3]})


def group_bars(tables: dict[str, pd.DataFrame], path: Path, top: int, title: str) -> None:
    """Experiment 2c / 3: per scope, the top groups of 2 tokens and of 3 or more, coloured by group size."""
    names = list(tables) or ["(none)"]
    height = max(3.0, 0.22 * top + 1.3)
    fig, axes = plt.subplots(len(names), 2, figsize=(13, height * len(names)), squeeze=False)
    colour_of = dict(zip(SIZE_CLASSES, SIZE_COLOURS))
    for (ax2, ax3), name in zip(axes, names):
        df = tables.get(name, pd.DataFrame(columns=["tokens", "size", "count"]))
        for ax, part, label in ((ax2, df[df["size"] == 2], "groups of 2 tokens"),
                                (ax3, df[df["size"] >= 3], "groups of 3 tokens or more")):
            part = part.head(top)
            colours = [colour_of[c] for c in _size_class(part["size"])][::-1]
            ax.barh([_short(t) for t in part["tokens"]][::-1], part["count"].to_numpy()[::-1], color=colours)
            ax.set_title(f"{name}: {label}", fontsize=10)
            ax.set_xlabel("family pairs sharing exactly this group")
            ax.tick_params(axis="y", labelsize=8)
            if part.empty:
                ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in SIZE_COLOURS]
    fig.legend(handles, SIZE_CLASSES, title="group size", loc="upper right", ncol=4, fontsize=8)
    fig.suptitle(title, fontsize=12, x=0.4)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    _save(fig, path)


def groups_by_size_stacked(tables: dict[str, pd.DataFrame], path: Path, title: str) -> None:
    """Experiment 2c / 3: one stacked bar per scope: family pairs by the size of the group they share."""
    names = list(tables)
    data = pd.DataFrame(0, index=names, columns=list(SIZE_CLASSES), dtype="int64")
    for name, df in tables.items():
        if len(df):
            sums = df.groupby(_size_class(df["size"]))["count"].sum()
            for cls, v in sums.items():
                data.loc[name, cls] = int(v)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(names) + 3), 5))
    bottom = np.zeros(len(names))
    for cls, colour in zip(SIZE_CLASSES, SIZE_COLOURS):
        vals = data[cls].to_numpy(dtype=float)
        ax.bar(names, vals, bottom=bottom, color=colour, label=cls)
        bottom += vals
    ax.set_ylabel("family pairs sharing a group of 2+ tokens")
    ax.set_xlabel("")
    ax.set_title(title)
    ax.legend(title="group size", fontsize=8)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.grid(True, axis="y", alpha=0.3)
    _save(fig, path)
