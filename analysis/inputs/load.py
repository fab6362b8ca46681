"""Inputs -> one table of models: crawl feeds (JSON Lines) or the study's published per-task lists.

The table handed to every experiment (and to `analysis.study.compare.run`) has one row per model id, columns:

============== ==========================================================================================
id             "owner/name" (or a legacy one-part id), whitespace-stripped
author         owner part of the id, missing for legacy ids (derived from the id, like `name`)
name           part after the "/" (the whole id for legacy ids)
task           task the model was listed under (`crawl_tag`; falls back to `pipeline_tag`); None if neither
org            organisation stream the model was listed under (`crawl_author`), None otherwise
pipeline_tag   the model's own task as the Hub reports it (None for list inputs)
crawl_tag      raw `crawl_tag` of the feed line kept for `task` (the list's file stem for list inputs)
crawl_author   raw `crawl_author` of the line kept (the list's file stem for organisation lists)
source         "api" / "html" (feed) or "list" (published lists)
crawled_at     ISO-8601 string or None
input          the file the row came from
line           1-based line number in that file
============== ==========================================================================================

Text columns have pandas' "str" dtype, missing values are NaN (`isna()`); `line` is an int.

A model listed both under a task and under an organisation (a tag stream and an author stream of the same crawl,
or a task list and `google.txt`) is one row with both `task` and `org` set. Duplicates are the same id seen again in
the same kind of stream (task or organisation); the latest line wins (by `crawled_at`, then file order).
Malformed lines (not JSON, not an object, no string `id`, an id with whitespace or more than one "/", or a part
longer than the Hub allows, MAX_ID_PART characters) are skipped; a malformed last line without a newline is
reported as a truncated line (the crawler stopped mid-write). Everything dropped is counted, with line numbers, in
`LoadResult.provenance`, which the report prints. A feed may be gzip-compressed (`feed.jsonl.gz`, told by its magic
bytes); one cut short keeps its lines before the cut and reports the cut as a truncated line; one whose compressed
data is corrupt is an InputError (its lines cannot be trusted).
"""
from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
import pandas as pd

from analysis.common.paths import shared_dir
from hfcrawl import provenance

#: The study's three company lists in its published folder.
DEFAULT_ORGS: tuple[str, ...] = ("google", "facebook", "openai")

#: Feed columns the analysis carries along (the rest of FEED_FIELDS is not needed by any experiment).
_FEED_COLUMNS = ("id", "pipeline_tag", "crawl_tag", "crawl_author", "source", "crawled_at")
#: The Hub's limit on each part of an id ("owner", "name"), which the crawler enforces too: longer ids are refused.
MAX_ID_PART = 96
#: How many line numbers of each kind of dropped line the provenance keeps (the count is always complete).
MAX_LINE_EXAMPLES = 10

MODEL_COLUMNS = (
    "id", "author", "name", "task", "org", "pipeline_tag", "crawl_tag", "crawl_author", "source", "crawled_at",
    "input", "line",
)


class InputError(Exception):
    """An input that cannot be studied: missing, unreadable, empty, or without a single valid model."""


def seed_lists_dir() -> Path:
    """The study's published per-task lists (239,091 ids in 42 task files + 3 organisation files)."""
    return shared_dir() / "data" / "seed-2024-02" / "lists"


@dataclass
class Dropped:
    """Lines of one kind that were skipped: total count and the first few (file, line number) pairs."""

    count: int = 0
    examples: list[tuple[str, int]] = field(default_factory=list)

    def add(self, path: str, line: int) -> None:
        self.count += 1
        if len(self.examples) < MAX_LINE_EXAMPLES:
            self.examples.append((path, line))

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "first": [{"file": f, "line": n} for f, n in self.examples]}


@dataclass
class LoadResult:
    models: pd.DataFrame
    provenance: dict[str, Any]


# ----------------------------------------------------------------------------------------------------------------
# Reading


