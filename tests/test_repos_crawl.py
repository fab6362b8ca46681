"""`scrapy crawl repos` as a user runs it, against the replay hub's (synthetic) repository histories.

Expected values come from the hub's own histories (`hub.core.repos`), requests are counted by the hub.
"""
from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.crawling import CrawlRunner
from tests.paths import ROOT

TAGS = ("depth-estimation", "text-to-video", "table-question-answering", "tabular-regression")
FIELDS = ("sha", "branches", "tags", "commit_count", "last_commit_at", "base_model", "new_version")

pytestmark = pytest.mark.e2e


class ReposRunner(CrawlRunner):
    """`scrapy crawl repos -O <workdir>/repos.jsonl ...`."""

    spider = "repos"

    def __init__(self, endpoint: str, workdir: Path, name: str = "repos.jsonl"):
        super().__init__(endpoint, workdir)
        self.feed = workdir / name
        self.log_path = workdir / "repos.log"


@pytest.fixture(scope="module")
def models_feed(hub, tmp_path_factory) -> Path:
    """A models feed of four tags, crawled from the hub as a user would (it carries sha and the card fields)."""
    runner = CrawlRunner(hub.url, tmp_path_factory.mktemp("models"))
    result = runner.run("-a", f"tags={','.join(TAGS)}")
    assert result.returncode == 0, result.log[-2000:]
    return runner.feed


@pytest.fixture
def repos(hub, tmp_path):
    hub.set_faults(None)
    hub.reset_stats()
    return ReposRunner(hub.url, tmp_path)


def _expected(hub, model_id: str) -> dict | None:
    summary = hub.core.repos.summary(model_id)
    return None if summary is None else {k: summary[k] for k in FIELDS}


def _ids_of(feed: Path) -> list[str]:
    return [json.loads(line)["id"] for line in feed.read_text().splitlines()]


def _deleted_and_ok_ids(hub, exclude: set[str]) -> tuple[str, str]:
    ids = [m for m in hub.universe.ids[:3000] if m not in exclude]
    deleted = next(m for m in ids if hub.core.repos.summary(m) is None)
    ok = next(m for m in ids if hub.core.repos.summary(m) is not None and m != deleted)
    return deleted, ok


def test_count_mode_writes_one_line_per_id_with_what_the_hub_holds_at_the_floor_of_requests(hub, repos, models_feed):
    listed = _ids_of(models_feed)
    deleted, extra = _deleted_and_ok_ids(hub, set(listed))
    id_file = repos.workdir / "more-ids.txt"
    id_file.write_text(f"{deleted}\n{extra}\n{listed[0]}\n")  # listed[0] again: crawled once
    result = repos.run("-a", f"input={models_feed},{id_file}", "-s", "HFCRAWL_PROGRESS_INTERVAL=0.2")
    assert result.returncode == 0, result.log[-3000:]
    lines = {line["id"]: line for line in result.lines}
    assert len(result.lines) == len(lines) == len(set(listed)) + 2
    gone = 0
    for model_id, line in lines.items():
        expected = _expected(hub, model_id)
        if expected is None:
            gone += 1
            assert line["status"] == "not_found" and line["commit_count"] is None
        else:
            assert line["status"] == "ok" and {k: line[k] for k in FIELDS} == expected, model_id
            assert line["commits"] is None and line["history"] == "count"
    assert lines[deleted]["status"] == "not_found" and gone >= 2  # one listed by a tag, one from the ids file
    assert sum(bool(line["new_version"]) for line in result.lines) >= 3
    assert sum(bool(line["base_model"]) for line in result.lines) >= 30
    # the floor: refs + a one-commit page per repository; model info only for the id without card fields;
    # one call for a repository gone (its 404 is not retried)
    stats = hub.stats()
    assert stats["requests"] == 2 * (len(lines) - gone - 1) + 3 + gone, (stats["statuses"], stats["repos"],
                                                                         result.report.get("retries_by_reason"))
    assert stats["repos"]["repeated"] == 0
    report = result.report
    assert report["complete"] and report["repos"]["not_found"] == gone and report["repos"]["ok"] == len(lines) - gone
    assert report["feed"] == str(repos.feed.resolve()) and report["origin"]["kind"] == "replay-hub"
    by_task = Counter(json.loads(line)["crawl_tag"] for line in models_feed.read_text().splitlines())
    by_task["(no task)"] = 2  # the ids file's two new ids (its third is the feed's)
    assert report["sample"] == {"method": "all", "size": len(lines), "per_task": None, "seed": None,
                                "population": len(lines), "population_by_task": dict(sorted(by_task.items())),
                                "sampled_by_task": dict(sorted(by_task.items()))}
    # the log speaks of repositories; its last progress line says the crawl is done, not "0m00s left"
    progress = [line for line in result.log_lines if "[hfcrawl.repos_progress]" in line]
    assert len(progress) >= 2 and all("Repositories: " in line for line in progress)
    assert progress[-1].endswith("no repository left") and "0m00s" not in "".join(progress)
    assert f"Crawling {len(lines):,} repositories on" in result.log and " models" not in result.last_line
    assert result.last_line.endswith(f"Crawl complete: {len(lines):,} repositories written this run")
    for noise in ("py.warnings", "scrapy_splash", "Overridden settings", "Dumping Scrapy stats", "Enabled ",
                  "experimental", "Referer", "WARNING"):
        assert noise not in result.log, noise


