"""The middlewares' decisions, without a server or a real clock: how long the Hub asks to wait, the cap, the budget,
the back-off, 429s counted apart from other retries, and what a page the spider could not use costs."""
from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from hfcrawl.ledger import ledger_of
from hfcrawl.middlewares import (
    NOT_BEFORE,
    TRIES_429,
    BackoffRetryMiddleware,
    CrawlStopping,
    HubRateLimitMiddleware,
    Pacer,
    WaitTooLong,
    backoff_delay,
    crawl_stopping,
    rate_limit_wait,
    retry_after_seconds,
)
from hfcrawl.parsing import LayoutError, ParseError
from hfcrawl.spidermiddlewares import PageErrorMiddleware, StreamError

NOW = 1_800_000_000.0


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _crawler(**settings):
    crawler = get_crawler(Spider, {"HFCRAWL_DEFAULT_429_WAIT": 10, "HFCRAWL_MAX_WAIT": 360, **settings})
    crawler.spider = Spider.from_crawler(crawler, name="test")
    return crawler


def _response(status: int, url: str = "https://hub.test/api/models", **headers: str) -> Response:
    return Response(url, status=status, headers=headers, request=Request(url))


@pytest.mark.parametrize("value", ["-5", "0", "nan", "inf", "-inf", "1e309", "soon", "", formatdate(NOW - 60)])
def test_a_retry_after_that_is_not_a_positive_finite_wait_is_not_used(value):
    assert retry_after_seconds(value, NOW) is None


def test_a_retry_after_in_seconds_or_as_a_future_date_is_used():
    assert retry_after_seconds(" 30 ", NOW) == 30
    assert retry_after_seconds(formatdate(NOW + 120, usegmt=True), NOW) == pytest.approx(120)


def test_the_ratelimit_header_asks_for_a_wait_only_when_spent_or_on_a_429():
    spent = {b"RateLimit": b'"api";r=0;t=42'}
    assert rate_limit_wait(200, spent, NOW) == (42.0, "RateLimit t=42")
    assert rate_limit_wait(200, {b"RateLimit": b'"api";r=7;t=42'}, NOW) is None
    assert rate_limit_wait(429, {b"RateLimit": b'"api";r=7;t=42'}, NOW)[0] == 42.0
    assert rate_limit_wait(429, {b"Retry-After": b"nan"}, NOW) is None
    assert rate_limit_wait(200, {b"Retry-After": b"30"}, NOW) is None  # only a 429 or a 503 asks with it


def test_a_429_without_a_usable_wait_pauses_the_hub_for_the_default_wait():
    clock = FakeClock()
    mw = HubRateLimitMiddleware(_crawler(), clock=clock)
    retry = mw.process_response(Request("https://hub.test/p"), _response(429, **{"Retry-After": "-5"}))
    assert isinstance(retry, Request)
    wait = mw.pacer.wait_for(0.0, clock.now)
    assert wait.seconds == 10 and wait.stat == "hfcrawl/wait_seconds"
    clock.now += 10
    assert mw.pacer.wait_for(0.0, clock.now) is None


def test_a_429_asking_more_than_the_cap_fails_with_the_hubs_figure():
    mw = HubRateLimitMiddleware(_crawler(HFCRAWL_MAX_WAIT=360), clock=FakeClock())
    with pytest.raises(WaitTooLong, match="999999 s .*HFCRAWL_MAX_WAIT=360"):
        mw.process_response(Request("https://hub.test/p"), _response(429, **{"Retry-After": "999999"}))


def test_a_good_page_announcing_a_reset_beyond_the_cap_fails_the_next_request_at_once():
    clock = FakeClock()
    mw = HubRateLimitMiddleware(_crawler(HFCRAWL_MAX_WAIT=360), clock=clock)
    page = _response(200, RateLimit='"api";r=0;t=999999')
    assert mw.process_response(Request(page.url), page) is page  # the page itself is kept
    with pytest.raises(WaitTooLong, match="999999"):
        asyncio.run(mw.process_request(Request("https://hub.test/next")))


