"""The trend command: each snapshot format read exactly, the placeholder creation date, cohorts deduplicated across
inputs, bad arguments and inputs refused before anything is written, and the 2024-02 row equal to the study's e2."""
from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pandas as pd
import pytest

from analysis.cli import main as cli_main
from analysis.inputs.load import load
from analysis.inputs.snapshots import read_input, sniff
from analysis.study.version_share import share_by_task, version_share
from analysis.trend import run as trend
from analysis.versions.detector import has_version
from analysis.versions.regex import regex_has_version
from tests.paths import LISTS, ROOT, SHARED

SNAPS = SHARED / "data" / "hub-snapshots"
TAGS = SHARED / "data" / "pipeline-tags"
needs_shared = pytest.mark.skipif(not SNAPS.is_dir(), reason=f"shared data not found at {SNAPS}")


def _jsonl_ids(path: Path, key: str) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line)[key] for line in fh if line.strip()]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@needs_shared
@pytest.mark.parametrize("name, fmt, key, task_key, created_key", [
    ("api-full-2022-02.jsonl.gz", "hub-api-2022", "modelId", "pipeline_tag", None),
    ("models-2022-10.csv.gz", "models-csv-2022", "modelId", "task_category", "creation_time"),
    ("top-downloads-2024-09.csv.gz", "top-downloads-csv", "modelId", "pipeline_tag", None),
    ("recent-2026-08.jsonl.gz", "radar-jsonl", "id", "pipeline_tag", "created_at"),
])
def test_each_snapshot_format_is_read_exactly(name, fmt, key, task_key, created_key):
    path = SNAPS / name
    # the reference reads each line with orjson (the product reads the file with Arrow's JSON reader)
    rows = ([orjson.loads(x) for x in gzip.open(path, "rb") if x.strip()] if name.endswith(".jsonl.gz")
            else _csv_rows(path))
    snap = read_input("x", path)
    assert snap.format.name == fmt
    assert len(snap.models) == snap.lines == len(rows)  # every row, none twice
    assert snap.models["id"].tolist() == [r[key] for r in rows]
    expected_tasks = [r[task_key] if r[task_key] not in (None, "", "unknown") else None for r in rows]
    assert snap.models["task"].isna().tolist() == [t is None for t in expected_tasks]
    assert snap.models["task"].dropna().tolist() == [t for t in expected_tasks if t is not None]
    dated = [bool(r[created_key]) for r in rows] if created_key else [False] * len(rows)
    assert snap.models["created_at"].notna().tolist() == dated


def test_feeds_go_through_analysis_load_with_their_creation_time(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a/m-v2", "crawl_tag": "text-generation", "created_at": "2023-05-01T00:00:00Z"}\n'
                    'not json\n{"id": "a/m-v2", "crawl_tag": "text-generation", "created_at": null}\n'
                    '{"id": "b/n", "pipeline_tag": "fill-mask"}\n')
    snap = read_input("f", feed)
    assert snap.format.name == "crawl-feed"
    assert snap.models.set_index("id")["created_at"].fillna("").to_dict() == {"a/m-v2": "2023-05-01T00:00:00Z",
                                                                             "b/n": ""}
    assert snap.dropped == {"malformed": 1, "duplicates": 1}


