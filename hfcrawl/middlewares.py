"""Downloader middlewares: who may be asked (and with the token), when (rate limits, budget), how to retry.

- `HubAuthMiddleware`: requests go to the Hub's own origin (or the Splash server) and nowhere else; only those to
  the Hub carry `Authorization: Bearer $HF_TOKEN`. A `Link` or redirect to another host is refused and reported.
- `HubRateLimitMiddleware`: honours the Hub's `RateLimit` header (`r=` remaining, `t=` seconds to reset) and a 429's
  wait (`t=` or `Retry-After`): no request goes out before the announced reset; optionally keeps the crawl under a
  request budget per window (`HFCRAWL_REQUEST_BUDGET` per `HFCRAWL_BUDGET_WINDOW` seconds). No wait is longer
  than HFCRAWL_MAX_WAIT: a longer one fails the request (and its stream) with the Hub's figure. Every wait is
  logged once, at INFO; a stop (Ctrl-C) ends a wait within half a second.
- `BackoffRetryMiddleware`: retries 5xx, timeouts and dropped connections with Scrapy's `get_retry_request`, each
  after an exponential back-off (Scrapy retries at once); a host that does not resolve or refuses connections is
  retried only HFCRAWL_UNREACHABLE_RETRIES times, so a wrong HF_ENDPOINT fails in seconds.

The decisions (how long the Hub asks to wait, the budget, the back-off) are pure functions and a small `Pacer`
over a clock value, so they are tested without a server or a real clock.
"""
from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from twisted.python.failure import Failure

from hfcrawl.hub import endpoint_from_env, origin, splash_url

logger = logging.getLogger(__name__)

NOT_BEFORE = "hfcrawl_not_before"  # request.meta key: monotonic time before which the request must not leave
TRIES_429 = "hfcrawl_429_times"  # request.meta key: 429s honoured for this page, counted apart from other retries
HUB_WAIT = "hfcrawl/wait_seconds"  # the stat of the waits the Hub asked for (the only ones HFCRAWL_MAX_WAIT caps)
UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError, DNSLookupError, ConnectionRefusedError)


class OffHubRequest(IgnoreRequest):
    """A request to a host that is not the Hub (nor Splash): refused."""


class WaitTooLong(IgnoreRequest):
    """The Hub asked for a wait longer than HFCRAWL_MAX_WAIT: the request fails instead of hanging."""


class CrawlStopping(IgnoreRequest):
    """The crawl is stopping (Ctrl-C, or a fatal error) while this request waited: it is dropped, not failed."""


def crawl_stopping(failure: Failure) -> bool:
    """Whether a request's failure is the crawl stopping (Ctrl-C, SIGTERM, a fatal error) while it waited, and not a
    fault of its page: every spider's errback lets it pass without failing a stream or counting a repository
    failed; a resumed crawl asks the page again, from the checkpoint (and, for the repos crawl, the feed)."""
    return failure.check(CrawlStopping) is not None


class HubAuthMiddleware:
    def __init__(self, crawler: Crawler, endpoint: str | None, splash: str | None):
        self.stats = crawler.stats
        self.hub_origin = origin(endpoint) if endpoint else None
        self.allowed = {self.hub_origin} if endpoint else set()
        if splash:
            self.allowed.add(origin(splash))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HubAuthMiddleware:
        try:
            endpoint: str | None = endpoint_from_env()
        except ValueError:
            endpoint = None  # the spider refuses to start and says why; nothing may leave meanwhile
        return cls(crawler, endpoint, splash_url(crawler.settings))

    def process_request(self, request: Request) -> None:
        target = origin(request.url)
        if target not in self.allowed:
            self.stats.inc_value("hfcrawl/refused_off_hub")
            request.headers.pop(b"Authorization", None)
            hub = "{}://{}:{}".format(*self.hub_origin) if self.hub_origin else "no valid HF_ENDPOINT"
            raise OffHubRequest(f"refused {request.url}: not the Hub ({hub})")
        token = os.environ.get("HF_TOKEN", "").strip()
        if target == self.hub_origin and token:
            request.headers[b"Authorization"] = f"Bearer {token}".encode()
        else:
            request.headers.pop(b"Authorization", None)