def test_429s_are_counted_apart_from_the_retries_of_server_errors():
    crawler = _crawler(RETRY_TIMES=2, HFCRAWL_MAX_429_RETRIES=20, HFCRAWL_BACKOFF_BASE=1, HFCRAWL_BACKOFF_MAX=60)
    limits = HubRateLimitMiddleware(crawler, clock=FakeClock())
    request = Request("https://hub.test/p")
    for _ in range(5):
        request = limits.process_response(request, _response(429))
    assert request.meta[TRIES_429] == 5 and request.meta.get("retry_times", 0) == 0
    retries = BackoffRetryMiddleware(crawler)
    before = time.monotonic()
    retry = retries.process_response(request, _response(503))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1  # a 503 still has its two retries
    assert retry.meta[NOT_BEFORE] - before <= 1.25 + 0.1  # the first back-off, not one doubled by the 429s


def test_the_429_limit_ends_in_the_429_response():
    limits = HubRateLimitMiddleware(_crawler(HFCRAWL_MAX_429_RETRIES=2), clock=FakeClock())
    request = Request("https://hub.test/p")
    for _ in range(2):
        request = limits.process_response(request, _response(429))
    last = _response(429)
    assert limits.process_response(request, last) is last


def test_the_budget_holds_requests_to_n_per_window():
    pacer = Pacer(budget=3, window=10.0)
    assert [pacer.wait_for(0.0, t) for t in (0.0, 1.0, 2.0)] == [None, None, None]
    wait = pacer.wait_for(0.0, 3.0)
    assert wait.seconds == 7.0 and wait.stat == "hfcrawl/budget_wait_seconds"
    assert pacer.wait_for(0.0, 10.0) is None  # the first request left the window


def test_a_retry_waits_for_its_back_off_and_the_hubs_pause_wins_when_longer():
    pacer = Pacer()
    assert pacer.wait_for(5.0, 3.0).seconds == 2.0
    pacer.pause(30.0, "RateLimit t=30", 3.0)
    wait = pacer.wait_for(5.0, 3.0)
    assert wait.seconds == 30.0 and wait.why == "RateLimit t=30"


