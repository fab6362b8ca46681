"""Item pipelines: clean, dedup, write. Each takes a whole page of models (`ModelPage`) in one go.

Working per page instead of per model is what makes the crawl fast (Scrapy's per-item path costs about 60 us;
239k models would spend 15 s there alone), while the feed and the stats still count models.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from hfcrawl.feed import FeedError, FeedWriter, feed_target, iter_feed_keys
from hfcrawl.items import ModelPage
from hfcrawl.ledger import ledger_of
from hfcrawl.seen import SeenHashes, id_hashes

logger = logging.getLogger(__name__)

FEED_WRITTEN = "hfcrawl/feed_written"  # the stat that says the feed was opened for writing (see CrawlReport)

# A Hub repo id: "owner/name" or a legacy one-part "name". Letters, digits, "-", "_", "."; a part does not start
# with "-" or "." nor end with "." and holds no ".." (so no part can be a path step); at most 96 characters a part.
# Legacy names may start with "_" (huggingtweets/_rdo, Jackay/__ are real).
_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?"
_ID_RE = re.compile(rf"(?:{_PART}/)?{_PART}")
_HEX = "0123456789abcdef"  # a git commit id, as the Hub gives `sha`: 40 of these
# A date as the Hub writes it (ISO-8601, `2022-03-02T23:29:04.000Z`); anything else is nulled and counted.
_DATE_RE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
                      r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def is_valid_id(model_id: str) -> bool:
    return bool(_ID_RE.fullmatch(model_id)) and ".." not in model_id


def _clean_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    try:
        number = int(str(value).strip().replace(",", ""))
    except ValueError:
        return None
    return number if number >= 0 else None


def _clean_tags(value: Any) -> list[str] | None:
    if value.__class__ is list:
        try:
            joined = "\n".join(value)  # C-speed check that every tag is a string
        except TypeError:
            pass
        else:
            # the common case, checked with C-speed scans: no whitespace but the separators, no empty tag
            if (" " not in joined and "\t" not in joined and "\n\n" not in joined and joined[:1] != "\n"
                    and joined[-1:] != "\n" and (joined or not value)):
                return value
    if not isinstance(value, list):
        return None
    return [t.strip() for t in value if isinstance(t, str) and t.strip()]


def invalid_id_reason(model_id: str | None) -> str | None:
    """Why an id is not a Hub model id, or None when it is one."""
    if not model_id:
        return "empty id"
    if model_id != model_id.strip():
        return "white space around it"
    if model_id.startswith("/") or model_id.endswith("/"):
        return "a '/' at an end"
    if model_id.count("/") > 1:
        return "more than one '/'"
    if not is_valid_id(model_id):
        return "characters or shape a Hub repo id cannot have"
    return None


class CleanModelsPipeline:
    """Trims and normalises every model of a page; drops invalid ids with a counted stat and a log line."""

    def __init__(self, stats: StatsCollector):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanModelsPipeline:
        return cls(crawler.stats)

    def process_item(self, page: ModelPage) -> ModelPage:
        kind, _, value = page.stream.partition(":")
        crawl_tag = value if kind == "tag" else None
        crawl_author = value if kind == "author" else None
        source, crawled_at = page.source, page.crawled_at
        constants = {"crawl_tag": crawl_tag, "crawl_author": crawl_author, "source": source, "crawled_at": crawled_at}
        id_ok, clean_int, clean_tags = _ID_RE.fullmatch, _clean_int, _clean_tags
        date_ok = _DATE_RE.fullmatch
        cleaned = []
        # Records come from hfcrawl.parsing with every feed key already in place: fill them in, in place. This loop
        # runs once per model of the crawl, so it is unrolled: a string is stripped, a count must be an int >= 0.
        for record in page.models:
            model_id = record["id"]
            if model_id.__class__ is not str or not id_ok(model_id) or ".." in model_id:
                reason = invalid_id_reason(model_id if model_id.__class__ is str else None)
                if reason:
                    self.stats.inc_value("hfcrawl/invalid_models")
                    logger.warning("Dropped model %r listed on %s: %s", record["id"], page.url, reason)
                    continue
            owner, _, name = model_id.rpartition("/")
            record["author"] = owner or None
            record["name"] = name
            value = record["pipeline_tag"]
            if value is not None:
                record["pipeline_tag"] = ((value.strip() or None) if value.__class__ is str
                                          else self.bad_field("pipeline_tag", value))
            value = record["library_name"]
            if value is not None:
                record["library_name"] = ((value.strip() or None) if value.__class__ is str
                                          else self.bad_field("library_name", value))
            value = record["created_at"]
            if value is not None and (value.__class__ is not str or not date_ok(value)):
                record["created_at"] = self.bad_field("created_at", value)
            value = record["last_modified"]
            if value is not None and (value.__class__ is not str or not date_ok(value)):
                record["last_modified"] = self.bad_field("last_modified", value)
            value = record["downloads"]
            if value is not None and (value.__class__ is not int or value < 0):
                record["downloads"] = clean_int(value)
            value = record["likes"]
            if value is not None and (value.__class__ is not int or value < 0):
                record["likes"] = clean_int(value)
            value = record["tags"]
            if value is not None:
                record["tags"] = clean_tags(value)
            value = record["sha"]
            # 40 characters, all lowercase hex: what strip() leaves of it is empty (a C scan, unlike a regex)
            if value is not None and (value.__class__ is not str or len(value) != 40 or value.strip(_HEX)):
                record["sha"] = self.bad_field("sha", value)
            record.update(constants)
            cleaned.append(record)
        page.listed = len(page.models)
        page.models = cleaned
        return page

    def bad_field(self, key: str, value: Any) -> None:
        """A field the Hub sent in a type or shape it does not have: written as null, counted per field."""
        self.stats.inc_value(f"hfcrawl/invalid_fields/{key}")
        logger.debug("Nulled %s=%r: not a %s", key, value, "date" if key in _DATE_FIELDS else "string")
        return None


_TEXT_FIELDS = ("pipeline_tag", "library_name")
_DATE_FIELDS = ("created_at", "last_modified")


class DedupModelsPipeline:
    """Each model once per crawl and kind of listing: once under a task tag, once under an organisation.

    A model has one task, so among tag streams this is "once per crawl, by id"; a crawl of tags and authors together
    also keeps the author stream's line, which says the model belongs to that organisation (the study's company
    lists overlap its task lists). Duplicates are counted (`hfcrawl/duplicates`) and logged at DEBUG.
    Keys are kept as 64-bit hashes in `SeenHashes` (8 bytes a model); a resumed crawl first reads the feed's keys.
    """

    def __init__(self, stats: StatsCollector, crawler: Crawler):
        self.stats = stats
        self.crawler = crawler
        self.seen = SeenHashes()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupModelsPipeline:
        return cls(crawler.stats, crawler)

    def open_spider(self) -> None:
        ledger = ledger_of(self.crawler)
        try:
            target = feed_target(self.crawler.settings)
        except FeedError:
            return  # the spider refuses to start
        if ledger.resumed and ledger.feed is not None and target.path.is_file():
            for chunk in iter_feed_keys(target.path):
                self.seen.add_all(map(hash, chunk))
            logger.info("Resuming: %d models already in %s will not be written again", len(self.seen), target.path)

    def process_item(self, page: ModelPage) -> ModelPage:
        models = page.models
        if not models:
            return page
        kind = page.stream.partition(":")[0]
        new = self.seen.add_new(id_hashes(((kind, record["id"]) for record in models), len(models)))
        if not new.all():
            duplicates = [record["id"] for record, keep in zip(models, new) if not keep]
            self.stats.inc_value("hfcrawl/duplicates", len(duplicates))
            logger.debug("Duplicate models on %s: %s", page.url, duplicates)
            page.models = [record for record, keep in zip(models, new) if keep]
        return page


class JsonLinesFeedPipeline:
    """Writes one JSON line per model to the feed named by FEEDS (so `-O`/`-o file.jsonl` work), then checkpoints.

    Scrapy's FeedExporter is switched off: it would write a page as one line, it opens (and truncates) its file
    when the spider opens, and it cannot tell the checkpoint when a page is safely on disk. Here the file is opened
    on the first page (`hfcrawl.feed.FeedWriter`), and a page's lines are flushed (and, with a JOBDIR, fsynced)
    before the ledger moves its stream on, so a crash can at worst repeat the page in flight, never lose one.
    A write that fails (a full disk) stops the crawl at once, and the report says why.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.ledger = ledger_of(crawler)
        self.fsync = crawler.settings.getbool("HFCRAWL_FSYNC", self.ledger.path is not None)
        self.writer: FeedWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesFeedPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        try:
            target = feed_target(self.crawler.settings)
        except FeedError:
            return  # the spider refuses to start, and says why
        resume_from = self.ledger.feed if self.ledger.resumed else None
        if resume_from is not None and target.overwrite:
            logger.info("Resuming a crawl: appending to %s instead of overwriting it", target.path)
        self.writer = FeedWriter(target, resume_from=resume_from, fsync=self.fsync)

    def close_spider(self) -> None:
        if self.writer is not None:
            if self.writer.opened:  # the crawl's record is written beside a feed only when the feed was
                self.stats.set_value(FEED_WRITTEN, True)
            self.writer.close()

    def process_item(self, page: ModelPage) -> ModelPage:
        if self.writer is None or self.stats.get_value("hfcrawl/fatal"):
            return page  # the crawl is stopping: nothing more is written, the stream does not move on
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        lines = [dumps(record, option=newline) for record in page.models]
        try:
            position = self.writer.write_page(lines, page.models[-1]["id"] if page.models else None)
        except OSError as exc:
            self.stop(f"cannot write the feed {self.writer.target.path}: {exc.strerror or exc}")
            return page
        if self.writer.truncated_bytes_dropped:
            self.stats.set_value("hfcrawl/feed_truncated_bytes_dropped", self.writer.truncated_bytes_dropped)
        written = len(lines)
        self.stats.inc_value("hfcrawl/models_written", written)
        self.stats.inc_value("hfcrawl/pages")
        self.ledger.page_written(page.stream, page.next_page, page.listed, written, page.advertised_total, position)
        return page

    def stop(self, why: str) -> None:
        """The feed cannot be written: stop fetching at once; the report and the exit status say why."""
        logger.error("Stopping the crawl: %s", why)
        self.stats.set_value("hfcrawl/fatal", why)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="feed_error"))
