"""benchmarks/record.py: the figures of docs/benchmarks.md are written by the benchmark scripts, one section each."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from benchmarks import record


def _sections(text: str) -> list[str]:
    return re.findall(r"^## (.+)$", text, flags=re.M)


def test_a_recorded_section_replaces_only_itself(tmp_path):
    md = tmp_path / "benchmarks.md"
    record.record_section("Crawl: 42 tags", [{"contender": "api", "wall s": 9.5}], command="bench A", path=md)
    record.record_section("Crawl: 42 tags, synthetic hub x13", [{"contender": "api", "wall s": 140.0}],
                          command="bench B", path=md)
    record.record_section("Study command: 2024 lists", [{"command": "study", "wall s": 11.0}], command="bench C",
                          path=md)
    record.record_section("Crawl: 42 tags", [{"contender": "api", "wall s": 7.25}], command="bench A2", path=md)
    text = md.read_text()
    assert text.startswith("# Benchmarks\n")
    assert _sections(text) == ["Crawl: 42 tags", "Crawl: 42 tags, synthetic hub x13", "Study command: 2024 lists"]
    assert "| api | 7.25 |" in text and "9.5" not in text and "bench A2" in text
    assert "| api | 140.0 |" in text and "| study | 11.0 |" in text   # the others untouched


def test_a_section_says_when_where_and_on_which_commit(tmp_path):
    md = tmp_path / "benchmarks.md"
    record.record_section("S", [{"case": "x", "models": 239091, "ok": True, "ratio": None}], command="c", path=md)
    text = md.read_text()
    assert re.search(r"Recorded \d{4}-\d\d-\d\d \d\d:\d\d UTC, commit `[0-9a-f]{4,}(\+dirty)?`, on \d+ cores, "
                     r"[\d.]+ GB memory, Python 3\.\d+", text), text
    assert "| x | 239,091 | yes | - |" in text
    assert "|---|---:|---|---:|" in text


def test_commit_is_marked_dirty_when_tracked_code_changed_not_the_figures_pages(tmp_path, tmp_path_factory):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "f.txt").write_text("a\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "benchmarks.md").write_text("figures\n")
    git("add", "f.txt", "docs")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    clean = record.git_commit(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{4,}", clean)
    (tmp_path / "docs" / "benchmarks.md").write_text("figures recorded by an earlier benchmark\n")
    assert record.git_commit(tmp_path) == clean  # the figures' page is not the code measured
    (tmp_path / "f.txt").write_text("b\n")
    assert record.git_commit(tmp_path) == clean + "+dirty"
    assert record.git_commit(tmp_path_factory.mktemp("not-a-repo")) == "unknown"


def test_quick_study_run_records_the_2024_sections_with_target_verdicts(tmp_path):
    md = tmp_path / "benchmarks.md"
    run = {"finished": True, "wall_s": 12.5, "cpu_s": 20.0, "peak_rss_mb": 400.0, "peak_tree_pss_mb": 700.0}
    slow = dict(run, wall_s=25.0)
    results = {"machine": {"load_avg_at_start": (1.0, 0.5, 0.2), "load_avg_at_end": (1.5, 0.7, 0.3)},
               "2024_study": run, "2024_both": slow, "2024_pairwise": {"finished": False, "wall_s": 600},
               "2024_groups_only": [{"scope": "fill-mask", "families": 10, "groups": 5, "fast_cpu_s": 0.01,
                                     "pairwise_cpu_s": 0.1, "ratio": 10.0}]}
    record.record_bench_study(results, {"2024": 20.0, "x10_wall": 180.0, "x10_rss_mb": 4096.0}, 10, path=md)
    text = md.read_text()
    assert _sections(text) == ["Study command: 2024 lists", "2c counting alone: 2024 lists"]
    assert "< 20 s: met" in text and "< 20 s: MISSED" in text and "did not finish in 600 s" in text
    assert "| fill-mask | 10 | 5 | 0.01 | 0.1 | 10.0 |" in text


def test_crawl_sections_are_named_by_tags_hub_and_contenders(tmp_path):
    md = tmp_path / "benchmarks.md"

    def run(names, multiply=1, wall=10.0):
        results = [{"name": n, "label": f"crawler {n}", "ok": True, "problems": [], "wall_s": wall, "requests": 40,
                    "models": 1000, "models_per_s": 1000 / wall, "peak_rss_mb": 100.0, "wall_x": 1.0,
                    "client_cpu_s": wall / 2, "server_cpu_s": 3.0,
                    "http_statuses": {"200": 25, "404": 15}}
                   for n in names]
        return {"multiply": multiply, "tags": 4, "expected_models": 1000, "results": results}
    record.record_bench_crawl(run(["api", "html"]), path=md)
    record.record_bench_crawl(run(["api"], multiply=13), path=md)
    record.record_bench_crawl(run(["api", "html"], wall=20.0), path=md)
    text = md.read_text()
    assert _sections(text) == ["Crawl: 4 tags, api html", "Crawl: 4 tags, synthetic hub x13, api"]
    assert "| crawler html | yes | 20.0 | 40 | 25 | 0.8 | 1,000 | 50.0 | 100.0 | 10.0 | 3.00 | 1.00 |" in text
    assert "synthetic" in text.split("## Crawl: 4 tags, synthetic hub x13, api")[1]


@pytest.mark.e2e
def test_bench_tests_reads_pytest_counts_and_fails_on_failing_tests(tmp_path):
    from benchmarks import bench_tests

    ok = bench_tests.run_loop([sys.executable, "-c", "print('== 3 passed, 2 deselected in 0.10s ==')"])
    assert ok["tests"] == "3 passed, 2 deselected" and ok["wall_s"] >= 0 and ok["cpu_s"] >= 0
    with pytest.raises(SystemExit, match="exited 1"):
        bench_tests.run_loop([sys.executable, "-c", "print('1 failed, 3 passed in 0.1s'); raise SystemExit(1)"])
    with pytest.raises(SystemExit, match="exited 0"):  # no count line: nothing was run
        bench_tests.run_loop([sys.executable, "-c", "print('no tests ran')"])
