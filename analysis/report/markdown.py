"""Markdown tables for the report: one writer for every section (cells escaped, numbers right-aligned)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

_RULE = {"l": "---", "r": "---:", "c": ":---:"}


def _cell(value: Any, floatfmt: str, na: str | None = None) -> str:
    """A cell's text on one line: floats with `floatfmt` (a missing one as `na` when given), integers with thousands
    separators, `|` escaped."""
    if isinstance(value, (float, np.floating)):
        return na if na is not None and math.isnan(value) else floatfmt.format(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return f"{value:,}"
    return str(value).replace("\r", " ").replace("\n", " ").replace("|", "\\|")


def _frame_rows(df: pd.DataFrame, max_rows: int | None) -> tuple[list[str], list[str], pd.DataFrame]:
    head = df if max_rows is None else df.head(max_rows)
    align = ["r" if pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) else "l"
             for t in head.dtypes]
    return [str(c) for c in head.columns], align, head


def table(data: pd.DataFrame | Iterable[Sequence[Any]], columns: Sequence[str] | None = None,
          align: str | Sequence[str] | None = None, *, max_rows: int | None = None,
          floatfmt: str = "{:.2f}", na: str | None = None, more: str = "") -> str:
    """A GitHub-flavoured markdown table (no final newline).

    `data` is a DataFrame (its columns are the header unless `columns` is given; numeric columns aligned right; at
    most `max_rows` rows, with a note saying how many were left out: the full table is the CSV next to it) or rows
    of cells (then `columns` is required). `align` holds one letter per column, `l`, `r` or `c`. `na`: the text of a
    missing float (default: as `floatfmt` writes NaN); `more`: words added to the note on rows left out."""
    if isinstance(data, pd.DataFrame):
        if data.empty:
            return "_(empty)_"
        header, auto, head = _frame_rows(data, max_rows)
        header = list(columns) if columns is not None else header
        align = auto if align is None else align
        rows: Iterable[Sequence[Any]] = head.itertuples(index=False, name=None)
    else:
        if columns is None:
            raise ValueError("table() of plain rows needs `columns`")
        header, rows, head = list(columns), data, None
    align = list(align) if align is not None else ["l"] * len(header)
    if len(align) != len(header):
        raise ValueError(f"{len(align)} alignments for {len(header)} columns")
    lines = ["| " + " | ".join(_cell(h, floatfmt) for h in header) + " |",
             "|" + "|".join(_RULE[a] for a in align) + "|"]
    for row in rows:
        cells = list(row)
        if len(cells) != len(header):
            raise ValueError(f"a row of {len(cells)} cells under {len(header)} columns")
        lines.append("| " + " | ".join(_cell(c, floatfmt, na) for c in cells) + " |")
    if head is not None and len(data) > len(head):
        lines.append(f"\n_first {len(head)} of {len(data):,} rows{more}_")
    return "\n".join(lines)
