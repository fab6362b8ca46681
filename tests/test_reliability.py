"""Crawl reliability: resume after SIGINT and SIGKILL, rate limits, faults, loud failures, token safety.

Every test runs real `scrapy crawl` processes (and real signals) against a real replay hub with injected faults.
"""
from __future__ import annotations

import json
import signal
from collections import Counter

import pytest

from hfcrawl.ledger import Ledger, StreamState
from hubreplay import Fault, ReplayHub
from tests.crawling import CrawlRunner
from tests.paths import LISTS

pytestmark = pytest.mark.e2e  # every test here runs real crawls against a real server

TAGS = ["fill-mask", "depth-estimation", "image-to-3d", "graph-ml"]
TOKEN = "hf_testTOKEN_0123456789abcdef"


def _expected(tags=TAGS) -> set[str]:
    return {i for t in tags for i in (LISTS / f"{t}.txt").read_text().split()}


@pytest.fixture(scope="module")
def faulty_hub():
    """A replay hub whose faults each test sets; in its own fixture so that the shared hub stays clean."""
    with ReplayHub(seed=7) as replay:
        yield replay


@pytest.fixture
def runner(faulty_hub, tmp_path):
    faulty_hub.set_faults(None)
    faulty_hub.reset_stats()
    return CrawlRunner(faulty_hub.url, tmp_path, env={"HF_TOKEN": TOKEN})


# ------------------------------------------------------------------------------------------------------- resume

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("kill_at", [1, 2500, 7000])
def test_stopped_crawl_resumes_to_a_complete_feed(faulty_hub, runner, tmp_path, sig, kill_at):
    faulty_hub.set_faults(Fault("slow", delay=0.05, route="api"))
    args = ("-a", f"tags={','.join(TAGS)}", "-a", "page_size=100", "-s", f"JOBDIR={tmp_path / 'job'}")
    first = runner.start(*args)
    code = runner.interrupt_when(first, kill_at, sig=sig)
    assert code != 0  # an interrupted crawl is not a complete one
    # complete lines only: a SIGKILL may land in the middle of a page's write (resume drops that torn line, tested below)
    written_before = runner.feed.read_bytes().count(b"\n") if runner.feed.exists() else 0
    assert written_before < len(_expected()), "the crawl finished before it was stopped: no resume tested"

    faulty_hub.set_faults(None)
    second = runner.run(*args)
    assert second.returncode == 0, second.log[-3000:]
    ids = [line["id"] for line in second.lines]
    assert set(ids) == _expected(), "models lost or invented across the stop"
    duplicates = len(ids) - len(set(ids))
    if sig == signal.SIGINT:
        assert duplicates == 0
    else:  # only the pages in flight may repeat: at most CONCURRENT_REQUESTS_PER_DOMAIN pages of 100
        assert duplicates <= 4 * 100
    report = second.report
    assert report["resumed"] is True and report["complete"] is True
    assert report["resumed_from"]["checkpoint"].endswith("hfcrawl-checkpoint.json")
    assert report["resumed_from"]["models_written"] <= written_before
    assert "Resuming from" in second.log


def test_resume_drops_a_truncated_last_line_and_says_so(faulty_hub, runner, tmp_path):
    faulty_hub.set_faults(Fault("slow", delay=0.05, route="api"))
    args = ("-a", "tags=fill-mask", "-a", "page_size=100", "-s", f"JOBDIR={tmp_path / 'job'}")
    runner.interrupt_when(runner.start(*args), 1500, sig=signal.SIGKILL)
    with open(runner.feed, "ab") as fh:
        fh.write(b'{"id":"half/writ')  # what a power cut mid-write leaves
    faulty_hub.set_faults(None)
    result = runner.run(*args)
    assert result.returncode == 0, result.log[-3000:]
    assert "ended in a truncated line" in result.log
    assert {line["id"] for line in result.lines} == _expected(["fill-mask"])  # every line parses again


def test_a_jobdir_of_another_crawl_is_refused(runner, tmp_path):
    job = ("-s", f"JOBDIR={tmp_path / 'job'}")
    assert runner.run("-a", "tags=graph-ml", *job).returncode == 0
    other = runner.run("-a", "tags=image-to-3d", *job)
    assert other.returncode != 0
    assert "holds a crawl of" in other.log


def test_a_finished_crawl_resumed_again_fetches_nothing_more(faulty_hub, runner, tmp_path):
    job = ("-a", "tags=graph-ml", "-s", f"JOBDIR={tmp_path / 'job'}")
    assert runner.run(*job).returncode == 0
    faulty_hub.reset_stats()
    again = runner.run(*job)
    assert again.returncode == 0
    assert faulty_hub.stats()["requests"] == 0
    assert sorted(line["id"] for line in again.lines) == sorted(_expected(["graph-ml"]))


