"""The study's experiments: each on a small hand-made input worked out by hand, then on the real 2024 lists."""
from __future__ import annotations

import ast
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from analysis.inputs.load import InputError, load
from analysis.report.document import markdown_to_html
from analysis.report.names import safe_name
from analysis.study import groups as groups_mod
from analysis.study.groups import group_counts, groups_table, pairwise_group_counts
from analysis.study.organisations import org_models
from analysis.study.pareto import pareto_tasks, selected_tasks
from analysis.study.tokens import family_tokens, rule_differences, split_version, token_table, version_tokens
from analysis.study.version_share import share_by_task, version_share
from tests.paths import LISTS, ROOT, SHARED

OUTPUTS = SHARED / "data" / "seed-2024-02" / "outputs"
needs_seed = pytest.mark.skipif(not LISTS.is_dir(), reason=f"shared data not found at {LISTS}")


def models_of(rows: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    """A loaded-models table from (id, task, org) triples, through the real loader's list path."""
    df = pd.DataFrame(rows, columns=["id", "task", "org"])
    df["author"] = df["id"].str.split("/").str[0].where(df["id"].str.contains("/"))
    df["name"] = df["id"].str.split("/").str[-1]
    return df


def write_feed(path: Path, records: list[dict | str], final_newline: bool = True) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------------------
# Experiments 1 and 2a


def test_version_share_by_hand():
    models = models_of([
        ("o/bert-v1", "A", None),      # v1: matches
        ("o/model", "A", None),        # no match
        ("v2/x", "A", None),           # the owner counts too: matches
        ("a/wav2vec2-base", "B", None),  # "v2" inside an architecture name: the regex counts it (a known flaw)
        ("a/b", "B", None),
        ("google/t5-v1_1", None, "google"),  # organisation-only: outside experiment 1's scope
    ])
    e1 = version_share(models)
    # the study's columns, then the 95% Wilson interval of the share (3 of 5: [23.07, 88.24], as tabulated)
    assert e1.to_dict(orient="records") == [{"scope": "all", "models": 5, "matching": 3, "share_pct": 60.0,
                                             "ci_low_pct": 23.07, "ci_high_pct": 88.24}]
    e2 = share_by_task(models)
    assert list(e2.columns) == ["task", "models", "matching", "share_pct", "ci_low_pct", "ci_high_pct"]
    assert e2.to_dict(orient="records") == [
        {"task": "A", "models": 3, "matching": 2, "share_pct": 66.6667, "ci_low_pct": 20.77, "ci_high_pct": 93.85},
        {"task": "B", "models": 2, "matching": 1, "share_pct": 50.0, "ci_low_pct": 9.45, "ci_high_pct": 90.55},
    ]


def test_pareto_by_hand():
    by_task = pd.DataFrame({"task": ["t1", "t2", "t3", "t4", "t5"], "models": [50, 30, 10, 6, 4]})
    p = pareto_tasks(by_task, 0.8, exclude=["t2"])
    assert list(p.columns) == ["task", "models", "cumulative_pct", "selected", "excluded_by_hand"]
    assert p["cumulative_pct"].tolist() == [50.0, 80.0, 90.0, 96.0, 100.0]
    # before t3 the running total is 80, not under 80%: t1 and t2 are the Pareto tasks; t2 is then removed by hand
    assert p["selected"].tolist() == [True, False, False, False, False]
    assert p["excluded_by_hand"].tolist() == [False, True, False, False, False]
    # the task that crosses the threshold is kept (45 + 30 = 75 < 80 before t3)
    p2 = pareto_tasks(pd.DataFrame({"task": ["a", "b", "c", "d"], "models": [45, 30, 20, 5]}), 0.8, exclude=[])
    assert selected_tasks(p2) == ["a", "b", "c"]
    with pytest.raises(ValueError):
        pareto_tasks(by_task, 1.5)


# ---------------------------------------------------------------------------------------------------------------
# Experiment 2b


HAND_IDS = pd.Series([
    "u/llama-2-7b-chat",       # llama: 2 (digits, dropped), 7b, chat
    "u/llama-13B-GPTQ",        # llama: 13b, gptq (lowercased)
    "w/llama-v2.1-7b-awq",     # llama: the marker v2.1 is removed; 7b, awq
    "x/mistral-7b",            # mistral: one model only -> no family
    "x/Qwen1.5-7B",            # family Qwen1 (first token before "-" or "."); 7b
    "y/Qwen1.5-0.5B-Chat",     # 0.5B holds digit.digit: stays whole -> 0.5b, chat
    "z/bert.base-uncased",     # study.md: after the first "-" -> uncased; the code: after the first "." -> base, uncased
    "z/bert-large",            # bert: large
    "u/gpt2",                  # no separator: study.md drops it; the code keeps it, so gpt2 has two models there
    "u/gpt2-medium",
    "o/t5.small.v1",           # no "-": after the first "." -> "small.v1" -> marker removed -> small
    "o/t5-base-a",             # "a" is one character: dropped
    "legacy-model",            # no owner: dropped at step 1
])


def test_family_tokens_by_hand_study_rules():
    fams = family_tokens(HAND_IDS, "study")
    assert dict(fams) == {
        "Qwen1": frozenset({"7b", "0.5b", "chat"}),
        "bert": frozenset({"uncased", "large"}),
        "llama": frozenset({"7b", "chat", "13b", "gptq", "awq"}),
        "t5": frozenset({"small", "base"}),
    }
    table = token_table(fams)
    assert list(table.columns) == ["token", "families"]
    assert table.to_dict(orient="records") == [
        {"token": "7b", "families": 2}, {"token": "chat", "families": 2}, {"token": "0.5b", "families": 1},
        {"token": "13b", "families": 1}, {"token": "awq", "families": 1}, {"token": "base", "families": 1},
        {"token": "gptq", "families": 1}, {"token": "large", "families": 1}, {"token": "small", "families": 1},
        {"token": "uncased", "families": 1},
    ]


def test_family_tokens_by_hand_code_rules():
    fams = family_tokens(HAND_IDS, "code")
    assert fams["bert"] == frozenset({"base", "uncased", "large"})
    assert fams["gpt2"] == frozenset({"medium"})
    assert fams["llama"] == family_tokens(HAND_IDS, "study")["llama"]
    assert rule_differences(HAND_IDS) == 2  # bert and gpt2


def _split_by_version_tokens(parts: list[str]) -> list[list[str]]:
    at, toks = version_tokens(pd.Series(parts, dtype="string"))
    got: list[list[str]] = [[] for _ in parts]
    for k, t in zip(at.tolist(), toks.tolist()):
        got[k].append(t)
    return [sorted(g) for g in got]


def test_version_tokens_edge_parts():
    # dots kept whole or split, empty pieces, all-digit and 1-char tokens, and non-ASCII parts (Unicode digits,
    # case rules), which `split_version` reads itself
    parts = ["7b-chat", "1.5-gguf", "v2.beta.x", "a..b-1.2.3", "", "-", "--x", "2-20-2.0", "Q4.K.M", "ü.b-2.5x",
             "١.٢-ab", "İx-Q", "²²-ab", "AB.cd-EF"]
    assert _split_by_version_tokens(parts) == [sorted(t.lower() for t in split_version(p)) for p in parts]


@needs_seed
def test_version_tokens_is_split_version_on_the_2024_names(real_2024):
    # the Arrow split against the per-name reference, on the version part of every 2024 id, under both rule sets;
    # both sides depend on the part alone, so each distinct part is compared once
    from analysis.study.tokens import MARKER_REGEX, _names, _version_part

    ids = pd.Series(real_2024.ids)
    for rules in ("study", "code"):
        parts = _version_part(_names(ids), rules).str.replace(MARKER_REGEX, "", regex=True).tolist()
        assert len(parts) > 200_000 / real_2024.every
        distinct = list(dict.fromkeys(parts))
        assert _split_by_version_tokens(distinct) == [sorted(t.lower() for t in split_version(p)) for p in distinct]


# ---------------------------------------------------------------------------------------------------------------
# Experiment 2c


HAND_SETS = [frozenset("abc"), frozenset("ab"), frozenset("abc"), frozenset("cd"), frozenset("d")]
# pairs: 1-2 ab, 1-3 abc, 1-4 c, 2-3 ab, 3-4 c, 4-5 d; the other four pairs share nothing
HAND_GROUPS = {frozenset("ab"): 2, frozenset("abc"): 1, frozenset("c"): 2, frozenset("d"): 1}


def test_groups_by_hand():
    assert dict(pairwise_group_counts(HAND_SETS)) == HAND_GROUPS
    assert dict(group_counts(HAND_SETS)) == HAND_GROUPS
    table = groups_table(group_counts(HAND_SETS))
    assert list(table.columns) == ["tokens", "size", "count"]
    assert table.to_dict(orient="records") == [{"tokens": "a b", "size": 2, "count": 2},
                                               {"tokens": "a b c", "size": 3, "count": 1}]


@pytest.mark.parametrize("max_cube", [0, 3, 20])
def test_groups_fast_equals_pairwise_on_random_sets(monkeypatch, max_cube):
    """Both paths of the fast method (subset lattice, direct), with repeated sets and large sets."""
    monkeypatch.setattr(groups_mod, "MAX_CUBE_TOKENS", max_cube)
    rng = random.Random(max_cube)
    vocab = [f"t{i}" for i in range(30)]
    sets = []
    for _ in range(160):
        pool = vocab[: rng.choice([6, 12, 30])]
        k = min(int(rng.expovariate(0.3)) + 1, len(pool))
        sets.append(frozenset(rng.sample(pool, k)))
    sets += sets[:20]  # identical sets: multiplicity
    assert group_counts(sets) == pairwise_group_counts(sets)


# ---------------------------------------------------------------------------------------------------------------
# Loader


def test_loader_duplicates_bad_and_truncated_lines(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [
        {"id": "o/m-v1", "crawl_tag": "t1", "crawled_at": "2024-01-02T00:00:00Z"},
        "not json",
        "",
        {"id": "o/m-v1", "crawl_tag": "t2", "crawled_at": "2024-01-01T00:00:00Z"},  # older: dropped
        {"id": "g/x", "crawl_author": "google", "pipeline_tag": "t1"},  # org stream + tag stream = one model
        {"id": "g/x", "crawl_tag": "t1"},
        ["a", "list"],
        {"no": "id"},
        {"id": "bad id/with space", "crawl_tag": "t1"},
        '{"id": "o/cut", "crawl_t',
    ], final_newline=False)
    r = load([feed])
    m = r.models.set_index("id")
    assert sorted(m.index) == ["g/x", "o/m-v1"]
    assert m.loc["o/m-v1", "task"] == "t1"  # latest crawled_at wins
    assert (m.loc["g/x", "task"], m.loc["g/x", "org"], m.loc["g/x", "author"], m.loc["g/x", "name"]) == \
           ("t1", "google", "g", "x")
    p = r.provenance
    assert p["duplicate_ids"]["count"] == 1 and p["duplicate_ids"]["first"][0]["line"] == 4
    assert p["malformed_lines"]["count"] == 4
    assert sorted(e["line"] for e in p["malformed_lines"]["first"]) == [2, 7, 8, 9]
    assert p["truncated_lines"] == {"count": 1, "first": [{"file": str(feed), "line": 10}]}


def test_loader_file_order_breaks_ties_and_feeds_combine(tmp_path):
    a = write_feed(tmp_path / "a.jsonl", [{"id": "o/m", "crawl_tag": "old"}])
    b = write_feed(tmp_path / "b.jsonl", [{"id": "o/m", "crawl_tag": "new"}, {"id": "legacy", "pipeline_tag": "t"}])
    m = load([a, b]).models.set_index("id")
    assert m.loc["o/m", "task"] == "new"
    assert m.loc["legacy", "task"] == "t" and pd.isna(m.loc["legacy", "author"]) and m.loc["legacy", "name"] == "legacy"


def test_loader_latest_line_per_stream_and_column_types(tmp_path):
    # crawled_at decides (missing and unreadable = oldest, offsets compared as instants), file order breaks ties;
    # each stream kind separately; every text column is str, `org` too when no organisation stream was read
    feed = write_feed(tmp_path / "a.jsonl", [
        {"id": "o/a", "crawl_tag": "t1", "crawled_at": "2024-01-01T12:00:00+02:00"},
        {"id": "o/a", "crawl_tag": "t2", "crawled_at": "2024-01-01T11:00:00Z"},  # later instant: kept
        {"id": "o/a", "crawl_tag": "t3"},
        {"id": "o/a", "crawl_tag": "t4", "crawled_at": "not a date"},
        {"id": "o/b", "crawl_tag": "t1"},
        {"id": "o/b", "crawl_tag": "t2"},  # same (missing) time: the later line
        {"id": "o/b", "crawl_author": "org1", "crawled_at": "2024-01-03T00:00:00Z"},
        {"id": "o/b", "crawl_author": "org2", "crawled_at": "2024-01-02T00:00:00Z"},
        {"id": "x", "crawl_author": "org1"},
    ])
    r = load([feed])
    m = r.models.set_index("id")
    assert list(m.index) == ["o/a", "o/b", "x"]
    assert m["task"].tolist()[:2] == ["t2", "t2"] and pd.isna(m.loc["x", "task"])
    assert m.loc["o/b", "org"] == "org1" and m.loc["x", "org"] == "org1" and pd.isna(m.loc["o/a", "org"])
    assert pd.isna(m.loc["x", "author"]) and m.loc["x", "name"] == "x" and m.loc["o/b", "author"] == "o"
    assert r.provenance["duplicate_ids"] == {"count": 5, "first": [{"file": str(feed), "line": n}
                                                                   for n in (1, 3, 4, 5, 8)]}
    no_org = load([write_feed(tmp_path / "b.jsonl", [{"id": "o/a", "crawl_tag": "t1"}])]).models
    assert all(str(no_org[c].dtype) == "str" for c in no_org.columns if c != "line")


def test_loader_clean_feed_fast_path_matches_line_reader(tmp_path):
    recs = [{"id": f"o/m{i}-v{i % 3}", "crawl_tag": f"t{i % 4}", "source": "api"} for i in range(50)]
    clean = write_feed(tmp_path / "clean.jsonl", recs)
    dirty = write_feed(tmp_path / "dirty.jsonl", recs + ["{"])  # forces the line-by-line reader
    a, b = load([clean]).models, load([dirty]).models
    pd.testing.assert_frame_equal(a.drop(columns="input"), b.drop(columns="input"))


def test_loader_reads_gzip_feeds_and_reports_a_cut_one(tmp_path):
    import gzip

    recs = [{"id": f"o/m{i}-v{i % 3}", "crawl_tag": f"t{i % 4}", "source": "api"} for i in range(400)]
    plain = write_feed(tmp_path / "plain.jsonl", recs)
    packed = tmp_path / "feed.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = load([plain]).models, load([packed]).models
    pd.testing.assert_frame_equal(a.drop(columns="input"), b.drop(columns="input"))
    # the same bytes without the .gz suffix: told by content, not by name
    renamed = tmp_path / "feed.jsonl"
    renamed.write_bytes(packed.read_bytes())
    assert len(load([renamed]).models) == 400
    # a dirty gzip feed goes through the line reader and says which line is bad
    dirty = tmp_path / "dirty.jsonl.gz"
    dirty.write_bytes(gzip.compress(plain.read_bytes() + b"{\n"))
    r = load([dirty])
    assert len(r.models) == 400 and r.provenance["malformed_lines"]["first"][0]["line"] == 401
    # cut short (a crawl killed while compressing): the lines before the cut are kept and the cut is reported
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed.read_bytes()[: len(packed.read_bytes()) // 2])
    r = load([cut])
    kept = len(r.models)
    assert 0 < kept < 400 and list(r.models["id"]) == [x["id"] for x in recs[:kept]]
    assert r.provenance["truncated_lines"] == {"count": 1, "first": [{"file": str(cut), "line": kept + 1}]}


RECENT = SHARED / "data" / "hub-snapshots" / "recent-2026-08.jsonl.gz"


@pytest.mark.skipif(not RECENT.exists(), reason="needs ../shared/data/hub-snapshots")
def test_loader_reads_the_real_compressed_recent_sample():
    import gzip

    with gzip.open(RECENT, "rb") as fh:
        ids = [json.loads(line)["id"] for line in fh]
    r = load([RECENT])
    assert len(r.models) == len(set(ids)) and set(r.models["id"]) == set(ids)
    assert r.provenance["malformed_lines"]["count"] == 0 and r.provenance["truncated_lines"]["count"] == 0
    assert r.models["task"].notna().sum() > len(ids) // 2  # the pipeline_tag of each line becomes its task


def test_loader_list_folder_organisations(tmp_path):
    (tmp_path / "text-generation.txt").write_text("o/a-v2\no/b\n\ngoogle/t5-base\n")
    (tmp_path / "google.txt").write_text("google/t5-base\ngoogle/only-org\n")
    m = load([tmp_path]).models.set_index("id")
    assert m.loc["google/t5-base", "task"] == "text-generation" and m.loc["google/t5-base", "org"] == "google"
    assert pd.isna(m.loc["google/only-org", "task"]) and m.loc["google/only-org", "org"] == "google"
    assert m.loc["o/b", "line"] == 2 and m.loc["google/t5-base", "line"] == 4
    # with other organisations, google.txt is a task list: google/t5-base is then in two task lists, a duplicate
    # whose later line (text-generation.txt comes after google.txt) wins
    other = load([tmp_path], orgs=["openai"])
    assert other.models.set_index("id")["task"].to_dict() == {
        "google/only-org": "google", "o/a-v2": "text-generation", "o/b": "text-generation",
        "google/t5-base": "text-generation"}
    assert other.provenance["duplicate_ids"]["count"] == 1


def test_loader_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load([tmp_path / "missing.jsonl"])
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InputError, match="no valid model"):
        load([tmp_path / "empty.jsonl"])
    (tmp_path / "junk.jsonl").write_text("junk\n[1]\n")
    with pytest.raises(InputError):
        load([tmp_path / "junk.jsonl"])
    (tmp_path / "nolists").mkdir()
    with pytest.raises(InputError, match="no <tag>.txt"):
        load([tmp_path / "nolists"])


def test_org_models_by_list_or_owner():
    models = models_of([("google/a", "t", None), ("x/b", None, "google"), ("Google/c", "t", None), ("y/d", "t", None)])
    assert sorted(org_models(models, "google")["id"]) == ["Google/c", "google/a", "x/b"]


def test_safe_names():
    assert safe_name("text-generation") == "text-generation"
    assert safe_name("google") == "google"
    for evil in ("../etc/passwd", "a/b", "..", ".", "", "a b", "x\x00y", "é"):
        name = safe_name(evil)
        assert re.fullmatch(r"[A-Za-z0-9_-]+", name), name
    assert safe_name("a/b") != safe_name("a_b")


def test_markdown_to_html_tables_and_escaping():
    out = markdown_to_html("# T\n\n| a | n |\n|---|---:|\n| <b>x</b> | 3 |\n\n- **bold** `c<d>`\n- two")
    assert "<h1>T</h1>" in out and "<table>" in out and "&lt;b&gt;x&lt;/b&gt;" in out
    assert "<strong>bold</strong>" in out and "<code>c&lt;d&gt;</code>" in out and out.count("<li>") == 2
    assert 'style="text-align:right">3</td>' in out


def test_markdown_to_html_escapes_link_targets_once_and_image_texts():
    out = markdown_to_html('[tables](t.csv?a=1&b=2) ![x<script>"](f.png) | a \\| b')
    assert 'href="t.csv?a=1&amp;b=2"' in out and "&amp;amp;" not in out
    assert 'alt="x&lt;script&gt;&quot;"' in out and "<script>" not in out


def test_markdown_table_cells_and_rows():
    from analysis.report.markdown import table

    df = pd.DataFrame({"task": ["a|b", "c"], "models": [1234567, 2], "share": [1.0, 2.5], "kept": [True, False]})
    assert table(df, max_rows=1).split("\n") == [
        "| task | models | share | kept |", "|---|---:|---:|---|", "| a\\|b | 1,234,567 | 1.00 | True |", "",
        "_first 1 of 2 rows_"]
    assert table(df.iloc[:0]) == "_(empty)_" and table(df, max_rows=None).count("\n") == 3


# ---------------------------------------------------------------------------------------------------------------
# The command line on a small feed (every output, unsafe names, errors)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("study")
    recs = []
    for i in range(40):
        recs.append({"id": f"o{i}/llama-{7 + i % 3}b-{['chat', 'gptq', 'awq'][i % 3]}-v{i % 2}",
                     "crawl_tag": "text-generation", "crawled_at": "2026-11-01T10:00:00Z"})
        recs.append({"id": f"p{i % 4}/bert-{['base', 'large'][i % 2]}-{['cased', 'uncased'][i % 3 % 2]}-ft{i}",
                     "crawl_tag": "fill-mask", "crawled_at": "2026-11-01T10:00:00Z"})
    recs += [{"id": "google/t5-small", "crawl_author": "google"}, {"id": "google/t5-base", "crawl_author": "google"},
             {"id": "e/evil-one-x", "crawl_tag": "../../evil"}, {"id": "e/evil-two-x", "crawl_tag": "../../evil"},
             {"id": "o0/llama-7b-chat-v0", "crawl_tag": "text-generation", "crawled_at": "2026-11-02T10:00:00Z"}]
    feed = write_feed(tmp / "models.jsonl", recs + ["{broken"])
    out = tmp / "out"
    proc = run_cli("study", str(feed), "--out", str(out), "--threshold", "1.0", "--exclude", "", "--top", "5",
                   "--method", "study")
    return proc, out


@pytest.mark.e2e
def test_cli_writes_every_output(small_study):
    proc, out = small_study
    assert proc.returncode == 0, proc.stderr
    assert "load" in proc.stderr and "done in" in proc.stderr  # the progress display
    t = out / "tables"
    assert pd.read_csv(t / "e1_version_share.csv").columns.tolist() == ["scope", "models", "matching", "share_pct",
                                                                       "ci_low_pct", "ci_high_pct"]
    e2 = pd.read_csv(t / "e2_share_by_task.csv")
    assert e2["task"].tolist() == ["fill-mask", "text-generation", "../../evil"]  # largest first (40, 40, 2)
    assert pd.read_csv(t / "pareto_tasks.csv").columns.tolist() == ["task", "models", "cumulative_pct", "selected",
                                                                   "excluded_by_hand"]
    tg = pd.read_csv(t / "e2b_tokens_text-generation.csv")
    assert tg.columns.tolist() == ["token", "families"] and set(tg["token"]) == {"7b", "8b", "9b", "chat", "gptq", "awq"}
    gg = pd.read_csv(t / "e2c_groups_fill-mask.csv")
    assert gg.columns.tolist() == ["tokens", "size", "count"]
    # google: t5-small and t5-base make one family t5 holding {small, base}
    assert pd.read_csv(t / "e3_tokens_google.csv").to_dict(orient="records") == [
        {"token": "base", "families": 1}, {"token": "small", "families": 1}]
    assert (t / "e3_groups_google.csv").exists()
    # Hub values never become paths: the evil task's tables stay inside tables/
    evil = [p.name for p in t.iterdir() if "evil" in p.name]
    assert len(evil) == 2 and all(re.fullmatch(r"e2[bc]_\w+_[-\w]+\.csv", n) for n in evil)
    assert not (out.parent / "evil").exists()
    for fig in ("e1_version_share", "e2_share_by_task", "e2b_tokens", "e2c_groups", "e2c_groups_3plus",
                "e2c_groups_by_size",
                "e3_organisations_tokens", "e3_organisations_groups"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 5000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["e1"]["models"] == 82 and summary["input"]["duplicate_ids"]["count"] == 1
    assert summary["input"]["malformed_lines"] == {"count": 1, "first": [{"file": str(out.parent / "models.jsonl"),
                                                                          "line": 86}]}
    md = (out / "report.md").read_text()
    assert "malformed lines skipped**: 1" in md and "models.jsonl`:86" in md
    html = (out / "report.html").read_text()
    for src in re.findall(r'<img src="([^"]+)"', html):
        assert (out / src).is_file(), src


def test_cli_errors(capsys, tmp_path):
    rc, err = study_in_process(capsys, str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o"))
    assert rc == 2 and "no such file" in err
    (tmp_path / "empty.jsonl").write_text("")
    rc, err = study_in_process(capsys, str(tmp_path / "empty.jsonl"), "--out", str(tmp_path / "o"), "-q")
    assert rc == 2 and err.startswith("error: no valid model") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.e2e
def test_report_html_renders_in_headless_chromium(small_study, tmp_path):
    """report.html shows every figure: each <img> is a real PNG, and Chromium renders the page."""
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it): the report cannot be checked in a browser")
        pytest.skip("chromium not installed (apt-get install chromium)")
    _, out = small_study
    page = (out / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]*\bsrc="([^"]+)"', page)
    assert len(sources) >= len(list((out / "figures").glob("*.png"))) > 0
    for src in sources:
        if src.startswith("data:image/png;base64,"):
            data = base64.b64decode(src.split(",", 1)[1])
        else:
            data = (out / src).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", src[:80]
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1400,3000",
                    (out / "report.html").as_uri()], capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 50_000


