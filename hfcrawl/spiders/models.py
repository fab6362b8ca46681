"""The `models` spider: decides what to fetch next, nothing else.

One stream per task tag (`tag:<tag>`) or organisation (`author:<name>`); each stream walks its pages in order
(API: the `Link` next URL as given; HTML: `p=0, 1, ...` until `numTotalItems`). Parsing lives in
`hfcrawl.parsing`, cleaning/dedup/writing in the pipelines, where a stream stands in the ledger. A callback that
cannot use its page raises (a parse error, or `StreamError`); `hfcrawl.spidermiddlewares.PageErrorMiddleware`
turns that into a retry of the page or a failed stream.
"""
from __future__ import annotations

import difflib
import logging
from collections.abc import AsyncIterator, Iterator
from operator import itemgetter
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from hfcrawl import hub
from hfcrawl.feed import FeedError, check_feed, feed_target
from hfcrawl.items import ModelPage
from hfcrawl.ledger import CheckpointMismatch, StreamState, utc_now
from hfcrawl.middlewares import crawl_stopping
from hfcrawl.parsing import (
    LayoutError,
    ParseError,
    next_link,
    parse_api_models,
    parse_html_listing,
    parse_pipeline_tags,
)
from hfcrawl.seen import SeenHashes, id_hashes
from hfcrawl.spidermiddlewares import StreamError
from hfcrawl.spiders.base import HubSpider, failure_reason, splash_settings

logger = logging.getLogger(__name__)
_ID_OF = itemgetter("id")


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return list(dict.fromkeys(items))


def argument_error(tags: list[str] | None, authors: list[str] | None, source: str, page_size: str | int) -> str | None:
    """Why the spider's arguments cannot make a crawl, in one line; None when they can."""
    if source not in ("api", "html"):
        return f"source={source!r}: use source=api or source=html"
    try:
        size = int(page_size)
    except (TypeError, ValueError):
        return f"page_size={page_size!r}: not a whole number (the Hub serves 1 to 1000 models a page)"
    if not 1 <= size <= 1000:
        return f"page_size={page_size}: the Hub serves 1 to 1000 models a page"
    for name, values in (("tags", tags), ("authors", authors)):
        if values == []:
            return f"{name}= names nothing to crawl: give at least one {name[:-1]}, or leave the argument out"
    bad = [v for v in (tags or []) + (authors or []) if not hub.is_valid_name(v)]
    if bad:
        return f"not a tag or author name: {', '.join(map(repr, bad))}"
    return None


