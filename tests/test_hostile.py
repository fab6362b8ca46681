"""Hostile inputs and hostile hubs, end to end: real `scrapy crawl` processes against the replay hub or against
`tests/hostile_hub.py`. What a user would notice: the feed they had, a hang, a traceback, a password in a log."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from tests.crawling import CrawlRunner
from tests.hostile_hub import HostileHub
from tests.paths import ROOT

pytestmark = pytest.mark.e2e

QUICK = ("-s", "HFCRAWL_DEFAULT_429_WAIT=0.5", "-s", "HFCRAWL_MAX_WAIT=5", "-s", "DOWNLOAD_TIMEOUT=5")
OLD_FEED = b'{"id":"kept/model","note":"a feed a failing run must not touch"}\n' * 3
OLD_RECORD = b'{"feed": "models.jsonl", "note": "the record of that feed, which a failing run must not touch"}\n'


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the block ends


def _one_line_error(result, *words: str) -> None:
    assert result.returncode == 1, result.log[-2000:]
    assert "Traceback" not in result.log, result.log[-3000:]
    for word in words:
        assert word in result.log, result.log[-2000:]


# ------------------------------------------------------------------------------------------------------ data loss

@pytest.mark.parametrize("args,endpoint", [
    (("-a", "tags=fil-mask"), None),
    (("-a", "page_size=abc"), None),
    (("-a", "tags=fill-mask"), "closed"),
], ids=["typo-tag", "bad-argument", "unreachable-hub"])
def test_a_run_that_fails_before_its_first_page_leaves_the_feed_byte_identical(crawl, tmp_path, args, endpoint):
    crawl.feed.write_bytes(OLD_FEED)
    crawl.report_path.write_bytes(OLD_RECORD)
    if endpoint:
        crawl = CrawlRunner(_closed_port_url(), tmp_path)
    started = time.monotonic()
    result = crawl.run(*args, *QUICK)
    assert result.returncode == 1
    assert crawl.feed.read_bytes() == OLD_FEED and crawl.report_path.read_bytes() == OLD_RECORD
    assert time.monotonic() - started < 30  # an unreachable Hub fails in seconds, not minutes
    assert "Traceback" not in result.log
    assert "[hfcrawl.commands.crawl] ERROR: C" in result.log.rstrip().splitlines()[-1]  # the last line says why


def _default_feed_command(crawl: CrawlRunner, *args: str) -> list[str]:
    command = crawl.command(*args)
    i = command.index("-O")
    command[i:i + 2] = ["-s", f"HFCRAWL_FEED={crawl.feed}"]
    return command


def test_without_O_or_o_an_existing_feed_is_refused_not_overwritten(crawl):
    crawl.feed.write_bytes(OLD_FEED)
    proc = subprocess.run(_default_feed_command(crawl, "-a", "tags=graph-ml"), cwd=ROOT, env=crawl.environment(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert crawl.feed.read_bytes() == OLD_FEED
    assert f"-O {crawl.feed}" in proc.stderr and f"-o {crawl.feed}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_resume_refuses_a_feed_that_no_longer_matches_its_checkpoint(crawl, tmp_path):
    """The README's own mistake: another crawl overwrote the job's feed; the job must not resume onto it."""
    job = ("-s", f"JOBDIR={tmp_path / 'job'}")
    assert crawl.run("-a", "tags=graph-ml,image-to-3d", *job).returncode == 0
    other = crawl.run("-a", "tags=graph-ml")  # -O: overwrites the job's feed with a smaller one
    assert other.returncode == 0
    replaced = crawl.feed.read_bytes()
    again = crawl.run("-a", "tags=graph-ml,image-to-3d", *job)
    _one_line_error(again, "does not match the checkpoint", "remove the JOBDIR")
    assert crawl.feed.read_bytes() == replaced
    assert again.report["asked"]["tags"] == ["graph-ml"]  # still the record of the crawl that wrote the feed


@pytest.mark.parametrize("arg", ["tags=", "tags=,,,", "authors="])
def test_an_empty_selection_is_an_error(crawl, arg):
    result = crawl.run("-a", arg)
    _one_line_error(result, "names nothing to crawl")
    assert not crawl.report_path.exists()


# ---------------------------------------------------------------------------------------------------------- hangs

def test_a_retry_after_above_the_cap_fails_the_stream_with_the_hubs_figure(tmp_path):
    with HostileHub("retry_after", value="999999") as hub:
        started = time.monotonic()
        result = CrawlRunner(hub.url, tmp_path).run("-a", "tags=fill-mask", *QUICK)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    why = result.incomplete["tag:fill-mask"]  # no page written: no record, the log says it
    assert "999999" in why and "HFCRAWL_MAX_WAIT" in why


@pytest.mark.parametrize("value", ["-5", "nan", "inf", "1e309", "past-date"])
def test_an_unusable_retry_after_means_the_default_wait_not_at_once(tmp_path, value):
    if value == "past-date":
        value = formatdate(time.time() - 3600, usegmt=True)
    with HostileHub("retry_after", value=value) as hub:
        result = CrawlRunner(hub.url, tmp_path).run("-a", "tags=fill-mask", *QUICK)
        pages = [t for t, path in hub.requests if path.startswith("/api/models?")]
    assert result.returncode == 0, result.log[-2000:]
    assert len(pages) == 2 and pages[1] - pages[0] >= 0.5  # HFCRAWL_DEFAULT_429_WAIT
    assert "Waiting 0.5 s before any further request" in result.log


def test_a_ratelimit_header_above_the_cap_on_a_good_page_fails_instead_of_sleeping(tmp_path):
    with HostileHub("ratelimit_200", t="999999") as hub:
        started = time.monotonic()
        result = CrawlRunner(hub.url, tmp_path).run("-a", "tags=fill-mask", *QUICK)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert [line["id"] for line in result.lines] == ["first/model-0", "first/model-1"]  # the good page is kept
    assert "999999" in result.report["incomplete_streams"]["tag:fill-mask"]
    assert "Waiting 999999.0 s before any further request: RateLimit t=999999" in result.log


def test_ctrl_c_during_a_long_wait_stops_in_seconds_with_a_report_and_a_checkpoint(tmp_path):
    job = ("-s", f"JOBDIR={tmp_path / 'job'}", "-s", "HFCRAWL_MAX_WAIT=360")
    with HostileHub("retry_after", value="300") as hub:
        runner = CrawlRunner(hub.url, tmp_path)
        proc = runner.start("-a", "tags=fill-mask", *job)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (runner.log_path.exists() and
                                                   "Waiting 300.0 s" in runner.log_path.read_text()):
            time.sleep(0.1)
        time.sleep(0.5)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
        assert time.monotonic() - stopped < 10
        assert code == 1
        stopped_run = runner.result(code)
        assert "the crawl was stopped (shutdown)" in stopped_run.last_line and stopped_run.incomplete
        assert not runner.report_path.exists()  # stopped before its first page: no feed, no record
        resumed = runner.run("-a", "tags=fill-mask", *job)  # the hub now answers at once
    assert resumed.returncode == 0, resumed.log[-2000:]
    assert resumed.report["resumed"] is True and len(resumed.lines) == 3


@pytest.mark.parametrize("behaviour,source", [("self_link", "api"), ("html_repeat", "html"),
                                              ("cards_no_total", "html")])
def test_pagination_that_loops_ends_the_stream_with_a_clear_error(tmp_path, behaviour, source):
    with HostileHub(behaviour) as hub:
        result = CrawlRunner(hub.url, tmp_path).run("-a", "tags=fill-mask", "-a", f"source={source}", *QUICK,
                                                    timeout=60)
        listing = [p for _, p in hub.requests if not p.startswith("/api/models-tags")]
    assert result.returncode == 1
    assert len(listing) <= 3
    why = result.report["incomplete_streams"]["tag:fill-mask"]
    assert "loop" in why or "repeat" in why
    assert len(result.lines) == len({line["id"] for line in result.lines}) > 0


# -------------------------------------------------------------------------------------------------------- crashes

def test_a_stream_failed_on_an_off_hub_link_resumes_from_its_last_good_page(tmp_path):
    job = ("-s", f"JOBDIR={tmp_path / 'job'}")
    with HostileHub("offsite_link") as hub:
        runner = CrawlRunner(hub.url, tmp_path)
        first = runner.run("-a", "tags=fill-mask", *job, *QUICK)
        assert first.returncode == 1 and "not the Hub" in first.report["incomplete_streams"]["tag:fill-mask"]
        hub.options["next"] = f"{hub.url}/api/models?cursor=2"  # the Hub mends its link
        second = runner.run("-a", "tags=fill-mask", *job, *QUICK)
    assert second.returncode == 0, second.log[-2000:]
    assert "None" not in [p for _, p in hub.requests]
    assert sorted(line["id"] for line in second.lines) == ["first/model-0", "first/model-1",
                                                           "second/model-0", "second/model-1"]


@pytest.mark.parametrize("endpoint,shown", [
    ("huggingface.co", "is not a base URL"), ("ftp://127.0.0.1/", "is not a base URL"),
    ("http://127.0.0.1:99999", "port"), ("http://127.0.0.1:abc", "port"),
    ("http://user:hunter2secret@127.0.0.1:9", "credentials"),
])
def test_a_bad_hf_endpoint_is_one_line_and_never_echoes_a_password(tmp_path, endpoint, shown):
    result = CrawlRunner(endpoint, tmp_path).run("-a", "tags=fill-mask")
    _one_line_error(result, "HF_ENDPOINT", shown)
    assert "hunter2secret" not in result.log


@pytest.mark.parametrize("content", [b"[]", b'{"version": 1, "source": "api", "endp', b'{"version": 1, "source": 3}',
                                     b'{"version": 1, "source": "api", "endpoint": "x", "asked": {}, '
                                     b'"streams": {"tag:a": {"kind": "tag", "value": "a", "pages": "many"}}}'],
                         ids=["list", "truncated", "wrong-type", "wrong-stream-type"])
def test_a_corrupt_checkpoint_is_unreadable_and_says_how_to_start_over(crawl, tmp_path, content):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "hfcrawl-checkpoint.json").write_bytes(content)
    result = crawl.run("-a", "tags=graph-ml", "-s", f"JOBDIR={tmp_path / 'job'}")
    _one_line_error(result, "is unreadable", "to start over")


def test_a_checkpoint_holding_a_stream_not_asked_for_is_refused_and_tag_order_does_not_matter(crawl, tmp_path):
    job = ("-s", f"JOBDIR={tmp_path / 'job'}")
    assert crawl.run("-a", "tags=graph-ml,image-to-3d", *job).returncode == 0
    assert crawl.run("-a", "tags=image-to-3d,graph-ml", *job).returncode == 0  # the same crawl
    checkpoint = tmp_path / "job" / "hfcrawl-checkpoint.json"
    data = json.loads(checkpoint.read_text())
    data["streams"]["tag:fill-mask"] = dict(data["streams"]["tag:graph-ml"], value="fill-mask", status="running")
    checkpoint.write_text(json.dumps(data))
    result = crawl.run("-a", "tags=graph-ml,image-to-3d", *job)
    _one_line_error(result, "did not ask for", "tag:fill-mask")


@pytest.mark.parametrize("args,words", [
    (("-s", "HFCRAWL_REQUEST_BUDGET=abc"), ("HFCRAWL_REQUEST_BUDGET", "not a number")),
    (("-s", "HFCRAWL_MAX_WAIT=-1"), ("HFCRAWL_MAX_WAIT",)),
    (("-O", "{tmp}/out.csv"), ("format 'csv'",)),
    (("-O", "s3://bucket/feed.jsonl"), ("only local files",)),
    (("-O", "{tmp}:jsonl"), ("is a directory",)),
    (("-s", "JOBDIR={tmp}/afile"), ("is a file",)),
], ids=["budget", "max-wait", "csv", "s3", "directory", "jobdir-file"])
def test_bad_settings_and_targets_are_one_line_errors(crawl, tmp_path, args, words):
    (tmp_path / "afile").write_text("x")
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    command = crawl.command("-a", "tags=graph-ml", *args)
    if args[0] == "-O":
        del command[command.index("-O"):command.index("-O") + 2]  # the runner's own -O
    proc = subprocess.run(command, cwd=ROOT, env=crawl.environment(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    for word in ("Cannot start the crawl", *words):
        assert word in proc.stderr, proc.stderr[-2000:]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_jobdir_is_a_one_line_error(crawl, tmp_path):
    job = tmp_path / "job"
    job.mkdir()
    job.chmod(0o500)
    try:
        _one_line_error(crawl.run("-a", "tags=graph-ml", "-s", f"JOBDIR={job}"), "cannot write")
    finally:
        job.chmod(0o700)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_stops_the_crawl_at_once_and_the_report_says_so(crawl, hub, tmp_path):
    crawl.feed = Path("/dev/full:jsonl")  # the runner's -O: every write fails with ENOSPC
    record = tmp_path / "full.crawl.json"  # HFCRAWL_REPORT: not beside /dev/full
    result = crawl.run("-a", "tags=fill-mask", "-a", "page_size=100", "-s", f"HFCRAWL_REPORT={record}")
    result.report_path = record
    assert result.returncode == 1
    assert "No space left on device" in result.report["fatal_error"]
    assert result.report["pages_fetched_this_run"] == 0
    assert hub.stats()["requests"] <= 1 + 8  # discovery, then the first pages in flight; not the 100 pages
    assert "Crawl failed: cannot write the feed /dev/full" in result.log.rstrip().splitlines()[-1]


def test_nothing_listening_fails_in_seconds_with_each_retry_logged(tmp_path):
    url = _closed_port_url()
    started = time.monotonic()
    result = CrawlRunner(url, tmp_path).run("-a", "tags=fill-mask")  # default RETRY_TIMES and back-off
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert f"Retrying {url}/api/models-tags-by-type" in result.log and " in " in result.log
    assert "Crawl failed: cannot fetch the Hub's task tags" in result.log.rstrip().splitlines()[-1]


def test_a_silent_hub_logs_each_timeout_and_says_why_it_failed(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections are accepted by the kernel, nothing ever answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        result = CrawlRunner(url, tmp_path).run("-a", "tags=fill-mask", "-s", "DOWNLOAD_TIMEOUT=1",
                                                "-s", "RETRY_TIMES=2")
    retries = [line for line in result.log.splitlines() if "INFO: Retrying" in line]
    assert len(retries) == 2 and all(url in line and "took longer than" in line for line in retries)
    assert "Crawl failed:" in result.log.rstrip().splitlines()[-1]


def test_a_server_on_this_machine_that_is_not_the_replay_hub_is_recorded_as_loopback(tmp_path):
    with HostileHub("retry_after", value="0.1") as hub:
        result = CrawlRunner(hub.url, tmp_path).run("-a", "tags=fill-mask", *QUICK)
    assert result.returncode == 0, result.log[-2000:]
    origin = result.report["origin"]
    assert origin["kind"] == "loopback" and origin["server"] is None and origin["synthetic"] is False
    assert origin["answered"] is True and origin["mismatched_responses"] == 0
    told = [line for line in result.log_lines if "origin:" in line]
    assert told == [told[0]] and told[0].endswith(f"origin: a server on this machine that is not the replay hub, "
                                                  f"at {hub.url}")
