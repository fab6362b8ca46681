"""The real-data experiments: Ajibode et al. on their own population, real weight-change histories, the conclusion.

They read ../shared/data (real data, never copied into the repository); small hand-made frames check the edge cases.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from analysis.repos import ajibode, real_data, weight_history
from analysis.repos.weights import ajibode_dir
from analysis.study import conclusion

HAS_AJIBODE = (ajibode_dir() / "ptlm_variants.csv.gz").is_file()
HAS_S2E = (weight_history.s2e_dir() / "weight_file_commits.csv.gz").is_file()


def _models(ids: list[str]) -> pd.DataFrame:
    s = pd.Series(ids)
    return pd.DataFrame({"id": s, "author": s.str.rpartition("/")[0], "name": s.str.rpartition("/")[2],
                         "task": "text-generation"})


def test_their_regex_and_the_detector_read_a_small_population():
    models = _models(["a/Model_v2", "a/Model", "a/chat-v1.2", "a/chat-v1.1", "b/solo-v3", "c/x-v1.0", "d/Llama-2-7b"])
    t = ajibode.table(models, {"major": pd.Series(["a/Model_v2", "b/solo-v3", "c/x-v1.0"]),
                               "minor": pd.Series(["a/chat-v1.2", "c/x-v1.0"])})
    row = t.set_index(["reader", "scope", "kind"])
    # Model_v2 has its bare name (1.0); solo-v3 has nothing; x-v1.0 is no major >= 2
    assert row.loc[("their regex", "major sample", "major"), ["read_as_kind", "with_predecessor"]].tolist() == [2, 1]
    # chat-v1.2 has v1.1; x-v1.0 is no minor
    assert row.loc[("their regex", "minor sample", "minor"), ["read_as_kind", "with_predecessor"]].tolist() == [1, 1]
    # Llama-2 is a version for the detector only (no `v`)
    assert (row.loc[("detector", "population", "major"), "read_as_kind"]
            == row.loc[("their regex", "population", "major"), "read_as_kind"] + 1)
    lo, hi = row.loc[("their regex", "major sample", "major"), ["ci_low_pct", "ci_high_pct"]]
    assert lo < 50.0 < hi


@pytest.mark.skipif(not HAS_AJIBODE, reason="needs ../shared/data/versioning-ajibode-2024")
def test_ajibode_on_their_own_population():
    t = ajibode.table()
    assert set(t["reader"]) == {"detector", "their regex"}
    pop = t[t["scope"] == "population"]
    assert (pop["names"] == 52226).all()  # one duplicated id of 52,227 rows
    major = t[(t["reader"] == "their regex") & (t["scope"] == "major sample")].iloc[0]
    assert major["names"] == 330 and 100 < major["read_as_kind"] < 330  # `v1` names are no major >= 2
    # the share with any other version is at least the strict predecessor's, and every interval holds its share
    assert (t["with_other_version"] >= t["with_predecessor"]).all()
    assert ((t["ci_low_pct"] <= t["pct"]) & (t["pct"] <= t["ci_high_pct"])).all()
    assert "43%" in ajibode.markdown(t) and "The population" in ajibode.markdown(t)


def test_weight_changes_from_a_small_commit_list():
    day = pd.Timestamp("2024-01-01", tz="UTC")
    commits = pd.DataFrame({
        "repo": ["a/m-v2", "a/m-v2", "a/m-v2", "b/plain", "c/Qwen2-x", "c/Qwen2-x"],
        "commit": ["1", "2", "3", "1", "1", "2"],
        "file": ["w.bin", "w.bin", "w.bin", "w.bin", "w.bin", "other.bin"],
        "date": [day, day + pd.Timedelta(days=2), day + pd.Timedelta(days=12), day, day, day],
        "message": ["upload", "update to v2.1", "fix", "upload", "upload", "add other"]})
    changes = weight_history.s2e_changes(commits)
    assert sorted(changes["days"].tolist()) == [2.0, 10.0]  # a new file (other.bin) is no change in place
    iv = weight_history.intervals_table(changes).set_index("scope")
    assert iv.loc["every change", ["intervals", "repos", "median_days"]].tolist() == [2, 1, 6.0]
    t = weight_history.shares_table(commits, changes, None).set_index(["group", "measure"])
    assert t.loc[("all", "weights changed in place"), ["k", "n"]].tolist() == [1, 3]
    assert t.loc[("weights changed in place", "name carries a version"), ["k", "n"]].tolist() == [1, 1]
    assert t.loc[("weights not changed in place", "name carries a generation"), ["k", "n"]].tolist() == [1, 2]
    assert t.loc[("changes", "commit message of the change names a version"), ["k", "n"]].tolist() == [1, 2]


@pytest.mark.skipif(not (HAS_S2E and HAS_AJIBODE), reason="needs ../shared/data (s2e commits, Ajibode et al.)")
def test_real_weight_histories(tmp_path):
    commits, dropped = weight_history.read_s2e()
    assert commits["repo"].nunique() > 1000 and dropped > 0  # `undetermined` formats left out, counted
    assert not commits["file"].str.contains("\\\\", regex=False).any()
    changes = weight_history.s2e_changes(commits)
    assert (changes["days"] >= 0).all()
    t = weight_history.shares_table(commits, changes, weight_history.ajibode_repositories())
    aj = t[t["source"].str.startswith("Ajibode") & (t["group"] == "all")].iloc[0]
    assert (aj["k"], aj["n"]) == (16271, 52226)
    md = weight_history.markdown(t, weight_history.intervals_table(changes), dropped)
    assert "Real data only" in md and "synthetic" not in md.lower().replace("no replay-hub history", "")
    weight_history.figure(changes, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 5000


def test_a_missing_shared_folder_leaves_the_sections_out_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HFCRAWL_SHARED", str(tmp_path / "nowhere"))
    real = real_data.read()
    assert real.ajibode is None and real.shares is None and len(real.errors) == 2
    found, summary, jobs = real_data.sections(SimpleNamespace(out=tmp_path / "out", make_figures=True), real)
    assert found == [] and jobs == []
    assert capsys.readouterr().err.count("real-data section left out") == 2


def test_the_conclusion_quotes_the_tables_and_not_synthetic_input(tmp_path):
    tables = tmp_path / "tables"
    tables.mkdir()
    pd.DataFrame([{"models": 1000, "regex_versioned": 200, "detector_versioned": 120, "regex_only": 100,
                   "detector_only": 20, "generation": 75}]).to_csv(tables / "compare_global.csv", index=False)
    pd.DataFrame([{"scope": "all", "versioned": 120, "major_ge2": 40, "major_with_predecessor_pct": 25.0,
                   "minor": 20, "minor_with_predecessor_pct": 50.0}]).to_csv(tables / "predecessors.csv", index=False)
    md = conclusion.section(tmp_path, {"synthetic": False}).markdown
    assert "20.0% [17.6, 22.6] (n = 1,000)" in md and "7.5% [6.0, 9.3] (n = 1,000)" in md
    assert "25.0% [14.2, 40.2] (n = 40)" in md
    assert md.count("Not measured in this run") == 3  # tasks, tokens, organisations: no table, no number
    assert "synthetic" not in md
    synthetic = conclusion.section(tmp_path, {"synthetic": True})  # the study's summary of replay-hub data
    assert synthetic.title == "Conclusion (synthetic: replay-hub data)"
    assert "Synthetic data:" in synthetic.markdown and "25.0% [14.2" not in synthetic.markdown


def test_the_study_report_holds_the_new_sections(tmp_path):
    # the tables a run writes, then the conclusion read from them (no study run: that is the e2e tests' job)
    out = Path(tmp_path)
    real = real_data.read() if HAS_AJIBODE and HAS_S2E else None
    if real is None:
        pytest.skip("needs ../shared/data")
    found, summary, jobs = real_data.sections(SimpleNamespace(out=out, make_figures=False), real)
    assert [s.key for s in found] == ["ajibode", "weights_real"] and jobs == []
    assert {p.name for p in (out / "tables").iterdir()} == {"ajibode_predecessors.csv", "weight_changes_real.csv",
                                                            "weight_intervals_real.csv"}
    md = conclusion.section(out, {}).markdown
    assert "Ajibode et al.'s own samples" in md and "Weights change in place" in md
