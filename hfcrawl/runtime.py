"""The interpreter's cyclic garbage collector, tuned for a crawl that builds a few hundred thousand dicts a minute.

With CPython's default thresholds (a collection every 700 new objects, a full one every 100 of those) a listing
crawl spends about half its CPU in the collector: each page's 1,000 records are scanned again and again while they
travel through the pipelines, and every full collection walks Scrapy's and Twisted's own long-lived objects too.
`GcTuning` freezes what exists once the spider is open (modules, settings, middlewares: never garbage) and
collects the young generation every `HFCRAWL_GC_THRESHOLD` new objects instead. The crawl's memory is unchanged
(records are freed by reference counting as soon as their page is written; the collector only finds cycles).
`HFCRAWL_GC_THRESHOLD=0` leaves the interpreter's defaults.
"""
from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

DEFAULT_THRESHOLD = 50_000


class GcTuning:
    def __init__(self, threshold: int):
        self.threshold = threshold
        self.before: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcTuning:
        threshold = crawler.settings.getint("HFCRAWL_GC_THRESHOLD", DEFAULT_THRESHOLD)
        if threshold <= 0:
            raise NotConfigured("HFCRAWL_GC_THRESHOLD=0: the interpreter's own collector thresholds")
        ext = cls(threshold)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.before = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(self.threshold, 20, 100)

    def spider_closed(self) -> None:
        if self.before is not None:
            gc.set_threshold(*self.before)
            gc.unfreeze()