def test_the_crawl_on_the_twisted_reactor_writes_the_same_feed(hub, repos, models_feed):
    """The repos crawl runs on plain asyncio (HFCRAWL_ASYNCIO_SPIDERS); -s TWISTED_REACTOR_ENABLED=True puts it back
    on Twisted's reactor and HTTP client: same lines, same calls, progress lines in both."""
    feeds = {}
    for reactor in ("False", "True"):
        hub.reset_stats()
        runner = ReposRunner(hub.url, repos.workdir / f"reactor-{reactor}")
        result = runner.run("-a", f"input={models_feed}", "-s", f"TWISTED_REACTOR_ENABLED={reactor}",
                            "-s", "HFCRAWL_PROGRESS_INTERVAL=0.2", "-L", "DEBUG")
        assert result.returncode == 0, result.log[-3000:]
        assert ("Using reactor: twisted" in result.log) == (reactor == "True")
        assert sum("[hfcrawl.repos_progress]" in line for line in result.log_lines) >= 2
        feeds[reactor] = ({line["id"]: {k: v for k, v in line.items() if k != "crawled_at"} for line in result.lines},
                          hub.stats()["requests"])
    assert feeds["False"] == feeds["True"] and len(feeds["True"][0]) == len(_ids_of(models_feed))


def test_the_benchmarks_bare_scrapy_floor_makes_the_crawls_calls(hub, repos, models_feed):
    """bench_repos' `scrapy` part (benchmarks/bare_scrapy.py) is the crawl's count mode with Scrapy's optional
    components taken out: if it asked less, its pace would not be a floor for the crawl's."""
    result = repos.run("-a", f"input={models_feed}")
    assert result.returncode == 0, result.log[-3000:]
    crawl_calls, gone = hub.stats()["requests"], sum(line["status"] == "not_found" for line in result.lines)
    ids = repos.workdir / "ids.txt"
    ids.write_text("\n".join(_ids_of(models_feed)) + "\n")
    hub.reset_stats()
    peer = subprocess.run([sys.executable, "-m", "benchmarks.bench_repos", "--peer", hub.url, str(ids), "4",
                           "--peer-kind", "scrapy"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert peer.returncode == 0, peer.stderr[-2000:]
    assert json.loads(peer.stdout.splitlines()[-1]) == {"repos": len(result.lines), "not_found": gone}
    assert hub.stats()["requests"] == crawl_calls and gone >= 1
    assert "Traceback" not in peer.stderr and "Deprecat" not in peer.stderr


def test_card_info_asks_model_info_for_every_repository(hub, repos, models_feed):
    result = repos.run("-a", f"input={models_feed}", "-a", "card=info")
    assert result.returncode == 0, result.log[-3000:]
    ok = sum(line["status"] == "ok" for line in result.lines)
    assert hub.stats()["requests"] == 3 * ok + (len(result.lines) - ok)
    for line in result.lines:
        expected = _expected(hub, line["id"])
        assert expected is None or {k: line[k] for k in FIELDS} == expected


def test_full_mode_gives_every_commit_following_link_pages(hub, repos):
    long = next(m for m in hub.universe.ids[:60000]
                if (s := hub.core.repos.summary(m)) and 1000 < s["commit_count"] <= 3000)
    ids = [long, "bert-base-uncased", "bert-base-chinese"]
    result = repos.run("-a", f"ids={','.join(ids)}", "-a", "history=full")
    assert result.returncode == 0, result.log[-3000:]
    assert [line["id"] for line in sorted(result.lines, key=lambda r: ids.index(r["id"]))] == ids
    pages = 0
    for line in result.lines:
        expected = hub.core.repos.commits(line["id"])
        assert line["commits"] == [{"id": c["id"], "date": c["date"], "title": c["title"],
                                    "authors": [a["user"] for a in c["authors"]]} for c in expected]
        assert line["commit_count"] == len(expected) and line["history"] == "full"
        assert line["commits"][-1]["title"] == "initial commit" and line["commits"][-1]["authors"] == ["system"]
        pages += math.ceil(len(expected) / 1000)
    assert hub.stats()["requests"] == len(ids) * 2 + pages  # refs + model info + the commit pages


def test_since_carries_unchanged_repositories_over_without_a_request(hub, repos, models_feed):
    first = repos.run("-a", f"input={models_feed}")
    assert first.returncode == 0, first.log[-3000:]
    previous = {line["id"]: line for line in first.lines}
    gone = sum(line["status"] == "not_found" for line in first.lines)
    # three models changed since: the models feed now gives another sha for them
    models = [json.loads(line) for line in models_feed.read_text().splitlines()]
    changed = [m["id"] for m in models if previous[m["id"]]["status"] == "ok"][:3]
    for m in models:
        if m["id"] in changed:
            m["sha"] = "f" * 40
    newer = repos.workdir / "models-newer.jsonl"
    newer.write_text("".join(json.dumps(m) + "\n" for m in models))
    hub.reset_stats()
    second = ReposRunner(hub.url, repos.workdir, "repos-2.jsonl").run("-a", f"input={newer}", "-a",
                                                                     f"since={first.feed}")
    assert second.returncode == 0, second.log[-3000:]
    lines = {line["id"]: line for line in second.lines}
    assert len(lines) == len(second.lines) == len(previous)
    for model_id, line in lines.items():
        if model_id in changed or previous[model_id]["status"] != "ok":
            assert "carried_over" not in line
        else:
            assert line == {**previous[model_id], "carried_over": True}
    assert hub.stats()["requests"] == 2 * len(changed) + gone  # 0 for the carried-over repositories
    assert second.report["repos"]["carried_over"] == len(previous) - len(changed) - gone


def test_samples_are_reproducible_and_per_task_takes_each_tag_equally(hub, repos, models_feed):
    tag_of = {json.loads(line)["id"]: json.loads(line)["crawl_tag"] for line in models_feed.read_text().splitlines()}
    runs, designs = {}, {}
    for name, args in (("a", ("-a", "sample=25", "-a", "seed=3")), ("b", ("-a", "sample=25", "-a", "seed=3")),
                       ("c", ("-a", "sample=25", "-a", "seed=4")), ("t", ("-a", "per_task=5", "-a", "seed=3"))):
        result = ReposRunner(hub.url, repos.workdir, f"repos-{name}.jsonl").run("-a", f"input={models_feed}", *args)
        assert result.returncode == 0, result.log[-3000:]
        runs[name] = sorted(line["id"] for line in result.lines)
        designs[name] = result.report["sample"]
    assert len(runs["a"]) == 25 and set(runs["a"]) <= set(tag_of)
    assert runs["a"] == runs["b"] and runs["a"] != runs["c"]
    assert sorted(tag_of[m] for m in runs["t"]) == sorted([*TAGS] * 5)
    assert result.report["repos"]["asked"]["per_task"] == 5 and result.report["repos"]["sampled"] == 20
    # the design, in counts, for intervals over the population the sample was drawn from
    population = dict(sorted(Counter(tag_of.values()).items()))
    assert designs["a"] == {"method": "random", "size": 25, "per_task": None, "seed": "3",
                            "population": len(tag_of), "population_by_task": population,
                            "sampled_by_task": dict(sorted(Counter(tag_of[m] for m in runs["a"]).items()))}
    assert designs["t"] == {"method": "per_task", "size": 20, "per_task": 5, "seed": "3", "population": len(tag_of),
                            "population_by_task": population, "sampled_by_task": dict.fromkeys(sorted(TAGS), 5)}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_resume_after_a_stop_loses_nothing_and_asks_no_finished_repository_again(hub, repos, models_feed, sig):
    hub.set_faults({"kind": "slow", "delay": 0.05, "route": ["repo"]})
    jobdir = repos.workdir / "job"
    args = ("-a", f"input={models_feed}", "-s", f"JOBDIR={jobdir}", "-s", "CONCURRENT_REQUESTS=2")
    code = repos.interrupt_when(repos.start(*args), min_lines=40, sig=sig)
    assert code != 0
    done = [json.loads(line)["id"] for line in repos.feed.read_bytes().split(b"\n")[:-1]]
    assert 40 <= len(done) < len(_ids_of(models_feed))
    hub.set_faults(None)
    hub.reset_stats()
    result = repos.run(*args)
    assert result.returncode == 0, result.log[-3000:]
    ids = [line["id"] for line in result.lines]
    assert sorted(ids) == sorted(set(_ids_of(models_feed)))  # every id, once
    asked = {model_id for _, model_id in hub.core.repos.requests}
    assert not asked & set(done)
    assert hub.stats()["repos"]["repeated"] == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_while_requests_wait_fails_no_repository_and_the_resumed_run_completes(hub, repos, models_feed, sig):
    # after 60 calls the Hub asks for a 30 s pause: the stop comes while the requests under way wait for it
    hub.set_faults({"kind": "burst429", "route": ["repo"], "after": 60, "every": 1, "times": 1, "reset": 30})
    args = ("-a", f"input={models_feed}", "-s", f"JOBDIR={repos.workdir / 'job'}", "-s", "CONCURRENT_REQUESTS=2")
    proc = repos.start(*args)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "Waiting 30.0 s before any further request" not in (
            repos.log_path.read_text() if repos.log_path.exists() else ""):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    stopped = repos.result(proc.wait(60))
    assert stopped.returncode == 1
    done = [json.loads(line)["id"] for line in repos.feed.read_bytes().split(b"\n")[:-1]]
    waiting = re.search(r"429 with RateLimit t=30 on \S+/api/models/(.+?)(?:/refs|/commits/|\?)", stopped.log)
    assert waiting and waiting.group(1) not in done  # its retry was waiting for the pause when the stop came
    assert stopped.report["finish_reason"] == "shutdown"
    assert stopped.report["repos"]["failed"] == 0 and "not crawled" not in stopped.log
    assert stopped.report["incomplete_streams"] == {"repos:input": f"not finished (next page: {len(done)})"}
    assert "the crawl was stopped (shutdown); run the same command again" in stopped.log.strip().splitlines()[-1]
    hub.set_faults(None)
    hub.reset_stats()  # and the pause the Hub announced
    result = repos.run(*args)
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(line["id"] for line in result.lines) == sorted(set(_ids_of(models_feed)))  # every id, once
    assert not {model_id for _, model_id in hub.core.repos.requests} & set(done)


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "nothing to crawl"),
    (lambda d: ("input", d / "missing.jsonl"), "no such file"),
    (lambda d: ("input", _write(d / "empty.jsonl", "")), "empty"),
    (lambda d: ("input", _write(d / "data.csv", "id,downloads\na/b,3\n")), "is not a model id"),
    (lambda d: ("input", _write(d / "models.jsonl", '{"id": "a/b"}\n[1, 2]\n')), "not a feed line"),
    (lambda d: ("ids", "bert-base-uncased,not an id"), "is not a model id"),
    (lambda d: ("since", _write(d / "models.jsonl", '{"id": "a/b", "sha": "x"}\n')), "not a repos feed"),
    (lambda d: ("sample", "zero"), "sample='zero'"),
])
def test_bad_input_is_refused_in_one_line_before_any_request(hub, repos, models_feed, make, message):
    name, value = make(repos.workdir) or (None, None)
    args = ["-a", f"{name}={value}"] if name else []
    if name in ("since", "sample"):
        args += ["-a", f"input={models_feed}"]
    repos.feed.write_text('{"id": "kept/line"}\n')
    record = b'{"feed": "repos.jsonl", "note": "the record of the feed above"}\n'
    repos.report_path.write_bytes(record)
    result = repos.run(*args)
    assert result.returncode == 1
    assert repos.feed.read_text() == '{"id": "kept/line"}\n'  # an existing output survives a refused run
    assert repos.report_path.read_bytes() == record  # and so does its record
    assert message in result.last_line and any(message in line for line in result.log_lines[:20])
    errors = [line for line in result.log.splitlines() if "ERROR" in line]
    assert any(message in line for line in errors), errors
    assert "Traceback" not in result.log
    assert hub.stats()["requests"] == 0


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _repositories_with_main(hub, n: int) -> list[str]:
    """n ids of repositories the hub holds (not deleted), each with a main branch (so commits are asked)."""
    return [m for m in hub.universe.ids[:3000] if (s := hub.core.repos.summary(m)) and "main" in s["branches"]][:n]


