"""What both spiders share: the crawl's ledger, and how a problem with what was asked stops the crawl."""
from __future__ import annotations

import logging

import scrapy

from hfcrawl.ledger import Ledger, ledger_of

logger = logging.getLogger(__name__)


class HubSpider(scrapy.Spider):
    """A spider of the Hub: its streams stand in the ledger (an extension, shared with the feed writer and the
    report); `fatal` is for what was asked, which no retry can mend."""

    @property
    def ledger(self) -> Ledger:
        return ledger_of(self.crawler)

    def fatal(self, message: str) -> None:
        """A problem with what was asked: nothing is crawled, the command exits non-zero."""
        logger.error(message)
        self.crawler.stats.set_value("hfcrawl/fatal", message)
