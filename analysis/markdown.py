"""Markdown tables for the report: one writer, so every table of every section has the same form."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

_RULE = {"l": "---", "r": "---:", "c": ":---:"}


def _cell(value: Any) -> str:
    """A cell's text on one line, its `|` escaped so that it cannot split the row."""
    return str(value).replace("\r", " ").replace("\n", " ").replace("|", "\\|")


def table(data: pd.DataFrame | Iterable[Sequence[Any]], columns: Sequence[str] | None = None,
          align: str | Sequence[str] | None = None) -> str:
    """A GitHub-flavoured markdown table (no final newline).

    `data` is a DataFrame (its columns are the header unless `columns` is given; numeric columns are aligned right)
    or rows of cells (then `columns` is required). Cells are written with `str()`: format numbers before. `align`
    holds one letter per column, `l`, `r` or `c` (default: left, or right for a DataFrame's numeric columns)."""
    if isinstance(data, pd.DataFrame):
        header = list(columns) if columns is not None else [str(c) for c in data.columns]
        if align is None:
            align = ["r" if pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) else "l"
                     for t in data.dtypes]
        rows: Iterable[Sequence[Any]] = data.itertuples(index=False, name=None)
    else:
        if columns is None:
            raise ValueError("table() of plain rows needs `columns`")
        header, rows = list(columns), data
    align = list(align) if align is not None else ["l"] * len(header)
    if len(align) != len(header):
        raise ValueError(f"{len(align)} alignments for {len(header)} columns")
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join(_RULE[a] for a in align) + "|"]
    for row in rows:
        cells = list(row)
        if len(cells) != len(header):
            raise ValueError(f"a row of {len(cells)} cells under {len(header)} columns")
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)