class CallCountMiddleware:
    """The calls made, as Scrapy's DownloaderStats names them (`downloader/request_count`, the record's and the
    progress lines' figure; responses by status; exceptions by type), without its per-request cost: it rebuilds
    each request's raw bytes to count them. For crawls of many small calls (the repos crawl)."""

    def __init__(self, stats: Any):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CallCountMiddleware:
        return cls(crawler.stats)

    def process_request(self, request: Request) -> None:
        self.stats.inc_value("downloader/request_count")

    def process_response(self, request: Request, response: Response) -> Response:
        self.stats.inc_value(f"downloader/response_status_count/{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.stats.inc_value(f"downloader/exception_type_count/{type(exception).__name__}")


class ApiRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects for a crawl without RefererMiddleware (the repos crawl's API calls send no Referer):
    the same redirects, without the start-up warning that no Referer will be set on them."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ApiRedirectMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    def handle_referer(self, request: Request, response: Response) -> None:
        request.headers.pop(b"Referer", None)


# ------------------------------------------------------------------------------------------ what the Hub asks

_R_RE = re.compile(r"\br=(\d+)")
_T_RE = re.compile(r"\bt=(\d+(?:\.\d+)?)")


def retry_after_seconds(value: str, now: float) -> float | None:
    """Seconds a `Retry-After` value asks for (a number of seconds or an HTTP date, `now` being epoch seconds);
    None for anything that is not a positive, finite wait (-5, nan, inf, 1e309, a past date, garbage)."""
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def rate_limit_wait(status: int, headers: Any, now: float) -> tuple[float, str] | None:
    """(seconds, which header said so) the Hub asks us to wait: `t=` of `RateLimit` when `r=0` or on a 429, else a
    429's or 503's `Retry-After`; None when it asks for nothing usable. `headers.get(name)` gives bytes or None."""
    header = headers.get(b"RateLimit")
    if header:
        text = header.decode("latin-1")
        remaining, reset = _R_RE.search(text), _T_RE.search(text)
        if reset and (status == 429 or (remaining and int(remaining.group(1)) == 0)):
            seconds = float(reset.group(1))
            if math.isfinite(seconds) and seconds > 0:
                return seconds, f"RateLimit t={reset.group(1)}"
    retry_after = headers.get(b"Retry-After")
    if retry_after and status in (429, 503):
        text = retry_after.decode("latin-1")
        seconds = retry_after_seconds(text, now)
        if seconds is not None:
            return seconds, f"Retry-After: {text.strip()[:40]}"
    return None


def backoff_delay(attempt: int, base: float, cap: float, jitter: float | None = None) -> float:
    """Exponential back-off with up to 25% jitter, so parallel streams do not retry in lockstep."""
    jitter = random.random() if jitter is None else jitter
    return min(cap, base * 2 ** max(0, attempt - 1)) * (1 + jitter / 4)


@dataclass
class Wait:
    seconds: float
    stat: str  # the stats key that adds it up
    why: str  # what asked for it, for the log and for the error when it is too long


class Pacer:
    """When the next request may leave, given a clock value: the Hub's pause and our own request budget.

    `pause(seconds, why, now)` holds every request until `now + seconds`; `wait_for(not_before, now)` says how
    long a request stamped `not_before` (a back-off) must still wait, or None when it may go (it is then counted
    against the budget of `budget` requests per `window` seconds).
    """

    def __init__(self, budget: int | None = None, window: float = 300.0):
        self.budget = budget
        self.window = window
        self.sent: deque[float] = deque()
        self.not_before = 0.0
        self.pause_why = ""

    def pause(self, seconds: float, why: str, now: float) -> None:
        if now + seconds > self.not_before:
            self.not_before, self.pause_why = now + seconds, why

    def wait_for(self, not_before: float, now: float) -> Wait | None:
        if self.not_before > now and self.not_before >= not_before:
            return Wait(self.not_before - now, HUB_WAIT, self.pause_why)
        if not_before > now:
            return Wait(not_before - now, "hfcrawl/backoff_wait_seconds", "back-off before a retry")
        if self.budget:
            while self.sent and now - self.sent[0] >= self.window:
                self.sent.popleft()
            if len(self.sent) >= self.budget:
                return Wait(self.sent[0] + self.window - now, "hfcrawl/budget_wait_seconds",
                            f"HFCRAWL_REQUEST_BUDGET={self.budget} requests per {self.window:g} s")
            self.sent.append(now)
        return None


class HubRateLimitMiddleware:
    """Paces requests as the Hub's headers and our budget say (see `Pacer`), each wait capped and stoppable."""

    def __init__(self, crawler: Crawler, clock: Callable[[], float] = time.monotonic):
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.clock = clock
        self.max_429_retries = settings.getint("HFCRAWL_MAX_429_RETRIES", 20)
        self.default_429_wait = settings.getfloat("HFCRAWL_DEFAULT_429_WAIT", 10.0)
        self.max_wait = settings.getfloat("HFCRAWL_MAX_WAIT", 360.0)
        self.pacer = Pacer(settings.getint("HFCRAWL_REQUEST_BUDGET", 0) or None,
                           settings.getfloat("HFCRAWL_BUDGET_WINDOW", 300.0))
        self.logged_budget_wait = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HubRateLimitMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        while True:
            wait = self.pacer.wait_for(request.meta.get(NOT_BEFORE, 0.0), self.clock())
            if wait is None:
                return None
            if wait.seconds > self.max_wait and wait.stat == HUB_WAIT:  # our own waits are bounded by settings
                raise WaitTooLong(f"the Hub asked to wait {wait.seconds:.0f} s ({wait.why}), more than "
                                  f"HFCRAWL_MAX_WAIT={self.max_wait:g} s")
            if wait.stat == "hfcrawl/budget_wait_seconds" and self.pacer.sent[0] != self.logged_budget_wait:
                self.logged_budget_wait = self.pacer.sent[0]  # once a window; a wait under a second is no news
                logger.log(logging.INFO if wait.seconds >= 1 else logging.DEBUG, "Waiting %.1f s: %s spent",
                           wait.seconds, wait.why)
            await self.sleep(wait.seconds, wait.stat)

    async def sleep(self, seconds: float, stat: str) -> None:
        """Sleeps in slices of at most 0.5 s, so that a stop (Ctrl-C) is not held up by a long wait."""
        self.stats.inc_value(stat, round(seconds, 3))
        end = self.clock() + seconds
        while (left := end - self.clock()) > 0:
            if not self.crawler.crawling or self.stats.get_value("hfcrawl/fatal"):
                raise CrawlStopping("the crawl is stopping")
            await asyncio.sleep(min(left, 0.5))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        asked = rate_limit_wait(response.status, response.headers, time.time())
        if asked is not None and response.status != 429:
            self.pause(asked[0], f"{asked[1]} on {request.url}")
        if response.status != 429:
            return response
        wait, why = asked or (self.default_429_wait, f"no usable wait given, default {self.default_429_wait:g} s")
        if wait > self.max_wait:
            raise WaitTooLong(f"{request.url}: the Hub asked to wait {wait:.0f} s ({why}), more than "
                              f"HFCRAWL_MAX_WAIT={self.max_wait:g} s")
        self.stats.inc_value("hfcrawl/429")
        self.stats.inc_value("hfcrawl/429_wait_seconds", round(wait, 3))
        self.pause(wait, f"429 with {why} on {request.url}")
        return self.retry_429(request) or response

    def pause(self, seconds: float, why: str) -> None:
        """Hold every request for `seconds`; a pause above the cap fails the next request. Logged at INFO when no
        pause holds the crawl already: the answers of the requests in flight (8 429s of one burst) prolong that
        wait, at DEBUG, rather than each logging a line of its own."""
        now = self.clock()
        if now + seconds > self.pacer.not_before:
            level = logging.INFO if self.pacer.not_before <= now else logging.DEBUG
            logger.log(level, "Waiting %.1f s before any further request: %s", seconds, why)
        self.pacer.pause(seconds, why, now)

    def retry_429(self, request: Request) -> Request | None:
        """The page again after the wait: 429s are counted apart (HFCRAWL_MAX_429_RETRIES) from the retries of
        other faults (RETRY_TIMES), and do not lengthen the back-off of those."""
        others = request.meta.get("retry_times", 0)
        request.meta["retry_times"] = request.meta.get(TRIES_429, 0)
        try:
            retry = get_retry_request(request, spider=self.crawler.spider, reason="429 Too Many Requests",
                                      max_retry_times=self.max_429_retries)
        finally:
            request.meta["retry_times"] = others
        if retry is not None:
            retry.meta[TRIES_429] = retry.meta["retry_times"]
            retry.meta["retry_times"] = others
            retry.meta.pop(NOT_BEFORE, None)
        return retry


class BackoffRetryMiddleware:
    """Retries as Scrapy's RetryMiddleware does (same settings, `get_retry_request`), each try after a back-off.

    429 is left to HubRateLimitMiddleware, which waits as the Hub says. A host that does not resolve or refuses
    connections is retried HFCRAWL_UNREACHABLE_RETRIES times (1), not RETRY_TIMES: it is not a passing fault.
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.retry_http_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")} - {429}
        self.exceptions = tuple(load_object(e) if isinstance(e, str) else e
                                for e in settings.getlist("RETRY_EXCEPTIONS"))
        self.unreachable_retries = settings.getint("HFCRAWL_UNREACHABLE_RETRIES", 1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        return retry_later(request, self.crawler, response_status_message(response.status)) or response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions) \
                or isinstance(exception, IgnoreRequest):
            return None
        limit = self.unreachable_retries if isinstance(exception, UNREACHABLE) else None
        return retry_later(request, self.crawler, exception, max_retry_times=limit)


def retry_later(request: Request, crawler: Crawler, reason: str | Exception,
                max_retry_times: int | None = None) -> Request | None:
    """`get_retry_request`, stamped with the time before which the retry must not leave (an exponential back-off,
    see HubRateLimitMiddleware) and logged at INFO with its URL and wait; None once the tries are spent."""
    why = reason if isinstance(reason, str) else (f"{type(reason).__name__}: {reason}".rstrip(": "))
    retry = get_retry_request(request, spider=crawler.spider, reason=reason, max_retry_times=max_retry_times)
    if retry is None:
        return None  # get_retry_request logged the give-up, at RETRY_GIVE_UP_LOG_LEVEL (ERROR)
    settings = crawler.settings
    attempt = retry.meta.get("retry_times", 1)
    delay = backoff_delay(attempt, settings.getfloat("HFCRAWL_BACKOFF_BASE", 1.0),
                          settings.getfloat("HFCRAWL_BACKOFF_MAX", 60.0))
    retry.meta[NOT_BEFORE] = time.monotonic() + delay
    crawler.stats.inc_value("hfcrawl/backoff_seconds", round(delay, 3))
    logger.info("Retrying %s in %.1f s (retry %d of %s): %s", request.url, delay, attempt,
                max_retry_times if max_retry_times is not None else request.meta.get(
                    "max_retry_times", settings.getint("RETRY_TIMES")), why)
    return retry
