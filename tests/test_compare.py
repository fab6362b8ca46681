"""Regex vs detector comparison section on real 2024 task lists (a sample, loaded by a tiny local loader)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.report.section import Section
from analysis.study import compare
from analysis.versions.vocab import data_dir

LISTS = data_dir() / "seed-2024-02" / "lists"
ORGS = ["google", "facebook", "openai"]
pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="needs ../shared/data/seed-2024-02/lists")


def load_lists(tasks: dict[str, int | None]) -> pd.DataFrame:
    """id -> task (or org for the company lists): the first `n` ids of each list (all when None)."""
    rows = []
    for stem, n in tasks.items():
        ids = [x.strip() for x in (LISTS / f"{stem}.txt").read_text(encoding="utf-8").splitlines() if x.strip()]
        org = stem if stem in ORGS else None
        for i in ids[:n]:
            rows.append({"id": i, "task": None if org else stem, "org": org})
    df = pd.DataFrame(rows)
    df["author"] = df["id"].str.rpartition("/")[0]
    df["name"] = df["id"].str.rsplit("/", n=1).str[-1]
    df["pipeline_tag"] = df["task"]
    return df


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    models = load_lists({"reinforcement-learning": 3000, "automatic-speech-recognition": 2000,
                         "text-generation": 3000, "depth-estimation": None, "image-to-3d": None,
                         "google": None, "facebook": None, "openai": None})
    d = tmp_path_factory.mktemp("study")
    sec = compare.run(models, d, ORGS)
    return models, d, sec


def test_files_and_section(out):
    _, d, sec = out
    assert isinstance(sec, Section) and sec.key == "compare" and sec.title
    for t in ("compare_share_by_task", "compare_global", "compare_orgs", "compare_examples", "taxonomy_by_task",
              "taxonomy_by_org"):
        assert (d / "tables" / f"{t}.csv").stat().st_size > 0
    for f in ("compare_share_by_task", "compare_global"):
        assert (d / "figures" / f"{f}.png").read_bytes()[:4] == b"\x89PNG"
    for p in sec.figures + sec.tables:
        assert not p.is_absolute() and (d / p).exists()


@pytest.fixture(scope="module")
def scores() -> dict:
    """`compare.measured()`, read once for the tests that check what the section quotes of it."""
    return compare.measured()


def test_section_states_the_measured_scores(out, scores):
    # the report quotes the held-out scores, raw and with the project's definition settling the labels
    m = scores
    if "skipped" in m:
        pytest.skip("needs ../shared/data naming labels")
    md = out[2].markdown
    assert f"| version detector | {m['detector']['precision']:.3f} |" in md
    adj = m["definition_adjusted"]
    assert f"{sum(adj['settled'].values()):,} of these names are errors only because" in md
    assert f"F1 {adj['overall']['detector']['f1']:.3f}" in md
    # the number of labelled names comes from the labels, not from the text
    assert f"of the {m['labelled']:,} names whose naming elements GPT-4 labelled" in md


def test_audit_paragraph_says_who_the_annotators_were(out, scores):
    m = scores
    if "skipped" in m or not m["audit"]:
        pytest.skip("needs ../shared/data naming labels")
    md = out[2].markdown
    assert "two language-model assistants (Claude helper agents" in md and "not people" in md
    assert f"detector {m['audit']['scores']['detector']['f1']:.3f}" in md


def test_without_labels_the_section_says_the_evaluation_was_skipped(tmp_path, monkeypatch):
    from analysis.versions import evaluation

    missing = tmp_path / "no-labels.json"
    monkeypatch.setattr(evaluation, "labels_path", lambda: missing)
    sec = compare.run(pd.DataFrame({"id": ["a/b-v2", "c/d-1.5"], "task": ["t", "t"], "org": [None, None]}),
                      tmp_path / "out", [])
    assert f"labels not found at {missing}, evaluation skipped" in sec.markdown
    assert "| study regex |" not in sec.markdown


def test_a_broken_evaluation_is_not_hidden(tmp_path, monkeypatch):
    # a fault in the evaluation (here: unreadable labels) fails the run rather than vanishing from the report
    from analysis.versions import evaluation

    bad = tmp_path / "labels.json"
    bad.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(evaluation, "labels_path", lambda: bad)
    with pytest.raises(ValueError):
        compare.measured()


def test_share_by_task(out):
    models, d, _ = out
    t = pd.read_csv(d / "tables" / "compare_share_by_task.csv")
    assert list(t.columns[:5]) == ["task", "models", "regex_pct", "detector_pct", "diff_pct"]
    t = t.set_index("task")
    assert t.loc["reinforcement-learning", "models"] == 3000
    # the study's RL share is mostly environment versions
    assert t.loc["reinforcement-learning", "regex_pct"] > 40
    assert t.loc["reinforcement-learning", "detector_pct"] < 15
    assert t.loc["reinforcement-learning", "regex_only_top_rule"] == "environment"
    assert t.loc["automatic-speech-recognition", "regex_pct"] > t.loc["automatic-speech-recognition", "detector_pct"]
    assert t.loc["text-generation", "detector_pct"] > t.loc["text-generation", "regex_pct"]
    g = pd.read_csv(d / "tables" / "compare_global.csv").iloc[0]
    assert g["models"] == models["task"].notna().sum()


def test_orgs_examples_taxonomy(out):
    _, d, sec = out
    o = pd.read_csv(d / "tables" / "compare_orgs.csv")
    assert o["org"].tolist() == ORGS
    ex = pd.read_csv(d / "tables" / "compare_examples.csv")
    rl = ex[(ex["task"] == "reinforcement-learning") & (ex["direction"] == "regex only")]
    assert (rl["rule"] == "environment").any()
    assert "LunarLander" in " ".join(rl["id"]) or "CartPole" in " ".join(rl["id"])
    tt = pd.read_csv(d / "tables" / "taxonomy_by_task.csv")
    assert {"task", "models", "pct_A", "pct_V", "pct_Q", "study_top_tokens"} <= set(tt.columns)
    to = pd.read_csv(d / "tables" / "taxonomy_by_org.csv")
    assert set(to["org"]) == set(ORGS)
    assert "reinforcement-learning" in sec.markdown and "environment" in sec.markdown


def test_regex_explanation():
    assert compare.regex_explanation("sb3/ppo-LunarLander-v2") == ("v2", "environment")
    assert compare.regex_explanation("v2ray/some-model") == ("v2", "owner")
    assert compare.regex_explanation("facebook/wav2vec2-base")[1] == "architecture"


def test_unsafe_names_and_empty(tmp_path):
    df = pd.DataFrame({"id": ["a/b-v2", "c/d"], "task": ["weird/../task name", None], "org": [None, "o/x"]})
    sec = compare.run(df, tmp_path, ["o/x"])
    assert (tmp_path / "tables" / "compare_share_by_task.csv").exists()
    assert isinstance(sec.markdown, str)


def test_detector_column_is_has_version(out):
    # compare.run takes the detector's verdict from the taxonomy pass (elements_frame(versioned=True)); the tables
    # must hold exactly what `detector.has_version` gives
    from analysis.versions import detector

    models, d, _ = out
    hv = detector.has_version(models["id"])
    rg = detector.regex_has_version(models["id"])
    tasked = models["task"].notna()
    g = pd.read_csv(d / "tables" / "compare_global.csv").iloc[0]
    assert g["detector_versioned"] == hv[tasked].sum()
    assert g["detector_only"] == (hv & ~rg)[tasked].sum() and g["regex_only"] == (rg & ~hv)[tasked].sum()
    t = pd.read_csv(d / "tables" / "compare_share_by_task.csv").set_index("task")
    for task, share in hv[tasked].groupby(models.loc[tasked, "task"]).mean().items():
        assert t.loc[task, "detector_pct"] == round(100 * share, 2), task
    o = pd.read_csv(d / "tables" / "compare_orgs.csv").set_index("org")
    for org in ORGS:
        assert o.loc[org, "detector_only"] == (hv & ~rg)[models["org"] == org].sum(), org


def test_study_top_tokens_are_experiment_2b(out):
    # the taxonomy table's top tokens per task are the study's 2b token table of the task's names (ties by token)
    from analysis.study import tokens

    models, d, _ = out
    tt = pd.read_csv(d / "tables" / "taxonomy_by_task.csv").set_index("task")
    for task, g in models[models["task"].notna()].groupby("task"):
        want = tokens.token_table(tokens.family_tokens("/" + g["name"], "study")).head(10)
        got = [x.rsplit(":", 1) for x in str(tt.loc[task, "study_top_tokens"]).split()] if want.size else []
        assert [(t.split("[")[0], int(n)) for t, n in got] == list(zip(want["token"], want["families"])), task


def test_family_token_counts_per_group_is_family_tokens():
    from analysis.study import tokens

    models = load_lists({"text-generation": 4000, "fill-mask": 3000, "image-to-3d": None, "google": None})
    models.loc[::50, "name"] = models.loc[::50, "id"]  # as for the ids without an owner
    key = models["task"].fillna(models["org"])
    c = tokens.family_token_counts(models["name"], key)
    assert set(c["key"]) == {"text-generation", "fill-mask", "google"}  # image-to-3d: no family of two
    for k, g in models.groupby(key):
        want = tokens.token_table(tokens.family_tokens("/" + g["name"], "study"))
        got = c[c["key"] == k]
        assert list(zip(got["token"], got["families"])) == list(zip(want["token"], want["families"])), k


@pytest.mark.parametrize("parallel", [False, True])
def test_disagreements_explained_as_from_each_id(parallel, real_2024):
    # the explanations computed by name, where the names are read (`_read_names`), against `regex_explanation` and
    # `detector.detect` on each id, for every disagreement of the 2024 lists and ids with blanks, owners that match
    # (the session has run the detector's rules on every name of the lists once, tests/realnames.py)
    from analysis.versions import detector, taxonomy

    ids = real_2024.ids  # a new list: the fixture stays as it is
    ids += [" x/Llama-2-7b", "x/Llama-2-7b ", "x/ model-v2", " model-v2", "v2ray/model-v2", "v2ray/ppo-Taxi-v3",
            "v2ray/Qwen2.5-7B", "v2ray/plain", "a/b/c-v2", "", "v1/v2"]
    ids = pd.Series(ids)
    bits, explain = compare._read_ids(ids, parallel=parallel)
    assert (((bits & taxonomy.VERSIONED_BIT) != 0) == detector.has_version(ids).to_numpy()).all()
    regex = detector.regex_has_version(ids).to_numpy()
    rows = np.flatnonzero(regex != ((bits & taxonomy.VERSIONED_BIT) != 0))
    assert len(rows) > 30_000 / real_2024.every
    got = explain(rows, ids.iloc[rows].tolist(), regex[rows])
    want = ([], [], [])
    for mid, rg in zip(ids.iloc[rows].tolist(), regex[rows].tolist()):
        d = detector.detect(mid)
        t, r = compare.regex_explanation(mid) if rg else ("", d.reason)
        for col, v in zip(want, (t, r, "" if rg else " ".join(d.versions))):
            col.append(v)
    assert got == want


def test_without_the_audit_file_the_section_says_so(tmp_path, monkeypatch):
    from analysis.versions import evaluation

    if not evaluation.labels_path().exists():
        pytest.skip("needs ../shared/data naming labels")
    missing = tmp_path / "version-audit.csv"
    monkeypatch.setattr(compare, "AUDIT_PATH", missing)
    lines = compare._measured_markdown(compare.measured())
    assert f"Blind audit: not found at {missing}, skipped." in lines
