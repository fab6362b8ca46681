"""`scrapy crawl`, exiting non-zero when the crawl is not complete.

Scrapy's own command exits 0 whatever happened to the requests; a crawl whose feed misses pages (a stream failed,
a tag fell short of its advertised total, the run was interrupted) must say so to the shell that ran it.
"""
from __future__ import annotations

import argparse
import logging
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        if self.exitcode:
            return
        for crawler in self.crawlers:
            stats = crawler.stats.get_stats()
            if stats.get("hfcrawl/fatal") or stats.get("hfcrawl/incomplete_streams") \
                    or stats.get("finish_reason") != "finished":
                self.exitcode = 1

    def _create_crawler(self, spidercls: Any):
        crawler = super()._create_crawler(spidercls)
        self.crawlers = getattr(self, "crawlers", [])
        self.crawlers.append(crawler)
        return crawler

    def _warn_if_feeds_unused(self, sender: Any, **kwargs: Any) -> None:
        """FEEDS is written by hfcrawl.pipelines.JsonLinesFeedPipeline, not Scrapy's FeedExporter."""
