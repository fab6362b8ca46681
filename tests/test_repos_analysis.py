"""Versioning beyond names: predecessors and lineages on real names, weights vs names on Ajibode et al.'s data, and
the repositories' section on small repos feeds (real files) whose shares are worked out by hand.

`expected_repos_by_task` computes every column of repos_by_task.csv from a list of repos-feed dicts with plain
Python (no analysis code), so a test on a feed crawled from the replay hub can compare the table with what the hub
holds: `assert_repos_by_task(out_dir, expected_repos_by_task(hub_records, task_of))`.
"""
from __future__ import annotations

import json
import math
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.inputs.load import InputError
from analysis.repos import practices as R
from analysis.repos import predecessors as P
from analysis.repos import weights as W
from tests.paths import LISTS, ROOT, SHARED

needs_seed = pytest.mark.skipif(not LISTS.is_dir(), reason=f"shared data not found at {LISTS}")
AJIBODE = SHARED / "data" / "versioning-ajibode-2024"

# ----------------------------------------------------------------------------------------------------------------
# The independent computation of repos_by_task.csv (reusable by an end-to-end test on the replay hub)

_SEMVER = re.compile(r"v?\d+(?:\.\d+){0,2}")


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), written out."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def expected_repos_by_task(records: list[dict], task_of: dict[str, str | None]) -> dict[str, dict]:
    """Every column of repos_by_task.csv, by task and `all`, from repos-feed records (in file order) and each id's
    task. The latest line of an id wins (by `crawled_at`, then file order); ids without a task are left out."""
    latest: dict[str, tuple[str, int, dict]] = {}
    for i, rec in enumerate(records):
        key = (rec.get("crawled_at") or "", i)
        if rec["id"] not in latest or key >= latest[rec["id"]][:2]:
            latest[rec["id"]] = (*key, rec)
    groups: dict[str, list[dict]] = {"all": []}
    for mid, (_, _, rec) in latest.items():
        task = task_of.get(mid)
        if task is None:
            continue
        groups["all"].append(rec)
        groups.setdefault(task, []).append(rec)
    out = {}
    for task, recs in groups.items():
        found = [r for r in recs if r["status"] == "ok"]
        n = len(found)

        def pct(test, found=found) -> float:
            return 100.0 * sum(1 for r in found if test(r)) / len(found) if found else float("nan")

        counts = [float(r["commit_count"]) for r in found]
        out[task] = {
            "repos": len(recs), "found": n,
            "updated_pct": pct(lambda r: r["commit_count"] >= 3),
            "tagged_pct": pct(lambda r: len(r.get("tags") or []) > 0),
            "semver_tag_pct": pct(lambda r: any(_SEMVER.fullmatch(t) for t in r.get("tags") or [])),
            "branched_pct": pct(lambda r: any(b != "main" for b in r.get("branches") or [])),
            "successor_pct": pct(lambda r: bool((r.get("new_version") or "").strip())),
            "median_commits": statistics.median(counts) if counts else float("nan"),
            "p90_commits": _percentile(counts, 0.9) if counts else float("nan"),
        }
    return out


def assert_repos_by_task(out_dir: Path, expected: dict[str, dict], synthetic: bool = False) -> None:
    """repos_by_task.csv under `out_dir` holds exactly the expected rows (shares to the CSV's 4 decimals); from
    replay-hub data, every row says so in a last `data` column."""
    table = pd.read_csv(out_dir / "tables" / "repos_by_task.csv").set_index("task")
    columns = R.BY_TASK_COLUMNS[1:] + R.CI_COLUMNS  # the study's columns, then n and intervals
    assert list(table.columns) == columns + (["data"] if synthetic else [])
    if synthetic:
        assert (table["data"] == "synthetic (replay hub)").all()
    assert set(table.index) == set(expected)
    assert table.index[0] == "all"
    for task, row in expected.items():
        for col, value in row.items():
            got = table.loc[task, col]
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got), (task, col)
            else:
                assert got == pytest.approx(value, abs=1e-4), (task, col, got, value)


# ----------------------------------------------------------------------------------------------------------------
# Small real files


def write_jsonl(path: Path, records: list[dict | str], final_newline: bool = True) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    return path