# ---------------------------------------------------------------------------------------------------------------
# The real 2024 lists: the published numbers, and the study team's own outputs


@pytest.fixture(scope="module")
def seed_models(lists_2024):
    return lists_2024.copy()


@needs_seed
def test_real_global_and_task_shares(seed_models):
    e1 = version_share(seed_models).iloc[0]
    assert (e1["models"], e1["matching"], round(e1["share_pct"], 2)) == (239_091, 50_436, 21.09)  # paper: ~21%
    e2 = share_by_task(seed_models).set_index("task")
    assert len(e2) == 42
    assert round(e2.loc["reinforcement-learning", "share_pct"], 2) == 68.80  # paper: 68.80 %
    assert round(e2.loc["automatic-speech-recognition", "share_pct"], 2) == 46.55  # paper: 46.55 %
    assert e2.index[:3].tolist() == ["text-classification", "text-generation", "reinforcement-learning"]


@needs_seed
def test_real_pareto_selection(seed_models):
    p = pareto_tasks(share_by_task(seed_models))
    assert int((p["selected"] | p["excluded_by_hand"]).sum()) == 8
    assert selected_tasks(p) == ["text-classification", "text-generation", "text2text-generation",
                                 "token-classification", "text-to-image", "fill-mask"]
    assert sorted(p.loc[p["excluded_by_hand"], "task"]) == ["automatic-speech-recognition", "reinforcement-learning"]


