"""Downloader middlewares: who may be asked (and with the token), when (rate limits, budget), how to retry.

- `HubAuthMiddleware`: requests go to the Hub's own origin (or the Splash server) and nowhere else; only those to
  the Hub carry `Authorization: Bearer $HF_TOKEN`. A `Link` or redirect to another host is refused and reported.
- `HubRateLimitMiddleware`: honours the Hub's `RateLimit` header (`r=` remaining, `t=` seconds to reset) and a 429's
  wait (`t=` or `Retry-After`): no request goes out before the announced reset; optionally keeps the crawl under a
  request budget per window (`HFCRAWL_REQUEST_BUDGET` per `HFCRAWL_BUDGET_WINDOW` seconds).
- `BackoffRetryMiddleware`: Scrapy's RetryMiddleware, with an exponential back-off between tries of 5xx, timeouts
  and dropped connections (Scrapy retries at once).
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import time
from collections import deque
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from hfcrawl.hub import endpoint_from_env, origin

logger = logging.getLogger(__name__)

NOT_BEFORE = "hfcrawl_not_before"  # request.meta key: monotonic time before which the request must not leave


class OffHubRequest(IgnoreRequest):
    """A request to a host that is not the Hub (nor Splash): refused."""


class HubAuthMiddleware:
    def __init__(self, crawler: Crawler, endpoint: str, splash_url: str | None):
        self.stats = crawler.stats
        self.hub_origin = origin(endpoint)
        self.allowed = {self.hub_origin}
        if splash_url:
            self.allowed.add(origin(splash_url))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HubAuthMiddleware:
        splash = crawler.settings.get("SPLASH_URL") or os.environ.get("SPLASH_URL")
        return cls(crawler, endpoint_from_env(), splash)

    def process_request(self, request: Request) -> None:
        target = origin(request.url)
        if target not in self.allowed:
            self.stats.inc_value("hfcrawl/refused_off_hub")
            request.headers.pop(b"Authorization", None)
            raise OffHubRequest(f"refused {request.url}: not the Hub ({'%s://%s:%d' % self.hub_origin})")
        token = os.environ.get("HF_TOKEN", "").strip()
        if target == self.hub_origin and token:
            request.headers[b"Authorization"] = f"Bearer {token}".encode()
        else:
            request.headers.pop(b"Authorization", None)


_R_RE = re.compile(r"\br=(\d+)")
_T_RE = re.compile(r"\bt=(\d+(?:\.\d+)?)")


def rate_limit_wait(response: Response) -> float | None:
    """Seconds the Hub asks us to wait: `t=` of `RateLimit` when `r=0` or on a 429, else `Retry-After`."""
    header = response.headers.get(b"RateLimit")
    if header:
        text = header.decode("latin-1")
        remaining, reset = _R_RE.search(text), _T_RE.search(text)
        if reset and (response.status == 429 or (remaining and int(remaining.group(1)) == 0)):
            return float(reset.group(1))
    retry_after = response.headers.get(b"Retry-After")
    if retry_after and response.status in (429, 503):
        text = retry_after.decode("latin-1").strip()
        try:
            return max(0.0, float(text))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    return None


class HubRateLimitMiddleware:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_429_retries = settings.getint("HFCRAWL_MAX_429_RETRIES", 20)
        self.default_429_wait = settings.getfloat("HFCRAWL_DEFAULT_429_WAIT", 10.0)
        self.budget = settings.getint("HFCRAWL_REQUEST_BUDGET", 0) or None
        self.window = settings.getfloat("HFCRAWL_BUDGET_WINDOW", 300.0)
        self.sent: deque[float] = deque()
        self.not_before = 0.0  # the whole Hub is paused until then (429 or r=0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HubRateLimitMiddleware:
        return cls(crawler)

    async def _sleep(self, seconds: float, stat: str) -> None:
        self.stats.inc_value(stat, round(seconds, 3))
        await asyncio.sleep(seconds)

    async def process_request(self, request: Request) -> None:
        while True:
            now = time.monotonic()
            wait = max(self.not_before, request.meta.get(NOT_BEFORE, 0.0)) - now
            if wait > 0:
                await self._sleep(wait, "hfcrawl/wait_seconds")
                continue
            if self.budget:
                while self.sent and now - self.sent[0] >= self.window:
                    self.sent.popleft()
                if len(self.sent) >= self.budget:
                    await self._sleep(self.sent[0] + self.window - now, "hfcrawl/budget_wait_seconds")
                    continue
                self.sent.append(now)
            return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        wait = rate_limit_wait(response)
        if wait is not None:
            self.not_before = max(self.not_before, time.monotonic() + wait)
        if response.status != 429:
            return response
        wait = self.default_429_wait if wait is None else wait
        self.not_before = max(self.not_before, time.monotonic() + wait)
        self.stats.inc_value("hfcrawl/429")
        self.stats.inc_value("hfcrawl/429_wait_seconds", round(wait, 3))
        logger.info("429 from the Hub on %s: waiting %.1f s before any further request", request.url, wait)
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason="429 Too Many Requests", max_retry_times=self.max_429_retries
        )
        return retry or response


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries as Scrapy does, but each try waits base * 2**(n-1) seconds (capped, with jitter) before leaving."""

    def __init__(self, settings):
        super().__init__(settings)
        self.retry_http_codes.discard(429)  # HubRateLimitMiddleware waits as the Hub says

    def _retry(self, request: Request, reason) -> Request | None:
        return with_backoff(super()._retry(request, reason), self.crawler)


def with_backoff(request: Request | None, crawler: Crawler) -> Request | None:
    """Stamp a retry request with the time before which it must not leave (see HubRateLimitMiddleware)."""
    if request is not None:
        settings = crawler.settings
        delay = backoff_delay(
            request.meta.get("retry_times", 1),
            settings.getfloat("HFCRAWL_BACKOFF_BASE", 1.0),
            settings.getfloat("HFCRAWL_BACKOFF_MAX", 60.0),
        )
        request.meta[NOT_BEFORE] = time.monotonic() + delay
        crawler.stats.inc_value("hfcrawl/backoff_seconds", round(delay, 3))
    return request


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential back-off with up to 25% jitter, so parallel streams do not retry in lockstep."""
    return min(cap, base * 2 ** max(0, attempt - 1)) * (1 + random.random() / 4)