def test_back_off_doubles_up_to_its_cap():
    assert [backoff_delay(n, 1.0, 10.0, jitter=0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert backoff_delay(1, 1.0, 10.0, jitter=1) == 1.25


def test_a_wait_ends_within_a_second_once_the_crawl_stops():
    crawler = _crawler()
    crawler.crawling = False  # what Ctrl-C does first
    mw = HubRateLimitMiddleware(crawler)
    mw.pacer.pause(300.0, "Retry-After: 300", time.monotonic())
    started = time.monotonic()
    with pytest.raises(CrawlStopping):
        asyncio.run(mw.process_request(Request("https://hub.test/p")))
    assert time.monotonic() - started < 1.0


def test_our_own_budget_wait_is_not_mistaken_for_a_hub_asking_too_much():
    clock = FakeClock()
    mw = HubRateLimitMiddleware(_crawler(HFCRAWL_MAX_WAIT=5, HFCRAWL_REQUEST_BUDGET=1, HFCRAWL_BUDGET_WINDOW=600),
                                clock=clock)
    mw.crawler.crawling = False  # so that the wait ends at once instead of sleeping
    asyncio.run(mw.process_request(Request("https://hub.test/1")))
    with pytest.raises(CrawlStopping):  # it waits (and stops with the crawl); it does not fail as WaitTooLong
        asyncio.run(mw.process_request(Request("https://hub.test/2")))


@pytest.mark.parametrize("window,logged", [(0.5, False), (600.0, True)])
def test_a_budget_wait_is_told_at_info_only_from_a_second_up(window, logged, caplog):
    clock = FakeClock()
    mw = HubRateLimitMiddleware(_crawler(HFCRAWL_REQUEST_BUDGET=1, HFCRAWL_BUDGET_WINDOW=window), clock=clock)
    mw.crawler.crawling = False  # the wait ends at once instead of sleeping
    asyncio.run(mw.process_request(Request("https://hub.test/1")))
    with caplog.at_level("INFO"), pytest.raises(CrawlStopping):
        asyncio.run(mw.process_request(Request("https://hub.test/2")))
    told = [r.getMessage() for r in caplog.records if r.levelname == "INFO" and "spent" in r.getMessage()]
    assert told == ([f"Waiting {window:.1f} s: HFCRAWL_REQUEST_BUDGET=1 requests per {window:g} s spent"] if logged
                    else [])


class _PerPageSpider(Spider):
    """A spider whose pages are not one stream's pages: it says what giving up on a page costs."""

    name = "per-page"
    given_up: list[str]

    def page_given_up(self, response: Response, reason: str):
        self.given_up.append(reason)
        yield {"released": response.url}


def _pages_middleware(spider_class: type[Spider], **settings) -> PageErrorMiddleware:
    crawler = get_crawler(spider_class, {"RETRY_TIMES": 2, "HFCRAWL_LAYOUT_RETRIES": 1, "HFCRAWL_BACKOFF_BASE": 0,
                                         "EXTENSIONS": {"hfcrawl.ledger.Ledger": 0}, **settings})
    crawler.spider = spider_class.from_crawler(crawler, name="test")
    crawler.spider.given_up = []
    ledger_of(crawler).add_stream("tag", "fill-mask", 0)
    return PageErrorMiddleware(crawler)


def _asked_until_given_up(mw: PageErrorMiddleware, exception: Exception) -> tuple[int, list]:
    """Answers the page (and each retry) with `exception` until the middleware gives up: (requests, outputs)."""
    request, asked = Request("https://hub.test/api/models/a/b/refs", meta={"stream": "tag:fill-mask"}), 0
    while True:
        asked += 1
        out = list(mw.process_spider_exception(Response(request.url, request=request), exception))
        if len(out) != 1 or not isinstance(out[0], Request):
            return asked, out
        request = out[0]


@pytest.mark.parametrize("exception, asked", [(ParseError("cut short"), 3), (LayoutError("no 'branches'"), 2),
                                              (StreamError("HTTP 401"), 1)])
def test_a_spider_with_page_given_up_gets_the_reason_once_the_retries_are_spent(exception, asked):
    mw = _pages_middleware(_PerPageSpider)
    assert _asked_until_given_up(mw, exception) == (asked, [{"released": "https://hub.test/api/models/a/b/refs"}])
    assert len(mw.crawler.spider.given_up) == 1 and str(exception) in mw.crawler.spider.given_up[0]
    assert ledger_of(mw.crawler).streams["tag:fill-mask"].status != "failed"  # the spider decides, not the ledger
    assert mw.crawler.stats.get_value("hfcrawl/bad_bodies", 0) == (0 if asked == 1 else asked)


def test_a_spider_without_page_given_up_gets_its_stream_failed():
    mw = _pages_middleware(Spider)
    assert _asked_until_given_up(mw, ParseError("cut short")) == (3, [])
    stream = ledger_of(mw.crawler).streams["tag:fill-mask"]
    assert stream.status == "failed" and "gave up on a bad body: cut short" in stream.error


@pytest.mark.parametrize("exception", [KeyError("commit_count"), TypeError("'NoneType' object is not iterable")])
def test_a_bug_in_a_callback_is_logged_once_counted_and_given_up_without_a_retry(exception, caplog):
    mw = _pages_middleware(_PerPageSpider)
    with caplog.at_level("ERROR"):
        assert _asked_until_given_up(mw, exception) == (1, [{"released": "https://hub.test/api/models/a/b/refs"}])
    (reason,) = mw.crawler.spider.given_up
    assert f"a bug in the crawler ({type(exception).__name__}: {exception})" in reason
    (record,) = caplog.records
    assert record.name == "hfcrawl.spidermiddlewares" and record.exc_info[1] is exception
    assert "https://hub.test/api/models/a/b/refs" in record.getMessage()
    stats = mw.crawler.stats
    assert stats.get_value("hfcrawl/callback_errors") == 1 and stats.get_value("hfcrawl/bad_bodies") is None
    assert stats.get_value("retry/count") is None


def test_a_bug_on_a_page_of_a_spider_without_page_given_up_fails_its_stream():
    mw = _pages_middleware(Spider)
    assert _asked_until_given_up(mw, KeyError("id")) == (1, [])
    stream = ledger_of(mw.crawler).streams["tag:fill-mask"]
    assert stream.status == "failed" and "a bug in the crawler (KeyError: 'id')" in stream.error


@pytest.mark.parametrize("exception", [CloseSpider("enough"), IgnoreRequest("dropped"),
                                       HttpError(Response("https://hub.test/p", status=500), "500")])
def test_exceptions_of_pages_without_a_stream_and_scrapys_own_are_left_to_scrapy(exception):
    mw = _pages_middleware(_PerPageSpider)
    request = Request("https://hub.test/p")
    for without_stream in (ParseError("x"), KeyError("x")):
        assert mw.process_spider_exception(Response(request.url, request=request), without_stream) is None
    request = Request("https://hub.test/p", meta={"stream": "tag:fill-mask"})
    assert mw.process_spider_exception(Response(request.url, request=request), exception) is None
    assert mw.crawler.spider.given_up == [] and mw.crawler.stats.get_value("hfcrawl/callback_errors") is None


def test_a_stop_is_told_apart_from_a_failed_request():
    stop, refused = Failure(CrawlStopping("the crawl is stopping")), Failure(WaitTooLong("wait 999999 s"))
    assert crawl_stopping(stop) and not crawl_stopping(refused) and not crawl_stopping(Failure(IgnoreRequest()))


def test_the_429s_of_the_requests_in_flight_are_one_wait_in_the_log(caplog):
    clock = FakeClock()
    mw = HubRateLimitMiddleware(_crawler(), clock=clock)
    with caplog.at_level("DEBUG"):
        for i in range(4):  # four pages in flight, answered 429 one after the other, each asking 2 s from then
            clock.now += 0.05
            mw.process_response(Request(f"https://hub.test/p{i}"), _response(429, RateLimit='"api";r=0;t=2'))
        clock.now += 5  # the wait is over; a later 429 is a new wait
        mw.process_response(Request("https://hub.test/p9"), _response(429, RateLimit='"api";r=0;t=2'))
    waits = [r for r in caplog.records if r.getMessage().startswith("Waiting")]
    assert [r.levelname for r in waits] == ["INFO", "DEBUG", "DEBUG", "DEBUG", "INFO"]


def test_the_repos_crawls_call_count_is_downloader_stats_count():
    """CallCountMiddleware stands in for DownloaderStats in the repos crawl: the record's `requests` and the
    progress lines read the same `downloader/request_count`, statuses and exceptions counted as Scrapy names them."""
    from scrapy.downloadermiddlewares.stats import DownloaderStats

    from hfcrawl.middlewares import CallCountMiddleware

    ours, scrapys = _crawler(), _crawler(DOWNLOADER_STATS=True)
    ours.stats.open_spider()
    scrapys.stats.open_spider()
    mine, theirs = CallCountMiddleware.from_crawler(ours), DownloaderStats.from_crawler(scrapys)
    for mw in (mine, theirs):
        for status in (200, 200, 404, 503):
            request = Request(f"https://hub.test/api/models/a/b/refs?{status}")
            mw.process_request(request)
            mw.process_response(request, _response(status, request.url))
        mw.process_exception(Request("https://hub.test/x"), TimeoutError())
    keys = ("downloader/request_count", "downloader/response_status_count/200",
            "downloader/response_status_count/404", "downloader/response_status_count/503")
    assert [ours.stats.get_value(k) for k in keys] == [scrapys.stats.get_value(k) for k in keys] == [4, 2, 1, 1]
    assert ours.stats.get_value("downloader/exception_type_count/TimeoutError") == 1


def test_a_redirect_of_the_repos_crawl_is_followed_without_a_referer():
    from hfcrawl.middlewares import ApiRedirectMiddleware

    mw = ApiRedirectMiddleware.from_crawler(_crawler())
    request = Request("https://hub.test/api/models/old/name/refs", headers={"Referer": "https://hub.test/"})
    moved = _response(307, request.url, Location="/api/models/new/name/refs")
    follow = mw.process_response(request, moved)
    assert isinstance(follow, Request) and follow.url == "https://hub.test/api/models/new/name/refs"
    assert b"Referer" not in follow.headers


def test_the_repos_crawls_scheduler_gives_requests_in_the_order_they_came():
    from hfcrawl.scheduler import FifoScheduler

    scheduler = FifoScheduler.from_crawler(_crawler())
    assert not scheduler.has_pending_requests() and scheduler.next_request() is None
    requests = [Request(f"https://hub.test/{i}", dont_filter=True) for i in range(5)]
    assert all(scheduler.enqueue_request(r) for r in requests) and len(scheduler) == 5
    assert [scheduler.next_request() for _ in range(5)] == requests and not scheduler.has_pending_requests()
