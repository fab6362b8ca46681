"""Spiders with a bug on purpose, for the tests of what a bug in a callback costs (tests/test_bugs.py).

Each is the project's spider with one slip that no page of the Hub causes: an exception the parsers do not raise
(KeyError, TypeError), on the pages named by `-a bug=...`. A test runs them as a user runs a crawl, adding this
module to the spider modules: `scrapy crawl repos-buggy -s SPIDER_MODULES=hfcrawl.spiders,tests.buggy_spiders`.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from hfcrawl.spiders.models import ModelsSpider
from hfcrawl.spiders.repos import ReposSpider

SPIDER_MODULES = "hfcrawl.spiders,tests.buggy_spiders"


def _named(spider: Any) -> set[str]:
    return {name.strip() for name in str(getattr(spider, "bug", "")).split(",") if name.strip()}


class BuggyReposSpider(ReposSpider):
    """`-a bug=a/b,c/d`: those repositories' commits page trips on a field it takes for granted (KeyError)."""

    name = "repos-buggy"

    def on_commits(self, response: Response, state: dict[str, Any], commits: list[dict]) -> Iterator[Any]:
        if state["entry"].id in _named(self):
            yield {}["commit_count"]
        yield from super().on_commits(response, state, commits)


class BuggyModelsSpider(ModelsSpider):
    """`-a bug=tag:x,tags`: the second page of stream tag:x (TypeError), or the task tags page (KeyError)."""

    name = "models-buggy"

    def parse_api(self, response: Response) -> Iterator[Any]:
        if response.meta["stream"] in _named(self) and response.meta["page"] == 1:
            yield None + 1  # type: ignore[operator]
        yield from super().parse_api(response)

    def parse_tags(self, response: Response) -> Iterator[Any]:
        if "tags" in _named(self):
            yield {}["pipeline_tag"]
        yield from super().parse_tags(response)