def test_checkpoint_holds_no_token(runner, tmp_path):
    result = runner.run("-a", "tags=graph-ml", "-s", f"JOBDIR={tmp_path / 'job'}")
    assert result.returncode == 0
    for path in (tmp_path / "job").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


# ------------------------------------------------------------------------------------------- rate limits, faults

def test_429_bursts_are_waited_out_as_the_hub_says(faulty_hub, runner):
    faulty_hub.set_faults(Fault("burst429", every=4, burst=2, reset=1, route="api"))
    result = runner.run("-a", f"tags={','.join(TAGS)}", "-a", "page_size=1000")
    assert result.returncode == 0, result.log[-3000:]
    assert {line["id"] for line in result.lines} == _expected()
    stats = faulty_hub.stats()
    assert stats["sent_429"] > 0
    assert stats["early_requests_after_grace"] == 0  # no request left before the announced reset
    report = result.report
    assert report["http_429"] == stats["sent_429"]
    assert report["wait_seconds_429"] >= report["http_429"] * 1.0


def test_retry_after_is_honoured_too(faulty_hub, runner):
    faulty_hub.set_faults(Fault("burst429", every=5, burst=1, reset=1, retry_after=True, route="api"))
    result = runner.run("-a", "tags=fill-mask", "-a", "page_size=500")
    assert result.returncode == 0
    assert faulty_hub.stats()["early_requests_after_grace"] == 0


@pytest.mark.parametrize("source", ["api", "html"])
def test_transient_faults_lose_nothing(faulty_hub, runner, source):
    route = "api" if source == "api" else "html"
    faulty_hub.set_faults(
        Fault("error", p=0.1, route=route),
        Fault("drop", nth=[3, 11], route=route),
        Fault("truncate", nth=[5], route=route),
        Fault("truncate", nth=[8], dataloss=True, route=route),
        Fault("nonjson", nth=[13], route=route),
        Fault("slow", nth=[2], delay=1.5, route=route),
        Fault("burst429", every=17, burst=2, reset=1, route=route),
    )
    tags = ["depth-estimation", "image-to-image", "zero-shot-classification", "table-question-answering"] \
        if source == "html" else TAGS
    result = runner.run("-a", f"tags={','.join(tags)}", "-a", f"source={source}", "-a", "page_size=200",
                        "-s", "DOWNLOAD_TIMEOUT=1")
    assert result.returncode == 0, result.log[-3000:]
    ids = [line["id"] for line in result.lines]
    assert sorted(ids) == sorted(_expected(tags))
    fired = faulty_hub.stats()["faults_fired"]
    assert len(fired) >= 5, fired
    assert result.report["retries"] > 0 and result.report["complete"]


def test_rate_limit_headers_are_obeyed_before_any_429(tmp_path):
    """When a response says r=0, the crawler waits t seconds: the Hub's quota is never exceeded."""
    with ReplayHub(quota={"api": 4}, window=2) as limited:
        result = CrawlRunner(limited.url, tmp_path).run("-a", "tags=fill-mask", "-a", "page_size=1000")
        assert result.returncode == 0, result.log[-3000:]
        assert limited.stats()["sent_429"] == 0
        assert result.report["wait_seconds_rate_limit"] > 0
        assert sorted(line["id"] for line in result.lines) == sorted(_expected(["fill-mask"]))


def test_request_budget_spreads_requests_over_windows(runner):
    """-s HFCRAWL_REQUEST_BUDGET=N keeps to N requests per window of our own, whatever the Hub says."""
    result = runner.run("-a", "tags=fill-mask", "-a", "page_size=1000",
                        "-s", "HFCRAWL_REQUEST_BUDGET=4", "-s", "HFCRAWL_BUDGET_WINDOW=1.5")
    assert result.returncode == 0, result.log[-3000:]
    requests = result.report["requests_this_run"]
    assert requests == 12  # discovery + 11 pages: three full windows of waiting at least
    assert result.report["wait_seconds_budget"] >= 1.0  # none without a budget


# ------------------------------------------------------------------------------------------ faults that fail loudly

def test_changed_html_layout_fails_that_stream_loudly(faulty_hub, runner):
    faulty_hub.set_faults(Fault("layout", tag="depth-estimation", route="html"))
    result = runner.run("-a", "tags=depth-estimation,graph-ml", "-a", "source=html")
    assert result.returncode != 0
    incomplete = result.report["incomplete_streams"]
    assert list(incomplete) == ["tag:depth-estimation"]
    assert "layout" in incomplete["tag:depth-estimation"] and "pipeline_tag=depth-estimation" in \
        incomplete["tag:depth-estimation"]
    assert "ERROR" in result.log and "depth-estimation" in result.log
    assert sorted(result.ids_by("crawl_tag")["graph-ml"]) == sorted(_expected(["graph-ml"]))


