"""The one place that writes a run's tables and figures, so that every stage writes them the same way.

A table is a CSV under `tables/`, named after the experiment that made it (and its scope, a task or an organisation
the Hub named: made filename-safe), without the index, with a last column `data` when it was computed from
synthetic data (`labels.DATA`). A figure is created here, its title starts with `labels.FIGURE` when it is drawn from
synthetic data, it is saved at `DPI` and no wider than `MAX_WIDTH_PX`, and it is closed even when drawing fails.
A file is written whole or not at all: a failure leaves no half-written CSV or PNG behind.
"""
from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.report import labels  # noqa: E402
from analysis.report.names import safe_name  # noqa: E402

#: Every figure's resolution.
DPI = 100
#: The report's column (document.STYLE: body max-width 1200px): a figure no wider is shown at its own size, so its
#: 8-point labels stay 11 pixels high. A figure drawn wider is saved at a lower resolution to fit.
MAX_WIDTH_PX = 1200
#: Where the tables go, under a run's output folder.
TABLES = Path("tables")

Job = tuple[Callable[..., Any], tuple]


@contextmanager
def _written_whole(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, moved onto it once written; removed if writing fails (an existing `path` is
    then left as it was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------------------------------
# Tables


def table_path(experiment: str, scope: str | None = None) -> Path:
    """`tables/<experiment>.csv`, or `tables/<experiment>_<scope>.csv` with the scope made filename-safe
    (`names.safe_name`: a task or organisation name comes from the Hub)."""
    if not experiment or safe_name(experiment) != experiment:
        raise ValueError(f"a table's experiment name must be filename-safe, not {experiment!r}")
    return TABLES / (f"{experiment}.csv" if scope is None else f"{experiment}_{safe_name(scope)}.csv")


def write_table(df: pd.DataFrame, out: Path, experiment: str, scope: str | None = None,
                synthetic: bool = False) -> Path:
    """Write `df` as `out / table_path(experiment, scope)` (no index; a last column `data` when `synthetic`, unless
    the table has no column at all); return that path relative to `out`, as a report section lists it."""
    rel = table_path(experiment, scope)
    if synthetic and len(df.columns):
        df = labels.label_table(df)
    with _written_whole(Path(out) / rel) as tmp:
        df.to_csv(tmp, index=False)
    return rel


# ----------------------------------------------------------------------------------------------------------------
# Figures

#: Put before the title of every figure saved while `synthetic_titles` is on.
_TITLE_PREFIX = ""


@contextmanager
def synthetic_titles(on: bool = True) -> Iterator[None]:
    """Every figure saved inside starts its title with `labels.FIGURE` (when `on`; otherwise nothing changes)."""
    global _TITLE_PREFIX
    before = _TITLE_PREFIX
    _TITLE_PREFIX = labels.FIGURE if on else before
    try:
        yield
    finally:
        _TITLE_PREFIX = before


def _draw_synthetic(fn: Callable[..., Any], *args: Any) -> Any:
    with synthetic_titles():
        return fn(*args)


def labelled_job(job: Job) -> Job:
    """A figure job `(function, args)` whose figure's title says synthetic; a function marked `labels.real_data`
    (it draws only the real data of ../shared) is left as it is."""
    fn, args = job
    if getattr(fn, "real_data", False):
        return job
    return _draw_synthetic, (fn, *args)


def figure_jobs(jobs: list[Job], synthetic: bool) -> list[Job]:
    """The jobs, each labelled synthetic when `synthetic` (for a pool that draws them on other processes)."""
    return [labelled_job(j) for j in jobs] if synthetic else list(jobs)


def mark_title(fig: plt.Figure, prefix: str | None = None) -> None:
    """Put `prefix` (default: the one `synthetic_titles` set) before the figure's title: its suptitle, else its first
    axes' title; a title that holds it already is left alone."""
    prefix = _TITLE_PREFIX if prefix is None else prefix
    if not prefix or any(prefix in t.get_text() for t in [fig._suptitle, *(a.title for a in fig.axes)] if t):
        return
    sup = fig._suptitle
    if sup is not None and sup.get_text():
        sup.set_text(f"{prefix}: {sup.get_text()}")
    elif fig.axes:
        title = fig.axes[0].title  # its text only: set_title would reset the title's pad (a legend may sit there)
        title.set_text(f"{prefix}\n{title.get_text()}" if title.get_text() else prefix)


def _png_width(path: Path) -> int:
    with path.open("rb") as fh:
        head = fh.read(24)
    return struct.unpack(">I", head[16:20])[0]  # the IHDR chunk's width, right after the 8-byte signature


def _save(fig: plt.Figure, path: Path, tight: bool) -> None:
    """Save at DPI; a figure that comes out wider than MAX_WIDTH_PX is saved again at the resolution that fits."""
    bbox = "tight" if tight else None
    with _written_whole(path) as tmp:
        dpi: float = DPI
        fig.savefig(tmp, dpi=dpi, bbox_inches=bbox, format="png")
        for _ in range(3):  # text is measured again at each resolution: a tight box may move by a pixel
            width = _png_width(tmp)
            if width <= MAX_WIDTH_PX:
                break
            dpi *= (MAX_WIDTH_PX - 0.5) / width
            fig.savefig(tmp, dpi=dpi, bbox_inches=bbox, format="png")


@contextmanager
def figure(path: Path, figsize: tuple[float, float], tight: bool = True) -> Iterator[plt.Figure]:
    """A new figure of `figsize` inches to draw on; once drawn, titled (synthetic, see `synthetic_titles`), saved to
    `path` (cropped to what is drawn when `tight`) and closed. Drawing that fails closes it and writes nothing."""
    fig = plt.figure(figsize=figsize)
    try:
        yield fig
        mark_title(fig)
        _save(fig, Path(path), tight)
    finally:
        plt.close(fig)
