"""Item pipelines: clean, dedup, write. Each takes a whole page of models (`ModelPage`) in one go.

Working per page instead of per model is what makes the crawl fast (Scrapy's per-item path costs about 60 us;
239k models would spend 15 s there alone), while the feed and the stats still count models.
"""
from __future__ import annotations

import logging
import re
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np
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


# The date's shape for a whole column at once: one regex call a page instead of one a model (fullmatch on the dates
# joined by "\n", which the pattern cannot match, so the joined string splits back into them).
_DATES_RE = re.compile(rf"{_DATE_RE.pattern}(?:\n{_DATE_RE.pattern})*")
_STR_OR_NONE = frozenset({str, type(None)})
_INT_OR_NONE = frozenset({int, type(None)})
_LIST_OR_NONE = frozenset({list, type(None)})
_HUB_DATE = "0000-00-00T00:00:00.000Z"  # how the Hub writes every date: 0 stands for a digit
_HUB_DATE_BYTES = np.frombuffer(_HUB_DATE.encode("ascii"), np.uint8)
_DATE_DIGITS = np.flatnonzero(_HUB_DATE_BYTES == ord("0"))
_DATE_MARKS = np.flatnonzero(_HUB_DATE_BYTES != ord("0"))
_DATE_LOW, _DATE_HIGH = np.array([1, 1, 0, 0, 0]), np.array([12, 31, 23, 59, 59])
_ID_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/\n"
#: The fields cleaning checks, in the order `_columns_clean` takes them.
_CHECKED = ("id", "pipeline_tag", "library_name", "created_at", "last_modified", "downloads", "likes", "tags", "sha")
_checked_fields = itemgetter(*_CHECKED)
_ID_OF = itemgetter("id")


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


def _texts_clean(column: tuple) -> bool:
    """Strings or None, no string empty or padded with white space: what `strip() or None` leaves unchanged.
    A page holds a handful of distinct values: each is checked once."""
    try:
        values = set(column)
    except TypeError:  # a list or a dict where a string should be
        return False
    return all(v is None or (v.__class__ is str and v and v.strip() == v) for v in values)


def _dates_clean(column: tuple) -> bool:
    """None or a date as the Hub writes it, each: the Hub's own shape (`2022-03-02T23:29:04.000Z`) checked for the
    whole column at once with NumPy, any other shape with one regex call for the column."""
    if not set(map(type, column)) <= _STR_OR_NONE or "" in column:
        return False
    dates = list(filter(None, column))
    if not dates:
        return True
    joined = "".join(dates)
    if joined.isascii() and len(joined) == len(_HUB_DATE) * len(dates) and set(map(len, dates)) == {len(_HUB_DATE)}:
        return _hub_dates_clean(np.frombuffer(joined.encode("ascii"), np.uint8).reshape(len(dates), len(_HUB_DATE)))
    joined = "\n".join(dates)
    return joined.count("\n") == len(dates) - 1 and _DATES_RE.fullmatch(joined) is not None


def _hub_dates_clean(dates: np.ndarray) -> bool:
    """Rows of `YYYY-MM-DDTHH:MM:SS.mmmZ` bytes: digits where `_HUB_DATE` has 0, its other bytes as they are, and a
    month, day, hour, minute and second `_DATE_RE` accepts (01-12, 01-31, 00-23, 00-59, 00-59)."""
    digits = dates[:, _DATE_DIGITS] - np.uint8(48)  # a byte below "0" wraps round to a large number
    if not ((digits < 10).all() and (dates[:, _DATE_MARKS] == _HUB_DATE_BYTES[_DATE_MARKS]).all()):
        return False
    two = digits[:, 4:14].astype(np.int16).reshape(len(dates), 5, 2)  # month, day, hour, minute, second
    value = two[:, :, 0] * 10 + two[:, :, 1]
    return bool(((value >= _DATE_LOW) & (value <= _DATE_HIGH)).all())


def _counts_clean(column: tuple) -> bool:
    """None or an int >= 0, each (bool is not an int here: the slow path nulls it)."""
    types = set(map(type, column))
    if not types <= _INT_OR_NONE:
        return False
    counts = [v for v in column if v is not None] if type(None) in types else column
    return not counts or min(counts) >= 0


