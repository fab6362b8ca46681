"""Which transport a crawl runs on: both spiders on plain asyncio; another spider (a test's) on Twisted's reactor."""
from __future__ import annotations

from scrapy.settings import Settings

from hfcrawl import settings as project_settings
from hfcrawl.commands.crawl import choose_transport


def _settings(**cmdline: object) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(cmdline, priority="cmdline")
    return settings


def test_both_crawls_run_without_a_reactor_and_another_spider_with_one():
    repos, models, other = _settings(), _settings(), _settings()
    choose_transport(repos, "repos")
    choose_transport(models, "models")
    choose_transport(other, "repos-buggy")
    assert repos.getbool("TWISTED_REACTOR_ENABLED") is False
    assert models.getbool("TWISTED_REACTOR_ENABLED") is False
    assert other.getbool("TWISTED_REACTOR_ENABLED") is True


def test_a_reactor_asked_on_the_command_line_wins():
    settings = _settings(TWISTED_REACTOR_ENABLED=True)
    choose_transport(settings, "repos")
    assert settings.getbool("TWISTED_REACTOR_ENABLED") is True