def model(mid: str, task: str | None) -> dict:
    return {"id": mid, "author": mid.split("/")[0], "name": mid.split("/")[-1], "pipeline_tag": task,
            "crawl_tag": task, "crawl_author": None, "source": "api", "crawled_at": "2026-11-01T00:00:00Z"}


def repo(mid: str, commits: int | None = 2, tags=(), branches=("main",), new_version=None, status="ok",
         crawled_at="2026-11-02T00:00:00Z") -> dict:
    if status != "ok":
        return {"id": mid, "status": status, "sha": None, "branches": None, "tags": None, "commit_count": None,
                "last_commit_at": None, "commits": None, "base_model": None, "new_version": None,
                "history": "count", "crawled_at": crawled_at}
    return {"id": mid, "status": "ok", "sha": "a" * 40, "branches": list(branches), "tags": list(tags),
            "commit_count": commits, "last_commit_at": "2026-10-01T00:00:00Z", "commits": None, "base_model": [],
            "new_version": new_version, "history": "count", "crawled_at": crawled_at}


MODELS = [model("a/bert-v2", "fill-mask"), model("a/bert", "fill-mask"), model("b/tiny", "fill-mask"),
          model("c/gone", "fill-mask"), model("d/llm-7b", "text-generation"), model("d/llm-7b-v1.1", "text-generation"),
          model("e/chat", "text-generation"), model("f/old", "text-generation")]
REPOS = [
    repo("a/bert-v2", commits=5, tags=["v2.0"]),                       # fill-mask: name_and_git, updated, semver
    repo("a/bert", commits=2),                                         # never_updated
    repo("b/tiny", commits=3, branches=["main", "dev"]),               # git_only, updated, branched
    repo("c/gone", status="not_found"),                                # left out of the shares
    repo("d/llm-7b", commits=12, tags=["release-candidate"], new_version="d/llm-7b-v1.1"),  # git_only, tag not semver
    repo("d/llm-7b-v1.1", commits=2),                                  # name_only
    repo("e/chat", commits=40),                                        # in_place
    repo("f/old", commits=1),                                          # never_updated
]
TASK_OF = {m["id"]: m["crawl_tag"] for m in MODELS}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("repos")
    models = write_jsonl(tmp / "models.jsonl", MODELS)
    repos = write_jsonl(tmp / "repos.jsonl", REPOS)
    out = tmp / "with"
    proc = run_cli("study", str(models), "--repos", str(repos), "--out", str(out), "--method", "study",
                   "--threshold", "1.0", "--exclude", "", "-q")
    assert proc.returncode == 0, proc.stderr
    return tmp, out


# ----------------------------------------------------------------------------------------------------------------
# The repositories' section


@pytest.mark.e2e
def test_repos_by_task_worked_out_by_hand(small_run):
    _, out = small_run
    table = pd.read_csv(out / "tables" / "repos_by_task.csv").set_index("task")
    # fill-mask: 4 repositories, 3 found (c/gone deleted); 2 of 3 updated (5 and 3 commits); 1 tagged, semver;
    # 1 branched; no successor; commits 5, 2, 3 -> median 3, p90 = 3 + 0.8 * (5 - 3) = 4.6
    fm = table.loc["fill-mask"]
    assert (fm["repos"], fm["found"]) == (4, 3)
    assert fm[["updated_pct", "tagged_pct", "semver_tag_pct", "branched_pct", "successor_pct"]].tolist() == \
        pytest.approx([200 / 3, 100 / 3, 100 / 3, 100 / 3, 0.0], abs=1e-4)
    assert (fm["median_commits"], fm["p90_commits"]) == pytest.approx((3.0, 4.6))
    # text-generation: 4 found; updated 12, 40 -> 50%; one tag, not semver; one successor; commits 1 2 12 40
    tg = table.loc["text-generation"]
    assert (tg["repos"], tg["found"], tg["updated_pct"], tg["tagged_pct"], tg["semver_tag_pct"],
            tg["successor_pct"]) == (4, 4, 50.0, 25.0, 0.0, 25.0)
    assert (tg["median_commits"], tg["p90_commits"]) == pytest.approx((7.0, 40 - 0.3 * 28))
    a = table.loc["all"]
    assert (a["repos"], a["found"], a["updated_pct"]) == (8, 7, pytest.approx(400 / 7, abs=1e-4))
    assert_repos_by_task(out, expected_repos_by_task(REPOS, TASK_OF))


