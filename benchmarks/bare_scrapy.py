"""The floor of Scrapy's engine for the repos crawl: a spider that makes the crawl's two calls a repository and
nothing else, the part `scrapy` of bench_repos.

Everything the repos crawl adds to Scrapy is left out: every downloader and spider middleware but the one that
reads `start()`, every extension but the collector's thresholds, the item pipelines and the feed (items are dropped). What stays is what any
Scrapy crawl pays for each request: the engine, scheduler, downloader and scraper round trip, its signals, its
`Request`/`Response`/`Headers` objects and Scrapy's aiohttp download handler on plain asyncio (the transport the
repos crawl uses), at the crawl's concurrency, with the crawl's garbage-collector thresholds
(`hfcrawl.runtime.GcTuning`) and its plain FIFO scheduler. No crawl built on Scrapy's engine can go faster than
this one, whatever it leaves out; the gap between it and `auto-2k` is the cost of the crawl's own components.

    python -m benchmarks.bench_repos --peer ENDPOINT IDS WORKERS --peer-kind scrapy
"""
from __future__ import annotations

from pathlib import Path

import scrapy
from scrapy.settings import default_settings

KEEP_SPIDER_MIDDLEWARES = ("scrapy.spidermiddlewares.start.StartSpiderMiddleware",)


class TwoCallsSpider(scrapy.Spider):
    """Refs, then a one-commit page unless the repository is gone: the repos crawl's count mode, bare."""

    name = "two-calls"

    def __init__(self, endpoint: str, ids: list[str], **kwargs):
        super().__init__(**kwargs)
        self.endpoint, self.ids, self.found = endpoint, ids, 0

    async def start(self):
        for model_id in self.ids:
            yield scrapy.Request(f"{self.endpoint}/api/models/{model_id}/refs", callback=self.refs,
                                 cb_kwargs={"model_id": model_id}, dont_filter=True)

    def refs(self, response, model_id: str):
        if response.status == 200:
            self.found += 1
            yield scrapy.Request(f"{self.endpoint}/api/models/{model_id}/commits/main?limit=1",
                                 callback=self.commits, dont_filter=True)

    def commits(self, response):
        yield {"status": response.status}


def bare_settings(workers: int) -> dict:
    """Scrapy's defaults with every optional component switched off."""
    return {
        "TWISTED_REACTOR_ENABLED": False, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
        "CONCURRENT_REQUESTS": workers, "CONCURRENT_REQUESTS_PER_DOMAIN": workers, "CONCURRENT_ITEMS": 1,
        "DOWNLOAD_HANDLERS": {"http": "scrapy.core.downloader.handlers._aiohttp.AiohttpDownloadHandler",
                              "https": "scrapy.core.downloader.handlers._aiohttp.AiohttpDownloadHandler"},
        "SCHEDULER": "hfcrawl.scheduler.FifoScheduler",
        "DOWNLOADER_MIDDLEWARES_BASE": {},
        "SPIDER_MIDDLEWARES_BASE": {k: v for k, v in default_settings.SPIDER_MIDDLEWARES_BASE.items()
                                    if k in KEEP_SPIDER_MIDDLEWARES},
        "EXTENSIONS_BASE": {}, "ITEM_PIPELINES_BASE": {},
        "EXTENSIONS": {"hfcrawl.runtime.GcTuning": 600},  # the repos crawl's collector thresholds, not a component
    }


def peer_scrapy(endpoint: str, ids_path: Path, workers: int) -> dict:
    from scrapy.crawler import AsyncCrawlerProcess

    ids = ids_path.read_text().split()
    process = AsyncCrawlerProcess(bare_settings(workers))
    crawler = process.create_crawler(TwoCallsSpider)
    process.crawl(crawler, endpoint=endpoint, ids=ids)
    process.start()
    found = crawler.spider.found if crawler.spider else 0
    return {"repos": len(ids), "not_found": len(ids) - found}
