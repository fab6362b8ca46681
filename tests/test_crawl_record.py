"""The crawl's record and origin, and what a crawl loads and logs, without a crawl: the components alone."""
from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.settings import Settings

import hfcrawl.settings as project_settings
from hfcrawl.commands.crawl import quiet_logs
from hfcrawl.extensions import OriginWatch, record_target
from hfcrawl.inputs import NO_TASK, Entry, TaskCounts
from hfcrawl.provenance import REPLAY_HEADER
from hfcrawl.spiders.models import ModelsSpider
from hfcrawl.spiders.repos import ReposSpider


def _settings(**values) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(values, priority="cmdline")
    return settings


def test_the_record_goes_beside_the_feed_unless_hfcrawl_report_says_otherwise(tmp_path):
    assert str(record_target(_settings())) == "output/models.crawl.json"
    feed = tmp_path / "x.jsonl"
    assert record_target(_settings(FEEDS={str(feed): {"format": "jsonlines", "overwrite": True}})) == \
        tmp_path / "x.crawl.json"
    assert str(record_target(_settings(HFCRAWL_REPORT="elsewhere/r.json"))) == "elsewhere/r.json"
    repos = _settings()
    ReposSpider.update_settings(repos)
    assert str(record_target(repos)) == "output/repos.crawl.json"


def _answer(watch: OriginWatch, url: str, server: str | None, splash: bool = False) -> None:
    headers = {REPLAY_HEADER: server} if server else {}
    meta = {"splash": {"args": {}}} if splash else {}
    watch.response_received(Response(url, headers=headers), Request(url, meta=meta), Spider("s"))


def test_the_origin_is_the_first_answer_and_a_later_disagreement_is_recorded_once(caplog):
    watch = OriginWatch("http://127.0.0.1:8000")
    assert watch.record()["answered"] is False and watch.record()["kind"] == "loopback"
    with caplog.at_level(logging.INFO):
        _answer(watch, "http://127.0.0.1:8050/render.html", None, splash=True)  # Splash's headers: not the hub's
        _answer(watch, "http://127.0.0.1:8000/api/models", "hubreplay/0.1")
        _answer(watch, "http://127.0.0.1:8000/api/models?cursor=2", "hubreplay/0.1")
        for page in (3, 4):
            _answer(watch, f"http://127.0.0.1:8000/api/models?cursor={page}", None)
    record = watch.record()
    assert record["kind"] == "replay-hub" and record["server"] == "hubreplay/0.1" and record["synthetic"] is True
    assert record["mismatched_responses"] == 2 and "cursor=3" in record["first_mismatch"]
    told = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert told[0] == ("INFO", "origin: the replay hub hubreplay/0.1 at http://127.0.0.1:8000 (synthetic data)")
    assert len(told) == 2 and told[1][0] == "WARNING" and "may mix servers" in told[1][1]


@pytest.mark.parametrize("endpoint,said", [
    ("https://huggingface.co", "origin: the Hugging Face Hub at https://huggingface.co"),
    ("http://localhost:9", "origin: a server on this machine that is not the replay hub, at http://localhost:9"),
    ("https://hf-mirror.com", "origin: another server (a mirror?) at https://hf-mirror.com"),
])
def test_what_answers_is_said_in_one_line(caplog, endpoint, said):
    watch = OriginWatch(endpoint)
    with caplog.at_level(logging.INFO):
        _answer(watch, endpoint + "/api/models", None)
        _answer(watch, endpoint + "/api/models?cursor=2", None)
    assert [r.getMessage() for r in caplog.records] == [said]


def test_scrapy_splash_is_loaded_only_with_a_splash_url(monkeypatch):
    monkeypatch.delenv("SPLASH_URL", raising=False)
    # hfcrawl.settings took SPLASH_URL from the environment when first imported (make test exports one)
    plain = _settings(SPLASH_URL="")
    ModelsSpider.update_settings(plain)
    assert not any("scrapy_splash" in name for name in plain.getdict("DOWNLOADER_MIDDLEWARES"))
    assert "scrapy_splash" not in plain.get("DUPEFILTER_CLASS")
    splash = _settings(SPLASH_URL="http://127.0.0.1:8050")
    ModelsSpider.update_settings(splash)
    middlewares = splash.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy_splash.SplashMiddleware"] == 725 < middlewares["hfcrawl.middlewares.HubAuthMiddleware"]
    assert splash.get("DUPEFILTER_CLASS") == "scrapy_splash.SplashAwareDupeFilter"


def test_the_repos_crawl_never_names_scrapy_splash(monkeypatch):
    """Scrapy imports each key of a component dict, even one set to None: the repos crawl (API calls, nothing to
    render) names none of scrapy-splash's components, with or without a Splash URL."""
    monkeypatch.delenv("SPLASH_URL", raising=False)
    for url in ("", "http://127.0.0.1:8050"):
        settings = _settings(SPLASH_URL=url)
        ReposSpider.update_settings(settings)
        assert not any("scrapy_splash" in name for name in settings.getdict("DOWNLOADER_MIDDLEWARES"))
        assert "scrapy_splash" not in settings.get("DUPEFILTER_CLASS") + settings.get("HTTPCACHE_STORAGE")


def test_above_debug_no_dumps_at_debug_all_of_them():
    info, debug, chosen = _settings(), _settings(LOG_LEVEL="DEBUG"), _settings(STATS_DUMP=True)
    for settings in (info, debug, chosen):
        quiet_logs(settings)
    assert info.getbool("STATS_DUMP") is False and info.getlist("LOG_VERSIONS") == []
    assert debug.getbool("STATS_DUMP") is True and debug.getlist("LOG_VERSIONS")
    assert chosen.getbool("STATS_DUMP") is True  # a user's own -s wins
    record = logging.LogRecord("scrapy.crawler", logging.INFO, "", 0, "Overridden settings:\n%(settings)s", None, None)
    assert not logging.getLogger("scrapy.crawler").filter(record)


def test_the_population_is_counted_per_task_not_kept():
    counts = TaskCounts()
    chunks = [[Entry(f"o/m{i}", task="fill-mask" if i % 3 else None) for i in range(j, j + 4096)]
              for j in range(0, 40960, 4096)]
    assert sum(len(c) for c in counts.counted(iter(chunks))) == 40960
    assert counts.total == 40960 and counts.as_dict() == {NO_TASK: 13654, "fill-mask": 27306}


@pytest.mark.e2e
def test_hfcrawl_provenance_imports_no_scrapy():
    """The analysis imports it; Scrapy (and the scrapy-splash shim) load with a crawl only."""
    code = ("import sys, hfcrawl.provenance, hubreplay.reply; "
            "assert 'scrapy' not in sys.modules, sorted(m for m in sys.modules if 'scrapy' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    # the shim still runs before scrapy_splash is imported, as `scrapy crawl` loads the project's settings first
    code = ("import hfcrawl.settings, scrapy.utils.url as u; assert hasattr(u, 'canonicalize_url'); "
            "import scrapy_splash")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