def _tags_clean(column: tuple) -> bool:
    """None or a list of non-empty strings without white space at their ends, for every record: what
    `_clean_tags` returns as it is (or as an equal list). Its own C-speed scans first, on all the tags of the page
    joined by "\n"; when they find a space (a tag may hold one inside), each distinct tag of the page is checked."""
    if not set(map(type, column)) <= _LIST_OR_NONE:
        return False
    lists = list(filter(None, column))
    try:
        joined = "\n".join(map("\n".join, lists))  # each list joined first: twice as fast as chaining the lists
    except TypeError:  # a tag that is not a string
        return False
    if (" " not in joined and "\t" not in joined and "\n\n" not in joined and joined[:1] != "\n"
            and joined[-1:] != "\n" and (bool(joined) or not lists)):
        return True
    return all(tag and tag.strip() == tag for tag in set(chain.from_iterable(lists)))


def _shas_clean(column: tuple) -> bool:
    """None or 40 lowercase hex digits, each (deleting the hex digits of their ASCII bytes leaves nothing)."""
    if not set(map(type, column)) <= _STR_OR_NONE or "" in column:
        return False
    shas = list(filter(None, column))
    joined = "".join(shas)
    return (set(map(len, shas)) <= {40} and joined.isascii()
            and not joined.encode("ascii").translate(None, _HEX.encode("ascii")))


def _ids_clean(ids: tuple) -> bool:
    """Every id a valid Hub repo id (`is_valid_id`), for the page at once: its ids joined by "\n" as ASCII bytes, no
    byte an id cannot hold, and (NumPy, on the positions of the separators "\n" and "/") 1 to 96 characters a
    part, none starting with "-" or ".", none ending with ".", no "..", at most one "/" an id. A non-ASCII id is
    invalid: the per-model path says why."""
    if set(map(type, ids)) != {str}:
        return False
    joined = "\n".join(ids)
    if not joined.isascii():
        return False
    data = joined.encode("ascii")
    if data.translate(None, _ID_BYTES):
        return False
    codes = np.frombuffer(data, np.uint8)
    separators = np.flatnonzero((codes == 10) | (codes == 47))
    kinds = codes[separators]
    lengths = np.diff(separators, prepend=-1, append=len(codes)) - 1  # of the parts, in order
    if (kinds == 10).sum() != len(ids) - 1 or lengths.min() < 1 or lengths.max() > 96:
        return False
    firsts = codes[np.concatenate(([0], separators + 1))]
    lasts = codes[np.concatenate((separators - 1, [len(codes) - 1]))]
    return not (((firsts == 45) | (firsts == 46)).any() or (lasts == 46).any()
                or ((codes[1:] == 46) & (codes[:-1] == 46)).any() or ((kinds[1:] == 47) & (kinds[:-1] == 47)).any())


def _columns_clean(models: list[dict[str, Any]]) -> bool:
    """Whether cleaning would change no checked field of any record of the page: then only the fields it fills in
    (author, name, the stream's constants) need writing. Checked column by column with C-speed calls, since a
    per-model loop of checks was most of the crawl's cleaning time; any doubt answers False (the per-model path)."""
    try:
        columns = list(zip(*map(_checked_fields, models)))
    except (KeyError, TypeError):
        return False
    ids, pipeline_tags, libraries, created, modified, downloads, likes, tags, shas = columns
    return (_ids_clean(ids) and _texts_clean(pipeline_tags) and _texts_clean(libraries) and _dates_clean(created)
            and _dates_clean(modified) and _counts_clean(downloads) and _counts_clean(likes) and _tags_clean(tags)
            and _shas_clean(shas))


def _fill_in(models: list[dict[str, Any]], crawl_tag: str | None, crawl_author: str | None, source: str,
             crawled_at: str) -> None:
    """What cleaning fills in on records it need not change: author and name from the id, the stream's fields."""
    for record in models:
        owner, _, name = record["id"].rpartition("/")
        record["author"] = owner or None
        record["name"] = name
        record["crawl_tag"] = crawl_tag
        record["crawl_author"] = crawl_author
        record["source"] = source
        record["crawled_at"] = crawled_at


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
        constants = {"crawl_tag": value if kind == "tag" else None, "crawl_author": value if kind == "author" else None,
                     "source": page.source, "crawled_at": page.crawled_at}
        page.listed = len(page.models)
        if page.models and _columns_clean(page.models):
            _fill_in(page.models, **constants)
        else:
            page.models = self.clean_each(page, constants)
        return page

    def clean_each(self, page: ModelPage, constants: dict[str, Any]) -> list[dict[str, Any]]:
        """The page's records cleaned one by one, the invalid ones dropped (counted, logged): for a page that
        `_columns_clean` doubts."""
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
        return cleaned

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
        new = self.seen.add_new(id_hashes(zip(repeat(kind), map(_ID_OF, models)), len(models)))
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
