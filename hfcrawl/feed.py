"""The feed file: which file a crawl writes, whether it may, and the writer that never destroys it by failing.

One `FeedWriter` per crawl writes one JSON Lines file, page by page. A second spider writes its own feed through
the same three calls, so its interface stays small:

- `feed_target(settings) -> FeedTarget`: the file FEEDS (`-O`/`-o`) names, else HFCRAWL_FEED; `FeedError` for
  anything else (another format, a remote URI, a directory).
- `check_feed(target, position)`: before the crawl sends its first request. `position` is where the checkpoint
  says the feed ended (`FeedPosition`, or None on a fresh crawl). Raises `FeedError` (one line, naming the file and
  what to do) when the file must not be written: without `-O`/`-o` an existing feed is never overwritten; a resumed
  crawl's feed must still hold the lines and last id its checkpoint recorded.
- `FeedWriter(target, resume_from, fsync).write_page(lines) -> FeedPosition`: the file is opened on the first page
  (so a crawl that fails before it has models leaves an existing feed byte-identical), the page's lines are written,
  flushed and (with `fsync`) synced; the position returned is what the checkpoint records. `close()` at the end.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import orjson
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

JSONL_FORMATS = {"jsonlines", "jsonl", "jl"}

#: How a crawl treats an existing feed: -O overwrites it, -o appends to it, neither refuses to touch it.
OVERWRITE, APPEND, NEW = "overwrite", "append", "new"


class FeedError(ValueError):
    """The feed cannot or must not be written; the message is one line for the user."""


@dataclass(frozen=True)
class FeedTarget:
    path: Path
    mode: str = NEW  # OVERWRITE (-O), APPEND (-o) or NEW (HFCRAWL_FEED, never overwritten)

    @property
    def overwrite(self) -> bool:
        return self.mode == OVERWRITE


@dataclass(frozen=True)
class FeedPosition:
    """Where a feed ended after a page: its complete lines, its size, and the id on its last line."""

    lines: int = 0
    bytes: int = 0
    last_id: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> FeedPosition | None:
        """The position a checkpoint stored, None when it stored none; ValueError on a value of the wrong shape."""
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("lines"), int) \
                or not isinstance(data.get("bytes"), int) or not isinstance(data.get("last_id"), (str, type(None))):
            raise ValueError(f"feed position {str(data)[:80]!r} is not {{lines, bytes, last_id}}")
        return cls(data["lines"], data["bytes"], data["last_id"])


def feed_target(settings: BaseSettings) -> FeedTarget:
    """The one local JSON Lines file that FEEDS (`-o`/`-O`) names, else HFCRAWL_FEED. Anything else: FeedError."""
    feeds = settings.getdict("FEEDS")
    if not feeds:
        return _local_target(str(settings.get("HFCRAWL_FEED") or "output/models.jsonl"), NEW)
    if len(feeds) != 1:
        raise FeedError(f"FEEDS must name exactly one JSON Lines file, got {len(feeds)}: {', '.join(map(str, feeds))}")
    uri, options = next(iter(feeds.items()))
    options = options or {}
    fmt = options.get("format", "jsonlines")
    if fmt not in JSONL_FORMATS:
        raise FeedError(f"feed {uri}: format {fmt!r} is not supported, only JSON Lines (a .jsonl file)")
    return _local_target(str(uri), OVERWRITE if options.get("overwrite") else APPEND)


def _local_target(uri: str, mode: str) -> FeedTarget:
    parts = urlsplit(uri)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme and len(parts.scheme) > 1:
        raise FeedError(f"feed {uri}: only local files are supported")
    else:
        path = Path(uri)
    if "%(" in uri:
        raise FeedError(f"feed {uri}: URI parameters are not supported")
    if path.is_dir():
        raise FeedError(f"feed {path} is a directory, not a file")
    return FeedTarget(path=path, mode=mode)


def check_writable(target: FeedTarget) -> None:
    """FeedError when the feed's folder cannot be created or written to (checked without touching the feed)."""
    parent = target.path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FeedError(f"feed {target.path}: cannot create its folder {parent}: {exc.strerror or exc}") from None
    if target.path.exists():
        if not os.access(target.path, os.W_OK):
            raise FeedError(f"feed {target.path} is not writable")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise FeedError(f"feed {target.path}: its folder {parent} is not writable")


