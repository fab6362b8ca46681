"""Readers for the trend's inputs: Hub snapshots in their own formats, and everything `analysis.inputs.load` reads.

Every reader returns the same small table, one row per model id:

========== =================================================================================================
id         "owner/name" (or a legacy one-part id), stripped
task       the task as the input names it (not yet mapped to today's names; see `analysis.trend`), NaN if none
created_at ISO-8601 creation time as the input wrote it, NaN where the input has none
========== =================================================================================================

The format of a file is told by its content (first line: JSON keys or CSV header), never by its name, so a renamed
or re-compressed snapshot is still read. Crawl feeds and list folders go through `analysis.inputs.load` (its duplicate and
malformed-line rules, its `task`); a feed's `created_at`, which the study does not need, is read beside it.
"""
from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pj

from analysis.inputs.load import InputError, json_line, load

SNAPSHOT_COLUMNS = ("id", "task", "created_at")


@dataclass(frozen=True)
class Format:
    """One input format: how to tell it, which of its columns are id/task/created_at, and whom it covers."""

    name: str
    kind: str  # "jsonl", "csv", "feed" or "lists"
    id_col: str = "id"
    task_col: str | None = None
    created_col: str | None = None
    population: str = ""
    short: str = ""  # the population in two or three words, for figure labels
    no_task: tuple[str, ...] = ("",)  # task values that mean "no task"


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("hub-api-2022", "jsonl", "modelId", "pipeline_tag", None,
           "every public model the Hub's /api/models listed (full API items; no creation time)", "all models"),
    Format("models-csv-2022", "csv", "modelId", "task_category", "creation_time",
           "every model on the Hub, with its creation time", "all models", no_task=("", "unknown")),
    Format("top-downloads-csv", "csv", "modelId", "pipeline_tag", None,
           "only the most downloaded models (the snapshot keeps models above a download threshold)",
           "most downloaded"),
    Format("radar-jsonl", "jsonl", "id", "pipeline_tag", "created_at",
           "a recent sample: openly licensed models, most created in the month before the snapshot",
           "recent, open licence"),
    Format("crawl-feed", "feed", population="every model a crawl of the Hub listed (hfcrawl feed)", short="crawl"),
    Format("task-lists", "lists", population="models listed under a task on the Hub's trending pages "
                                             "(the study's per-task lists; organisation lists not in a task)",
           short="trending lists"),
)}


@dataclass
class Snapshot:
    """One input read: its table (SNAPSHOT_COLUMNS) and what was dropped on the way."""

    label: str
    path: Path
    format: Format
    models: pd.DataFrame
    lines: int  # lines (rows) with an id in the input
    dropped: dict[str, int] = field(default_factory=dict)  # malformed / duplicate lines


_GZIP_MAGIC = b"\x1f\x8b"


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def _first_line(path: Path) -> bytes:
    """The first non-blank line (up to 1 MB) of a file, decompressed if it is gzip."""
    opener: Callable[..., Any] = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as fh:
        for raw in fh:
            if raw.strip():
                return raw[: 1 << 20].strip()
            if fh.tell() > 1 << 20:
                break
    return b""


def sniff(path: Path) -> Format:
    """The format of an input, told by its content. Raises InputError for a missing, unreadable or unknown one."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return FORMATS["task-lists"]
    try:
        first = _first_line(path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    if first.startswith(b"{"):
        try:
            keys = set(orjson.loads(first))
        except orjson.JSONDecodeError:
            keys = set()
        if "modelId" in keys and "id" not in keys:
            return FORMATS["hub-api-2022"]
        if {"schema", "id", "created_at", "license_family"} <= keys:
            return FORMATS["radar-jsonl"]
        if "id" in keys:
            return FORMATS["crawl-feed"]
    else:
        header = {c.strip().strip('"') for c in first.decode("utf-8", "replace").split(",")}
        if {"modelId", "creation_time", "task_category"} <= header:
            return FORMATS["models-csv-2022"]
        if {"modelId", "pipeline_tag", "downloads"} <= header:
            return FORMATS["top-downloads-csv"]
    raise InputError(f"{path}: unknown input format (not a crawl feed, a list folder, or one of the snapshot "
                     f"formats: {', '.join(f for f in FORMATS if FORMATS[f].kind in ('jsonl', 'csv'))})")


def _stream(path: Path) -> pa.NativeFile:
    return pa.input_stream(str(path), compression="gzip" if _is_gzip(path) else None)


def _jsonl_columns(path: Path, fmt: Format) -> tuple[dict[str, list | pa.Array], int]:
    """The format's columns of a JSON Lines snapshot: Arrow's reader, or line by line (orjson) when a line is bad."""
    wanted = [c for c in (fmt.id_col, fmt.task_col, fmt.created_col) if c]
    schema = pa.schema([(c, pa.string()) for c in wanted])
    try:
        table = pj.read_json(_stream(path), parse_options=pj.ParseOptions(explicit_schema=schema,
                                                                          unexpected_field_behavior="ignore"))
        if not table.column(fmt.id_col).null_count:
            return {c: table.column(c) for c in wanted}, 0
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, EOFError):
        pass  # a bad line or a cut-short file: the line-by-line reader keeps what it can and counts the rest
    cols: dict[str, list] = {c: [] for c in wanted}
    bad = 0
    opener: Callable[..., Any] = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                obj = json_line(raw)
                if type(obj) is not dict or type(obj.get(fmt.id_col)) is not str:
                    bad += 1
                    continue
                for c in wanted:
                    v = obj.get(c)
                    cols[c].append(v if type(v) is str else None)
    except (EOFError, gzip.BadGzipFile):
        bad += 1  # a compressed file cut short: the lines before the cut are kept, the cut is counted
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return cols, bad


def _csv_columns(path: Path, fmt: Format) -> tuple[dict[str, pa.Array], int]:
    """The format's columns of a CSV snapshot (quoted fields may hold commas); rows of the wrong width are counted."""
    wanted = [c for c in (fmt.id_col, fmt.task_col, fmt.created_col) if c]
    bad = [0]

    def skip(_row: Any) -> str:
        bad[0] += 1
        return "skip"

    try:
        table = pcsv.read_csv(_stream(path),
                              parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
                              convert_options=pcsv.ConvertOptions(include_columns=wanted,
                                                                  column_types={c: pa.string() for c in wanted},
                                                                  strings_can_be_null=False))
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    return {c: table.column(c) for c in wanted}, bad[0]


