"""Extensions: progress in the log, what answers the crawl (its origin), and the crawl's record beside its feed.

The record (the crawl report) goes to `hfcrawl.provenance.record_path(feed)`, or to HFCRAWL_REPORT when that is
set, and only when the crawl wrote its feed: a run that refuses to start or fails before its first page leaves
every record as it was, byte for byte (its last log line says why).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from hfcrawl.feed import FeedError, feed_target
from hfcrawl.hub import endpoint_from_env, redact, splash_url
from hfcrawl.ledger import Ledger, ledger_of, utc_now
from hfcrawl.pipelines import FEED_WRITTEN
from hfcrawl.provenance import REPLAY_HEADER, origin, record_path

logger = logging.getLogger(__name__)


class PeriodicProgress:
    """Calls `log_progress` every HFCRAWL_PROGRESS_INTERVAL seconds (30; 0 switches the periodic lines off) and once
    at the end; a subclass says what progress is."""

    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop: AsyncioLoopingCall | LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PeriodicProgress:
        ext = cls(crawler, crawler.settings.getfloat("HFCRAWL_PROGRESS_INTERVAL", 30.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if self.interval > 0:
            # asyncio's or Twisted's, whichever runs the crawl (Scrapy 2.19 can run without a Twisted reactor)
            self.loop = create_looping_call(self.log_progress)
            self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        self.log_progress()

    def log_progress(self) -> None:
        raise NotImplementedError


class CrawlProgress(PeriodicProgress):
    """Models written per stream and overall, against the Hub's total."""

    def log_progress(self) -> None:
        ledger = ledger_of(self.crawler)
        streams = list(ledger.streams.values())
        written = sum(s.models_written for s in streams)
        totals = [s.advertised_total for s in streams]
        total = sum(totals) if streams and all(t is not None for t in totals) else None
        done = sum(s.status == "done" for s in streams)
        failed = sum(s.status == "failed" for s in streams)
        logger.info(
            "Progress: %s models written%s; streams %d done, %d failed, %d to go",
            f"{written:,}", f" of {total:,} advertised" if total else "", done, failed, len(streams) - done - failed,
        )
        active = [s for s in streams if s.status not in ("done", "pending") or s.models_written]
        parts = [
            f"{s.value}={s.models_written:,}" + (f"/{s.advertised_total:,}" if s.advertised_total is not None else "")
            + ("" if s.status != "failed" else "(failed)") + ("" if s.status != "done" else "(done)")
            for s in active
        ]
        if parts:
            logger.info("Per stream: %s", ", ".join(parts))


def describe_origin(found: dict[str, Any]) -> str:
    """One line for the log: what answered, and whether its data is synthetic."""
    where = found["endpoint"]
    return {
        "replay-hub": f"the replay hub {found['server']} at {where} (synthetic data)",
        "hub": f"the Hugging Face Hub at {where}",
        "loopback": f"a server on this machine that is not the replay hub, at {where}",
    }.get(found["kind"], f"another server (a mirror?) at {where}")


class OriginWatch:
    """What answers the crawl: `hfcrawl.provenance.origin` of the endpoint and of the REPLAY_HEADER of the first
    response that answers, logged once at INFO; a later response that disagrees (another server behind the same
    endpoint) is counted, logged once and named in the record. Splash's answers carry Splash's headers: not read."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.found: dict[str, Any] | None = None
        self.mismatches = 0
        self.first_mismatch: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OriginWatch:
        try:
            endpoint = endpoint_from_env()
        except ValueError:
            endpoint = ""  # the crawl refuses to start and says why
        ext = cls(redact(endpoint))
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def response_received(self, response: Any, request: Any, spider: Spider) -> None:
        if request.meta.get("splash"):
            return
        value = response.headers.get(REPLAY_HEADER)
        server = value.decode("latin-1").strip() if value else None
        if self.found is None:
            self.found = {**origin(self.endpoint, server), "answered": True}
            logger.info("origin: %s", describe_origin(self.found))
        elif server != self.found["server"]:
            self.mismatches += 1
            if self.first_mismatch is None:
                self.first_mismatch = f"{response.url}: {REPLAY_HEADER} {server or 'absent'}"
                logger.warning("origin: %s answered unlike the first response (%s %s): the feed may mix servers",
                               self.first_mismatch, REPLAY_HEADER, self.found["server"] or "absent")

    def record(self) -> dict[str, Any]:
        """The record's `origin`: `answered` false when no response came (then from the endpoint alone)."""
        found = self.found or {**origin(self.endpoint, None), "answered": False}
        return {**found, "mismatched_responses": self.mismatches, "first_mismatch": self.first_mismatch}


def code_errors(stats: dict[str, Any]) -> int:
    """Exceptions of the crawler's own code (bugs, not faults of the Hub): on a stream's page, given up by
    `hfcrawl.spidermiddlewares.PageErrorMiddleware`, or anywhere else Scrapy caught one (a callback of a page
    without a stream, an errback, the spider's start). Any makes the crawl incomplete: its result may be wrong."""
    return stats.get("hfcrawl/callback_errors", 0) + stats.get("spider_exceptions/count", 0)