@needs_seed
def test_real_organisation_sizes(seed_models):
    assert {o: len(org_models(seed_models, o)) for o in ("google", "facebook", "openai")} == \
           {"google": 617, "facebook": 1879, "openai": 32}  # the paper's counts


@needs_seed
def test_real_text_generation_top_tokens(seed_models):
    ids = seed_models.loc[seed_models["task"] == "text-generation", "id"]
    top = token_table(family_tokens(ids)).head(8)
    assert top["token"].tolist()[:4] == ["7b", "gptq", "13b", "awq"]
    assert {"gguf", "llama", "chat"} <= set(top["token"])  # the paper's text-generation tokens


def _published_dict(scope: str) -> dict[str, frozenset[str]]:
    out = {}
    for line in (OUTPUTS / "multi_versions_models_dict" / f"{scope}.txt").read_text().splitlines():
        fam, _, toks = line.partition(": ")
        out[fam] = frozenset(toks.split(", "))
    return out


def _published_groups(scope: str) -> dict[frozenset[str], int]:
    sub = "big_companies_versioning_tokens_groups_combinations" if scope in ("google", "facebook", "openai") \
        else "versioning_tokens_groups_combinations"
    out = {}
    for line in (OUTPUTS / sub / f"{scope}.txt").read_text().splitlines():
        m = re.fullmatch(r"Tokens: frozenset\((\{.*\})\) - Occurred in (\d+) combinations", line.strip())
        out[frozenset(ast.literal_eval(m.group(1)))] = int(m.group(2))
    return out