def test_api_items_without_id_fail_that_stream_loudly(faulty_hub, runner):
    faulty_hub.set_faults(Fault("noid", tag="graph-ml", route="api"))
    result = runner.run("-a", "tags=graph-ml,image-to-3d")
    assert result.returncode != 0
    assert list(result.report["incomplete_streams"]) == ["tag:graph-ml"]
    assert "no 'id'" in result.report["incomplete_streams"]["tag:graph-ml"]


def test_persistent_server_errors_end_in_a_failed_stream_not_a_silent_gap(faulty_hub, runner):
    faulty_hub.set_faults(Fault("error", tag="graph-ml", status=503))
    result = runner.run("-a", "tags=graph-ml,image-to-3d", "-s", "RETRY_TIMES=2")
    assert result.returncode != 0
    assert "HTTP 503" in result.report["incomplete_streams"]["tag:graph-ml"]
    assert result.report["complete"] is False


def test_huge_body_is_cut_off_with_a_clear_error(faulty_hub, runner):
    faulty_hub.set_faults(Fault("huge", size_mb=8, tag="graph-ml", route="api"))
    result = runner.run("-a", "tags=graph-ml", "-s", "DOWNLOAD_MAXSIZE=2000000", "-s", "RETRY_TIMES=1")
    assert result.returncode != 0
    assert "tag:graph-ml" in result.incomplete  # its one page failed: no feed, no record
    assert not runner.report_path.exists()
    assert "maxsize" in result.log.lower() or "max size" in result.log.lower()


def test_short_of_the_advertised_total_is_incomplete():
    ledger = Ledger()
    ledger.streams["tag:x"] = StreamState(kind="tag", value="x", status="done", models_listed=59,
                                          advertised_total=60)
    ledger.streams["tag:y"] = StreamState(kind="tag", value="y", status="done", models_listed=60,
                                          advertised_total=60)
    assert list(ledger.incomplete()) == ["tag:x"]
    assert "59" in ledger.incomplete()["tag:x"] and "60" in ledger.incomplete()["tag:x"]


# --------------------------------------------------------------------------------------------------------- token

def test_token_goes_to_the_hub_only_as_bearer_and_is_never_written(faulty_hub, runner, tmp_path):
    result = runner.run("-a", "tags=graph-ml", "-s", f"JOBDIR={tmp_path / 'job'}", "-L", "DEBUG")
    assert result.returncode == 0
    assert faulty_hub.stats()["authorization"] == {f"Bearer {TOKEN}": 2}  # tag discovery + one page
    for text in (result.log, runner.feed.read_text(), runner.report_path.read_text()):
        assert TOKEN not in text


@pytest.mark.parametrize("kind", ["offsite_link", "offsite_redirect"])
def test_links_and_redirects_off_the_hub_are_refused(faulty_hub, runner, tmp_path, kind):
    with ReplayHub(seed=1) as elsewhere:
        faulty_hub.set_faults(Fault(kind, base_url=elsewhere.url, tag="fill-mask", route="api", nth=[2]))
        result = runner.run("-a", "tags=fill-mask,graph-ml", "-a", "page_size=1000")
        assert elsewhere.stats()["requests"] == 0  # not even asked, let alone with the token
        assert result.returncode != 0
        assert "tag:fill-mask" in result.report["incomplete_streams"]
        assert "not the Hub" in result.report["incomplete_streams"]["tag:fill-mask"]
        assert result.report["refused_off_hub"] >= 1
        assert TOKEN not in result.log


def test_report_counts_everything_a_user_needs(faulty_hub, runner):
    faulty_hub.set_faults(Fault("error", nth=[2], route="api", status=502))
    result = runner.run("-a", "tags=graph-ml,image-to-3d")
    report = result.report
    for key in ("endpoint", "source", "asked", "start", "end", "finish_reason", "streams", "retries",
                "http_429", "incomplete_streams", "resumed"):
        assert key in report
    assert report["retries"] == 1
    assert report["retries_by_reason"] == {"502 Bad Gateway": 1}
    assert report["asked"] == {"tags": ["graph-ml", "image-to-3d"], "authors": None}
    assert json.dumps(report)  # plain JSON
    assert Counter(s["status"] for s in report["streams"].values()) == {"done": 2}
