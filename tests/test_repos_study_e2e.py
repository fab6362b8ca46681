"""The repositories' study end to end, as a user runs it: `scrapy crawl models` of four tags from the replay hub,
`scrapy crawl repos -a input=<that feed>`, then `python -m analysis study <models feed> --repos <repos feed>`.

Every expected figure is computed from what the hub holds, not from either feed and not with the analysis's code:
- which models, and each one's task: the hub's universe (the ids listed under each tag);
- each repository: the synthetic histories' public `summary` (None when deleted), which the hub's repository
  routes serve;
- a version in the name: `analysis.versions.detector.detect`, the per-name detector (the repos section only aggregates its
  verdicts);
- the shares: `expected_repos_by_task`, the plain-Python definitions of tests/test_repos_analysis.py.
"""
from __future__ import annotations

import pytest

from analysis.cli import main as analysis_main
from analysis.common.intervals import format_share
from analysis.versions import detector
from tests.crawling import CrawlRunner
from tests.test_repos_analysis import assert_repos_by_task, expected_repos_by_task
from tests.test_repos_crawl import ReposRunner

# four disjoint task lists, 3,522 models: every share and every mode holds some repositories
TAGS = ("summarization", "object-detection", "text-to-audio", "image-to-image")
MODES = ("name_and_git", "name_only", "git_only", "in_place", "never_updated")

pytestmark = pytest.mark.e2e


def _hub_records(hub) -> tuple[list[dict], dict[str, str]]:
    """(one repos-feed-shaped record per model listed under TAGS, from the hub's histories; each id's task)."""
    task_of: dict[str, str] = {}
    for tag in TAGS:
        for b in hub.universe.task_lists[tag].tolist():
            mid = hub.universe.ids[b]
            assert task_of.setdefault(mid, tag) == tag, f"{mid} is listed under two of {TAGS}: its task is ambiguous"
    records = []
    for mid in task_of:
        s = hub.core.repos.summary(mid)
        records.append({"id": mid, "status": "not_found"} if s is None else
                       {"id": mid, "status": "ok", "branches": s["branches"], "tags": s["tags"],
                        "commit_count": s["commit_count"], "new_version": s["new_version"]})
    return records, task_of


def _hub_modes(records: list[dict]) -> dict[str, int]:
    """Each found repository's mode, by the definitions (detector on the name; tag or extra branch; >= 3 commits)."""
    counts = dict.fromkeys(MODES, 0)
    for r in records:
        if r["status"] != "ok":
            continue
        named = detector.detect(r["id"]).has_version
        git = bool(r["tags"]) or any(b != "main" for b in r["branches"])
        mode = ("name_and_git" if named and git else "name_only" if named else "git_only" if git
                else "in_place" if r["commit_count"] >= 3 else "never_updated")
        counts[mode] += 1
    return counts


@pytest.fixture(scope="module")
def hub_truth(hub):
    records, task_of = _hub_records(hub)
    return records, task_of, expected_repos_by_task(records, task_of), _hub_modes(records)


@pytest.fixture(scope="module")
def study(hub, tmp_path_factory):
    """The three commands, once for the module; returns (models feed, repos feed, study output folder)."""
    hub.set_faults(None)
    hub.reset_stats()
    work = tmp_path_factory.mktemp("repos-study")
    models = CrawlRunner(hub.url, work).run("-a", f"tags={','.join(TAGS)}")
    assert models.returncode == 0, models.log[-3000:]
    repos = ReposRunner(hub.url, work).run("-a", f"input={models.feed}")
    assert repos.returncode == 0, repos.log[-3000:]
    out = work / "study"
    code = analysis_main(["study", str(models.feed), "--repos", str(repos.feed), "--out", str(out), "-q"])
    assert code == 0
    return models, repos, out


def test_the_hub_holds_every_case_the_shares_count(hub_truth):
    """Not a check of the product: the chosen tags must give every share and mode something to count."""
    records, _, expected, modes = hub_truth
    every = expected["all"]
    assert every["repos"] >= 3000 and 0 < every["found"] < every["repos"]
    for col in ("updated_pct", "tagged_pct", "semver_tag_pct", "branched_pct", "successor_pct"):
        assert 0 < every[col] < 100, col
    assert min(modes.values()) >= 5, modes
    assert any(expected[t]["found"] < expected[t]["repos"] and expected[t]["tagged_pct"] > 0
               and expected[t]["branched_pct"] > 0 for t in TAGS)


def test_the_crawls_list_every_model_of_the_tags_and_its_repository(study, hub_truth):
    models, repos, _ = study
    _, task_of, _, _ = hub_truth
    assert {line["id"]: line["crawl_tag"] for line in models.lines} == task_of
    assert sorted(line["id"] for line in repos.lines) == sorted(task_of)


def test_every_share_of_repos_by_task_is_what_the_hub_holds(study, hub_truth):
    _, _, out = study
    _, _, expected, _ = hub_truth
    assert_repos_by_task(out, expected, synthetic=True)  # crawled from the replay hub


def test_the_modes_count_what_the_hub_holds(study, hub_truth):
    import pandas as pd

    _, _, out = study
    _, _, expected, modes = hub_truth
    table = pd.read_csv(out / "tables" / "repos_modes.csv")
    assert table["mode"].tolist() == list(MODES)
    assert dict(zip(table["mode"], table["repos"].tolist())) == modes
    found = expected["all"]["found"]
    assert table["pct"].tolist() == pytest.approx([100 * modes[m] / found for m in MODES], abs=1e-4)


def test_the_report_counts_the_deleted_repositories(study, hub_truth):
    _, _, out = study
    _, _, expected, modes = hub_truth
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Versioning in the repositories (synthetic: replay-hub data)" in md  # crawled from the replay hub
    section = md.split("Versioning in the repositories", 2)[-1]
    every = expected["all"]
    deleted = every["repos"] - every["found"]
    assert deleted > 0
    assert (f"Of **{every['repos']:,}** repositories, **{every['found']:,}** were found and **{deleted:,}** were "
            "not (deleted or made private since the listing") in section
    assert f"**{format_share(modes['in_place'], every['found'])}**" in section  # with its n and 95% interval
    assert "Castaño" not in section  # no published figure beside synthetic data
