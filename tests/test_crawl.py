"""The crawler end to end: real `scrapy crawl` processes against the replay hub of the study's 2024 data."""
from __future__ import annotations

import json
import math
import subprocess

import pytest

from hfcrawl.provenance import record_path
from hubreplay.reply import SERVER
from tests.paths import LISTS, ROOT

pytestmark = pytest.mark.e2e  # every test here runs real crawls against a real server

SMALL_TAGS = ["fill-mask", "image-to-3d", "depth-estimation", "graph-ml"]
ORGS = ["google", "facebook", "openai"]


def _list(name: str) -> list[str]:
    return (LISTS / f"{name}.txt").read_text().split()


def _check_tags_exact(result, tags):
    by_tag = result.ids_by("crawl_tag")
    assert sorted(by_tag) == sorted(tags)
    for tag in tags:
        written = by_tag[tag]
        assert len(written) == len(set(written)), f"{tag}: a model written twice"
        assert set(written) == set(_list(tag)), f"{tag}: ids differ from the study's list"


def test_api_crawl_of_some_tags_writes_exactly_their_lists_with_minimal_requests(hub, crawl):
    result = crawl.run("-a", f"tags={','.join(SMALL_TAGS)}")
    assert result.returncode == 0, result.log[-3000:]
    _check_tags_exact(result, SMALL_TAGS)
    stats = hub.stats()
    pages = sum(math.ceil(len(_list(t)) / 1000) for t in SMALL_TAGS)
    assert stats["requests"] == pages + 1  # the listing pages, plus tag discovery
    line = next(r for r in result.lines if r["id"] == "bert-base-uncased")
    assert line["author"] is None and line["name"] == "bert-base-uncased"  # legacy one-part id
    assert line["crawl_author"] is None and line["source"] == "api" and line["crawled_at"].endswith("Z")
    assert isinstance(line["tags"], list) and "fill-mask" in line["tags"]
    report = result.report
    assert report["complete"] and report["source"] == "api" and report["endpoint"] == hub.url
    assert report["streams"]["tag:fill-mask"]["models_written"] == len(_list("fill-mask"))
    assert report["streams"]["tag:fill-mask"]["pages_fetched"] == math.ceil(len(_list("fill-mask")) / 1000)
    assert report["http_429"] == 0 and report["retries"] == 0
    assert report["feed"] == str(result.feed.resolve())  # absolute: the analysis finds the record by it
    assert report["origin"] == {"kind": "replay-hub", "endpoint": hub.url, "server": SERVER, "synthetic": True,
                                "answered": True, "mismatched_responses": 0, "first_mismatch": None}
    told = [line for line in result.log_lines if "origin:" in line]
    assert len(told) == 1 and told[0].endswith(f"INFO: origin: the replay hub {SERVER} at {hub.url} (synthetic data)")


def test_the_listing_crawl_on_the_twisted_reactor_writes_the_same_feed(hub, crawl):
    """The listing crawl runs on plain asyncio (HFCRAWL_ASYNCIO_SPIDERS); -s TWISTED_REACTOR_ENABLED=True puts it back
    on Twisted's reactor and HTTP client: the same lines with the same requests, and progress lines in both."""
    feeds = {}
    for reactor in ("False", "True"):
        hub.reset_stats()
        result = crawl.run("-a", f"tags={','.join(SMALL_TAGS)}", "-s", f"TWISTED_REACTOR_ENABLED={reactor}",
                           "-s", "HFCRAWL_PROGRESS_INTERVAL=0.2", "-L", "DEBUG")
        assert result.returncode == 0, result.log[-3000:]
        assert ("Using reactor: twisted" in result.log) == (reactor == "True")
        assert any("Progress:" in line for line in result.log_lines)
        lines = {line["id"]: {k: v for k, v in line.items() if k != "crawled_at"} for line in result.lines}
        assert len(lines) == len(result.lines)  # streams interleave as pages arrive: compared by id
        feeds[reactor] = (lines, hub.stats()["requests"])
    assert feeds["False"] == feeds["True"] and len(feeds["True"][0]) == sum(len(_list(t)) for t in SMALL_TAGS)


def test_html_crawl_of_some_tags_writes_exactly_their_lists_with_minimal_requests(hub, crawl):
    result = crawl.run("-a", f"tags={','.join(SMALL_TAGS)}", "-a", "source=html")
    assert result.returncode == 0, result.log[-3000:]
    _check_tags_exact(result, SMALL_TAGS)
    pages = sum(math.ceil(len(_list(t)) / 30) for t in SMALL_TAGS)
    assert hub.stats()["requests"] == pages + 1
    report = result.report
    assert report["streams"]["tag:fill-mask"]["advertised_total"] == len(_list("fill-mask"))
    assert all(r["source"] == "html" and r["tags"] is None for r in result.lines)


