"""A scheduler that keeps its queue in memory even with a JOBDIR.

With a JOBDIR, Scrapy's scheduler would save pending requests to disk and replay them on resume, on top of the
requests the spider makes from its checkpoint: pages would be fetched twice, and requests pickled with their
headers would put the token on disk. The checkpoint (hfcrawl.ledger) is what resumes this crawl, so the queue
itself need not outlive the process: Scrapy's scheduler, built as Scrapy builds it, told there is no job folder.
`FifoScheduler` is the repos crawl's: a plain queue.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from scrapy import Request
from scrapy.core.scheduler import BaseScheduler, Scheduler
from scrapy.crawler import Crawler


class MemoryQueueScheduler(Scheduler):
    def __init__(self, *args: Any, jobdir: str | None = None, **kwargs: Any):
        super().__init__(*args, jobdir=None, **kwargs)


class FifoScheduler(BaseScheduler):
    """Requests in the order they come, in memory, for a crawl whose spider bounds what is under way itself (the
    repos crawl: at most HFCRAWL_REPOS_INFLIGHT repositories, one request each at a time). Scrapy's scheduler
    would spend, on every request, a priority queue per download slot (the URL parsed for its host), a dupe
    filter and a count in the stats: a few dozen requests need none of it. Priorities are not kept (a retry
    goes to the back), nor is the queue on disk (the ledger resumes a crawl, see MemoryQueueScheduler)."""

    def __init__(self) -> None:
        self.queue: deque[Request] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FifoScheduler:
        return cls()

    def has_pending_requests(self) -> bool:
        return bool(self.queue)

    def enqueue_request(self, request: Request) -> bool:
        self.queue.append(request)
        return True

    def next_request(self) -> Request | None:
        return self.queue.popleft() if self.queue else None

    def __len__(self) -> int:
        return len(self.queue)
