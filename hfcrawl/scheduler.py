"""A scheduler that keeps its queue in memory even with a JOBDIR.

With a JOBDIR, Scrapy's scheduler would save pending requests to disk and replay them on resume, on top of the
requests the spider makes from its checkpoint: pages would be fetched twice, and requests pickled with their
headers would put the token on disk. The checkpoint (hfcrawl.ledger) is what resumes this crawl, so the queue
itself need not outlive the process.
"""
from __future__ import annotations

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.misc import build_from_crawler, load_object


class MemoryQueueScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MemoryQueueScheduler:
        settings = crawler.settings
        return cls(
            dupefilter=build_from_crawler(load_object(settings["DUPEFILTER_CLASS"]), crawler),
            jobdir=None,
            dqclass=load_object(settings["SCHEDULER_DISK_QUEUE"]),
            mqclass=load_object(settings["SCHEDULER_MEMORY_QUEUE"]),
            logunser=settings.getbool("SCHEDULER_DEBUG"),
            stats=crawler.stats,
            pqclass=load_object(settings["SCHEDULER_PRIORITY_QUEUE"]),
            crawler=crawler,
        )
