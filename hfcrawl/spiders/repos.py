"""The `repos` spider: each model's git repository (refs, commits of main, the card's lineage fields).

Per repository, one chain of calls: refs, then commits of `main` (a one-commit page for the count, or every page in
full mode), then model info only when the input did not bring the card's fields. A deleted repository stops the
chain at its first 404. Ids come lazily from `hfcrawl.inputs`; at most HFCRAWL_REPOS_INFLIGHT repositories are
under way at once, so the scheduler never holds more than a few dozen requests. Lines reach the feed through the
models crawl's feed writer and ledger (a repository is one `ModelPage` of one line), so resume, the report and the
exit status are the models crawl's.

Callbacks parse and raise, as the models spider's: `hfcrawl.spidermiddlewares.PageErrorMiddleware` asks a bad body
again, and when it gives up calls `page_given_up`, which ends that repository alone (counted failed, its place
freed for the next id) rather than the crawl's one stream.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from hfcrawl import hub, inputs
from hfcrawl.feed import FeedError, check_feed, feed_target
from hfcrawl.inputs import InputError, PreviousFeed
from hfcrawl.items import ModelPage
from hfcrawl.ledger import CheckpointMismatch, utc_now
from hfcrawl.middlewares import crawl_stopping
from hfcrawl.parsing import next_link, parse_commits, parse_model_card, parse_refs, total_count
from hfcrawl.repos_feed import COMMITS_PAGE, commits_url, info_url, quota_window, refs_url, repo_not_found, repo_record
from hfcrawl.spidermiddlewares import StreamError
from hfcrawl.spiders.base import HubSpider, failure_reason

logger = logging.getLogger(__name__)

STREAM = "repos:input"  # the crawl's one ledger stream: its pages are repositories
TUNNEL_ERROR = "scrapy.core.downloader.handlers.http11.TunnelError"
UNUSED_DOWNLOADER_MIDDLEWARES = tuple(f"scrapy.downloadermiddlewares.{name}" for name in (
    "offsite.OffsiteMiddleware", "httpauth.HttpAuthMiddleware", "defaultheaders.DefaultHeadersMiddleware",
    "downloadtimeout.DownloadTimeoutMiddleware", "stats.DownloaderStats", "redirect.RedirectMiddleware"))


def _positive(name: str, value: Any) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise ValueError(f"{name}={value!r}: a positive whole number")
    return number


def lean_components(settings: BaseSettings) -> None:
    """Two small API calls a repository: Scrapy's per-request path is the crawl's cost, so the components an API
    crawl has no use for are left out (docs/repos-crawl.md, "Cost"): cookies (the API reads none), the URL length
    and depth bookkeeping (ids make the URLs, a chain is a few calls deep), the offsite filter (HubAuthMiddleware
    refuses any other host), HTTP basic auth (the token is a header), the browser's Accept headers, the referer, the timeout middleware (each request carries its timeout), DownloaderStats
    (CallCountMiddleware counts the same calls), the dupe filter (ids are unique) and Scrapy's scheduler (a plain
    queue: the spider bounds what is under way). Retry, rate limits, the token, redirects (without a referer),
    proxies and compression stay. A callback yields one thing: one item worker, not four."""
    settings.set("COOKIES_ENABLED", False, priority="spider")
    settings.set("URLLENGTH_LIMIT", 0, priority="spider")
    settings.set("REFERER_ENABLED", False, priority="spider")
    settings.set("CONCURRENT_ITEMS", 1, priority="spider")
    downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    downloader.update({**dict.fromkeys(UNUSED_DOWNLOADER_MIDDLEWARES),
                       "hfcrawl.middlewares.ApiRedirectMiddleware": 600, "hfcrawl.middlewares.CallCountMiddleware": 850})
    settings.set("DOWNLOADER_MIDDLEWARES", downloader, priority="spider")
    spider = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider["scrapy.spidermiddlewares.depth.DepthMiddleware"] = None
    settings.set("SPIDER_MIDDLEWARES", spider, priority="spider")
    settings.set("DUPEFILTER_CLASS", "scrapy.dupefilters.BaseDupeFilter", priority="spider")  # dont_filter
    settings.set("SCHEDULER", "hfcrawl.scheduler.FifoScheduler", priority="spider")
    if not settings.getbool("TWISTED_REACTOR_ENABLED"):  # Twisted's HTTP client, whose error this is, is not used
        retry = [e for e in settings.getlist("RETRY_EXCEPTIONS") if e != TUNNEL_ERROR]  # importing it costs 60 ms
        settings.set("RETRY_EXCEPTIONS", retry, priority="spider")


class ReposSpider(HubSpider):
    """Refs, commit counts or histories and lineage of every model of an input (or a sample of it).

    Arguments: `input=feed.jsonl[,ids.txt,...]`, `ids=a/b,c/d`, `sample=N`, `per_task=N`, `seed=S`,
    `history=count|full`, `since=previous-repos.jsonl`, `card=auto|info`.
    """

    name = "repos"
    unit = "repositories"

    def __init__(self, input: str | None = None, ids: str | None = None, sample: str | None = None,
                 seed: str | int = 0, per_task: str | None = None, history: str = "count", since: str | None = None,
                 card: str = "auto", **kwargs: Any):
        super().__init__(**kwargs)
        self.paths = [Path(p.strip()) for p in (input or "").split(",") if p.strip()]
        self.ids = [i.strip() for i in (ids or "").split(",") if i.strip()] or None
        self.history = history.strip().lower()
        self.since = Path(since) if since else None
        self.card = card.strip().lower()
        self.seed = str(seed)
        self.sample_size = self.per_task = None
        self.arg_error = self.argument_error(sample, per_task, history, card)
        self.inflight = 0
        self.input_done = False
        self.written = 0
        self.counts = {"ok": 0, "not_found": 0, "carried_over": 0, "failed": 0, "to_do": 0, "already_done": 0,
                       "sampled": None}
        self.quota: dict[str, int] | None = None
        self.started_at = time.monotonic()
        self.slot_free: asyncio.Event | None = None
        self.design: dict[str, Any] | None = None  # the sampling design, once the input is read (`prepare`)

    def argument_error(self, sample: Any, per_task: Any, history: str, card: str) -> str | None:
        """Why the arguments cannot be crawled, or None."""
        try:
            self.sample_size = _positive("sample", sample)
            self.per_task = _positive("per_task", per_task)
        except ValueError as exc:
            return str(exc)
        if not self.paths and not self.ids:
            return "nothing to crawl: give -a input=<models feed or ids file> or -a ids=owner/name,..."
        if self.history not in ("count", "full"):
            return f"history={history!r}: use history=count or history=full"
        if self.card not in ("auto", "info"):
            return f"card={card!r}: use card=auto (from the input feed when it has it) or card=info"
        if self.sample_size and self.per_task:
            return "sample and per_task exclude each other: give one"
        return None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The repos feed by default (its record beside it), the repos feed writer and progress instead of the models ones."""
        super().update_settings(settings)
        settings.set("HFCRAWL_FEED", "output/repos.jsonl", priority="spider")
        # small calls, bound by latency: as many at once to the Hub as the crawl allows (the quota sets the pace)
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", settings.getint("CONCURRENT_REQUESTS"), priority="spider")
        settings.set("ITEM_PIPELINES", {"hfcrawl.pipelines.JsonLinesFeedPipeline": 900}, priority="spider")
        lean_components(settings)
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions.update({"hfcrawl.extensions.CrawlProgress": None, "hfcrawl.repos_progress.RepoProgress": 500})
        settings.set("EXTENSIONS", extensions, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReposSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.endpoint = hub.endpoint_from_env()
        spider.max_inflight = crawler.settings.getint(
            "HFCRAWL_REPOS_INFLIGHT", 2 * crawler.settings.getint("CONCURRENT_REQUESTS", 8))
        spider.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")  # in each request: no timeout middleware
        return spider

    def asked(self) -> dict[str, Any]:
        return {"input": [str(p) for p in self.paths], "ids": self.ids, "sample": self.sample_size,
                "per_task": self.per_task, "seed": self.seed if (self.sample_size or self.per_task) else None,
                "history": self.history, "since": str(self.since) if self.since else None, "card": self.card}

    # ------------------------------------------------------------------------------------------------------ start

    def prepare(self) -> tuple[Any, PreviousFeed | None]:
        """Checks every input before the first request; returns the chunks of entries to crawl and `since`."""
        feed = feed_target(self.crawler.settings).path
        if self.since and feed.exists() and self.since.resolve() == feed.resolve():
            raise InputError(f"since {self.since}: is also the output feed; write the new feed to another file")
        position = self.ledger.feed if self.ledger.resumed else None
        check_feed(feed_target(self.crawler.settings), position)
        previous = PreviousFeed(self.since) if self.since else None
        if previous is not None and not inputs.has_sha(self.paths):
            raise InputError(f"since {self.since}: the input gives no sha (ids only), so nothing could be carried "
                             f"over; give a models feed as input")
        # every complete line stays (the feed writer appends after them): each is a repository done
        done = inputs.feed_ids(feed) if position is not None and feed.exists() else None
        population = inputs.TaskCounts()
        if self.sample_size or self.per_task:
            chosen = inputs.sample(population.counted(inputs.unique(inputs.entries_of(self.paths, self.ids))),
                                   self.sample_size, self.seed_number(), self.per_task)
            self.counts["sampled"] = len(chosen)
            asked = inputs.TaskCounts()
            asked.by_task.update(entry.task or inputs.NO_TASK for entry in chosen)
            todo = list(inputs.unique(chosen, skip=done))
            self.counts["to_do"] = sum(map(len, todo))
            self.counts["already_done"] = len(chosen) - self.counts["to_do"]
            self.design = self.sample_design(population, asked)
            return iter(todo), previous
        total = sum(len(chunk) for chunk in population.counted(inputs.unique(inputs.entries_of(self.paths, self.ids))))
        self.counts["already_done"] = len(done) if done is not None else 0
        self.counts["to_do"] = total - self.counts["already_done"]
        self.design = self.sample_design(population, population)
        return inputs.unique(inputs.entries_of(self.paths, self.ids), skip=done), previous

    def seed_number(self) -> int:
        return int(self.seed) if self.seed.lstrip("-").isdigit() else inputs.stable_hash(self.seed)

    def sample_design(self, population: inputs.TaskCounts, asked: inputs.TaskCounts) -> dict[str, Any]:
        """How the repositories asked were drawn from the input's ids, in counts: what the analysis needs to give
        an interval for the population rather than for the sample. `size` is the number of ids asked."""
        method = "random" if self.sample_size else "per_task" if self.per_task else "all"
        return {"method": method, "size": asked.total, "per_task": self.per_task,
                "seed": self.seed if method != "all" else None, "population": population.total,
                "population_by_task": population.as_dict(), "sampled_by_task": asked.as_dict()}

    async def start(self) -> AsyncIterator[Any]:
        if self.arg_error:
            self.fatal(self.arg_error)
            return
        try:
            self.ledger.bind("repos", self.endpoint, self.asked(), lambda stream: stream == STREAM)
            chunks, previous = self.prepare()
            if not self.ledger.resumed:
                self.ledger.add_stream("repos", "input", 0)
                self.ledger.save()
            logger.info("Crawling %s repositories on %s (history=%s)%s", f"{self.counts['to_do']:,}",
                        self.endpoint, self.history,
                        f"; {self.counts['already_done']:,} already in the feed" if self.ledger.resumed else "")
            self.slot_free = asyncio.Event()
            async for output in self.walk(chunks, previous):
                yield output
        except (InputError, CheckpointMismatch, FeedError) as exc:
            self.fatal(str(exc))
            return
        self.input_done = True
        if self.inflight == 0:
            yield self.page([], final=True)

    async def walk(self, chunks: Any, previous: PreviousFeed | None) -> AsyncIterator[Any]:
        """Carried-over lines (a page per chunk) and the first request of each other repository, lazily."""
        for chunk in chunks:
            carried, fresh = [], []
            for entry in chunk:
                line = previous.unchanged(entry, self.history) if previous is not None else None
                (carried if line is not None else fresh).append(line if line is not None else entry)
            if carried:
                self.counts["carried_over"] += len(carried)
                yield self.page(carried)
            for entry in fresh:
                while self.inflight >= self.max_inflight:
                    self.slot_free.clear()
                    await self.slot_free.wait()
                self.inflight += 1
                yield self.request(refs_url(self.endpoint, entry.id), self.parse_refs,
                                   {"entry": entry, "record": repo_record(entry.id, self.history, utc_now())})
        if previous is not None:
            previous.close()

    # ---------------------------------------------------------------------------------------------------- chain

    def request(self, url: str, callback: Any, state: dict[str, Any]) -> scrapy.Request:
        # dont_filter: ids are unique already, and a dupe filter would keep a fingerprint per request in memory;
        # stream: PageErrorMiddleware handles the parse errors of the pages of a stream only
        return scrapy.Request(url, callback=callback, errback=self.failed, dont_filter=True,
                              meta={"stream": STREAM, "repo": state, "handle_httpstatus_list": [401, 404],
                                    "download_timeout": self.timeout})

    def step(self, response: Response, parse: Any, then: Any) -> Iterator[Any]:
        """`then(response, state, parse(body))`; a deleted repository ends here. A bad body (ParseError,
        LayoutError from `parse`) or another status (StreamError: no retry mends a 401 or a 404 of another kind)
        is raised to PageErrorMiddleware, which asks again or calls `page_given_up`."""
        state = response.meta["repo"]
        self.quota = quota_window(response) or self.quota
        if repo_not_found(response):
            state["record"] = {**repo_record(state["entry"].id, self.history, utc_now()), "status": "not_found"}
            yield from self.finish(state)
            return
        if response.status != 200:
            raise StreamError(f"{response.url}: HTTP {response.status}")
        yield from then(response, state, parse(response.body))

    def parse_refs(self, response: Response) -> Iterator[Any]:
        yield from self.step(response, parse_refs, self.after_refs)

    def after_refs(self, response: Response, state: dict[str, Any], refs: dict[str, Any]) -> Iterator[Any]:
        state["record"].update(refs)
        if "main" not in refs["branches"]:  # no main branch: nothing to count
            yield from self.after_commits(state)
            return
        limit = COMMITS_PAGE if self.history == "full" else 1
        yield self.request(commits_url(self.endpoint, state["entry"].id, limit), self.parse_commits, state)

    def parse_commits(self, response: Response) -> Iterator[Any]:
        yield from self.step(response, parse_commits, self.on_commits)

    def on_commits(self, response: Response, state: dict[str, Any], commits: list[dict]) -> Iterator[Any]:
        record = state["record"]
        if record["commit_count"] is None:
            count = total_count(response.headers.get(b"x-total-count"))
            record["commit_count"] = count if count is not None else (len(commits) if self.history == "full" else None)
            record["last_commit_at"] = commits[0]["date"] if commits else None
        if self.history == "full":
            record["commits"] = (record["commits"] or []) + commits
            following = next_link(response.headers.get(b"Link"))
            if following and commits and hub.origin(following) == hub.origin(self.endpoint):
                yield self.request(following, self.parse_commits, state)
                return
        yield from self.after_commits(state)

    def after_commits(self, state: dict[str, Any]) -> Iterator[Any]:
        lineage = state["entry"].lineage
        if lineage is not None and self.card == "auto":
            state["record"].update(lineage)
            yield from self.finish(state)
            return
        yield self.request(info_url(self.endpoint, state["entry"].id), self.parse_info, state)

    def parse_info(self, response: Response) -> Iterator[Any]:
        yield from self.step(response, parse_model_card, self.on_info)

    def on_info(self, response: Response, state: dict[str, Any], card: dict[str, Any]) -> Iterator[Any]:
        state["record"].update(base_model=card["base_model"], new_version=card["new_version"])
        yield from self.finish(state)

    # ---------------------------------------------------------------------------------------------------- ending

    def finish(self, state: dict[str, Any]) -> Iterator[Any]:
        record = state["record"]
        self.counts[record["status"]] += 1
        self.crawler.stats.inc_value(f"hfcrawl/repos/{record['status']}")
        yield from self.release([record])

    def release(self, records: list[dict[str, Any]]) -> Iterator[Any]:
        self.inflight -= 1
        if self.slot_free is not None:
            self.slot_free.set()
        yield self.page(records, final=self.input_done and self.inflight == 0)

    def give_up(self, state: dict[str, Any], reason: str) -> Iterator[Any]:
        self.counts["failed"] += 1
        self.crawler.stats.inc_value("hfcrawl/repos/failed")
        logger.error("Repository %s not crawled: %s", state["entry"].id, reason)
        self.ledger.fail(STREAM, f"{self.counts['failed']} repositories could not be crawled "
                                 f"(last: {state['entry'].id}: {reason}); run again to retry them")
        yield from self.release([])

    def page_given_up(self, response: Response, reason: str) -> Iterator[Any]:
        """PageErrorMiddleware's hook, once a page's retries are spent or on StreamError: the repository fails
        alone and frees its place (failing the crawl's one stream would end the crawl of every repository)."""
        yield from self.give_up(response.meta["repo"], reason)

    def failed(self, failure: Failure) -> Iterator[Any]:
        if crawl_stopping(failure):
            return  # not this repository's failure: it is not in the feed, so a resumed crawl asks it again
        yield from self.give_up(failure.request.meta["repo"], f"{failure.request.url}: {failure_reason(failure)}")

    def page(self, records: list[dict[str, Any]], final: bool = False) -> ModelPage:
        """Lines for the feed writer; the last one (final) marks the crawl's stream done."""
        self.written += len(records)
        return ModelPage(stream=STREAM, page=self.written, url=self.endpoint, models=records,
                         next_page=None if final else self.written, source="repos", crawled_at=utc_now(),
                         listed=len(records))

    def report_fields(self) -> dict[str, Any]:
        """What the crawl report adds for this crawl (see hfcrawl.extensions.CrawlReport)."""
        stats = self.crawler.stats.get_stats()
        done = self.counts["ok"] + self.counts["not_found"]
        return {"sample": self.design, "repos": {**self.counts, "asked": self.asked(), "requests": stats.get("downloader/request_count", 0),
                          "requests_per_repository": round(stats.get("downloader/request_count", 0) / done, 3)
                          if done else None}}
