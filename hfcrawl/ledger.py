"""The crawl's ledger: one state per stream (a tag or an author), and its checkpoint on disk.

Scrapy's JOBDIR alone cannot resume this crawl: a cursor URL is only known from the previous page, start requests
re-run, in-flight requests are lost. So each stream's next page (cursor URL or page number) is recorded here and,
with a JOBDIR, written atomically to `<JOBDIR>/hfcrawl-checkpoint.json` once the page's models are on disk (the feed
writer calls `page_written` after it flushed them). A resumed crawl starts every unfinished stream from there.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir

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

    # ---------------------------------------------------------------------------------------------------- per crawler

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> Ledger:
        """The ledger of this crawl, made on first use and shared by the spider, pipelines and extensions."""
        ledger = getattr(crawler, "_hfcrawl_ledger", None)
        if ledger is None:
            jobdir = job_dir(crawler.settings)
            ledger = cls(path=Path(jobdir) / CHECKPOINT_NAME if jobdir else None)
            ledger._load()
            crawler._hfcrawl_ledger = ledger  # type: ignore[attr-defined]
        return ledger

    # ------------------------------------------------------------------------------------------------------- streams

    def add_stream(self, kind: str, value: str, first_page: str | int) -> StreamState:
        state = StreamState(kind=kind, value=value, next_page=first_page)
        self.streams[state.name] = state
        return state

    def unfinished(self) -> list[StreamState]:
        return [s for s in self.streams.values() if s.status != "done"]

    def page_written(
        self, stream: str, next_page: str | int | None, listed: int, written: int, advertised_total: int | None
    ) -> None:
        """A page's models are in the feed: move the stream on, and checkpoint."""
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

    def bind(self, source: str, endpoint: str, asked: dict[str, list[str] | None]) -> None:
        """Record what this crawl is; refuse to resume a checkpoint of another crawl."""
        if self.resumed and (self.source, self.endpoint, self.asked) != (source, endpoint, asked):
            raise CheckpointMismatch(
                f"{self.path} holds a crawl of source={self.source} endpoint={self.endpoint} asked={self.asked}, "
                f"not source={source} endpoint={endpoint} asked={asked}: use another JOBDIR or remove it"
            )
        self.source, self.endpoint, self.asked = source, endpoint, asked

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != CHECKPOINT_VERSION:
                raise ValueError(f"unknown checkpoint version {data.get('version')!r}")
            self.source = data["source"]
            self.endpoint = data["endpoint"]
            self.asked = data["asked"]
            self.streams = {name: StreamState(**state) for name, state in data["streams"].items()}
            self.runs = int(data.get("runs", 1)) + 1
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointMismatch(f"cannot read the checkpoint {self.path}: {exc}") from None
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
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
