"""Item pipelines: clean, dedup, write. Each takes a whole page of models (`ModelPage`) in one go.

Working per page instead of per model is what makes the crawl fast (Scrapy's per-item path costs about 60 us;
239k models would spend 15 s there alone), while the feed and the stats still count models.
"""
from __future__ import annotations

import logging
import os
import re
from typing import Any

import orjson
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from hfcrawl.feed import FeedTarget, feed_target, iter_feed_keys, repair_tail
from hfcrawl.items import ModelPage
from hfcrawl.ledger import Ledger
from hfcrawl.seen import SeenHashes, id_hashes

logger = logging.getLogger(__name__)

# A Hub repo id: "owner/name" or a legacy one-part "name". Letters, digits, "-", "_", "."; a part does not start
# with "-" or "." nor end with "." and holds no ".." (so no part can be a path step); at most 96 characters a part.
# Legacy names may start with "_" (huggingtweets/_rdo, Jackay/__ are real).
_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?"
_ID_RE = re.compile(rf"^(?:{_PART}/)?{_PART}$")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")  # a git commit id, as the Hub gives `sha`


def is_valid_id(model_id: str) -> bool:
    return bool(_ID_RE.match(model_id)) and ".." not in model_id


def _clean_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


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
        id_ok, clean_str, clean_int, clean_tags = _ID_RE.match, _clean_str, _clean_int, _clean_tags
        sha_ok = _SHA_RE.match
        cleaned = []
        # Records come from hfcrawl.parsing with every feed key already in place: fill them in, in place. This loop
        # runs once per model of the crawl, so it is unrolled: a string is stripped, a count must be an int >= 0.
        for record in page.models:
            model_id = record["id"]
            if model_id.__class__ is not str or not id_ok(model_id) or ".." in model_id:
                model_id = clean_str(model_id)
                model_id = model_id.strip("/") if model_id else model_id
                reason = invalid_id_reason(model_id)
                if reason:
                    self.stats.inc_value("hfcrawl/invalid_models")
                    logger.warning("Dropped model %r listed on %s: %s", record["id"], page.url, reason)
                    continue
                record["id"] = model_id
            owner, _, name = model_id.rpartition("/")
            record["author"] = owner or None
            record["name"] = name
            value = record["pipeline_tag"]
            if value is not None:
                record["pipeline_tag"] = (value.strip() or None) if value.__class__ is str else clean_str(value)
            value = record["created_at"]
            if value is not None:
                record["created_at"] = (value.strip() or None) if value.__class__ is str else clean_str(value)
            value = record["last_modified"]
            if value is not None:
                record["last_modified"] = (value.strip() or None) if value.__class__ is str else clean_str(value)
            value = record["library_name"]
            if value is not None:
                record["library_name"] = (value.strip() or None) if value.__class__ is str else clean_str(value)
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
            if value is not None and (value.__class__ is not str or not sha_ok(value)):
                record["sha"] = None
            record.update(constants)
            cleaned.append(record)
        page.listed = len(page.models)
        page.models = cleaned
        return page


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
        ledger = Ledger.for_crawler(self.crawler)
        target = feed_target(self.crawler.settings)
        if ledger.resumed and target.path.exists():
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

    Scrapy's FeedExporter is switched off: it would write a page as one line, and it cannot tell the checkpoint
    when a page is safely on disk. Here a page's lines are flushed (and, with a JOBDIR, fsynced) before the ledger
    moves its stream on, so a crash can at worst repeat the page in flight, never lose one.
    """

    def __init__(self, crawler: Crawler, target: FeedTarget):
        self.crawler = crawler
        self.stats = crawler.stats
        self.target = target
        self.ledger = Ledger.for_crawler(crawler)
        self.fsync = crawler.settings.getbool("HFCRAWL_FSYNC", self.ledger.path is not None)
        self.file = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesFeedPipeline:
        try:
            target = feed_target(crawler.settings)
        except ValueError as exc:
            logger.error("Cannot write the feed: %s", exc)
            raise
        return cls(crawler, target)

    def open_spider(self) -> None:
        path = self.target.path
        path.parent.mkdir(parents=True, exist_ok=True)
        append = self.ledger.resumed or not self.target.overwrite
        if self.ledger.resumed and self.target.overwrite:
            logger.info("Resuming a crawl: appending to %s instead of overwriting it", path)
        if append and path.exists():
            dropped = repair_tail(path)
            if dropped:
                self.stats.set_value("hfcrawl/feed_truncated_bytes_dropped", dropped)
                logger.warning("%s ended in a truncated line (%d bytes): dropped it before appending", path, dropped)
        self.file = open(path, "ab" if append else "wb")

    def close_spider(self) -> None:
        if self.file is not None:
            self._flush()
            self.file.close()

    def _flush(self) -> None:
        self.file.flush()
        if self.fsync:
            os.fsync(self.file.fileno())

    def process_item(self, page: ModelPage) -> ModelPage:
        if page.models:
            dumps = orjson.dumps
            newline = orjson.OPT_APPEND_NEWLINE
            self.file.write(b"".join([dumps(record, option=newline) for record in page.models]))
        self._flush()
        written = len(page.models)
        self.stats.inc_value("hfcrawl/models_written", written)
        self.stats.inc_value("hfcrawl/pages")
        self.ledger.page_written(page.stream, page.next_page, page.listed, written, page.advertised_total)
        return page

