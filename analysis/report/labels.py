"""Synthetic data is never presented as a finding: the heading, tables and figure titles of a section computed from
what the replay hub served say so, and the section compares nothing with published figures.

One home for the words used (`HEADING`, `DATA`, `NOTE`) so the report, the CSV files and the figures agree.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.report.section import Section

#: Added to a section's heading: "Versioning in the repositories (synthetic: replay-hub data)".
HEADING = "synthetic: replay-hub data"
#: The `data` column of every table computed from replay-hub data (a reader of the CSV alone sees it).
DATA = "synthetic (replay hub)"
#: Prefixed to a figure's title.
FIGURE = "SYNTHETIC (replay-hub data)"
#: The note that replaces every comparison with published figures.
NOTE = ("Synthetic data: these numbers were computed from what the replay hub (`hubreplay`) served, whose histories "
        "are generated; they show what the analysis does, not how models are versioned on the Hub, and are compared "
        "with no published figure.")


def mark_section(section: Section) -> Section:
    """The section with "synthetic" in its heading and the note first in its text."""
    if HEADING in section.title:
        return section
    return dataclasses.replace(section, title=f"{section.title} ({HEADING})",
                               markdown=f"> **{NOTE}**\n\n{section.markdown}")


def label_table(df: pd.DataFrame) -> pd.DataFrame:
    """The table with a last column `data` = "synthetic (replay hub)"."""
    return df.assign(data=DATA)


def label_csvs(out: Path, tables: Iterable[Path]) -> None:
    """Add the `data` column to CSV files already written under `out` (by modules that do not know the origin)."""
    for rel in tables:
        path = out / rel
        if path.suffix != ".csv" or not path.is_file():
            continue
        try:
            df = pd.read_csv(path, keep_default_na=False, dtype=str)
        except pd.errors.EmptyDataError:  # an empty table: no number to mislead with
            continue
        if "data" not in df.columns:
            label_table(df).to_csv(path, index=False)


def real_data(fn: Callable) -> Callable:
    """Marks a figure function that draws only the real data of `../shared` (never the input): its figure is never
    labelled synthetic, whatever the input's origin."""
    fn.real_data = True
    return fn


def labelled_job(job: tuple[Callable, tuple]) -> tuple[Callable, tuple]:
    """A figure job `(function, args)` whose figure's title starts with FIGURE (a real-data figure is left as it
    is)."""
    from analysis.report import figures

    fn, args = job
    if getattr(fn, "real_data", False):
        return job
    return figures.with_title_prefix, (FIGURE, fn, *args)


def describe_origin(origin: dict[str, Any]) -> str:
    """Where an input came from, as a reader must see it: the replay hub's data are synthetic, a server on this
    machine is not the Hub, a feed no record names is not recorded."""
    kind, endpoint = origin.get("kind"), origin.get("endpoint")
    at = f" at {endpoint}" if endpoint else ""
    if kind == "replay-hub":
        return f"**synthetic** (the replay hub{at}, not the Hugging Face Hub)"
    if kind == "hub":
        return f"the Hugging Face Hub ({endpoint})"
    if kind == "loopback":
        return f"a server on this machine{at}, not the Hub (unknown data)"
    if kind == "other":
        return f"{endpoint} (not the Hugging Face Hub)"
    if kind == "published":
        return "the published data (the study's lists or a snapshot of the Hub)"
    return "not recorded (no crawl record beside the feed names it)"