SCOPES = ["text-classification", "text-generation", "text2text-generation", "token-classification",
          "text-to-image", "fill-mask", "google", "facebook", "openai"]


@needs_seed
@pytest.mark.skipif(not OUTPUTS.is_dir(), reason="the study's outputs are not in the shared data")
@pytest.mark.parametrize("scope", SCOPES)
def test_real_code_rules_reproduce_the_study_outputs(seed_models, scope):
    """With the code's rules, 2b gives the study team's per-family token lists and 2c their group counts exactly."""
    ids = org_models(seed_models, scope)["id"] if scope in ("google", "facebook", "openai") \
        else seed_models.loc[seed_models["task"] == scope, "id"]
    fams = family_tokens(ids, "code")
    assert dict(fams) == _published_dict(scope)
    fast = group_counts(fams.tolist())
    assert {g: c for g, c in fast.items() if len(g) >= 2} == _published_groups(scope)
    if len(fams) < 1500:  # the study's pairwise loop, on the scopes where it is quick
        assert fast == pairwise_group_counts(fams.tolist())
    table = groups_table(fast)
    assert table["count"].is_monotonic_decreasing and (table["size"] >= 2).all()


@needs_seed
def test_real_study_rules_differ_from_the_code_only_where_expected(seed_models):
    ids = seed_models.loc[seed_models["task"] == "text-generation", "id"]
    study, code = family_tokens(ids, "study"), family_tokens(ids, "code")
    differing = [k for k in set(study.index) | set(code.index) if study.get(k) != code.get(k)]
    assert len(differing) == rule_differences(ids) == 221
    assert Counter(study.explode()).most_common(1) == [("7b", 690)]


