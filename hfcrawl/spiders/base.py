"""What both spiders share: the crawl's ledger, how a problem with what was asked stops the crawl, and the
components that only a crawl through Splash loads."""
from __future__ import annotations

import logging

import scrapy
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from twisted.python.failure import Failure

from hfcrawl.hub import splash_url
from hfcrawl.ledger import Ledger, ledger_of

logger = logging.getLogger(__name__)

#: scrapy-splash's components, as its documentation asks for them; they leave other requests alone.
SPLASH_DOWNLOADER_MIDDLEWARES = {"scrapy_splash.SplashCookiesMiddleware": 723, "scrapy_splash.SplashMiddleware": 725}
SPLASH_COMPONENTS = {"DUPEFILTER_CLASS": "scrapy_splash.SplashAwareDupeFilter",
                     "HTTPCACHE_STORAGE": "scrapy_splash.SplashAwareFSCacheStorage"}


def failure_reason(failure: Failure) -> str:
    """A failed request in words: its HTTP status, or its error, which says "refused" or "not found" for a host that
    refused or could not be resolved, whichever transport ran it (Twisted's and aiohttp's messages differ)."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    message = failure.getErrorMessage() or failure.type.__name__
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError) and "refused" not in message.lower():
        return f"connection refused ({message})"
    if failure.check(CannotResolveHostError, DNSLookupError) and "not found" not in message.lower():
        return f"host not found ({message})"
    return message


def splash_settings(settings: BaseSettings) -> None:
    """With SPLASH_URL (setting or environment), scrapy-splash's middlewares and dupe filter; without it none of
    them: loaded, they warn of Scrapy deprecations at every start, for requests that never go through Splash."""
    if not splash_url(settings):
        return
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    for name, order in SPLASH_DOWNLOADER_MIDDLEWARES.items():
        middlewares.setdefault(name, order)
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
    for name, value in SPLASH_COMPONENTS.items():
        if settings.getpriority(name) in (None, 0):  # Scrapy's default: nobody chose another
            settings.set(name, value, priority="spider")


class HubSpider(scrapy.Spider):
    """A spider of the Hub: its streams stand in the ledger (an extension, shared with the feed writer and the
    report); `fatal` is for what was asked, which no retry can mend."""

    unit = "models"  # what a line of its feed is, for the log

    @property
    def ledger(self) -> Ledger:
        return ledger_of(self.crawler)

    def fatal(self, message: str) -> None:
        """A problem with what was asked: nothing is crawled, the command exits non-zero."""
        logger.error(message)
        self.crawler.stats.set_value("hfcrawl/fatal", message)