@pytest.mark.parametrize("source", ["api", "html"])
def test_authors_crawl_writes_exactly_the_company_lists(crawl, source):
    result = crawl.run("-a", f"authors={','.join(ORGS)}", "-a", f"source={source}")
    assert result.returncode == 0, result.log[-3000:]
    by_author = result.ids_by("crawl_author")
    assert sorted(by_author) == sorted(ORGS)
    for org in ORGS:
        assert sorted(by_author[org]) == sorted(_list(org))
    assert all(r["crawl_tag"] is None for r in result.lines)


def test_tags_and_authors_together_keep_both_memberships(crawl):
    result = crawl.run("-a", "tags=fill-mask", "-a", "authors=google")
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(result.ids_by("crawl_tag")["fill-mask"]) == sorted(_list("fill-mask"))
    assert sorted(result.ids_by("crawl_author")["google"]) == sorted(_list("google"))


@pytest.mark.slow
@pytest.mark.parametrize("source", ["api", "html"])
def test_every_tag_by_default_writes_all_42_lists(hub, crawl, source):
    """`scrapy crawl models` with no argument: every tag the Hub lists, every model of each."""
    result = crawl.run("-a", f"source={source}", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                       "-s", "CONCURRENT_REQUESTS=16", timeout=1200)
    assert result.returncode == 0, result.log[-3000:]
    tags = sorted(p.stem for p in LISTS.glob("*.txt") if p.stem not in ORGS)
    assert len(tags) == 42
    _check_tags_exact(result, tags)
    assert len(result.lines) == 239_091
    size = 1000 if source == "api" else 30
    assert hub.stats()["requests"] == sum(math.ceil(len(_list(t)) / size) for t in tags) + 1


def _fails_early(result, *words: str) -> None:
    """Exit 1; the reason in the last line and within the first 20 lines of the output."""
    assert result.returncode == 1, result.log[-3000:]
    assert "Crawl failed: " in result.last_line and all(w in result.last_line for w in words), result.last_line
    assert any(all(w in line for w in words) for line in result.log_lines[:20]), "\n".join(result.log_lines[:20])
    assert "Traceback" not in result.log


def test_unknown_tag_is_a_clear_error_and_a_failed_command(crawl):
    result = crawl.run("-a", "tags=fill-mask,text-generaton")
    _fails_early(result, "unknown task tag(s)", "'text-generaton'", "did you mean text-generation")
    assert not result.lines
    assert not crawl.report_path.exists()  # no feed written, so no record


def test_unknown_author_is_a_clear_error_and_a_failed_command(crawl):
    result = crawl.run("-a", "authors=google,no-such-org-xyz")
    assert result.returncode != 0
    assert "no model listed for this author" in result.log and "no-such-org-xyz" in result.log
    assert sorted(result.ids_by("crawl_author")["google"]) == sorted(_list("google"))
    assert "author:no-such-org-xyz" in result.report["incomplete_streams"]


@pytest.mark.parametrize("arg", ["source=ftp", "tags=../../etc", "page_size=5000"])
def test_bad_arguments_fail_loudly(crawl, arg):
    result = crawl.run("-a", arg)
    assert result.returncode != 0
    assert "ERROR" in result.log


def test_progress_is_logged_per_tag_and_overall(hub, crawl):
    from hubreplay import Fault

    hub.set_faults(Fault("slow", delay=0.3, route="api"))
    result = crawl.run("-a", "tags=fill-mask,image-to-3d", "-s", "HFCRAWL_PROGRESS_INTERVAL=0.5")
    assert result.returncode == 0, result.log[-3000:]
    progress = [line for line in result.log.splitlines() if "Progress:" in line]
    assert len(progress) >= 3  # during the crawl, not only at the end
    assert "239" not in progress[-1]
    assert f"{len(_list('fill-mask')) + len(_list('image-to-3d')):,} models written" in progress[-1]
    assert any("fill-mask=" in line for line in result.log.splitlines() if "Per stream" in line)


def test_html_progress_shows_the_advertised_total(crawl):
    result = crawl.run("-a", "tags=graph-ml", "-a", "source=html", "-s", "HFCRAWL_PROGRESS_INTERVAL=0.2")
    n = len(_list("graph-ml"))
    assert f"graph-ml={n:,}/{n:,}" in result.log
    assert f"{n:,} models written of {n:,} advertised" in result.log


def test_user_can_send_the_feed_elsewhere_and_append_with_o(crawl, tmp_path):
    other = tmp_path / "elsewhere.jsonl"
    command = crawl.command("-a", "tags=graph-ml")
    assert "-O" in command
    first = crawl.run("-a", "tags=graph-ml")
    assert first.returncode == 0
    # -o appends, as Scrapy's own option does
    args = list(command)
    i = args.index("-O")
    args[i:i + 2] = ["-o", str(other)]
    for _ in range(2):
        subprocess.run(args, cwd=ROOT, env=crawl.environment(), check=True, capture_output=True)
    assert len(other.read_text().splitlines()) == 2 * len(_list("graph-ml"))