def _asked(hub, kind: str, model_id: str) -> int:
    return hub.core.repos.requests[(kind, model_id)]


def test_a_body_cut_short_once_is_asked_again_and_its_line_is_whole(hub, repos):
    ids = _repositories_with_main(hub, 3)
    cut_refs, cut_commits = ids[0], ids[1]
    hub.set_faults([{"kind": "truncate", "route": ["repo"], "path": f"/api/models/{cut_refs}/refs", "times": 1},
                    {"kind": "truncate", "route": ["repo"], "path": f"/api/models/{cut_commits}/commits", "times": 1}])
    result = repos.run("-a", f"ids={','.join(ids)}", "-a", "card=info")
    assert result.returncode == 0, result.log[-3000:]
    lines = {line["id"]: line for line in result.lines}
    assert sorted(lines) == sorted(ids)
    for model_id in ids:
        assert lines[model_id]["status"] == "ok" and {k: lines[model_id][k] for k in FIELDS} == _expected(hub, model_id)
    assert (_asked(hub, "refs", cut_refs), _asked(hub, "commits", cut_refs)) == (2, 1)
    assert (_asked(hub, "refs", cut_commits), _asked(hub, "commits", cut_commits)) == (1, 2)
    report = result.report
    assert report["complete"] and report["repos"]["failed"] == 0 and report["retries_by_reason"] == {"bad body": 2}