@pytest.mark.e2e
def test_cli_method_both_and_detector(small_study, tmp_path):
    """`both` adds the comparison section of analysis.study.compare; `detector` runs experiments 1/2a with the detector,
    and still shows the comparison with the study's regex side by side."""
    _, out = small_study
    feed = out.parent / "models.jsonl"
    both = run_cli("study", str(feed), "--out", str(tmp_path / "both"), "--no-figures", "-q")
    assert both.returncode == 0, both.stderr
    summary = json.loads((tmp_path / "both" / "summary.json").read_text())
    assert summary["sections"][-2:] == ["compare", "conclusion"] and summary["experiments_use"] == "study regex"
    assert {"ajibode", "weights_real"} <= set(summary["sections"])  # the real-data sections, on every input
    report = (tmp_path / "both" / "report.md").read_text(encoding="utf-8")
    conclusion = report[report.index(". Conclusion"):]
    assert "Experiment 1: how many model names carry a version?" in conclusion and "(n = " in conclusion
    det = run_cli("study", str(feed), "--out", str(tmp_path / "det"), "--no-figures", "-q", "--method", "detector")
    assert det.returncode == 0, det.stderr
    summary = json.loads((tmp_path / "det" / "summary.json").read_text())
    assert summary["experiments_use"] == "version detector" and summary["sections"][-2:] == ["compare", "conclusion"]
    assert (tmp_path / "det" / "tables" / "compare_share_by_task.csv").exists()
    # the detector does not take "-v0"/"-v1" of these names for anything else than what they are
    assert 0 <= summary["e1"]["matching"] <= summary["e1"]["models"] == 82


