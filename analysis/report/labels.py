"""Synthetic data is never presented as a finding: the heading, tables and figure titles of a section computed from
what the replay hub served say so, and the section compares nothing with published figures.

One home for the words used (`HEADING`, `DATA`, `FIGURE`, `NOTE`) so the report, the CSV files and the figures
agree; `analysis.report.output` puts them on the tables and figures it writes.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
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


def real_data(fn: Callable) -> Callable:
    """Marks a figure function that draws only the real data of `../shared` (never the input): its figure is never
    labelled synthetic, whatever the input's origin (`output.labelled_job` leaves it alone)."""
    fn.real_data = True
    return fn


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
