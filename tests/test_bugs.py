"""What a bug in the crawler's own code costs: never a hang, never a success.

A callback that raises what no parser raises on purpose (KeyError, TypeError ...) is a bug: its page is given up at
once (a retry does not mend a bug), its traceback is logged once, and the command exits non-zero. The crawls run
as a user runs them, against the replay hub, with spiders that carry a bug on purpose (tests/buggy_spiders.py).
"""
from __future__ import annotations

import pytest

from hfcrawl.commands.crawl import why_incomplete
from tests.buggy_spiders import SPIDER_MODULES
from tests.crawling import CrawlRunner
from tests.paths import LISTS
from tests.test_repos_crawl import FIELDS, ReposRunner, _asked, _expected, _repositories_with_main

TRACEBACK = "Traceback (most recent call last)"


def test_an_error_of_the_crawlers_code_fails_the_command_and_is_named_first():
    assert why_incomplete({"finish_reason": "finished", "spider_exceptions/count": 1}, True).startswith(
        "1 error(s) in the crawler's own code")
    why = why_incomplete({"finish_reason": "finished", "hfcrawl/callback_errors": 2, "hfcrawl/incomplete_streams": 1,
                          "hfcrawl/first_incomplete": "repos:input: 2 repositories could not be crawled"}, True)
    assert why.startswith("2 error(s) in the crawler's own code") and "first repos:input: 2 repositories" in why
    assert why_incomplete({"finish_reason": "finished"}, True) is None
    # a stop leaves streams unfinished: the line says first that it was stopped and how to go on
    stopped = {"finish_reason": "shutdown", "hfcrawl/incomplete_streams": 1,
               "hfcrawl/first_incomplete": "repos:input: not finished (next page: 7)"}
    assert why_incomplete(stopped, True).startswith("the crawl was stopped (shutdown); run the same command again")
    assert why_incomplete(stopped, False).startswith("the crawl was stopped (shutdown); a -s JOBDIR=... lets")


@pytest.fixture
def fresh_hub(hub):
    hub.set_faults(None)
    hub.reset_stats()
    return hub


def _runner(runner: CrawlRunner, spider: str) -> CrawlRunner:
    runner.spider = spider
    return runner


def _bug_args(bug: str) -> tuple[str, ...]:
    return "-a", f"bug={bug}", "-s", f"SPIDER_MODULES={SPIDER_MODULES}"


def test_a_bug_on_repositories_fails_them_alone_at_once_and_the_input_goes_on(fresh_hub, tmp_path):
    hub = fresh_hub
    ids = _repositories_with_main(hub, 12)
    bugged = ids[:2]  # both places of HFCRAWL_REPOS_INFLIGHT=2 taken by a bug: the others wait for them to be freed
    runner = _runner(ReposRunner(hub.url, tmp_path), "repos-buggy")
    result = runner.run("-a", f"ids={','.join(ids)}", *_bug_args(",".join(bugged)), "-s", "HFCRAWL_REPOS_INFLIGHT=2",
                        timeout=60)  # a few seconds; before the middleware gave bugs up, for ever
    assert result.returncode == 1, result.log[-3000:]
    lines = {line["id"]: line for line in result.lines}
    assert sorted(lines) == sorted(ids[2:]) and len(result.lines) == len(ids) - 2
    assert all(line["status"] == "ok" and {k: line[k] for k in FIELDS} == _expected(hub, line["id"])
               for line in result.lines)
    assert [_asked(hub, "commits", model_id) for model_id in bugged] == [1, 1]  # not asked again
    report = result.report
    assert report["complete"] is False and report["code_errors"] == 2 and report["retries"] == 0
    assert report["repos"]["failed"] == 2 and report["repos"]["ok"] == len(ids) - 2
    assert "a bug in the crawler (KeyError: 'commit_count')" in report["incomplete_streams"]["repos:input"]
    assert result.log.count(TRACEBACK) == 2  # once per bug
    for model_id in bugged:
        assert f"Bug in the crawler on {hub.url}/api/models/{model_id}/commits/main?limit=1" in result.log
    assert "Crawl failed: 2 error(s) in the crawler's own code" in result.log.strip().splitlines()[-1]


def test_a_bug_on_a_page_of_a_stream_fails_that_stream_and_names_the_bug(fresh_hub, tmp_path):
    hub = fresh_hub
    runner = _runner(CrawlRunner(hub.url, tmp_path), "models-buggy")
    result = runner.run("-a", "tags=fill-mask,graph-ml", "-a", "page_size=200", *_bug_args("tag:fill-mask"),
                        timeout=120)
    assert result.returncode == 1, result.log[-3000:]
    by_tag = result.ids_by("crawl_tag")
    assert sorted(by_tag["graph-ml"]) == sorted((LISTS / "graph-ml.txt").read_text().split())
    assert len(by_tag["fill-mask"]) == 200  # its first page; the second raised
    assert hub.stats()["by_stream"]["tag:fill-mask"] == 2  # the page of the bug is not asked again
    report = result.report
    assert report["complete"] is False and report["code_errors"] == 1
    stream = report["streams"]["tag:fill-mask"]
    assert stream["status"] == "failed" and "a bug in the crawler (TypeError: " in stream["error"]
    assert report["streams"]["tag:graph-ml"]["status"] == "done"
    assert result.log.count(TRACEBACK) == 1
    assert "Crawl failed: 1 error(s) in the crawler's own code" in result.log.strip().splitlines()[-1]


def test_a_bug_on_the_task_tags_page_is_a_failed_crawl_not_an_empty_success(fresh_hub, tmp_path):
    """The tags page opens the streams: before a stream exists, nothing but the count of errors says the crawl
    is empty because of a bug rather than because the Hub lists nothing."""
    runner = _runner(CrawlRunner(fresh_hub.url, tmp_path), "models-buggy")
    result = runner.run("-a", "tags=fill-mask", *_bug_args("tags"), timeout=120)
    assert result.returncode == 1, result.log[-3000:]
    assert result.lines == [] and result.log.count(TRACEBACK) == 1
    assert not runner.report_path.exists() and result.incomplete == {}  # no feed written, so no record
    assert "Crawl failed: 1 error(s) in the crawler's own code" in result.log.strip().splitlines()[-1]