@pytest.mark.parametrize("limit,fork_min,forks", [(10, 0, False), (10_000, 0, None), (10_000, 1_000, False)])
def test_comparison_runs_alongside_only_below_the_size_limit(monkeypatch, tmp_path, limit, fork_min, forks):
    # above the limit the study and the comparison would hold their memory peaks at once: sequential there; below
    # FORK_MIN_ITEMS names a fork costs more than the comparison: sequential too
    from analysis.common import parallel
    from analysis.study import run as study

    made = []

    class Spy(parallel.Forked):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self.forked)

    monkeypatch.setattr(study, "Forked", Spy)
    monkeypatch.setattr(study, "CONCURRENT_COMPARISON_MAX", limit)
    monkeypatch.setattr(parallel, "FORK_MIN_ITEMS", fork_min)
    feed = write_feed(tmp_path / "f.jsonl", [{"id": f"o{i % 7}/fam{i % 5}-v{i % 3}-base", "crawl_tag": f"t{i % 3}"}
                                             for i in range(60)])
    cfg = study.StudyConfig(inputs=[feed], out=tmp_path / "out", threshold=1.0, exclude=[], make_figures=False)
    study.run_study(cfg)
    assert made == [parallel.can_fork() if forks is None else forks]
    assert (tmp_path / "out" / "tables" / "compare_global.csv").exists()


