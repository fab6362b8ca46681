"""Progress of the repos crawl in the log: repositories done, calls used, the Hub's quota window, time left."""
from __future__ import annotations

import logging
import math
import time

from scrapy import Spider
from scrapy.crawler import Crawler

from hfcrawl.extensions import PeriodicProgress

logger = logging.getLogger(__name__)


def eta_seconds(left: int, done: int, elapsed: float, calls: int, quota: dict[str, int] | None) -> float | None:
    """Seconds left: at the pace so far, and no faster than the quota lets the remaining calls go."""
    if left <= 0:
        return 0.0
    if done <= 0 or elapsed <= 0:
        return None
    pace = left * elapsed / done
    if quota and quota.get("quota") and quota.get("window"):
        calls_left = left * calls / done
        pace = max(pace, calls_left * quota["window"] / quota["quota"])
    return pace


def _duration(seconds: float | None) -> str:
    """Rounded up: a crawl with anything left never shows 0m00s."""
    if seconds is None:
        return "unknown"
    seconds = max(1, math.ceil(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class RepoProgress(PeriodicProgress):
    """Repositories done, calls used, the quota window and the time left (see PeriodicProgress for when)."""

    def __init__(self, crawler: Crawler, interval: float):
        super().__init__(crawler, interval)
        self.started = time.monotonic()

    def spider_opened(self, spider: Spider) -> None:
        """The pace is measured from the spider's start, not from the extension's."""
        self.started = time.monotonic()
        super().spider_opened(spider)

    def log_progress(self) -> None:
        spider = self.crawler.spider
        counts = getattr(spider, "counts", None)
        if counts is None:
            return
        done = counts["ok"] + counts["not_found"] + counts["carried_over"]
        requested = counts["ok"] + counts["not_found"]
        calls = self.crawler.stats.get_value("downloader/request_count", 0)
        quota = spider.quota
        window = (f"quota window: {quota['remaining']:,} of {quota.get('quota', 0):,} calls left, resets in "
                  f"{quota.get('reset', 0)} s" if quota else "quota window: not announced")
        left = counts["to_do"] - done - counts["failed"]
        eta = eta_seconds(left, requested, time.monotonic() - self.started, calls, quota)
        logger.info("Repositories: %s of %s done (%s carried over, %s not found, %s failed); %s calls used (%s a "
                    "repository); %s; %s",
                    f"{done:,}", f"{counts['to_do']:,}", f"{counts['carried_over']:,}", f"{counts['not_found']:,}",
                    f"{counts['failed']:,}", f"{calls:,}", f"{calls / requested:.2f}" if requested else "-", window,
                    "no repository left" if left <= 0 else "time left unknown" if eta is None
                    else f"about {_duration(eta)} left")
