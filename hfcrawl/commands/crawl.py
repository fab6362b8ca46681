"""`scrapy crawl`, checking its inputs first and exiting non-zero when the crawl is not complete.

Scrapy's own command exits 0 whatever happened to the requests; a crawl whose feed misses pages (a stream failed,
a tag fell short of its advertised total, the run was interrupted, the crawler's own code raised: a bug) must say
so to the shell that ran it, and its last line says why. Inputs that would otherwise stop the crawl with a
traceback (HF_ENDPOINT, the HFCRAWL_* numbers, the feed, the JOBDIR) are checked before anything starts: one line,
exit 1, no file touched.
These checks hold for every spider of the project.

At the default log level (INFO) the start-up dumps (versions, settings, components) and the stats dump are left out,
so that the first lines of a crawl say what it does, and a refused run's reason comes within its first lines; at
DEBUG (`-L DEBUG`) they are all there.
"""
from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.settings import BaseSettings

from hfcrawl.extensions import code_errors
from hfcrawl.feed import FeedError, check_writable, feed_target
from hfcrawl.hub import endpoint_from_env

logger = logging.getLogger(__name__)

#: Settings that must be numbers, with the smallest value each may take.
NUMERIC_SETTINGS: dict[str, tuple[type, float]] = {
    "HFCRAWL_REQUEST_BUDGET": (int, 0), "HFCRAWL_BUDGET_WINDOW": (float, 0.001), "HFCRAWL_MAX_WAIT": (float, 0),
    "HFCRAWL_BACKOFF_BASE": (float, 0), "HFCRAWL_BACKOFF_MAX": (float, 0), "HFCRAWL_MAX_429_RETRIES": (int, 0),
    "HFCRAWL_LAYOUT_RETRIES": (int, 0), "HFCRAWL_UNREACHABLE_RETRIES": (int, 0), "HFCRAWL_DEFAULT_429_WAIT": (float, 0),
    "HFCRAWL_PROGRESS_INTERVAL": (float, 0), "HFCRAWL_SPLASH_WAIT": (float, 0), "RETRY_TIMES": (int, 0),
    "DOWNLOAD_TIMEOUT": (float, 0.001),
}


def input_problem(settings: BaseSettings) -> str | None:
    """The first input that cannot make a crawl, as one line; None when all can."""
    try:
        endpoint_from_env()
    except ValueError as exc:
        return str(exc)
    for name, (kind, least) in NUMERIC_SETTINGS.items():
        value = settings.get(name)
        try:
            number = kind(value)
        except (TypeError, ValueError):
            return f"-s {name}={value!r}: not a number"
        if not number >= least or number != number or number in (float("inf"),):
            return f"-s {name}={value!r}: must be a number of at least {least:g}"
    try:
        check_writable(feed_target(settings))
    except FeedError as exc:
        return str(exc)
    for name in ("JOBDIR", "HFCRAWL_REPORT"):
        problem = _folder_problem(settings.get(name), is_folder=name == "JOBDIR")
        if problem:
            return f"-s {name}={settings.get(name)}: {problem}"
    return None


def _folder_problem(value: Any, is_folder: bool) -> str | None:
    """Why the folder `value` (or the folder of the file `value`) cannot be written, or None."""
    if not value:
        return None
    path = Path(str(value))
    folder = path if is_folder else path.parent
    if is_folder and path.exists() and not path.is_dir():
        return "is a file, not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write in {folder}: {exc.strerror or exc}"
    if not is_folder and path.is_dir():
        return "is a folder, not a file"
    return None


#: (logger, start of the message) of Scrapy's start-up dumps, left out above DEBUG.
STARTUP_DUMPS = (("scrapy.crawler", "Overridden settings"), ("scrapy.middleware", "Enabled "),
                 ("scrapy.addons", "Enabled addons"),
                 # once per scheme (http, https) on every crawl without a reactor: said in docs/repos-crawl.md
                 ("scrapy.core.downloader.handlers._base_streaming", "AiohttpDownloadHandler is experimental"))


class _Drop(logging.Filter):
    def __init__(self, start: str):
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.start)