def test_a_repository_whose_body_is_always_bad_fails_alone_and_the_input_goes_on(hub, repos):
    ids = _repositories_with_main(hub, 12)
    bad = ids[0]  # the first: with two repositories at once, the other ten wait for its place to be freed
    hub.set_faults({"kind": "truncate", "route": ["repo"], "path": f"/api/models/{bad}/"})
    result = repos.run("-a", f"ids={','.join(ids)}", "-s", "HFCRAWL_REPOS_INFLIGHT=2", timeout=120)
    assert result.returncode == 1, result.log[-3000:]
    assert sorted(line["id"] for line in result.lines) == sorted(ids[1:])
    assert all(line["status"] == "ok" for line in result.lines)
    assert _asked(hub, "refs", bad) == 1 + 5  # RETRY_TIMES
    report = result.report
    assert report["complete"] is False and report["repos"]["failed"] == 1 and report["repos"]["ok"] == len(ids) - 1
    error = report["incomplete_streams"]["repos:input"]
    assert bad in error and "gave up on a bad body" in error and "run again" in error
    assert "Crawl failed: 1 stream(s) incomplete" in result.log.strip().splitlines()[-1]


def test_an_unknown_layout_is_asked_only_hfcrawl_layout_retries_times_more(hub, repos):
    ids = _repositories_with_main(hub, 4)
    changed = ids[1]
    hub.set_faults({"kind": "layout", "route": ["repo"], "path": f"/api/models/{changed}/"})
    result = repos.run("-a", f"ids={','.join(ids)}", "-s", "HFCRAWL_LAYOUT_RETRIES=3")
    assert result.returncode == 1, result.log[-3000:]
    assert sorted(line["id"] for line in result.lines) == sorted(set(ids) - {changed})
    assert _asked(hub, "refs", changed) == 1 + 3 and _asked(hub, "commits", changed) == 0  # not RETRY_TIMES (5)
    report = result.report
    assert report["repos"]["failed"] == 1 and report["retries_by_reason"] == {"unexpected layout": 3}
    assert "the layout changed" in report["incomplete_streams"]["repos:input"]


