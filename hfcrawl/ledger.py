"""The crawl's ledger: one state per stream (a tag or an author), and its checkpoint on disk.

Scrapy's JOBDIR alone cannot resume this crawl: a cursor URL is only known from the previous page, start requests
re-run, in-flight requests are lost. So each stream's next page (cursor URL or page number) is recorded here and,
with a JOBDIR, written atomically to `<JOBDIR>/hfcrawl-checkpoint.json` once the page's models are on disk (the feed
writer calls `page_written` after it flushed them, with where the feed now ends). A resumed crawl starts every
unfinished stream from there, once the feed has been checked against that position.

The ledger is an extension (`EXTENSIONS`), found with `ledger_of(crawler)`; it knows streams, not models, so any
spider can keep its streams in it. What a spider does with it:
`bind(source, endpoint, asked, accepts)` once before its first request (refuses another crawl's checkpoint),
`add_stream(kind, value, first_page)` then `save()`, `unfinished()` on resume, `fail(stream, why)`; the feed
pipeline calls `page_written(...)`; the report reads `streams`, `incomplete()` and `resumed_from`.
A checkpoint that cannot be read does not raise here: `problem` says why, and the spider refuses to start.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from scrapy.crawler import Crawler

from hfcrawl.feed import FeedPosition

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "hfcrawl-checkpoint.json"
CHECKPOINT_VERSION = 1


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class StreamState:
    """Where one stream stands. `next_page` is a URL (API) or a page number (HTML); None once done."""

    kind: str  # "tag" or "author"
    value: str
    next_page: str | int | None = None
    pages: int = 0
    models_listed: int = 0  # models the Hub listed on the pages fetched
    models_written: int = 0  # of those, written to the feed (after cleaning and dedup)
    advertised_total: int | None = None
    status: str = "pending"  # pending, running, done, failed
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.value}"


class CheckpointMismatch(RuntimeError):
    """The JOBDIR holds another crawl (other source, endpoint or streams)."""


@dataclass
class Ledger:
    source: str = "api"
    endpoint: str = ""
    asked: dict[str, list[str] | None] = field(default_factory=dict)
    streams: dict[str, StreamState] = field(default_factory=dict)
    path: Path | None = None
    resumed: bool = False
    resumed_from: dict[str, Any] | None = None
    runs: int = 1
    feed: FeedPosition | None = None  # where the feed ended after the last page written
    problem: str | None = None  # why the checkpoint cannot be resumed (the spider refuses to start)
    stats: Any = None  # the crawl's stats collector: failed streams are counted there

    # ---------------------------------------------------------------------------------------------------- per crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Ledger:
        """The ledger of this crawl, loaded from `<JOBDIR>/hfcrawl-checkpoint.json` when there is one."""
        jobdir = crawler.settings.get("JOBDIR")
        ledger = cls(path=Path(jobdir) / CHECKPOINT_NAME if jobdir else None, stats=crawler.stats)
        try:
            ledger._load()
        except CheckpointMismatch as exc:
            ledger.problem = str(exc)
        return ledger

    # ------------------------------------------------------------------------------------------------------- streams

    def add_stream(self, kind: str, value: str, first_page: str | int) -> StreamState:
        state = StreamState(kind=kind, value=value, next_page=first_page)
        self.streams[state.name] = state
        return state

    def unfinished(self) -> list[StreamState]:
        return [s for s in self.streams.values() if s.status != "done"]

    def page_written(
        self, stream: str, next_page: str | int | None, listed: int, written: int, advertised_total: int | None,
        feed: FeedPosition | None = None,
    ) -> None:
        """A page's models are in the feed (which now ends at `feed`): move the stream on, and checkpoint."""
        if feed is not None:
            self.feed = feed
        state = self.streams[stream]
        state.pages += 1
        state.models_listed += listed
        state.models_written += written
        if advertised_total is not None:
            state.advertised_total = advertised_total
        state.next_page = next_page
        if state.status != "failed":
            state.status = "done" if next_page is None else "running"
        self.save()

    def fail(self, stream: str, error: str) -> None:
        """The stream cannot go on: logged, counted (`hfcrawl/streams_failed`), reported; resumed from its last page."""
        logger.error("Stream %s is incomplete: %s", stream, error)
        if self.stats is not None:
            self.stats.inc_value("hfcrawl/streams_failed")
        state = self.streams[stream]
        state.status = "failed"
        state.error = error
        self.save()

    def incomplete(self) -> dict[str, str]:
        """Streams that did not finish or fell short of the total the Hub advertised, with why."""
        out = {}
        for name, s in self.streams.items():
            if s.status == "failed":
                out[name] = s.error or "failed"
            elif s.status != "done":
                out[name] = f"not finished (next page: {s.next_page})"
            elif s.advertised_total is not None and s.models_listed < s.advertised_total:
                out[name] = f"listed {s.models_listed} models of the {s.advertised_total} the Hub advertised"
        return out

    # ---------------------------------------------------------------------------------------------------- checkpoint

    def bind(self, source: str, endpoint: str, asked: dict[str, list[str] | None],
             accepts: Callable[[str], bool] = lambda stream: True) -> None:
        """Record what this crawl is; refuse to resume a checkpoint of another crawl, or one holding a stream that
        `accepts` (the spider's test of a stream name against its arguments) refuses. Lists in `asked` are sets:
        the same tags in another order are the same crawl."""
        asked = _normalised(asked)
        if self.problem:
            raise CheckpointMismatch(self.problem)
        if self.resumed and (self.source, self.endpoint, _normalised(self.asked)) != (source, endpoint, asked):
            raise CheckpointMismatch(
                f"{self.path} holds a crawl of source={self.source} endpoint={self.endpoint} asked={self.asked}, "
                f"not source={source} endpoint={endpoint} asked={asked}: use another JOBDIR or remove it"
            )
        strays = [name for name in self.streams if not accepts(name)]
        if strays:
            raise CheckpointMismatch(f"{self.path} holds stream(s) this crawl did not ask for: {', '.join(strays)}: "
                                     f"use another JOBDIR, or remove this one to start over")
        self.source, self.endpoint, self.asked = source, endpoint, asked

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"a JSON {type(data).__name__}, not an object")
            if data.get("version") != CHECKPOINT_VERSION:
                raise ValueError(f"unknown checkpoint version {data.get('version')!r}")
            self.source, self.endpoint = _typed(data, "source", str), _typed(data, "endpoint", str)
            self.asked = _typed(data, "asked", dict)
            self.streams = {name: _stream_state(name, state) for name, state in _typed(data, "streams", dict).items()}
            self.runs = int(data.get("runs", 1)) + 1
            self.feed = FeedPosition.from_json(data.get("feed"))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CheckpointMismatch(f"the checkpoint {self.path} is unreadable ({str(exc)[:200]}): remove it (or the "
                                     f"whole JOBDIR) to start over") from None
        self.resumed = True
        self.resumed_from = {
            "checkpoint": str(self.path),
            "saved_at": data.get("saved_at"),
            "run": self.runs,
            "streams_done": sum(s.status == "done" for s in self.streams.values()),
            "streams_total": len(self.streams),
            "models_written": sum(s.models_written for s in self.streams.values()),
            "next_pages": {name: s.next_page for name, s in self.streams.items() if s.status != "done"},
        }
        for state in self.streams.values():  # a failed stream gets another chance from where it stopped
            if state.status == "failed":
                state.status, state.error = "running", None

    def save(self) -> None:
        """Write the checkpoint atomically (temp file, fsync, rename): a crash leaves the old one or the new one."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": CHECKPOINT_VERSION,
            "saved_at": utc_now(),
            "runs": self.runs,
            "source": self.source,
            "endpoint": self.endpoint,
            "asked": self.asked,
            "streams": {name: asdict(s) for name, s in self.streams.items()},
            "feed": asdict(self.feed) if self.feed else None,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


def ledger_of(crawler: Crawler) -> Ledger:
    """The crawl's ledger extension (enabled in EXTENSIONS); available once the extensions are built."""
    ledger = crawler.get_extension(Ledger)
    if ledger is None:
        raise RuntimeError("hfcrawl.ledger.Ledger is not enabled in EXTENSIONS")
    return ledger