def _good_record(crawl) -> bytes:
    first = crawl.run("-a", "tags=graph-ml")
    assert first.returncode == 0, first.log[-2000:]
    return crawl.report_path.read_bytes()


@pytest.mark.parametrize("case", ["feed-exists", "typo-elsewhere", "jobdir-of-another-crawl"])
def test_a_run_that_writes_no_feed_leaves_every_record_byte_identical(crawl, tmp_path, case):
    record, feed = _good_record(crawl), crawl.feed.read_bytes()
    elsewhere = tmp_path / "elsewhere" / "x.jsonl"
    command = crawl.command("-a", "tags=graph-ml")
    i = command.index("-O")
    if case == "feed-exists":  # no -O: the crawl refuses to overwrite the feed
        command[i:i + 2] = ["-s", f"HFCRAWL_FEED={crawl.feed}"]
        words = ("already exists", f"-O {crawl.feed}")
    elif case == "typo-elsewhere":
        command[i + 1] = str(elsewhere)
        command[command.index("tags=graph-ml")] = "tags=grahp-ml"
        words = ("unknown task tag(s)", "'grahp-ml'")
    else:
        job = tmp_path / "job"
        other = crawl.command("-a", "tags=image-to-3d", "-s", f"JOBDIR={job}")
        other[other.index("-O") + 1] = str(tmp_path / "other.jsonl")
        subprocess.run(other, cwd=ROOT, env=crawl.environment(), check=True, capture_output=True, timeout=120)
        command += ["-s", f"JOBDIR={job}"]
        words = ("checkpoint",)
    proc = subprocess.run(command, cwd=ROOT, env=crawl.environment(), capture_output=True, text=True, timeout=120)
    result = type(crawl.result(0))(proc.returncode, proc.stderr, crawl.feed, crawl.report_path)
    _fails_early(result, *words)
    assert crawl.report_path.read_bytes() == record and crawl.feed.read_bytes() == feed
    assert not elsewhere.exists() and not record_path(elsewhere).exists()


def test_a_feed_sent_elsewhere_has_its_record_beside_it_and_output_records_are_left_alone(crawl, tmp_path):
    record = _good_record(crawl)
    elsewhere = tmp_path / "elsewhere" / "x.jsonl"
    args = crawl.command("-a", "tags=image-to-3d")
    args[args.index("-O") + 1] = str(elsewhere)
    subprocess.run(args, cwd=ROOT, env=crawl.environment(), check=True, capture_output=True, timeout=120)
    other = json.loads(record_path(elsewhere).read_text())
    assert other["feed"] == str(elsewhere.resolve()) and other["asked"]["tags"] == ["image-to-3d"]
    assert crawl.report_path.read_bytes() == record
    assert sorted(p.name for p in elsewhere.parent.iterdir()) == ["x.crawl.json", "x.jsonl"]


def test_the_default_log_is_quiet_and_debug_keeps_the_dumps(crawl):
    quiet = crawl.run("-a", "tags=graph-ml")
    assert quiet.returncode == 0
    lines = quiet.log_lines
    for noise in ("Overridden settings", "Dumping Scrapy stats", "Enabled downloader middlewares", "Versions:",
                  "ScrapyDeprecationWarning", "scrapy_splash", "py.warnings"):
        assert noise not in quiet.log, noise
    assert len(lines) <= 12, "\n".join(lines)  # the start, the origin, progress, the record, the last line
    assert lines[-1].endswith("Crawl complete: 73 models written this run") or "Crawl complete" in lines[-1]
    debug = crawl.run("-a", "tags=graph-ml", "-L", "DEBUG")
    assert debug.returncode == 0
    for dump in ("Overridden settings", "Dumping Scrapy stats", "Enabled downloader middlewares"):
        assert dump in debug.log, dump
    assert "scrapy_splash" not in debug.log  # without SPLASH_URL, scrapy-splash is not even loaded


def test_a_burst_of_429s_on_the_requests_in_flight_is_one_wait_in_the_log(hub, crawl):
    from hubreplay import Fault

    # four long streams, a page of each in flight; every 24th API request starts a burst of four 429s (1 s each):
    # the 429s of the pages in flight prolong one wait, they do not each log one
    hub.set_faults(Fault("burst429", every=24, burst=4, after=5, reset=1, route="api"))
    tags = "image-classification,question-answering,fill-mask,feature-extraction"
    result = crawl.run("-a", f"tags={tags}", "-a", "page_size=500")
    assert result.returncode == 0, result.log[-3000:]
    sent = hub.stats()["sent_429"]
    waits = [line for line in result.log_lines if "INFO: Waiting" in line]
    assert sent >= 8 and 1 <= len(waits) <= sent // 2, (sent, waits)