# ---------------------------------------------------------------------------------------------------------------
# Hostile options, inputs and output folders: checked before anything is written; --out holds one complete run


def study_in_process(capsys, *args: str) -> tuple[int, str]:
    """`python -m analysis study ...` in this process (fast): exit status and stderr."""
    from analysis.cli import main

    rc = main(["study", *args])
    return rc, capsys.readouterr().err


def small_feed(path: Path, tasks: tuple[str, ...] = ("text-generation", "fill-mask")) -> Path:
    return write_feed(path, [{"id": f"o{i}/fam{i % 4}-{7 + i % 3}b-v{i % 2}", "crawl_tag": tasks[i % len(tasks)]}
                             for i in range(24)])


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


QUICK = ("--method", "study", "--no-figures", "-q", "--threshold", "1.0", "--exclude", "")


@pytest.mark.parametrize("option,value,says", [
    ("--threshold", "0", "--threshold"), ("--threshold", "1.5", "--threshold"), ("--threshold", "nan", "--threshold"),
    ("--top", "0", "--top"), ("--top", "100000", "--top"), ("--orgs", "goo\x07gle", "--orgs"),
])
def test_study_refuses_bad_options_before_writing(capsys, tmp_path, option, value, says):
    feed = small_feed(tmp_path / "f.jsonl")
    out = tmp_path / "new" / "out"
    rc, err = study_in_process(capsys, str(feed), "--out", str(out), "--method", "study", "-q", option, value)
    assert rc == 2 and err.startswith("error: ") and says in err and err.count("\n") == 1, err
    assert not (tmp_path / "new").exists()


def test_study_refuses_an_empty_excluded_task_name(tmp_path):
    from analysis.study.run import ConfigError, StudyConfig, run_study

    cfg = StudyConfig(inputs=[small_feed(tmp_path / "f.jsonl")], out=tmp_path / "out", exclude=[" "])
    with pytest.raises(ConfigError, match="--exclude"):
        run_study(cfg)
    assert not (tmp_path / "out").exists()


def test_study_missing_or_unreadable_input_creates_no_output(capsys, tmp_path):
    out = tmp_path / "new" / "out"
    rc, err = study_in_process(capsys, str(tmp_path / "none.jsonl"), "--out", str(out))
    assert rc == 2 and "none.jsonl: no such file" in err and err.count("\n") == 1
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)  # a reader would wait forever for a writer
    rc, err = study_in_process(capsys, str(fifo), "--out", str(out))
    assert rc == 2 and "not a file or a folder" in err
    assert not (tmp_path / "new").exists()


def test_study_corrupt_gzip_feed_is_a_one_line_error(capsys, tmp_path):
    import gzip

    data = bytearray(gzip.compress(small_feed(tmp_path / "plain.jsonl").read_bytes() * 50))
    for k in range(200, 260):
        data[k] ^= 0x5A
    bad = tmp_path / "feed.jsonl.gz"
    bad.write_bytes(bytes(data))
    header = tmp_path / "header.jsonl.gz"
    header.write_bytes(b"\x1f\x8bjunkjunk")
    for feed in (bad, header):
        rc, err = study_in_process(capsys, str(feed), "--out", str(tmp_path / "out"), *QUICK)
        assert rc == 2 and err.startswith(f"error: cannot read {feed}: corrupt gzip") and err.count("\n") == 1, err
        assert not (tmp_path / "out").exists()


def test_study_out_that_is_a_file_or_cannot_be_written(capsys, tmp_path):
    feed = small_feed(tmp_path / "f.jsonl")
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    for out, says in ((a_file, "is a file"), (a_file / "out", "is a file")):
        rc, err = study_in_process(capsys, str(feed), "--out", str(out), *QUICK)
        assert rc == 2 and says in err and err.count("\n") == 1, err
    assert a_file.read_text() == "keep me"
    foreign = tmp_path / "output"  # a folder with a crawl feed in it: a run would replace the whole folder
    foreign.mkdir()
    (foreign / "models.jsonl").write_text("{}\n")
    rc, err = study_in_process(capsys, str(feed), "--out", str(foreign), *QUICK)
    assert rc == 2 and "models.jsonl" in err and tree(foreign) == {"models.jsonl": b"{}\n"}