def _as_str(col: Any, n: int) -> pd.Series:
    """A column (Arrow array, list, or None for a column the format lacks) as a pandas "str" Series."""
    if col is None:
        return pd.Series(pd.array([None] * n, dtype="str"))
    if isinstance(col, (pa.Array, pa.ChunkedArray)):
        return pd.Series(col.to_pandas()).astype("str")
    return pd.Series(col, dtype="str")


def _table(cols: dict[str, Any], fmt: Format) -> pd.DataFrame:
    """The format's columns as SNAPSHOT_COLUMNS (str dtype; a `no_task` value and empty strings are missing)."""
    n = len(cols[fmt.id_col])
    task = _as_str(cols.get(fmt.task_col) if fmt.task_col else None, n).str.strip()
    created = _as_str(cols.get(fmt.created_col) if fmt.created_col else None, n).str.strip()
    return pd.DataFrame({"id": _as_str(cols[fmt.id_col], n).str.strip(),
                         "task": task.where(~task.isin(fmt.no_task)),
                         "created_at": created.where(created != "")})


def _valid_unique(df: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Rows with a valid id (load's rule: not empty, no blank inside, at most one '/', not at either end), one per
    id (the last line kept). Returns (table, invalid ids, duplicates)."""
    bad = (df["id"].isna() | (df["id"] == "")
           | df["id"].str.contains(r"[ \t\n\r\f\v]|/.*/|^/|/$", regex=True).fillna(True)).to_numpy(dtype=bool)
    df = df[~bad]
    dup = df["id"].duplicated(keep="last").to_numpy(dtype=bool)
    return df[~dup].reset_index(drop=True), int(bad.sum()), int(dup.sum())


#: The two columns of a crawl feed read beside `analysis.inputs.load`.
_FEED_CREATED = Format("feed-created", "jsonl", "id", None, "created_at")


def _feed_created_at(path: Path) -> pd.Series:
    """A crawl feed's `created_at` per id (the last line with one; a model's creation time is the same on every
    line), which `analysis.inputs.load` does not carry."""
    cols, _ = _jsonl_columns(path, _FEED_CREATED)
    df = _table(cols, _FEED_CREATED).dropna(subset=["created_at"])
    return df.drop_duplicates("id", keep="last").set_index("id")["created_at"]


def _read_with_load(path: Path, fmt: Format) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """A feed or list folder through `analysis.inputs.load` (one input at a time, so only one is in memory)."""
    loaded = load([path])
    prov = loaded.provenance
    m = loaded.models
    df = pd.DataFrame({"id": m["id"], "task": m["task"]})
    if fmt.kind == "feed":
        created = _feed_created_at(path)
        df["created_at"] = pd.Series(pd.array(created.reindex(df["id"]).to_numpy(), dtype="str"),
                                     index=df.index)
    else:
        df["created_at"] = pd.Series(pd.array([None] * len(df), dtype="str"), index=df.index)
    dropped = {"malformed": prov["malformed_lines"]["count"] + prov["truncated_lines"]["count"],
               "duplicates": prov["duplicate_ids"]["count"]}
    return df, int(prov["valid_lines"]), dropped


def read_input(label: str, path: Path) -> Snapshot:
    """Read one input in whichever format it is; raises InputError naming the input when it cannot be read."""
    fmt = sniff(path)
    if fmt.kind in ("feed", "lists"):
        df, lines, dropped = _read_with_load(path, fmt)
        return Snapshot(label, path, fmt, df, lines, dropped)
    cols, malformed = (_jsonl_columns if fmt.kind == "jsonl" else _csv_columns)(path, fmt)
    df = _table(cols, fmt)
    rows = len(df)
    df, invalid, dups = _valid_unique(df)
    if df.empty:
        raise InputError(f"{path}: no model id in it")
    return Snapshot(label, path, fmt, df, rows - invalid,
                    {"malformed": malformed + invalid, "duplicates": dups})


def created_times(created_at: pd.Series) -> np.ndarray:
    """ISO-8601 strings -> int64 nanoseconds UTC (NaT's int where missing or unreadable); each distinct string
    parsed once (a crawl writes many models per second, snapshots repeat dates)."""
    codes, distinct = pd.factorize(created_at)
    parsed = pd.to_datetime(pd.Series(distinct, dtype=object), utc=True, errors="coerce", format="ISO8601")
    ns = parsed.dt.as_unit("ns").array.asi8 if len(distinct) else np.array([], dtype=np.int64)
    return np.append(ns, np.iinfo(np.int64).min)[codes]
