"""Shared fixtures: the replay hub (a real HTTP server on 127.0.0.1) and a way to run real `scrapy crawl`s."""
from __future__ import annotations

import pytest

from tests.crawling import CrawlRunner
from hubreplay import ReplayHub

pytest_plugins = ["tests.splash_server"]


@pytest.fixture(scope="session")
def hub():
    """The replay hub of the study's 2024 data, fault-free; tests that add faults use their own hub."""
    with ReplayHub(seed=0) as replay:
        yield replay


@pytest.fixture
def crawl(hub, tmp_path):
    """Runs `scrapy crawl models` as a real process against the shared replay hub; see tests/crawling.py."""
    hub.set_faults(None)
    hub.reset_stats()
    return CrawlRunner(hub.url, tmp_path)
