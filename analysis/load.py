"""Inputs -> one table of models: crawl feeds (JSON Lines) or the study's published per-task lists.

The table handed to every experiment (and to `analysis.compare.run`) has one row per model id, columns:

============== ==========================================================================================
id             "owner/name" (or a legacy one-part id), whitespace-stripped
author         owner part of the id, None for legacy ids
name           part after the first "/" (the whole id for legacy ids)
task           task the model was listed under (`crawl_tag`; falls back to `pipeline_tag`); None if neither
org            organisation stream the model was listed under (`crawl_author`), None otherwise
pipeline_tag   the model's own task as the Hub reports it (None for list inputs)
crawl_tag      raw `crawl_tag` of the feed line kept for `task` (the list's file stem for list inputs)
crawl_author   raw `crawl_author` of the feed line kept for `org` (the list's file stem for organisation lists)
source         "api" / "html" (feed) or "list" (published lists)
crawled_at     ISO-8601 string or None
downloads, likes, created_at, last_modified, library_name, tags   as in the feed (None for lists)
input          the file the row came from
line           1-based line number in that file
============== ==========================================================================================

A model listed both under a task and under an organisation (a tag stream and an author stream of the same crawl,
or a task list and `google.txt`) is one row with both `task` and `org` set. Duplicates are the same id seen again in
the same kind of stream (task or organisation); the latest line wins (by `crawled_at`, then file order).
Malformed lines (not JSON, not an object, no string `id`) are skipped; a malformed last line without a newline is
reported as a truncated line (the crawler stopped mid-write). Everything dropped is counted, with line numbers, in
`LoadResult.provenance`, which the report prints.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import orjson
import pandas as pd

#: The study's three company lists in its published folder.
DEFAULT_ORGS: tuple[str, ...] = ("google", "facebook", "openai")

#: Feed columns the analysis carries along (the rest of FEED_FIELDS is not needed by any experiment).
_FEED_COLUMNS = (
    "id", "author", "name", "pipeline_tag", "crawl_tag", "crawl_author", "downloads", "likes", "created_at",
    "last_modified", "library_name", "tags", "source", "crawled_at",
)
#: How many line numbers of each kind of dropped line the provenance keeps (the count is always complete).
MAX_LINE_EXAMPLES = 10

MODEL_COLUMNS = (
    "id", "author", "name", "task", "org", "pipeline_tag", "crawl_tag", "crawl_author", "source", "crawled_at",
    "downloads", "likes", "created_at", "last_modified", "library_name", "tags", "input", "line",
)


class InputError(Exception):
    """An input that cannot be studied: missing, unreadable, empty, or without a single valid model."""


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The shared read-only data folder: $HFCRAWL_SHARED, else `<repo root>/../shared`."""
    env = os.environ.get("HFCRAWL_SHARED")
    return Path(env) if env else repo_root().parent / "shared"


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


class _Columns:
    """Rows collected column by column (cheaper than a list of dicts for millions of lines)."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {c: [] for c in _FEED_COLUMNS + ("input", "line")}
        self.n = 0

    def add_feed(self, obj: dict[str, Any], path: str, line: int) -> None:
        for c in _FEED_COLUMNS:
            self.cols[c].append(obj.get(c))
        self.cols["input"].append(path)
        self.cols["line"].append(line)
        self.n += 1

    def add_list(self, ids: list[str], lines: list[int], path: str, tag: str | None, author: str | None) -> None:
        k = len(ids)
        given = {"id": ids, "crawl_tag": [tag] * k, "crawl_author": [author] * k, "source": ["list"] * k,
                 "input": [path] * k, "line": lines}
        for c, values in self.cols.items():
            values.extend(given.get(c, [None] * k))
        self.n += k


def _read_feed(path: Path, rows: _Columns, malformed: Dropped, truncated: Dropped) -> None:
    """Parse one JSON Lines feed; malformed lines are counted, never fatal."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    lines = data.split(b"\n")
    ends_with_newline = data.endswith(b"\n")
    last = len(lines) - 1
    name = str(path)
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            obj = loads(raw)
        except decode_error:
            obj = None
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            (truncated if (i == last and not ends_with_newline) else malformed).add(name, i + 1)
            continue
        rows.add_feed(obj, name, i + 1)


def _read_lists(folder: Path, orgs: Iterable[str], rows: _Columns) -> None:
    """A folder of `<tag>.txt` lists, one id per line: task = file stem, except the organisation files."""
    org_names = {o.casefold() for o in orgs}
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise InputError(f"{folder} holds no <tag>.txt lists")
    for f in files:
        stem = f.stem
        is_org = stem.casefold() in org_names
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {f}: {exc}") from exc
        pairs = [(raw, i + 1) for i, raw in enumerate(text.split("\n")) if raw.strip()]
        rows.add_list([p[0] for p in pairs], [p[1] for p in pairs], str(f),
                      None if is_org else stem, stem if is_org else None)


