"""One place that decides what a page the spider could not use costs: a retry, or its stream.

Callbacks parse and raise; they do not build retries. `PageErrorMiddleware` catches what they raise:

- `ParseError` (a body cut short, not JSON): the page is asked again (RETRY_TIMES, with the back-off), then its
  stream fails;
- `LayoutError` (the Hub answered in a shape the parser does not know): asked again only HFCRAWL_LAYOUT_RETRIES
  times (a one-off error page served with status 200 passes, a real change of layout fails after a few requests);
- `StreamError` (pagination that loops, an author without models, a next page off the Hub, a repository answering
  another status than 200 or RepoNotFound): the stream fails at once;
- any other exception (KeyError, TypeError ...: a bug of the crawler, not a fault of the page): logged once, at
  ERROR with its traceback and the page's URL, counted (`hfcrawl/callback_errors`, which makes the command exit
  non-zero) and given up at once: asking again does not mend a bug, and leaving it to Scrapy would leave the page's
  stream (the repos crawl: a repository's place) waiting for an answer that never comes.

Any spider can use it: its requests carry `meta["stream"]`, the name of a stream of the ledger
(`hfcrawl.ledger`); a failed stream is recorded there and reported. Exceptions of requests without a stream are left
to Scrapy (which logs them; the command counts them too), as are Scrapy's own (`CloseSpider`, `IgnoreRequest` and
its `HttpError`).

What giving up costs is the spider's to say: a spider whose pages are not one stream's pages (the repos crawl, one
stream whose pages are repositories) defines `page_given_up(response, reason)`, called instead of failing the
stream; its outputs (items, requests) are the callback's. How often a page is asked again stays here.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response

from hfcrawl.ledger import ledger_of
from hfcrawl.middlewares import retry_later
from hfcrawl.parsing import LayoutError, ParseError

logger = logging.getLogger(__name__)

LAYOUT_TRIES = "hfcrawl_layout_retries"  # request.meta key: retries spent on an unknown layout


class StreamError(Exception):
    """The stream cannot go on (no retry will help); the message says why, for the report. A spider with
    `page_given_up` says what that ends instead (the repos crawl: one repository)."""


class PageErrorMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.layout_retries = crawler.settings.getint("HFCRAWL_LAYOUT_RETRIES", 2)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageErrorMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any] | None:
        stream = response.meta.get("stream")
        if stream is None or isinstance(exception, (CloseSpider, IgnoreRequest)):
            return None
        if isinstance(exception, StreamError):
            return self.give_up(response, str(exception))
        if not isinstance(exception, (ParseError, LayoutError)):
            return self.bug(response, exception)
        self.crawler.stats.inc_value("hfcrawl/bad_bodies")
        retry = self.retry(response, exception)
        if retry is not None:
            return [retry]
        what = "gave up on a bad body" if isinstance(exception, ParseError) else \
            "the layout changed (a result would be wrong)"
        return self.give_up(response, f"{response.url}: {what}: {exception}")

    def bug(self, response: Response, exception: Exception) -> Iterable[Any]:
        """A callback raised what no parser raises on purpose: logged with its traceback, counted, given up."""
        self.crawler.stats.inc_value("hfcrawl/callback_errors")
        what = f"{type(exception).__name__}: {exception}".rstrip(": ")
        logger.error("Bug in the crawler on %s (%s); the page is given up, not asked again", response.url, what,
                     exc_info=exception)
        return self.give_up(response, f"{response.url}: a bug in the crawler ({what}), its traceback is in the log")

    def give_up(self, response: Response, reason: str) -> Iterable[Any]:
        """The spider's `page_given_up(response, reason)` when it has one (its outputs go on as the callback's),
        else the page's stream fails in the ledger."""
        hook = getattr(self.crawler.spider, "page_given_up", None)
        if hook is not None:
            return hook(response, reason) or []
        ledger_of(self.crawler).fail(response.meta["stream"], reason)
        return []

    def retry(self, response: Response, exception: Exception) -> Any:
        request = response.request
        if isinstance(exception, ParseError):
            return retry_later(request, self.crawler, "bad body")
        # counted apart from the retries of other faults, which the same page may have had before
        tries = request.meta.get(LAYOUT_TRIES, 0)
        if tries >= self.layout_retries:
            return None
        retry = retry_later(request, self.crawler, "unexpected layout",
                            max_retry_times=request.meta.get("retry_times", 0) + 1)
        if retry is not None:
            retry.meta[LAYOUT_TRIES] = tries + 1
        return retry