@pytest.mark.e2e
def test_each_found_repository_in_exactly_one_mode(small_run):
    _, out = small_run
    modes = pd.read_csv(out / "tables" / "repos_modes.csv").set_index("mode")["repos"].to_dict()
    assert modes == {"name_and_git": 1, "name_only": 1, "git_only": 2, "in_place": 1, "never_updated": 2}
    by_task = pd.read_csv(out / "tables" / "repos_modes_by_task.csv")
    fm = by_task[by_task["task"] == "fill-mask"].set_index("mode")["repos"].to_dict()
    assert fm == {"name_and_git": 1, "name_only": 0, "git_only": 1, "in_place": 0, "never_updated": 1}


@pytest.mark.e2e
def test_report_section_cites_the_anchors(small_run):
    _, out = small_run
    md = (out / "report.md").read_text(encoding="utf-8")
    section = md.split("Versioning in the repositories", 2)[-1]
    for anchor in ("202 of 100,000", "40.87%", "7** were found"):
        assert anchor in section
    names = md.split("Versions and their predecessors (names only)", 2)[-1]
    for anchor in ("12.7% of 14,178", "48%", "43%", "35%", "40.87%"):
        assert anchor in names
    summary = json.loads((out / "summary.json").read_text())
    assert summary["versioning"]["repos"]["provenance"]["absent_from_models"]["count"] == 0