# ----------------------------------------------------------------------------------------------------------------
# Combining


def _drop_invalid_ids(df: pd.DataFrame, malformed: Dropped) -> pd.DataFrame:
    """Ids must be `owner/name` or a legacy one-part id: no whitespace inside, at most one "/", not empty."""
    df["id"] = df["id"].str.strip()
    bad = (df["id"] == "") | df["id"].str.contains(r"[ \t\n\r\f\v]|/.*/|^/|/$", regex=True)
    if bad.any():
        for f, n in zip(df.loc[bad, "input"], df.loc[bad, "line"]):
            malformed.add(f, int(n))
        df = df[~bad]
    return df


def _latest_per_stream(df: pd.DataFrame, mask: pd.Series, duplicates: Dropped) -> pd.DataFrame:
    """Rows of one stream kind, one per id: the latest by crawled_at (missing = oldest), then by file order."""
    part = df[mask]
    ts = pd.to_datetime(part["crawled_at"], utc=True, errors="coerce", format="ISO8601")
    order = part.assign(_ts=ts).sort_values(["_ts", "_order"], na_position="first", kind="stable")
    dup = order.duplicated("id", keep="last")
    if dup.any():
        dropped = order[dup].sort_values("_order")
        duplicates.count += int(dup.sum())
        for f, n in zip(dropped["input"].head(MAX_LINE_EXAMPLES), dropped["line"].head(MAX_LINE_EXAMPLES)):
            if len(duplicates.examples) < MAX_LINE_EXAMPLES:
                duplicates.examples.append((f, int(n)))
    return order[~dup].drop(columns="_ts")


def _combine(rows: _Columns, malformed: Dropped, duplicates: Dropped) -> pd.DataFrame:
    df = pd.DataFrame(rows.cols)
    df["id"] = df["id"].astype("str")
    df = _drop_invalid_ids(df, malformed)
    df["_order"] = range(len(df))
    is_org_stream = df["crawl_author"].notna() & df["crawl_tag"].isna()
    tag_rows = _latest_per_stream(df, ~is_org_stream, duplicates)
    org_rows = _latest_per_stream(df, is_org_stream, duplicates)
    # One row per id: the task-stream line carries the attributes; the org stream adds `org`.
    org_of = org_rows.set_index("id")["crawl_author"]
    tagged = set(tag_rows["id"].tolist())  # (Series.isin on Arrow strings is slow; org rows are few)
    only_org = org_rows[[i not in tagged for i in org_rows["id"].tolist()]]
    out = pd.concat([tag_rows, only_org], ignore_index=True).sort_values("_order", kind="stable")
    out["org"] = out["id"].map(org_of)
    out["task"] = out["crawl_tag"].where(out["crawl_tag"].notna(), out["pipeline_tag"])
    has_owner = out["id"].str.contains("/", regex=False)
    owner = out["id"].str.replace(r"/.*", "", regex=True)
    out["author"] = out["author"].where(out["author"].notna(), owner.where(has_owner))
    out.loc[~has_owner, "author"] = None
    out["name"] = out["name"].where(out["name"].notna(), out["id"].str.replace(r"^[^/]*/", "", regex=True))
    out = out.drop(columns="_order").reset_index(drop=True)
    return out[list(MODEL_COLUMNS)]


def load(inputs: Iterable[str | Path], orgs: Iterable[str] = DEFAULT_ORGS) -> LoadResult:
    """Read every input (JSONL feeds and/or list folders) into one model table plus its provenance."""
    orgs = list(orgs)
    paths = [Path(p) for p in inputs]
    if not paths:
        raise InputError("no input given")
    malformed, truncated, duplicates = Dropped(), Dropped(), Dropped()
    rows = _Columns()
    sources: list[dict[str, Any]] = []
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        before = rows.n
        if p.is_dir():
            _read_lists(p, orgs, rows)
            kind = "lists"
        else:
            _read_feed(p, rows, malformed, truncated)
            kind = "feed"
        sources.append({"path": str(p.resolve()), "kind": kind, "lines": rows.n - before})
    if not rows.n:
        raise InputError("no valid model line in " + ", ".join(map(str, paths)))
    parsed, bad_json = rows.n, malformed.count
    models = _combine(rows, malformed, duplicates)
    if models.empty:
        raise InputError("no valid model id in " + ", ".join(map(str, paths)))
    crawled = pd.to_datetime(models["crawled_at"], utc=True, errors="coerce", format="ISO8601").dropna()
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
    }
    return LoadResult(models=models, provenance=provenance)