def _normalised(asked: dict[str, list[str] | None]) -> dict[str, list[str] | None]:
    return {key: sorted(values) if isinstance(values, list) else values for key, values in asked.items()}


def _typed(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data[key]
    if not isinstance(value, kind):
        raise TypeError(f"{key!r} is a {type(value).__name__}, not a {kind.__name__}")
    return value


_STATE_TYPES: dict[str, tuple[type, ...]] = {
    "kind": (str,), "value": (str,), "next_page": (str, int, type(None)), "pages": (int,), "models_listed": (int,),
    "models_written": (int,), "advertised_total": (int, type(None)), "status": (str,), "error": (str, type(None)),
}


def _stream_state(name: str, state: Any) -> StreamState:
    """A stream's state from the checkpoint, every field of the right type, or TypeError."""
    if not isinstance(state, dict) or set(state) - set(_STATE_TYPES):
        raise TypeError(f"stream {name!r} is not a stream state")
    for key, value in state.items():
        if not isinstance(value, _STATE_TYPES[key]) or (isinstance(value, bool) and int in _STATE_TYPES[key]):
            raise TypeError(f"stream {name!r}: {key} is a {type(value).__name__}")
    stream = StreamState(**state)
    if stream.name != name or stream.status not in ("pending", "running", "done", "failed"):
        raise TypeError(f"stream {name!r} does not describe itself")
    return stream