class CrawlReport:
    """The crawl's record, written when the spider closes if the crawl wrote its feed (see the module's
    docstring); logs the incomplete streams and counts them for the command's last line."""

    def __init__(self, crawler: Crawler, path: Path | None):
        self.crawler = crawler
        self.path = path
        self.started = utc_now()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        ext = cls(crawler, record_target(crawler.settings))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started = utc_now()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        ledger = ledger_of(self.crawler)
        stats = self.crawler.stats
        incomplete = ledger.incomplete()
        fatal = stats.get_value("hfcrawl/fatal")
        stats.set_value("hfcrawl/incomplete_streams", len(incomplete))
        for name, why in incomplete.items():
            logger.error("Incomplete: %s: %s", name, why)
        if incomplete:
            name, why = next(iter(incomplete.items()))
            stats.set_value("hfcrawl/first_incomplete", f"{name}: {why}")
        if self.path is None or not stats.get_value(FEED_WRITTEN):
            logger.debug("No feed written: no crawl record written, every existing one left as it was")
            return
        report = self.build(ledger, reason, incomplete, fatal)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # the feed is written; a record that cannot be is said, not a crash
            logger.error("Cannot write the crawl record %s: %s", self.path, exc.strerror or exc)
            return
        state = "complete" if report["complete"] else f"FAILED: {fatal}" if fatal else "INCOMPLETE"
        logger.info("Crawl record written to %s (%s, %d incomplete streams)", self.path, state, len(incomplete))

    def build(self, ledger: Ledger, reason: str, incomplete: dict[str, str], fatal: Any) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats()
        per_stream = {
            name: {
                "kind": s.kind,
                "value": s.value,
                "status": s.status,
                "models_written": s.models_written,
                "models_listed": s.models_listed,
                "pages_fetched": s.pages,
                "advertised_total": s.advertised_total,
                "next_page": s.next_page,
                "error": s.error,
            }
            for name, s in ledger.streams.items()
        }
        return {
            "endpoint": ledger.endpoint,
            "source": ledger.source,
            "rendered_with_splash": bool(splash_url(self.crawler.settings)) and ledger.source == "html",
            "asked": ledger.asked,
            "feed": str(feed.resolve()) if (feed := _feed_path(self.crawler)) else None,  # absolute: find_record
            "origin": watch.record() if (watch := self.crawler.get_extension(OriginWatch)) else None,
            "start": self.started,
            "end": utc_now(),
            "finish_reason": reason,
            "complete": not incomplete and not fatal and reason == "finished" and not code_errors(stats),
            "fatal_error": fatal,
            "code_errors": code_errors(stats),
            "incomplete_streams": incomplete,
            "resumed": ledger.resumed,
            "resumed_from": ledger.resumed_from,
            "run": ledger.runs,
            "models_written": sum(s.models_written for s in ledger.streams.values()),
            "models_written_this_run": stats.get("hfcrawl/models_written", 0),
            "pages_fetched_this_run": stats.get("hfcrawl/pages", 0),
            "requests_this_run": stats.get("downloader/request_count", 0),
            "invalid_models_dropped": stats.get("hfcrawl/invalid_models", 0),
            "invalid_fields_nulled": {k.rpartition("/")[2]: v for k, v in stats.items()
                                      if k.startswith("hfcrawl/invalid_fields/")},
            "duplicates_dropped": stats.get("hfcrawl/duplicates", 0),
            "retries": stats.get("retry/count", 0),
            "retries_by_reason": {k.split("/", 2)[2]: v for k, v in stats.items()
                                  if k.startswith("retry/reason_count/")},
            "http_429": stats.get("hfcrawl/429", 0),
            "wait_seconds_429": stats.get("hfcrawl/429_wait_seconds", 0),
            "wait_seconds_rate_limit": stats.get("hfcrawl/wait_seconds", 0),
            "wait_seconds_backoff": stats.get("hfcrawl/backoff_seconds", 0),
            "wait_seconds_budget": stats.get("hfcrawl/budget_wait_seconds", 0),
            "refused_off_hub": stats.get("hfcrawl/refused_off_hub", 0),
            "streams": per_stream,
            # a spider may add its own section (the repos crawl: repositories done, carried over, not found)
            **(getattr(self.crawler.spider, "report_fields", dict)()),
        }


def record_target(settings: Any) -> Path | None:
    """Where the crawl's record goes: HFCRAWL_REPORT when set, else beside the feed (`record_path`)."""
    if settings.get("HFCRAWL_REPORT"):
        return Path(str(settings.get("HFCRAWL_REPORT")))
    try:
        return record_path(feed_target(settings).path)
    except FeedError:
        return None


def _feed_path(crawler: Crawler) -> Path | None:
    try:
        return feed_target(crawler.settings).path
    except FeedError:
        return None