class ModelsSpider(HubSpider):
    """Every Hub model of the asked task tags (default: all the Hub lists) and/or organisations.

    Arguments (`-a name=value`): `tags=a,b`, `authors=x,y`, `source=api|html`, `page_size=1000` (API only).
    """

    name = "models"

    def __init__(self, tags: str | None = None, authors: str | None = None, source: str = "api",
                 page_size: str | int = 1000, **kwargs: Any):
        super().__init__(**kwargs)
        self.tags = _split(tags)
        self.authors = _split(authors)
        self.source = str(source).strip().lower()
        self.arg_error = argument_error(self.tags, self.authors, self.source, page_size)
        self.page_size = 1000 if self.arg_error else int(page_size)
        self.listed: dict[str, SeenHashes] = {}  # per stream, the models its pages listed: a page of repeats ends it
        self.cursors: dict[str, set[str]] = {}  # per stream, the API pages asked: a cursor seen again ends it

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Without Scrapy's cookie middleware: the listings read no cookie. It is taken out of the base list, as
        None in DOWNLOADER_MIDDLEWARES would still import it (Scrapy imports every key there), and with it
        tldextract and requests, a few hundredths of a second of every start. Splash's components only with a Splash
        URL: this spider is the one that renders pages."""
        super().update_settings(settings)
        splash_settings(settings)
        base = dict(settings.getdict("DOWNLOADER_MIDDLEWARES_BASE"))
        base.pop("scrapy.downloadermiddlewares.cookies.CookiesMiddleware", None)
        settings.set("DOWNLOADER_MIDDLEWARES_BASE", base, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ModelsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        try:
            spider.endpoint = hub.endpoint_from_env()
        except ValueError as exc:
            spider.endpoint, spider.arg_error = "", spider.arg_error or str(exc)
        spider.splash_url = hub.splash_url(settings)
        spider.splash_wait = settings.getfloat("HFCRAWL_SPLASH_WAIT", 1.0)
        spider.html_path = settings.get("HFCRAWL_HTML_PATH", "/models")
        return spider

    # ----------------------------------------------------------------------------------------------------- start

    def accepts(self, stream: str) -> bool:
        """Whether a stream of a checkpoint is one this crawl's arguments ask for."""
        kind, _, value = stream.partition(":")
        if kind == "author":
            return value in (self.authors or [])
        return kind == "tag" and (value in self.tags if self.tags is not None else self.authors is None)

    def preflight(self) -> str | None:
        """Everything that can be checked before a request, in order; the first problem, or None."""
        if self.arg_error:
            return self.arg_error
        asked = {"tags": self.tags, "authors": self.authors}
        try:
            self.ledger.bind(self.source, self.endpoint, asked, self.accepts)
            if self.ledger.resumed and self.ledger.feed is None and any(
                    s.models_written for s in self.ledger.streams.values()):
                return (f"the checkpoint {self.ledger.path} records no feed position (an older hfcrawl wrote it): "
                        f"remove the JOBDIR to start over")
            check_feed(feed_target(self.crawler.settings), self.ledger.feed if self.ledger.resumed else None)
        except (CheckpointMismatch, FeedError) as exc:
            return str(exc)
        return None

    async def start(self) -> AsyncIterator[Any]:
        problem = self.preflight()
        if problem:
            self.fatal(problem)
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
        self.fatal(f"cannot fetch the Hub's task tags from {failure.request.url}: {failure_reason(failure)}")

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
        meta = {"stream": stream, "page": page}
        if self.source == "api":
            self.cursors.setdefault(stream, set()).add(str(next_page))
            return scrapy.Request(str(next_page), callback=self.parse_api, errback=self.page_failed,
                                  meta=meta, dont_filter=True)
        kind, _, value = stream.partition(":")
        url = hub.html_listing_url(self.endpoint, page, path=self.html_path, **{kind: value})
        if self.splash_url:
            from scrapy_splash import SlotPolicy, SplashRequest

            # Scrapy's own slots (see SPLASH_SLOT_POLICY in settings): scrapy-splash's default per-domain policy
            # calls a Downloader method Scrapy 2.19 no longer has.
            return SplashRequest(url, callback=self.parse_html, errback=self.page_failed, meta=meta,
                                 endpoint="render.html", args={"wait": self.splash_wait}, dont_filter=True,
                                 slot_policy=SlotPolicy.SCRAPY_DEFAULT)
        return scrapy.Request(url, callback=self.parse_html, errback=self.page_failed, meta=meta, dont_filter=True)

    def resume_request(self, state: StreamState) -> scrapy.Request:
        """The next page of a stream; from its first page when the checkpoint holds none (never the URL None)."""
        if self.source == "html":
            return self.page_request(state.name, int(state.next_page or 0), int(state.next_page or 0))
        next_page = state.next_page or self.first_api_url(state.kind, state.value)
        return self.page_request(state.name, next_page, state.pages)

    # ---------------------------------------------------------------------------------------------------- parsing

    def parse_api(self, response: Response) -> Iterator[Any]:
        stream = response.meta["stream"]
        records = parse_api_models(response.body)
        self.check_progress(response, records)
        next_url = next_link(response.headers.get(b"Link"))
        if next_url and hub.origin(next_url) != hub.origin(self.endpoint):
            self.crawler.stats.inc_value("hfcrawl/refused_off_hub")
            # the page is good; a resume starts again from it, the last page whose next link could be followed
            yield from self.emit(response, records, response.url, None)
            raise StreamError(f"{response.url}: refused the next page {next_url}: not the Hub ({self.endpoint})")
        if next_url and next_url in self.cursors.get(stream, ()):
            yield from self.emit(response, records, response.url, None)
            raise StreamError(f"{response.url}: its next page {next_url} was read already: the Hub's pages loop")
        yield from self.emit(response, records, next_url, None)
        if next_url:
            yield self.page_request(stream, next_url, response.meta["page"] + 1)

    def parse_html(self, response: Response) -> Iterator[Any]:
        stream, page = response.meta["stream"], response.meta["page"]
        records, total = parse_html_listing(response.body, base_url=self.endpoint)
        if total is not None and not records and page * hub.HTML_PAGE_SIZE < total:
            raise StreamError(f"{response.url}: page {page} holds no model, yet the Hub advertises {total}: "
                              f"the listing's layout may have changed")
        self.check_progress(response, records)
        more = bool(records) and (total is None or (page + 1) * hub.HTML_PAGE_SIZE < total)
        yield from self.emit(response, records, page + 1 if more else None, total)
        if more:
            yield self.page_request(stream, page + 1, page + 1)

    def check_progress(self, response: Response, records: list[dict]) -> None:
        """StreamError when a page lists only models its stream listed already: pagination that goes round in
        circles (the dedup pipeline would hide the repeats and the crawl would never end)."""
        if not records:
            return
        seen = self.listed.setdefault(response.meta["stream"], SeenHashes())
        if not seen.add_new(id_hashes(map(_ID_OF, records), len(records))).any():
            raise StreamError(f"{response.url}: page {response.meta['page']} lists no model this stream had not "
                              f"listed already: the Hub's pages repeat")

    def emit(self, response: Response, records: list[dict], next_page: str | int | None,
             total: int | None) -> Iterator[ModelPage]:
        stream = response.meta["stream"]
        if not records and response.meta["page"] == 0 and stream.startswith("author:"):
            raise StreamError(f"{response.url}: no model listed for this author (unknown author or organisation?)")
        yield ModelPage(stream=stream, page=response.meta["page"], url=response.url, models=records,
                        next_page=next_page, advertised_total=total, source=self.source, crawled_at=utc_now())

    # ------------------------------------------------------------------------------------------------- failures

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        if crawl_stopping(failure):
            return  # the stream stays where its checkpoint says, to resume from there
        reason = failure_reason(failure)
        where = request.meta.get("splash", {}).get("args", {}).get("url", request.url)
        if self.splash_url and request.meta.get("splash"):
            reason += f" (rendering through Splash at {self.splash_url})"
        self.ledger.fail(request.meta["stream"], f"{where}: {reason}")