def scrapy_loggers_at(settings: BaseSettings) -> None:
    """Scrapy's loggers at LOG_LEVEL (its logging set-up puts them at DEBUG, the handler filtering): a DEBUG line
    per request ("Crawled (200) ...", "Scraped from ...") would otherwise be made into a record on every
    response, then dropped. Called once the crawler process has set up logging."""
    level = logging.getLevelName(str(settings.get("LOG_LEVEL", "INFO")).upper())
    if isinstance(level, int) and level > logging.DEBUG:
        logging.getLogger("scrapy").setLevel(level)


def quiet_logs(settings: BaseSettings) -> None:
    """Above DEBUG: no versions, settings, components or stats dump (a user's own -s STATS_DUMP still wins)."""
    level = logging.getLevelName(str(settings.get("LOG_LEVEL", "INFO")).upper())
    if isinstance(level, int) and level <= logging.DEBUG:
        return
    settings.set("STATS_DUMP", False, priority="project")
    settings.set("LOG_VERSIONS", [], priority="project")
    for name, start in STARTUP_DUMPS:
        log = logging.getLogger(name)
        if not any(isinstance(f, _Drop) and f.start == start for f in log.filters):
            log.addFilter(_Drop(start))


def choose_transport(settings: BaseSettings, spider: str | None) -> None:
    """Plain asyncio (Scrapy's reactorless mode) for the spiders of HFCRAWL_ASYNCIO_SPIDERS; it must be chosen
    here, before Scrapy makes the crawler process, which installs a Twisted reactor or not. A -s
    TWISTED_REACTOR_ENABLED given by the user wins."""
    if spider in settings.getlist("HFCRAWL_ASYNCIO_SPIDERS"):
        settings.set("TWISTED_REACTOR_ENABLED", False, priority="project")


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        quiet_logs(self.settings)
        choose_transport(self.settings, args[0] if args else None)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        problem = input_problem(self.settings)
        if problem:
            logger.error("Cannot start the crawl: %s", problem)
            self.exitcode = 1
            return
        scrapy_loggers_at(self.settings)
        super().run(args, opts)
        if self.exitcode:
            return
        for crawler in getattr(self, "crawlers", []):
            why = why_incomplete(crawler.stats.get_stats(), bool(self.settings.get("JOBDIR")))
            if why:
                self.exitcode = 1
                logger.error("Crawl failed: %s", why)
            else:
                written = crawler.stats.get_value("hfcrawl/models_written", 0)
                unit = getattr(crawler.spidercls, "unit", "models")
                logger.info("Crawl complete: %s %s written this run", f"{written:,}", unit)

    def _create_crawler(self, spidercls: Any):
        crawler = super()._create_crawler(spidercls)
        self.crawlers = getattr(self, "crawlers", [])
        self.crawlers.append(crawler)
        return crawler

    def _warn_if_feeds_unused(self, sender: Any, **kwargs: Any) -> None:
        """FEEDS is written by hfcrawl.pipelines.JsonLinesFeedPipeline, not Scrapy's FeedExporter."""


def why_incomplete(stats: dict[str, Any], resumable: bool) -> str | None:
    """Why a crawl is not complete, from its stats, in one line; None when it is complete."""
    if stats.get("hfcrawl/fatal"):
        return str(stats["hfcrawl/fatal"])
    problems = []  # a bug first, then a stop (which leaves streams unfinished), then the streams
    if code_errors(stats):
        problems.append(f"{code_errors(stats)} error(s) in the crawler's own code (a bug, not the Hub; the "
                        f"traceback is in the log)")
    if stats.get("finish_reason") != "finished":
        problems.append(f"the crawl was stopped ({stats.get('finish_reason')}); " + (
            "run the same command again to resume it" if resumable else "a -s JOBDIR=... lets a crawl resume"))
    if stats.get("hfcrawl/incomplete_streams"):
        first = stats.get("hfcrawl/first_incomplete", "")
        problems.append(f"{stats['hfcrawl/incomplete_streams']} stream(s) incomplete"
                        + (f", first {first}" if first else ""))
    return "; ".join(problems) or None