def test_study_out_in_a_read_only_folder(capsys, tmp_path):
    feed = small_feed(tmp_path / "f.jsonl")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):  # root ignores the mode: a read-only file system says no to root too
            locked = Path("/sys/hfcrawl-study")
            if os.access("/sys", os.W_OK) and Path("/sys").is_dir():
                try:
                    locked.mkdir()
                except OSError:
                    pass
                else:
                    locked.rmdir()
                    pytest.skip("no read-only folder to try (root, and /sys accepts folders)")
        out = locked / "out" if locked.name == "locked" else locked
        rc, err = study_in_process(capsys, str(feed), "--out", str(out), *QUICK)
        assert rc == 2 and err.startswith("error: ") and "--out" in err and err.count("\n") == 1, err
        assert not out.exists()
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_study_failed_run_leaves_the_previous_output_untouched(capsys, monkeypatch, tmp_path):
    from analysis.report import document as report

    out = tmp_path / "out"
    rc, err = study_in_process(capsys, str(small_feed(tmp_path / "a.jsonl")), "--out", str(out), *QUICK)
    assert rc == 0, err
    before = tree(out)
    assert "tables/e2b_tokens_fill-mask.csv" in before
    # no task at all: fails after the load
    orgs_only = write_feed(tmp_path / "orgs.jsonl", [{"id": "google/t5-small", "crawl_author": "google"}])
    rc, err = study_in_process(capsys, str(orgs_only), "--out", str(out), *QUICK)
    assert rc == 2 and "nothing to study" in err
    # a fault while writing the report, after every table of the new run was written
    monkeypatch.setattr(report, "write_report", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left")))
    rc, err = study_in_process(capsys, str(small_feed(tmp_path / "b.jsonl", ("other",))), "--out", str(out), *QUICK)
    assert rc == 2 and "No space left" in err and err.count("\n") == 1, err
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl", "orgs.jsonl", "out"]


def test_study_output_holds_one_complete_run(capsys, monkeypatch, tmp_path):
    out = tmp_path / "out"
    assert study_in_process(capsys, str(small_feed(tmp_path / "a.jsonl")), "--out", str(out), *QUICK)[0] == 0
    feed_b = small_feed(tmp_path / "b.jsonl", ("summarization",))
    assert study_in_process(capsys, str(feed_b), "--out", str(out), *QUICK)[0] == 0
    tables = sorted(p.name for p in (out / "tables").iterdir())
    assert "e2b_tokens_summarization.csv" in tables and not any("fill-mask" in t for t in tables)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl", "out"]  # nothing left beside
    monkeypatch.chdir(out)  # `--out .` from inside a previous output: replaced like any other
    assert study_in_process(capsys, str(feed_b), "--out", ".", *QUICK)[0] == 0
    assert (out / "summary.json").is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl",
                                                                                                "out"]


def test_loader_refuses_ids_longer_than_the_hub_allows(tmp_path):
    longest = "a" * 96
    feed = write_feed(tmp_path / "f.jsonl", [
        {"id": f"o/{longest}", "crawl_tag": "t"}, {"id": f"{longest}/m", "crawl_tag": "t"},
        {"id": f"o/{longest}b", "crawl_tag": "t"}, {"id": f"{longest}b/m", "crawl_tag": "t"},
        {"id": "x" * 40_000, "crawl_tag": "t"}])
    r = load([feed])
    assert sorted(r.models["id"]) == sorted([f"o/{longest}", f"{longest}/m"])
    assert r.provenance["malformed_lines"] == {"count": 3, "first": [{"file": str(feed), "line": n}
                                                                      for n in (3, 4, 5)]}


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[16:24]
    return int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")


def test_group_figure_rows_fit_their_bars_and_long_groups_say_how_many_tokens_more(tmp_path):
    from analysis.report import figures

    one = groups_table(pairwise_group_counts([frozenset({"base", "large"}), frozenset({"base", "large", "x"})] * 1))
    many = groups_table(pairwise_group_counts([frozenset({f"t{i}", f"t{i + 1}", "common"}) for i in range(40)]))
    figures.group_bars({"few": one, "few2": one}, tmp_path / "few.png", 15, "t", ("2",))
    figures.group_bars({"many": many, "many2": many}, tmp_path / "many.png", 15, "t", ("2",))
    assert png_size(tmp_path / "few.png")[1] < 0.6 * png_size(tmp_path / "many.png")[1]  # no tall empty panels
    tokens = " ".join(f"lang{i}" for i in range(30))
    label = figures._group_label(tokens)
    assert len(label) <= 44 and "…" not in label and label.endswith(f"+ {30 - len(label.split(' + ')[0].split())} more")


@pytest.mark.e2e
def test_study_of_a_replay_hub_crawl_calls_it_synthetic(capsys, crawl, tmp_path):
    result = crawl.run("-a", "tags=text-to-3d,image-to-3d")
    assert result.returncode == 0, result.log[-2000:]
    out = tmp_path / "study"
    rc, err = study_in_process(capsys, str(crawl.feed), "--out", str(out), *QUICK)
    assert rc == 0, err
    md = (out / "report.md").read_text()
    assert crawl.endpoint.startswith("http://127.0.0.1:")
    # the crawler records the replay hub's header: the study names it and calls its data synthetic
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["inputs"][0]["origin"]["kind"] == "replay-hub" and summary["synthetic"] is True
    assert f"- **origin**: `models.jsonl`: **synthetic** (the replay hub at {crawl.endpoint}" in md
    assert "(synthetic: replay-hub data)" in md