def check_feed(target: FeedTarget, position: FeedPosition | None) -> None:
    """Refuse (FeedError) a feed this crawl must not write: see the module's docstring."""
    check_writable(target)
    path = target.path
    if position is None:
        if target.mode == NEW and path.is_file() and path.stat().st_size > 0:
            raise FeedError(f"{path} already exists: pass -O {path} to overwrite it, -o {path} to append to it, "
                            f"or another file")
        return
    found = read_position(path, position.bytes)
    if found != position:
        held = f"{found.lines} lines ending in {found.last_id!r}" if found else "no such prefix"
        raise FeedError(
            f"{path} does not match the checkpoint: it recorded {position.lines} lines ({position.bytes} bytes) "
            f"ending in {position.last_id!r}, the file holds {held}. To start over, remove the JOBDIR (and the feed)")


def read_position(path: Path, size: int) -> FeedPosition | None:
    """The position of the feed's first `size` bytes (lines, size, id of the last line); None when the file is
    shorter or those bytes do not end a line."""
    if size == 0:
        return FeedPosition()
    if not path.is_file() or path.stat().st_size < size:
        return None
    lines, tail = 0, b""
    with open(path, "rb") as fh:
        left = size
        while left:
            chunk = fh.read(min(left, 1 << 20))
            if not chunk:
                return None
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-(1 << 16):]
            left -= len(chunk)
    if not tail.endswith(b"\n"):
        return None
    return FeedPosition(lines, size, _line_id(tail[:-1].rpartition(b"\n")[2]))


def _line_id(line: bytes) -> str | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), str) else None


class FeedWriter:
    """Writes a feed page by page; opens it on the first page. See the module's docstring for the contract."""

    def __init__(self, target: FeedTarget, resume_from: FeedPosition | None = None, fsync: bool = True):
        self.target = target
        self.append = resume_from is not None or target.mode == APPEND
        self.fsync = fsync
        self.file: IO[bytes] | None = None
        self.position = resume_from or FeedPosition()
        self.truncated_bytes_dropped = 0
        self.opened = False  # the file was opened for writing: the crawl wrote (or truncated) its feed

    def _open(self) -> IO[bytes]:
        path = self.target.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.append and path.exists():
            self.truncated_bytes_dropped = repair_tail(path)
            if self.truncated_bytes_dropped:
                logger.warning("%s ended in a truncated line (%d bytes): dropped it before appending", path,
                               self.truncated_bytes_dropped)
            self.position = read_position(path, path.stat().st_size) or FeedPosition()
        elif not self.append:
            self.position = FeedPosition()
        file = open(path, "ab" if self.append else "wb")
        self.opened = True
        return file

    def write_page(self, lines: list[bytes], last_id: str | None) -> FeedPosition:
        """Writes the page's lines (each ending in a newline) and syncs them; returns where the feed now ends."""
        if self.file is None:
            self.file = self._open()
        data = b"".join(lines)
        if data:
            self.file.write(data)
        self.file.flush()
        if self.fsync:
            os.fsync(self.file.fileno())
        if lines:
            self.position = FeedPosition(self.position.lines + len(lines), self.position.bytes + len(data), last_id)
        return self.position

    def close(self) -> None:
        if self.file is not None:
            file, self.file = self.file, None
            file.close()


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


def iter_feed_records(path: Path) -> Iterator[dict]:
    """The records of the complete lines of a feed that hold a string `id`: what a resumed crawl has written. Bad
    lines are skipped here; the analysis loader reports them."""
    with open(path, "rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                yield record


def iter_feed_keys(path: Path, chunk: int = 100_000) -> Iterator[list[tuple[str, str]]]:
    """(listing kind, id) of the records of a feed, in chunks: what DedupModelsPipeline keys on."""
    keys: list[tuple[str, str]] = []
    for record in iter_feed_records(path):
        keys.append(("author" if record.get("crawl_author") else "tag", record["id"]))
        if len(keys) >= chunk:
            yield keys
            keys = []
    if keys:
        yield keys