def test_since_that_is_the_output_or_without_shas_to_compare_is_refused(hub, repos, models_feed):
    first = repos.run("-a", "ids=bert-base-uncased")
    assert first.returncode == 0, first.log[-3000:]
    before = repos.feed.read_bytes()
    hub.reset_stats()
    same = repos.run("-a", f"input={models_feed}", "-a", f"since={repos.feed}")
    ids_only = ReposRunner(hub.url, repos.workdir, "other.jsonl").run("-a", "ids=bert-base-uncased",
                                                                     "-a", f"since={repos.feed}")
    assert same.returncode == ids_only.returncode == 1
    assert "is also the output feed" in same.log and "the input gives no sha" in ids_only.log
    assert repos.feed.read_bytes() == before and hub.stats()["requests"] == 0


def test_histories_are_whole_when_threads_of_the_hub_ask_at_once(hub):
    """The hub answers from many threads: none may see a lineage table half built (a card without its successor)."""
    from concurrent.futures import ThreadPoolExecutor

    from hubreplay.repos import RepoHistories

    full = RepoHistories(hub.universe).successors()
    for _ in range(3):
        fresh = RepoHistories(hub.universe)
        with ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(lambda _, h=fresh: len(h.successors()), range(64)))
        assert seen == [len(full)] * 64
