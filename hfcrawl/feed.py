"""The feed file: where FEEDS points, and the repairs a resumed crawl needs before appending to it."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

import orjson
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

JSONL_FORMATS = {"jsonlines", "jsonl", "jl"}


@dataclass(frozen=True)
class FeedTarget:
    path: Path
    overwrite: bool


def feed_target(settings: BaseSettings) -> FeedTarget:
    """The one local JSON Lines file that FEEDS (`-o`/`-O`) names, else HFCRAWL_FEED. Anything else is an error."""
    feeds = settings.getdict("FEEDS")
    if not feeds:
        return FeedTarget(path=Path(settings.get("HFCRAWL_FEED", "output/models.jsonl")), overwrite=True)
    if len(feeds) != 1:
        raise ValueError(f"FEEDS must name exactly one JSON Lines file, got {len(feeds)}: {list(feeds)}")
    uri, options = next(iter(feeds.items()))
    options = options or {}
    fmt = options.get("format", "jsonlines")
    if fmt not in JSONL_FORMATS:
        raise ValueError(f"feed {uri}: format {fmt!r} is not supported, only JSON Lines ({', '.join(JSONL_FORMATS)})")
    uri = str(uri)
    parts = urlsplit(uri)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme and len(parts.scheme) > 1:
        raise ValueError(f"feed {uri}: only local files are supported")
    else:
        path = Path(uri)
    if "%(" in uri:
        raise ValueError(f"feed {uri}: URI parameters are not supported")
    return FeedTarget(path=path, overwrite=bool(options.get("overwrite", False)))


def repair_tail(path: Path) -> int:
    """Cut a truncated last line (no final newline) off the file; returns the bytes dropped."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return 0
        # walk back to the last newline
        block = 1 << 16
        end = size
        while end > 0:
            start = max(0, end - block)
            fh.seek(start)
            chunk = fh.read(end - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            end = start
        else:
            keep = 0
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return size - keep


def iter_feed_keys(path: Path, chunk: int = 100_000) -> Iterator[list[tuple[str, str]]]:
    """(listing kind, id) of the complete lines of a feed, in chunks: what DedupModelsPipeline keys on.

    Bad lines are skipped here; the analysis loader reports them.
    """
    keys: list[tuple[str, str]] = []
    with open(path, "rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                keys.append(("author" if record.get("crawl_author") else "tag", record["id"]))
                if len(keys) >= chunk:
                    yield keys
                    keys = []
    if keys:
        yield keys
