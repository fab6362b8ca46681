"""Markdown tables for the report: one writer for every section (cells escaped, numbers right-aligned)."""
from __future__ import annotations

from typing import Any

import pandas as pd


def _cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, float):
        return floatfmt.format(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def table(df: pd.DataFrame, max_rows: int | None = 15, floatfmt: str = "{:.2f}") -> str:
    """A Markdown table of the first `max_rows` rows (all when None), with a note when rows were left out: the full
    table is the CSV next to it. Floats with `floatfmt`, integers with thousands separators, `|` escaped."""
    if df.empty:
        return "_(empty)_"
    head = df if max_rows is None else df.head(max_rows)
    cols = list(head.columns)
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(head[c]) and head[c].dtype != bool else "---"
                            for c in cols) + "|"]
    lines += ["| " + " | ".join(_cell(v, floatfmt) for v in row) + " |" for row in head.itertuples(index=False)]
    if len(df) > len(head):
        lines.append(f"\n_first {len(head)} of {len(df):,} rows_")
    return "\n".join(lines)
