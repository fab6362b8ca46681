"""A scheduler that keeps its queue in memory even with a JOBDIR.

With a JOBDIR, Scrapy's scheduler would save pending requests to disk and replay them on resume, on top of the
requests the spider makes from its checkpoint: pages would be fetched twice, and requests pickled with their
headers would put the token on disk. The checkpoint (hfcrawl.ledger) is what resumes this crawl, so the queue
itself need not outlive the process: Scrapy's scheduler, built as Scrapy builds it, told there is no job folder.
"""
from __future__ import annotations

from typing import Any

from scrapy.core.scheduler import Scheduler


class MemoryQueueScheduler(Scheduler):
    def __init__(self, *args: Any, jobdir: str | None = None, **kwargs: Any):
        super().__init__(*args, jobdir=None, **kwargs)
