"""The `models` spider: decides what to fetch next, nothing else.

One stream per task tag (`tag:<tag>`) or organisation (`author:<name>`); each stream walks its pages in order
(API: the `Link` next URL as given; HTML: `p=0, 1, ...` until `numTotalItems`). Parsing lives in
`hfcrawl.parsing`, cleaning/dedup/writing in the pipelines, where a stream stands in the ledger.
"""
from __future__ import annotations

import difflib
import logging
import os
from typing import Any, AsyncIterator, Iterator

import scrapy
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from hfcrawl import hub
from hfcrawl.items import ModelPage
from hfcrawl.ledger import CheckpointMismatch, Ledger, StreamState, utc_now
from hfcrawl.middlewares import with_backoff
from hfcrawl.parsing import LayoutError, ParseError, next_link, parse_api_models, parse_html_listing, parse_pipeline_tags

logger = logging.getLogger(__name__)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return list(dict.fromkeys(items))


class ModelsSpider(scrapy.Spider):
    """Every Hub model of the asked task tags (default: all the Hub lists) and/or organisations.

    Arguments (`-a name=value`): `tags=a,b`, `authors=x,y`, `source=api|html`, `page_size=1000` (API only).
    """

    name = "models"

    def __init__(
        self,
        tags: str | None = None,
        authors: str | None = None,
        source: str = "api",
        page_size: str | int = 1000,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.tags = _split(tags)
        self.authors = _split(authors)
        self.source = source.strip().lower()
        self.page_size = int(page_size)
        self.arg_error = None
        if self.source not in ("api", "html"):
            self.arg_error = f"source={source!r}: use source=api or source=html"
        elif not 1 <= self.page_size <= 1000:
            self.arg_error = f"page_size={page_size}: the Hub serves 1 to 1000 models a page"
        else:
            bad = [v for v in (self.tags or []) + (self.authors or []) if not hub.is_valid_name(v)]
            if bad:
                self.arg_error = f"not a tag or author name: {', '.join(map(repr, bad))}"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ModelsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.ledger = Ledger.for_crawler(crawler)
        spider.endpoint = hub.endpoint_from_env()
        spider.splash_url = crawler.settings.get("SPLASH_URL") or os.environ.get("SPLASH_URL") or None
        spider.splash_wait = crawler.settings.getfloat("HFCRAWL_SPLASH_WAIT", 1.0)
        spider.html_path = crawler.settings.get("HFCRAWL_HTML_PATH", "/models")
        return spider

    # ----------------------------------------------------------------------------------------------------- start

    def fatal(self, message: str) -> None:
        """A problem with what was asked: nothing is crawled, the command exits non-zero."""
        logger.error(message)
        self.crawler.stats.set_value("hfcrawl/fatal", message)

    async def start(self) -> AsyncIterator[Any]:
        if self.arg_error:
            self.fatal(self.arg_error)
            return
        try:
            self.ledger.bind(self.source, self.endpoint, {"tags": self.tags, "authors": self.authors})
        except CheckpointMismatch as exc:
            self.fatal(str(exc))
            return
        if self.ledger.resumed:
            info = self.ledger.resumed_from or {}
            logger.info(
                "Resuming from %s: %d of %d streams done, %d models written so far",
                info.get("checkpoint"), info.get("streams_done"), info.get("streams_total"), info.get("models_written"),
            )
            for state in self.ledger.unfinished():
                yield self.resume_request(state)
            return
        rendering = f", rendered by Splash at {self.splash_url}" if self.splash_url and self.source == "html" else ""
        logger.info("Crawling %s (source=%s%s)", self.endpoint, self.source, rendering)
        if self.tags is None and self.authors is not None:
            for request in self.open_streams([], self.authors):
                yield request
        else:
            yield scrapy.Request(hub.tags_url(self.endpoint), callback=self.parse_tags, errback=self.tags_failed,
                                 dont_filter=True)

    def parse_tags(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            known = parse_pipeline_tags(response.body)
        except (ParseError, LayoutError) as exc:
            self.fatal(f"cannot read the Hub's task tags from {response.url}: {exc}")
            return
        self.crawler.stats.set_value("hfcrawl/tags_known", len(known))
        if self.tags is None:
            tags = known
        else:
            unknown = [t for t in self.tags if t not in known]
            if unknown:
                hints = []
                for tag in unknown:
                    close = difflib.get_close_matches(tag, known, n=3)
                    hints.append(f"{tag!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
                self.fatal(f"unknown task tag(s) on {self.endpoint}: {'; '.join(hints)}. "
                           f"Known tags: {', '.join(known)}")
                return
            tags = self.tags
        yield from self.open_streams(tags, self.authors or [])

    def tags_failed(self, failure: Failure) -> None:
        self.fatal(f"cannot fetch the Hub's task tags from {failure.request.url}: {failure.getErrorMessage()}")

    def open_streams(self, tags: list[str], authors: list[str]) -> Iterator[scrapy.Request]:
        for kind, values in (("tag", tags), ("author", authors)):
            for value in values:
                first = 0 if self.source == "html" else self.first_api_url(kind, value)
                yield self.resume_request(self.ledger.add_stream(kind, value, first))
        self.ledger.save()

    # --------------------------------------------------------------------------------------------------- requests

    def first_api_url(self, kind: str, value: str) -> str:
        return hub.api_listing_url(self.endpoint, limit=self.page_size, **{kind if kind == "tag" else "author": value})

    def page_request(self, stream: str, next_page: str | int, page: int) -> scrapy.Request:
        """The request for page `page` of a stream: `next_page` is the API's next URL or the HTML page number."""
        state = self.ledger.streams[stream]
        state.status = "running"
        meta = {"stream": stream, "page": page}
        if self.source == "api":
            return scrapy.Request(str(next_page), callback=self.parse_api, errback=self.page_failed,
                                  meta=meta, dont_filter=True)
        url = hub.html_listing_url(self.endpoint, page, path=self.html_path, **{state.kind: state.value})
        if self.splash_url:
            from scrapy_splash import SlotPolicy, SplashRequest

            # Scrapy's own slots (see SPLASH_SLOT_POLICY in settings): scrapy-splash's default per-domain policy
            # calls a Downloader method Scrapy 2.19 no longer has.
            return SplashRequest(url, callback=self.parse_html, errback=self.page_failed, meta=meta,
                                 endpoint="render.html", args={"wait": self.splash_wait}, dont_filter=True,
                                 slot_policy=SlotPolicy.SCRAPY_DEFAULT)
        return scrapy.Request(url, callback=self.parse_html, errback=self.page_failed, meta=meta, dont_filter=True)

    def resume_request(self, state: StreamState) -> scrapy.Request:
        page = int(state.next_page or 0) if self.source == "html" else state.pages
        return self.page_request(state.name, state.next_page, page)

    # ---------------------------------------------------------------------------------------------------- parsing

    def read(self, response: Response, parse: Any, layout_message: str) -> tuple[Any, list[scrapy.Request]]:
        """`parse(response.body)`, or None and what to do instead: retry the page, or nothing (its stream failed)."""
        try:
            return parse(response.body), []
        except ParseError as exc:
            return None, list(self.retry_or_fail(response, exc))
        except LayoutError as exc:
            return None, list(self.retry_or_fail(response, exc, layout=True, message=layout_message))

    def parse_api(self, response: Response) -> Iterator[Any]:
        stream = response.meta["stream"]
        records, retry = self.read(response, parse_api_models,
                                   "the API answered in a shape that would make the feed wrong")
        if records is None:
            yield from retry
            return
        next_url = next_link(response.headers.get(b"Link"))
        refused = None
        if next_url and hub.origin(next_url) != hub.origin(self.endpoint):
            refused = next_url
            next_url = None
        yield from self.emit(response, records, next_url, None)
        if refused:
            self.crawler.stats.inc_value("hfcrawl/refused_off_hub")
            self.fail(stream, f"{response.url}: refused the next page {refused}: not the Hub ({self.endpoint})")
        elif next_url:
            yield self.page_request(stream, next_url, response.meta["page"] + 1)

    def parse_html(self, response: Response) -> Iterator[Any]:
        stream, page = response.meta["stream"], response.meta["page"]
        listing, retry = self.read(response, parse_html_listing, "the listing's layout changed, no model could be read")
        if listing is None:
            yield from retry
            return
        records, total = listing
        if total is not None and not records and page * hub.HTML_PAGE_SIZE < total:
            self.fail(stream, f"{response.url}: page {page} holds no model, yet the Hub advertises {total}: "
                              f"the listing's layout may have changed")
            return
        more = bool(records) and (total is None or (page + 1) * hub.HTML_PAGE_SIZE < total)
        yield from self.emit(response, records, page + 1 if more else None, total)
        if more:
            yield self.page_request(stream, page + 1, page + 1)

    def emit(self, response: Response, records: list[dict], next_page: str | int | None,
             total: int | None) -> Iterator[ModelPage]:
        stream = response.meta["stream"]
        if not records and response.meta["page"] == 0 and stream.startswith("author:"):
            self.fail(stream, f"{response.url}: no model listed for this author (unknown author or organisation?)")
            return
        yield ModelPage(stream=stream, page=response.meta["page"], url=response.url, models=records,
                        next_page=next_page, advertised_total=total, source=self.source, crawled_at=utc_now())

    # ------------------------------------------------------------------------------------------------- failures

    def retry_or_fail(self, response: Response, exc: Exception, layout: bool = False,
                      message: str = "gave up on a bad body") -> Iterator[scrapy.Request]:
        """Retry a page whose body could not be read; fail its stream loudly once retries are spent.

        A body in an unknown shape (`layout`) is retried only HFCRAWL_LAYOUT_RETRIES times: a one-off error page
        served with status 200 passes, a real change of layout fails after a few requests.
        """
        self.crawler.stats.inc_value("hfcrawl/bad_bodies")
        request = response.request
        if layout:
            # counted apart from the retries of other faults, which the same page may have had before
            tries = request.meta.get("hfcrawl_layout_retries", 0)
            allowed = tries < self.crawler.settings.getint("HFCRAWL_LAYOUT_RETRIES", 2)
            retry = get_retry_request(request, spider=self, reason="unexpected layout",
                                      max_retry_times=request.meta.get("retry_times", 0) + 1) if allowed else None
            if retry is not None:
                retry.meta["hfcrawl_layout_retries"] = tries + 1
        else:
            retry = get_retry_request(request, spider=self, reason="bad body")
        if retry is not None:
            yield with_backoff(retry, self.crawler)
        else:
            self.fail(response.meta["stream"], f"{response.url}: {message}: {exc}")

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        else:
            reason = failure.getErrorMessage() or failure.type.__name__
        where = request.meta.get("splash", {}).get("args", {}).get("url", request.url)
        if self.splash_url and request.meta.get("splash"):
            reason += f" (rendering through Splash at {self.splash_url})"
        self.fail(request.meta["stream"], f"{where}: {reason}")

    def fail(self, stream: str, message: str) -> None:
        logger.error("Stream %s is incomplete: %s", stream, message)
        self.crawler.stats.inc_value("hfcrawl/streams_failed")
        self.ledger.fail(stream, message)