def _radar(path: Path, rows: list[tuple[str, str | None, str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for mid, task, created in rows:
            fh.write(json.dumps({"schema": 1, "id": mid, "created_at": created, "license_family": "oss",
                                 "pipeline_tag": task}) + "\n")
    return path


def _models_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["modelId", "author", "creation_time", "downloads", "has_modelcard", "task_category",
                    "task_domain"])
        for mid, task, created in rows:
            w.writerow([mid, mid.split("/")[0], created, "1.0", "True", task, "nlp"])
    return path


def test_placeholder_date_models_get_a_row_of_their_own(tmp_path):
    snap = _radar(tmp_path / "r.jsonl.gz", [
        ("a/old-v1", "text-generation", "2022-03-02T23:29:04.000Z"),  # the Hub's placeholder
        ("a/old2", "text-generation", "2022-03-02T23:29:05.000Z"),
        ("b/real-same-day-v2", "fill-mask", "2022-03-02T10:00:00.000Z"),  # really created that day
        ("c/later", "fill-mask", "2022-04-10T00:00:00.000Z"),
    ])
    result = trend.compute([("s", snap)])
    c = result.cohorts.set_index("created_month")
    assert c.index[0] == trend.PLACEHOLDER_LABEL  # first row, said so
    assert c.loc[trend.PLACEHOLDER_LABEL, "models"] == 2
    assert c.loc[trend.PLACEHOLDER_LABEL, "regex_pct"] == 50.0
    assert c.loc["2022-03", "models"] == 1 and c.loc["2022-04", "models"] == 1
    by_task = result.cohorts_by_task.set_index(["created_quarter", "task"])
    assert by_task.loc[(trend.PLACEHOLDER_LABEL, "text-generation"), "models"] == 2
    assert by_task.loc[("2022-Q1", "fill-mask"), "models"] == 1


def test_cohorts_deduplicate_across_inputs_the_latest_line_kept(tmp_path):
    first = _models_csv(tmp_path / "old.csv", [("a/x", "conversational", "2021-05-01T00:00:00+00:00"),
                                               ("a/y-v2", "fill-mask", "2021-06-01T00:00:00+00:00"),
                                               ("a/z", "unknown", "")])
    second = _radar(tmp_path / "new.jsonl.gz", [("a/x", "text-generation", "2023-01-01T00:00:00.000Z"),
                                                ("b/w", None, "2023-01-05T00:00:00.000Z")])
    result = trend.compute([("old", first), ("new", second)])
    c = result.cohorts.set_index("created_month")["models"].to_dict()
    assert c == {"2021-06": 1, "2023-01": 2}  # a/x counted once, in the later input's month; a/z has no date
    tasks = result.by_task[result.by_task["snapshot"] == "old"].set_index("task")["models"].to_dict()
    assert tasks == {"text-generation": 1, "fill-mask": 1}  # conversational under today's name
    assert result.overall["with_task"].tolist() == [2, 1]


@pytest.mark.parametrize("args", [["no-label-here"], ["=x.csv"], ["2022-10="], ["a=x.csv", "a=y.csv"]])
def test_malformed_label_input_is_one_line_and_exit_2(tmp_path, capsys, args):
    out = tmp_path / "out"
    rc = cli_main(["trend", *args, "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error:") and err.count("\n") == 1 and "Traceback" not in err
    assert "LABEL=INPUT" in err or "given twice" in err
    assert not out.exists()


def test_unreadable_or_unknown_input_is_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier run")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello\n")
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    for bad in (unknown, broken, tmp_path / "missing.csv"):
        rc = cli_main(["trend", f"ok={_radar(tmp_path / 'ok.jsonl.gz', [('a/b', None, '2024-01-01T00:00:00Z')])}",
                       f"bad={bad}", "--out", str(out), "-q"])
        err = capsys.readouterr().err
        assert rc == 2 and err.count("\n") == 1 and str(bad) in err, err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no temporary folder left


def test_a_run_failing_after_reading_leaves_the_existing_output(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier run")
    empty_lists = tmp_path / "lists"
    empty_lists.mkdir()  # told as a list folder, fails when read (no <tag>.txt), after the first input was read
    ok = _radar(tmp_path / "ok.jsonl.gz", [("a/b", None, "2024-01-01T00:00:00Z")])
    rc = cli_main(["trend", f"ok={ok}", f"lists={empty_lists}", "--out", str(out), "-q"])
    assert rc == 2 and "holds no <tag>.txt lists" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lists", "ok.jsonl.gz", "out"]


@needs_shared
def test_task_renames_follow_the_hubs_task_lists():
    head = {t["id"] for t in json.loads(next(TAGS.glob("pipeline_tags_head_*.json")).read_text())}
    older = set().union(*({t["id"] for t in json.loads(p.read_text())} for p in TAGS.glob("pipeline_tags_2024*.json")))
    assert trend.TODAY_TASKS == head
    assert all(old not in head and new in head for old, new in trend.TASK_RENAMES.items())
    assert (older - head) <= set(trend.TASK_RENAMES)  # every task retired since 2024 has today's name


@needs_shared
@pytest.mark.e2e
def test_2024_02_rows_equal_the_studys_e2_on_the_same_lists():
    result = trend.compute([("2024-02", LISTS)])
    models = load([LISTS]).models
    snap = read_input("2024-02", LISTS)  # the lists go through analysis.inputs.load
    assert snap.format.name == "task-lists"
    assert snap.models["id"].tolist() == models["id"].tolist()
    assert snap.models["task"].fillna("").tolist() == models["task"].fillna("").tolist()
    models = models.assign(task=trend.today_task(models["task"]))  # the study's lists hold retired task names
    ours = result.by_task.drop(columns="snapshot").reset_index(drop=True)
    for col, detect in (("regex_pct", regex_has_version), ("detector_pct", has_version)):
        e2 = share_by_task(models, detect)
        pd.testing.assert_series_equal(ours["task"], e2["task"], check_names=False)
        pd.testing.assert_series_equal(ours["models"], e2["models"], check_names=False, check_dtype=False)
        pd.testing.assert_series_equal(ours[col], e2["share_pct"], check_names=False)
        e1 = version_share(models, detect).iloc[0]
        assert result.overall.loc[0, col] == e1["share_pct"]
        assert result.overall.loc[0, "with_task"] == e1["models"]
    # tasks neither renamed nor receiving a renamed one are the study's own e2 rows, unmapped
    plain = share_by_task(load([LISTS]).models)
    untouched = trend.TODAY_TASKS - set(trend.TASK_RENAMES.values())
    kept = plain[plain["task"].isin(untouched)].set_index("task")
    assert len(kept) >= 35
    assert (ours.set_index("task").loc[kept.index, "regex_pct"] == kept["share_pct"]).all()


@needs_shared
@pytest.mark.e2e
def test_command_on_the_real_snapshots_writes_every_table(tmp_path):
    inputs = [("2022-02", SNAPS / "api-full-2022-02.jsonl.gz"), ("2022-10", SNAPS / "models-2022-10.csv.gz"),
              ("2024-02", LISTS), ("2024-09", SNAPS / "top-downloads-2024-09.csv.gz"),
              ("2026-08", SNAPS / "recent-2026-08.jsonl.gz")]
    out = tmp_path / "trend"
    proc = subprocess.run([sys.executable, "-m", "analysis", "trend", *[f"{k}={v}" for k, v in inputs],
                           "--out", str(out), "-q"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    tables = {p.stem: pd.read_csv(p) for p in (out / "tables").glob("*.csv")}
    assert set(tables) == {"trend_overall", "trend_by_task", "cohorts", "cohorts_by_task", "cohorts_by_snapshot"}
    assert list(tables["trend_overall"].columns) == trend.OVERALL_COLUMNS
    assert tables["trend_overall"]["snapshot"].tolist() == [k for k, _ in inputs]
    assert tables["trend_overall"]["models"].tolist() == [len(read_input(k, v).models) for k, v in inputs]
    assert tables["trend_overall"]["population"].str.len().min() > 10
    assert not set(tables["trend_by_task"]["task"]) & set(trend.TASK_RENAMES)  # today's names only
    assert set(tables["trend_by_task"]["snapshot"]) == {k for k, _ in inputs}
    cohorts = tables["cohorts"]
    assert cohorts.loc[0, "created_month"] == trend.PLACEHOLDER_LABEL
    assert cohorts["created_month"].iloc[1:].str.fullmatch(r"\d{4}-\d{2}").all()
    assert cohorts["created_month"].iloc[1:].is_monotonic_increasing
    assert len(tables["cohorts_by_task"]) > 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["cohorts.png", "trend_by_task.png",
                                                                   "trend_overall.png"]
    html = (out / "report.html").read_text()
    for fmt in {sniff(v).population for _, v in inputs}:
        assert fmt.replace("'", "&#x27;") in html or fmt in html
    assert "placeholder creation time 2022-03-02" in html


def test_detector_verdicts_are_remembered_per_name_across_inputs():
    seen: list[int] = []

    def counting(names: pd.Series) -> pd.Series:  # the real detector, recording how many names it read
        seen.append(len(names))
        return has_version(names)

    verdicts = trend.NameVerdicts(counting)
    first = pd.Series(["meta-llama/Llama-2-7b", "a/wav2vec2-base", "b/Llama-2-7b", "c/model-v3", "legacy-v2"])
    second = pd.Series(["z/model-v3", "y/new-1.5", "meta-llama/Llama-2-7b"], index=[10, 11, 12])
    assert verdicts(first).tolist() == has_version(first).tolist()
    assert verdicts(second).tolist() == has_version(second).tolist()
    assert verdicts(second).index.tolist() == [10, 11, 12]
    assert seen == [4, 1]  # 4 distinct names, then only the one not seen before


def test_bad_lines_of_a_snapshot_are_counted_and_the_rest_read(tmp_path):
    good = [("a/one-v1", "fill-mask", "2023-01-01T00:00:00.000Z"), ("a/two", None, "2023-02-01T00:00:00.000Z")]
    path = _radar(tmp_path / "r.jsonl.gz", good)
    text = gzip.decompress(path.read_bytes()).decode()
    lines = text.splitlines()
    bad = "\n".join([lines[0], "{not json", '{"schema": 1, "created_at": "2023-01-01"}', lines[1]]) + "\n"
    path.write_bytes(gzip.compress(bad.encode()))
    snap = read_input("r", path)
    assert snap.models["id"].tolist() == ["a/one-v1", "a/two"] and snap.dropped["malformed"] == 2
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress((text * 200).encode())[:-40])  # a compressed file cut short
    snap = read_input("c", cut)
    assert snap.format.name == "radar-jsonl" and sorted(snap.models["id"]) == ["a/one-v1", "a/two"]
    assert snap.dropped["duplicates"] > 300 and snap.dropped["malformed"] >= 1  # the cut is counted


def test_an_out_that_is_a_file_is_refused_and_kept(tmp_path, capsys):
    out = tmp_path / "report.txt"
    out.write_text("not a folder")
    ok = _radar(tmp_path / "ok.jsonl.gz", [("a/b", None, "2024-01-01T00:00:00Z")])
    assert cli_main(["trend", f"ok={ok}", "--out", str(out), "-q"]) == 2
    assert "not a folder" in capsys.readouterr().err and out.read_text() == "not a folder"


def test_a_successful_run_replaces_an_earlier_output(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("an earlier run")
    ok = _radar(tmp_path / "ok.jsonl.gz", [("a/b-v2", "fill-mask", "2024-01-01T00:00:00Z")])
    assert cli_main(["trend", f"ok={ok}", "--out", str(out), "-q", "--no-figures"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.md", "tables"]
    assert pd.read_csv(out / "tables" / "trend_overall.csv")["regex_pct"].tolist() == [100.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.jsonl.gz", "out"]  # nothing left beside it


def test_inputs_without_any_task_or_date_still_report(tmp_path):
    ok = _radar(tmp_path / "ok.jsonl.gz", [("a/b-v2", None, "2024-01-01T00:00:00Z")])
    api = tmp_path / "api.jsonl"
    api.write_text('{"modelId": "x/y", "pipeline_tag": null}\n')
    out = tmp_path / "out"
    assert cli_main(["trend", f"a={ok}", f"b={api}", "--out", str(out), "-q"]) == 0
    overall = pd.read_csv(out / "tables" / "trend_overall.csv")
    assert overall["with_task"].tolist() == [0, 0]
    assert "no model of any input has a task" in (out / "report.md").read_text()