@pytest.mark.e2e
def test_without_repos_the_section_is_absent_and_the_rest_identical(small_run):
    tmp, with_repos = small_run
    out = tmp / "without"
    proc = run_cli("study", str(tmp / "models.jsonl"), "--out", str(out), "--method", "study", "--threshold", "1.0",
                   "--exclude", "", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "Versioning in the repositories" not in (out / "report.md").read_text(encoding="utf-8")
    without = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    added = {p.relative_to(with_repos) for p in with_repos.rglob("*") if p.is_file()} - without
    assert added == {Path("tables/repos_by_task.csv"), Path("tables/repos_modes.csv"),
                     Path("tables/repos_modes_by_task.csv"), Path("tables/repos_estimates.csv"),
                     Path("figures/repos_modes.png"),
                     Path("figures/repos_commit_counts.png")}
    for rel in without - {Path("report.md"), Path("report.html"), Path("summary.json")}:
        assert (out / rel).read_bytes() == (with_repos / rel).read_bytes(), rel


@pytest.mark.e2e
def test_figures_are_drawn(small_run):
    _, out = small_run
    for name in ("repos_modes.png", "repos_commit_counts.png", "predecessors.png"):
        data = (out / "figures" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, name


@pytest.mark.e2e
def test_bad_lines_are_counted_not_dropped(tmp_path):
    models = write_jsonl(tmp_path / "models.jsonl", MODELS)
    lines = [json.dumps(r) for r in REPOS[:4]] + ["{not json", json.dumps({"id": "e/chat"}),
                                                    json.dumps({**REPOS[5], "commit_count": "many"})]
    lines += [json.dumps(r) for r in REPOS[6:]]
    bad = tmp_path / "repos.jsonl"
    bad.write_text("\n".join(lines) + "\n" + json.dumps(REPOS[5])[:30], encoding="utf-8")  # a truncated last line
    proc = run_cli("study", str(models), "--repos", str(bad), "--out", str(tmp_path / "o"), "--method", "study",
                   "--threshold", "1.0", "--exclude", "", "--no-figures", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "3 malformed line(s) skipped (first: [5, 6, 7])" in proc.stderr
    prov = json.loads((tmp_path / "o" / "summary.json").read_text())["versioning"]["repos"]["provenance"]
    assert prov["malformed_lines"] == {"count": 3, "first": [5, 6, 7]}
    assert prov["truncated_lines"] == {"count": 1, "first": [10]}
    md = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "malformed lines skipped: 3 (first lines: 5, 6, 7)" in md
    table = pd.read_csv(tmp_path / "o" / "tables" / "repos_by_task.csv").set_index("task")
    assert table.loc["all", "repos"] == 6  # 8 ids less d/llm-7b-v1.1 (bad and truncated) and e/chat (bad)


@pytest.mark.e2e
def test_a_models_feed_given_as_repos_fails_before_any_output(tmp_path):
    models = write_jsonl(tmp_path / "models.jsonl", MODELS)
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.md").write_text("an earlier report\n")
    proc = run_cli("study", str(models), "--repos", str(models), "--out", str(out), "--method", "study", "-q")
    assert proc.returncode == 2
    assert "is not a repos feed" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert (out / "report.md").read_text() == "an earlier report\n"
    assert not (out / "tables").exists()


@pytest.mark.e2e
def test_ids_absent_from_the_models_feed(tmp_path):
    models = write_jsonl(tmp_path / "models.jsonl", MODELS)
    feed = write_jsonl(tmp_path / "repos.jsonl", REPOS + [repo("zz/elsewhere", commits=9)])
    proc = run_cli("study", str(models), "--repos", str(feed), "--out", str(tmp_path / "o"), "--method", "study",
                   "--threshold", "1.0", "--exclude", "", "--no-figures", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "1 ids are not in the models input (first: zz/elsewhere)" in proc.stderr
    assert "ids not in the models input (left out): 1 (first: `zz/elsewhere`)" in \
        (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert_repos_by_task(tmp_path / "o", expected_repos_by_task(REPOS, TASK_OF))
    other = write_jsonl(tmp_path / "other.jsonl", [repo("zz/one"), repo("zz/two")])
    proc = run_cli("study", str(models), "--repos", str(other), "--out", str(tmp_path / "o2"), "-q")
    assert proc.returncode == 2 and "none of its 2 ids is in the models input" in proc.stderr


def test_reader_keeps_the_latest_line_of_an_id_and_reads_gzip(tmp_path):
    import gzip

    records = [repo("a/x", commits=2, crawled_at="2026-11-03T00:00:00Z"),
               repo("a/x", commits=9, crawled_at="2026-11-01T00:00:00Z"),   # older: dropped
               repo("a/y", commits=1), repo("a/y", commits=4)]              # same time: the later line wins
    plain = write_jsonl(tmp_path / "r.jsonl", records)
    packed = tmp_path / "r.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        feed = R.read_repos(path)
        assert feed.repos.set_index("id")["commit_count"].to_dict() == {"a/x": 2, "a/y": 4}
        assert feed.provenance["duplicate_ids"] == {"count": 2, "first": [2, 3]}
    with pytest.raises(InputError, match="no such file"):
        R.read_repos(tmp_path / "missing.jsonl")


def test_semver_tags_and_branches(tmp_path):
    records = [repo(f"o/m{i}", tags=t, branches=b) for i, (t, b) in enumerate([
        (["v1"], ["main"]), (["1.0"], ["main", "v1.0"]), (["v1.2.3"], []), (["v1.2.3.4"], ["dev"]),
        (["release-1", "V2"], ["main"]), ([], ["main"])])]
    flags = R.read_repos(write_jsonl(tmp_path / "r.jsonl", records)).repos
    assert flags["semver_tagged"].tolist() == [True, True, True, False, False, False]
    assert flags["tagged"].tolist() == [True, True, True, True, True, False]
    assert flags["branched"].tolist() == [False, True, False, True, False, False]


# ----------------------------------------------------------------------------------------------------------------
# Names only: predecessors and lineages


def _names(ids: list[str], task: str = "t") -> pd.DataFrame:
    df = pd.DataFrame({"id": ids, "task": task})
    df["author"] = df["id"].str.split("/").str[0]
    df["name"] = df["id"].str.split("/").str[-1]
    return df


def test_predecessors_by_hand():
    models = _names(["o/Painter-v1", "o/painter_v2", "o/PainterV3", "o/solo-v2", "p/tool", "p/tool-v2.1", "p/tool-v2",
                     "q/lm-v1.1", "q/lm-v1.2", "q/other-1.3", "r/plain", "r/app-latest"])
    versions = P.name_versions(models)
    flags = P.predecessor_flags(models, versions)
    table = P.predecessors_table(models, versions["versioned"], flags, ["t"])
    row = table.iloc[0].to_dict()
    # versioned: all but p/tool and r/plain; majors >= 2: painter_v2 (has v1), PainterV3 (has v1), solo-v2 (none),
    # tool-v2.1 and tool-v2 (the bare p/tool) -> 4 of 5; minors: tool-v2.1 (has v2 = 2.0), lm-v1.1 (none), lm-v1.2
    # (has 1.1), other-1.3 (none) -> 2 of 4
    # then the successes and the 95% Wilson intervals of both shares (4 of 5: [37.55, 96.38]; 2 of 4: [15.0, 85.0])
    assert row == {"scope": "all", "versioned": 10, "major_ge2": 5, "major_with_predecessor_pct": 80.0, "minor": 4,
                   "minor_with_predecessor_pct": 50.0, "major_with_predecessor": 4, "minor_with_predecessor": 2,
                   "major_ci_low_pct": 37.55, "major_ci_high_pct": 96.38, "minor_ci_low_pct": 15.0,
                   "minor_ci_high_pct": 85.0}
    lineages = P.lineages_table(models, versions, flags).set_index("family")
    assert lineages.loc["painter-{v}", ["owner", "versions", "repos", "series"]].tolist() == ["o", 3, 3, "1 2 3"]
    assert lineages.loc["tool-{v}", "series"] == "- 2 2.1"
    assert "solo-{v}" not in lineages.index


@pytest.fixture(scope="module")
def real_families(lists_2024):
    """The 2024 lists' models of a few owners (every list: a family is one owner's, so the rest cannot matter)."""
    owners = {"mychen76", "jashing", "Ahmed007", "sg485", "ipipan", "sudo-ai", "bongsoo"}
    models = lists_2024
    legacy = models["author"].isna() & models["name"].str.startswith("albert-")
    models = models[models["author"].isin(owners) | legacy].reset_index(drop=True)
    versions = P.name_versions(models)
    flags = P.predecessor_flags(models, versions)
    return models, flags, P.lineages_table(models, versions, flags)


@needs_seed
def test_real_families_by_hand(real_families):
    models, flags, lineages = real_families
    by_id = flags.join(models["id"]).set_index("id")
    # an owner with -v1 and -v2 of one name: v2's predecessor is on the Hub; another owner's lone -v2 has none
    assert by_id.loc["mychen76/tinyllama-colorist-v2", "major_has_predecessor"]
    assert not by_id.loc["jashing/tinyllama-colorist-v2", "major_has_predecessor"]
    # the bare name counts as version 1 (Ajibode et al. paired Copilot_for_poors_v2 with Copilot_for_poors)
    assert by_id.loc["Ahmed007/Copilot_for_poors_v3", "major_has_predecessor"]
    assert by_id.loc["Ahmed007/Copilot_for_poors_v2", "major_has_predecessor"]
    # legacy ids without an owner: albert-base-v1 -> albert-base-v2
    assert by_id.loc["albert-base-v2", "major_has_predecessor"]
    # minors: silver-retriever-base v1 -> v1.1; zero123plus-v1.1 alone; kpf-sbert-v1.1-onnx is another family
    assert by_id.loc["ipipan/silver-retriever-base-v1.1", "minor_has_predecessor"]
    assert not by_id.loc["sudo-ai/zero123plus-v1.1", "minor_has_predecessor"]
    assert by_id.loc["bongsoo/kpf-sbert-v1.1", "minor_has_predecessor"]
    assert not by_id.loc["bongsoo/kpf-sbert-v1.1-onnx", "minor_has_predecessor"]
    lin = lineages.set_index(["owner", "family"])
    assert lin.loc[("Ahmed007", "copilot_for_poors_{v}"), ["versions", "repos", "series"]].tolist() == [3, 3, "- 2 3"]
    assert lin.loc[("sg485", "fine-tuned-detr-orderstack-{v}"), "series"] == \
        "- 1.1 2 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 3 3.1"
    assert lin.loc[("mychen76", "tinyllama-colorist-{v}"), "series"] == "1 2"
    assert lineages["versions"].is_monotonic_decreasing


@needs_seed
def test_real_predecessors_table_on_the_2024_lists(lists_2024):
    """The section on the study's whole lists: every scope, the counts consistent with each other."""
    models = lists_2024.copy()
    versions = P.name_versions(models)
    flags = P.predecessor_flags(models, versions)
    tasks = ["text-classification", "text-generation"]
    table = P.predecessors_table(models, versions["versioned"], flags, tasks)
    assert table["scope"].tolist() == ["all", *tasks]
    assert list(table.columns)[:len(P.PREDECESSOR_COLUMNS)] == P.PREDECESSOR_COLUMNS
    a = table.iloc[0]
    assert a["versioned"] == int(versions.loc[models["task"].notna(), "versioned"].sum())
    assert (table.loc[1:, "major_ge2"] <= a["major_ge2"]).all() and 0 < a["major_with_predecessor_pct"] < 100
    # each share's successes and 95% Wilson interval follow the study's columns
    for kind, n in (("major", "major_ge2"), ("minor", "minor")):
        k = table[f"{kind}_with_predecessor"]
        assert (100 * k / table[n]).round(1).tolist() == table[f"{kind}_with_predecessor_pct"].round(1).tolist()
        assert (table[f"{kind}_ci_low_pct"] < table[f"{kind}_with_predecessor_pct"]).all()
        assert (table[f"{kind}_with_predecessor_pct"] < table[f"{kind}_ci_high_pct"]).all()
    # Llama-2 names are versioned by the detector (family-int), so meta-llama's 2 counts as a major
    assert versions.loc[models["id"] == "meta-llama/Llama-2-7b-hf", "versioned"].item()


# ----------------------------------------------------------------------------------------------------------------
# Weights vs names (Ajibode et al.'s replication data)


@pytest.mark.skipif(not AJIBODE.is_dir(), reason="Ajibode et al.'s data not found")
def test_weights_vs_names_on_the_shared_file():
    repos = W.changed_repositories()
    assert len(repos) == 16_271 and repos["id"].is_unique  # the repositories their README counts
    table = W.weights_vs_names(repos).set_index("variant")
    assert table.loc["all", "repos"] == table.drop("all")["repos"].sum()
    assert set(table.index) >= {"finetuned", "quantized"}
    yi = repos.set_index("id").loc["01-ai/Yi-34B"]
    assert (yi["variant"], yi["weight_files"]) == ("finetuned", 14)
    # by hand on three ids of the file: a version the regex also sees, one only the detector sees, none
    small = pd.DataFrame({"id": ["TheBloke/Llama-2-7B-GPTQ", "upstage/SOLAR-10.7B-Instruct-v1.0", "01-ai/Yi-34B"],
                          "variant": ["quantized", "finetuned", "finetuned"]})
    t = W.weights_vs_names(small).set_index("variant")
    assert t.loc["all", ["repos", "detector_versioned", "regex_versioned"]].tolist() == [3, 2, 1]
    # each share with its 95% Wilson interval: 2 of 3 -> [20.77, 93.85]
    assert t.loc["all", ["detector_ci_low_pct", "detector_ci_high_pct"]].tolist() == [20.77, 93.85]


def test_a_feed_of_deleted_repositories_only_has_no_shares(tmp_path):
    """Every repository deleted since the listing: counted, and the shares say n/a instead of a made-up 0%."""
    models = pd.DataFrame({"id": ["a/x", "a/y"], "task": ["t", "t"]})
    feed = R.read_repos(write_jsonl(tmp_path / "r.jsonl", [repo("a/x", status="not_found"),
                                                            repo("a/y", status="not_found")]))
    repos = R.join_tasks(feed, models).assign(versioned=False)
    table = R.repos_by_task(repos)
    assert table[["repos", "found"]].values.tolist() == [[2, 0], [2, 0]]
    assert table[["updated_pct", "tagged_pct", "median_commits"]].isna().all().all()
    overall, _ = R.modes_table(repos, R.repo_modes(repos))
    text = R.repos_markdown(table, overall, feed.provenance)
    assert "**2** repositories, **0** were found and **2** were not (deleted" in text
    assert "**n/a** were updated" in text