_FRAME_COLUMNS = _FEED_COLUMNS + ("input", "line")


def _frame(cols: dict[str, Any], n: int) -> pd.DataFrame:
    """A reader's rows as a DataFrame with every reading column (missing ones all None)."""
    data = {c: cols.get(c, [None] * n) for c in _FRAME_COLUMNS}
    return pd.DataFrame(data)


_GZIP_MAGIC = b"\x1f\x8b"


def _is_gzip(path: Path) -> bool:
    """A gzip-compressed feed (`feed.jsonl.gz`, or Scrapy's GzipPlugin output), told by its magic bytes."""
    with path.open("rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def _open_feed(path: Path) -> BinaryIO:
    """The feed's bytes, decompressed on the fly when it is gzip."""
    return gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")


def _count_lines(path: Path) -> tuple[int, bool, bool]:
    """(newline count, ends with a newline, has a blank line), reading in chunks (no whole-file copy)."""
    newlines, blank, prev, last = 0, False, b"\n", b""
    with _open_feed(path) as fh:
        while chunk := fh.read(1 << 24):
            newlines += chunk.count(b"\n")
            blank = blank or b"\n\n" in chunk or (prev == b"\n" and chunk[:1] == b"\n")
            prev = last = chunk[-1:]
    return newlines, last == b"\n", blank


def _read_feed_fast(path: Path) -> pd.DataFrame | None:
    """The whole feed parsed by Arrow's JSON reader (C, multi-threaded), or None if any line is not clean.

    Clean = every line a JSON object whose fields have the schema's types, a string id, no blank line, and a final
    newline. Anything else (a malformed or truncated line) goes through `_read_feed`, which says which lines.
    """
    try:
        import pyarrow as pa
        import pyarrow.json as pj
    except ImportError:  # pragma: no cover - pandas 3 installs pyarrow
        return None
    try:
        newlines, final_newline, blank = _count_lines(path)
    except EOFError:  # a gzip feed cut short: the line-by-line reader reports where
        return None
    if not final_newline or blank or not newlines:
        return None
    schema = pa.schema([(c, pa.string()) for c in _FEED_COLUMNS])
    try:
        source = pa.input_stream(str(path), compression="gzip" if _is_gzip(path) else None)
        table = pj.read_json(source, parse_options=pj.ParseOptions(explicit_schema=schema,
                                                                   unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, EOFError):
        return None
    if table.num_rows != newlines or table.column("id").null_count:
        return None
    df = table.to_pandas()
    df["input"] = str(path)
    df["line"] = np.arange(1, len(df) + 1)
    return df[list(_FRAME_COLUMNS)]


def _read_feed(path: Path, malformed: Dropped, truncated: Dropped) -> pd.DataFrame:
    """One feed, by Arrow when it is clean, else line by line; corrupt gzip data is an InputError naming the file."""
    try:
        fast = _read_feed_fast(path)
        return fast if fast is not None else _read_feed_lines(path, malformed, truncated)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read {path}: corrupt gzip data ({exc})") from exc


def json_line(raw: bytes) -> Any:
    """One line's JSON value, or None where the line is not JSON (cut short, garbled): the reader counts it."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _read_feed_lines(path: Path, malformed: Dropped, truncated: Dropped) -> pd.DataFrame:
    """Parse one JSON Lines feed line by line; malformed lines are counted, never fatal."""
    name = str(path)
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    cols: dict[str, list[Any]] = {c: [] for c in _FEED_COLUMNS}
    lines: list[int] = []
    shared: dict[str, str] = {}  # one str object per distinct tag/author/date: millions of rows stay small
    appends = [(c, cols[c].append, c != "id") for c in _FEED_COLUMNS]
    i = 0
    try:
        with _open_feed(path) as fh:
            for i, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj = loads(raw)
                except decode_error:
                    obj = None
                if type(obj) is not dict or type(obj.get("id")) is not str:
                    (malformed if raw.endswith(b"\n") else truncated).add(name, i)
                    continue
                for c, append, share in appends:
                    v = obj.get(c)
                    if type(v) is not str:
                        v = None
                    elif share:
                        v = shared.setdefault(v, v)
                    append(v)
                lines.append(i)
    except EOFError:
        # a gzip feed cut short (the crawl was killed while writing it): the lines before the cut are kept, and the
        # cut is reported as a truncated line (once: a partial last line is already counted above)
        if i == 0 or raw.endswith(b"\n"):
            truncated.add(name, i + 1)
    except gzip.BadGzipFile:
        raise
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    cols["input"] = [name] * len(lines)
    cols["line"] = lines
    return _frame(cols, len(lines))


def _read_lists(folder: Path, orgs: Iterable[str]) -> pd.DataFrame:
    """A folder of `<tag>.txt` lists, one id per line: task = file stem, except the organisation files."""
    org_names = {o.casefold() for o in orgs}
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise InputError(f"{folder} holds no <tag>.txt lists")
    frames = []
    for f in files:
        stem = f.stem
        is_org = stem.casefold() in org_names
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {f}: {exc}") from exc
        pairs = [(raw, i + 1) for i, raw in enumerate(text.split("\n")) if raw.strip()]
        n = len(pairs)
        frames.append(_frame({"id": [p[0] for p in pairs], "line": [p[1] for p in pairs], "input": [str(f)] * n,
                              "crawl_tag": [None if is_org else stem] * n,
                              "crawl_author": [stem if is_org else None] * n, "source": ["list"] * n}, n))
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------------------------------------------
# Combining


_BAD_ID = rf"[ \t\n\r\f\v]|/.*/|^/|/$|[^/]{{{MAX_ID_PART + 1}}}"


def _drop_invalid_ids(df: pd.DataFrame, malformed: Dropped) -> pd.DataFrame:
    """Ids must be `owner/name` or a legacy one-part id: no whitespace inside, at most one "/", not empty, and no
    part longer than the Hub allows (a 40 KB id is no model, and would cost the name readers seconds)."""
    df["id"] = df["id"].str.strip()
    bad = (df["id"] == "") | df["id"].str.contains(_BAD_ID, regex=True)
    if bad.any():
        for f, n in zip(df.loc[bad, "input"], df.loc[bad, "line"]):
            malformed.add(f, int(n))
        df = df[~bad]
    return df


_NAT = np.iinfo(np.int64).min  # a missing or unreadable `crawled_at` sorts first: the oldest


def _timestamps(crawled_at: pd.Series) -> np.ndarray:
    """`crawled_at` as int64 UTC instants (`_NAT` where missing). Each distinct string is parsed once: a crawl
    writes one timestamp per page of up to 1,000 models."""
    codes, distinct = pd.factorize(crawled_at)
    parsed = pd.to_datetime(pd.Series(distinct), utc=True, errors="coerce", format="ISO8601")
    instants = np.append(parsed.array.asi8, _NAT)  # in the parsed unit; NaT is _NAT
    return instants[codes]  # code -1 (missing) takes the trailing _NAT


def _latest_per_stream(rows: np.ndarray, id_codes: np.ndarray, ts: np.ndarray, df: pd.DataFrame,
                       duplicates: Dropped) -> np.ndarray:
    """Of `rows` (positions of one stream kind), one per id: the latest by crawled_at (missing = oldest), then by
    file order (position). Returns the positions kept, and counts the others in `duplicates`."""
    ordered = rows[np.lexsort((rows, ts[rows]))]
    dup = pd.Series(id_codes[ordered]).duplicated(keep="last").to_numpy()
    if dup.any():
        duplicates.count += int(dup.sum())
        first = np.sort(ordered[dup])[:MAX_LINE_EXAMPLES]
        for f, n in zip(df["input"].take(first).tolist(), df["line"].take(first).tolist()):
            if len(duplicates.examples) < MAX_LINE_EXAMPLES:
                duplicates.examples.append((f, int(n)))
    return ordered[~dup]


def _combine(frames: list[pd.DataFrame], malformed: Dropped, duplicates: Dropped) -> pd.DataFrame:
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df = df.astype({c: "str" for c in _FRAME_COLUMNS if c != "line"})  # one string dtype, whichever reader
    df = _drop_invalid_ids(df, malformed).reset_index(drop=True)  # position = file order from here on
    # Rows are chosen on positions and id codes, and the columns taken once at the end: sorting and filtering
    # whole frames copied every column several times (a third of the load of a 2.4-million-line feed).
    id_codes, _ = pd.factorize(df["id"])
    ts = _timestamps(df["crawled_at"])
    is_org_stream = (df["crawl_author"].notna() & df["crawl_tag"].isna()).to_numpy(dtype=bool)
    tag_rows = _latest_per_stream(np.flatnonzero(~is_org_stream), id_codes, ts, df, duplicates)
    org_rows = _latest_per_stream(np.flatnonzero(is_org_stream), id_codes, ts, df, duplicates)
    # One row per id: the task-stream line carries the attributes; the org stream adds `org`.
    tagged = np.zeros(id_codes.max(initial=-1) + 1, dtype=bool)
    tagged[id_codes[tag_rows]] = True
    rows = np.sort(np.concatenate([tag_rows, org_rows[~tagged[id_codes[org_rows]]]]))
    org_row_of = np.full(len(tagged), -1, dtype=np.int64)
    org_row_of[id_codes[org_rows]] = org_rows  # ids are unique among the kept org rows
    out = df.take(rows).reset_index(drop=True)
    out["org"] = df["crawl_author"].array.take(org_row_of[id_codes[rows]], allow_fill=True)
    out["task"] = out["crawl_tag"].where(out["crawl_tag"].notna(), out["pipeline_tag"])
    # author and name are derived from the id (the feed's own fields say the same by construction); a valid id
    # holds at most one "/", not at either end
    out["author"], out["name"] = _split_ids(out["id"])
    return out[list(MODEL_COLUMNS)]


def _split_ids(ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(owner or missing, name) of each valid id, split by Arrow: `/name` is read for an id without an owner."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(ids.array)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    has_owner = pc.match_substring(arr, "/")
    text = arr.type
    slash_name = pc.binary_join_element_wise(pa.scalar("", text), arr, pa.scalar("/", text))
    parts = pc.split_pattern(pc.if_else(has_owner, arr, slash_name), "/", max_splits=1)
    owner = pc.if_else(has_owner, pc.list_element(parts, 0), pa.scalar(None, text))
    return (pd.Series(pd.array(owner, dtype="str"), index=ids.index),
            pd.Series(pd.array(pc.list_element(parts, 1), dtype="str"), index=ids.index))


#: The origin of what is not a crawl: the study's published lists and the snapshots under ../shared/data are real
#: Hub data as published; a feed no record names has an unknown origin.
PUBLISHED = {"kind": "published", "endpoint": None, "server": None, "synthetic": False}
UNKNOWN = {"kind": "unknown", "endpoint": None, "server": None, "synthetic": False}


def _is_published(path: Path) -> bool:
    try:
        return path.resolve().is_relative_to((shared_dir() / "data").resolve())
    except OSError:
        return False


def input_provenance(path: Path, kind: str) -> dict[str, Any]:
    """Where one input came from: its crawl record (`hfcrawl.provenance.find_record`, under `record_path(feed)` or
    any JSON file beside the feed naming it), its origin (the record's, or derived from its endpoint for records
    written before `origin` existed), the crawl's dates and whether it completed; a list folder or a file under
    ../shared/data is the published data; anything else without a record is `unknown` ("not recorded")."""
    if kind == "lists" or _is_published(path):
        return {"record": None, "origin": dict(PUBLISHED)}
    found = provenance.find_record(path)
    if found is None:
        return {"record": None, "origin": dict(UNKNOWN)}
    record_file, record = found
    endpoint = record.get("endpoint") if isinstance(record.get("endpoint"), str) else None
    origin = record.get("origin")
    if not isinstance(origin, dict) or origin.get("kind") not in provenance.ORIGIN_KINDS:
        origin = provenance.origin(endpoint or "")
    origin = {**origin, "synthetic": bool(origin.get("synthetic")) or origin.get("kind") == "replay-hub"}
    out = {"record": str(record_file), "endpoint": endpoint, "origin": origin,
           "crawl_start": record.get("start"), "crawl_end": record.get("end"),
           "complete": record.get("complete") if isinstance(record.get("complete"), bool) else None}
    if isinstance(record.get("sample"), dict):
        out["sample"] = record["sample"]
    return out


def is_synthetic(sources: Iterable[dict[str, Any] | None]) -> bool:
    """Whether any of these inputs (each a provenance dict with `origin`, or None) was served by the replay hub
    (synthetic data): the one test, for the study, the repos section and the trend."""
    return any(s and (s.get("origin") or {}).get("synthetic") for s in sources)


def check_inputs(paths: list[Path]) -> None:
    """Raise InputError unless every input is a readable file or a readable folder (checked before any output is
    written, and before the slow reading; a FIFO or a device would make the reader wait forever)."""
    if not paths:
        raise InputError("no input given")
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        try:
            if p.is_dir():
                with os.scandir(p) as entries:
                    next(entries, None)
            elif p.is_file():
                with p.open("rb") as fh:
                    fh.read(1)
            else:
                raise InputError(f"{p}: not a file or a folder")
        except OSError as exc:
            raise InputError(f"cannot read {p}: {exc.strerror or exc}") from exc


def load(inputs: Iterable[str | Path], orgs: Iterable[str] = DEFAULT_ORGS) -> LoadResult:
    """Read every input (JSONL feeds and/or list folders) into one model table plus its provenance."""
    orgs = list(orgs)
    paths = [Path(p) for p in inputs]
    check_inputs(paths)
    malformed, truncated, duplicates = Dropped(), Dropped(), Dropped()
    frames: list[pd.DataFrame] = []
    sources: list[dict[str, Any]] = []
    for p in paths:
        if p.is_dir():
            frame, kind = _read_lists(p, orgs), "lists"
        else:
            frame, kind = _read_feed(p, malformed, truncated), "feed"
        frames.append(frame)
        sources.append({"path": str(p.resolve()), "kind": kind, "lines": len(frame), **input_provenance(p, kind)})
    parsed, bad_json = sum(len(f) for f in frames), malformed.count
    if not parsed:
        raise InputError("no valid model line in " + ", ".join(map(str, paths)))
    models = _combine(frames, malformed, duplicates)
    if models.empty:
        raise InputError("no valid model id in " + ", ".join(map(str, paths)))
    crawled = pd.to_datetime(pd.Series(models["crawled_at"].dropna().unique()), utc=True, errors="coerce",
                             format="ISO8601").dropna()  # distinct values only: one timestamp per crawled page
    provenance = {
        "inputs": sources,
        "lines_read": parsed + bad_json + truncated.count,
        "valid_lines": parsed - (malformed.count - bad_json),
        "models": int(len(models)),
        "models_with_task": int(models["task"].notna().sum()),
        "models_with_org": int(models["org"].notna().sum()),
        "tasks": int(models["task"].nunique()),
        "crawled_from": crawled.min().isoformat() if len(crawled) else None,
        "crawled_to": crawled.max().isoformat() if len(crawled) else None,
        "malformed_lines": malformed.as_dict(),
        "truncated_lines": truncated.as_dict(),
        "duplicate_ids": duplicates.as_dict(),
        "org_lists": orgs,
        "synthetic": is_synthetic(sources),
    }
    return LoadResult(models=models, provenance=provenance)
