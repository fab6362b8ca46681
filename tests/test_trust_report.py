"""A report that cannot mislead: every input's crawl record found, synthetic data labelled and compared with no
published figure, every share with its n and 95% interval, a sampled repos crawl stated for its population."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.inputs.load import load
from analysis.report import labels, output
from analysis.repos import sampling
from hfcrawl.provenance import record_path
from tests.test_analysis_study import QUICK, small_feed, study_in_process
from tests.test_repos_analysis import MODELS, REPOS, write_jsonl

REPLAY = {"kind": "replay-hub", "endpoint": "http://127.0.0.1:8765", "server": "hubreplay/1", "synthetic": True}


def record(feed: Path, endpoint: str, origin: dict | None = None, **more) -> dict:
    rec = {"feed": str(feed), "endpoint": endpoint, "start": "2026-12-01T10:00:00+00:00",
           "end": "2026-12-01T10:05:00+00:00", "complete": True, **more}
    if origin is not None:
        rec["origin"] = origin
    return rec


def write_record(path: Path, rec: dict) -> Path:
    path.write_text(json.dumps(rec), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------------------------
# Every input's record found


def test_records_found_under_both_names_and_not_recorded_only_without_one(capsys, tmp_path):
    """`models.crawl.json` (record_path) and the old `crawl-report-orgs.json` naming its feed are both found; a
    feed no record names is "not recorded"; a record naming another feed is not taken for it."""
    models = small_feed(tmp_path / "models.jsonl")
    orgs = small_feed(tmp_path / "orgs.jsonl")
    lone = small_feed(tmp_path / "lone.jsonl")
    write_record(record_path(models), record(models, "https://huggingface.co"))
    write_record(tmp_path / "crawl-report-orgs.json", record(orgs, "https://huggingface.co", complete=False))
    write_record(tmp_path / "crawl-report.json", record(tmp_path / "elsewhere.jsonl", "https://huggingface.co"))
    out = tmp_path / "out"
    rc, err = study_in_process(capsys, str(models), str(orgs), str(lone), "--out", str(out), *QUICK)
    assert rc == 0, err
    inputs = json.loads((out / "summary.json").read_text())["input"]["inputs"]
    assert [Path(i["record"]).name if i["record"] else None for i in inputs] == [
        "models.crawl.json", "crawl-report-orgs.json", None]
    assert [i["origin"]["kind"] for i in inputs] == ["hub", "hub", "unknown"]
    assert [i.get("complete") for i in inputs] == [True, False, None]
    md = (out / "report.md").read_text()
    table = md[md.index("| input |"):].split("\n\n")[0]
    rows = {r.split("|")[1].strip(): r for r in table.splitlines()[2:]}
    orgs_row = next(v for k, v in rows.items() if k.endswith("orgs.jsonl`"))
    assert "`crawl-report-orgs.json`" in orgs_row and "2026-12-01T10:00:00+00:00 to" in orgs_row
    assert "**no**" in orgs_row and "| hub |" in orgs_row
    lone_row = next(v for k, v in rows.items() if k.endswith("lone.jsonl`"))
    assert "not recorded" in lone_row
    assert md.count("not recorded") == 2  # the lone feed's cell and its origin line, nothing else
    assert "`lone.jsonl`: not recorded" in md


@pytest.mark.parametrize("endpoint,kind,says", [
    ("http://127.0.0.1:9999", "loopback", "a server on this machine at http://127.0.0.1:9999, not the Hub"),
    ("https://huggingface.co", "hub", "the Hugging Face Hub (https://huggingface.co)"),
    ("https://hf-mirror.example", "other", "https://hf-mirror.example (not the Hugging Face Hub)"),
])
def test_a_record_without_origin_gets_it_from_its_endpoint(capsys, tmp_path, endpoint, kind, says):
    """Older records have no `origin`: it is derived from the endpoint; a local server is not the replay hub
    (unknown data, not labelled synthetic)."""
    feed = small_feed(tmp_path / "models.jsonl")
    write_record(tmp_path / "crawl-report.json", record(Path("output/models.jsonl"), endpoint))
    out = tmp_path / "out"
    rc, err = study_in_process(capsys, str(feed), "--out", str(out), *QUICK)
    assert rc == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["inputs"][0]["origin"]["kind"] == kind
    assert summary["synthetic"] is False
    md = (out / "report.md").read_text()
    assert f"`models.jsonl`: {says}" in md
    assert "synthetic" not in md.split("## 2.")[1]


def test_lists_and_snapshots_are_the_published_data(tmp_path):
    from analysis.inputs.load import seed_lists_dir

    if not seed_lists_dir().is_dir():
        pytest.skip("../shared/data/seed-2024-02/lists not available")
    lists = tmp_path / "lists"  # a copy of one small list: a folder of lists anywhere is published data
    lists.mkdir()
    (lists / "robotics.txt").write_text("\n".join(
        (seed_lists_dir() / "robotics.txt").read_text().splitlines()[:20]) + "\n")
    prov = load([lists]).provenance
    assert prov["inputs"][0]["origin"]["kind"] == "published" and prov["synthetic"] is False


# ----------------------------------------------------------------------------------------------------------------
# Synthetic never presented as a finding


def _synthetic_run(capsys, tmp_path: Path, models_origin: dict | None, repos_origin: dict | None,
                   sample: dict | None = None) -> Path:
    models = write_jsonl(tmp_path / "models.jsonl", MODELS)
    repos = write_jsonl(tmp_path / "repos.jsonl", REPOS)
    write_record(record_path(models), record(models, "http://127.0.0.1:8765", models_origin))
    write_record(tmp_path / "crawl-report-repos.json",
                 record(repos, "http://127.0.0.1:8765", repos_origin, **({"sample": sample} if sample else {})))
    out = tmp_path / "out"
    rc, err = study_in_process(capsys, str(models), "--repos", str(repos), "--out", str(out), "--method", "both",
                               "--no-figures", "-q", "--threshold", "1.0", "--exclude", "")
    assert rc == 0, err
    return out


#: The published figures set beside this run's on real data (Ajibode et al.'s own replication data, a real input of
#: the weights paragraph, may still be named).
PUBLISHED = ("Castaño et al.", "Ajibode et al. (EMSE 2025, 52,227", "paper (Feb 2024)", "Jiang et al. (arXiv",
             "Ajibode et al. report that 40.87% of weight-file")


#: The tables of the sections that read only ../shared's real data (Ajibode et al.'s population, weight histories).
REAL_TABLES = ("ajibode_predecessors.csv", "weight_changes_real.csv", "weight_intervals_real.csv")


def test_replay_hub_models_every_section_says_synthetic_and_compares_nothing(capsys, tmp_path):
    out = _synthetic_run(capsys, tmp_path, REPLAY, REPLAY)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["synthetic"] is True and summary["input"]["inputs"][0]["origin"]["kind"] == "replay-hub"
    md = (out / "report.md").read_text()
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    # the sections that read only ../shared's real data (not the input) say so, and are not called synthetic
    real = [h for h in headings if h.endswith("(real data)")]
    assert len(real) == 2 and not any(labels.HEADING in h for h in real), headings
    data = [h for h in headings if "Input and provenance" not in h and "Method notes" not in h and h not in real]
    assert data and all(h.endswith(f"({labels.HEADING})") for h in data), headings
    assert "## " in md and "Versioning in the repositories (synthetic: replay-hub data)" in md
    for published in PUBLISHED:
        assert published not in md, published
    assert md.count(labels.NOTE) >= len(data)
    for csv in sorted((out / "tables").glob("*.csv")):
        if not csv.read_text().strip():
            continue  # an empty table (no group in a scope): no number in it
        df = pd.read_csv(csv, keep_default_na=False)
        if csv.name in REAL_TABLES:  # ../shared's real data, whatever the input
            assert "data" not in df.columns, csv.name
        elif len(df):
            assert (df["data"] == labels.DATA).all(), csv.name


def test_replay_hub_repos_only_labels_the_repos_section(capsys, tmp_path):
    """Models from the real Hub, repositories from the replay hub: only the repositories' section is synthetic,
    and it leaves out Castaño et al.'s and Ajibode et al.'s figures; the rest keeps the published comparison."""
    hub = {"kind": "hub", "endpoint": "https://huggingface.co", "server": None, "synthetic": False}
    out = _synthetic_run(capsys, tmp_path, hub, REPLAY)
    md = (out / "report.md").read_text()
    repos = md[md.index(". Versioning in the repositories"):]
    repos = repos[:repos.index("\n## ")]
    assert repos.startswith(f". Versioning in the repositories ({labels.HEADING})")
    assert "Castaño" not in repos and "Ajibode" not in repos and labels.NOTE in repos
    assert "Ajibode et al. (EMSE 2025" in md  # the names section is real data: its comparison stays
    assert "paper (Feb 2024)" in md  # the models are real: the reproduction table stays
    assert pd.read_csv(out / "tables/repos_by_task.csv")["data"].eq(labels.DATA).all()
    assert "data" not in pd.read_csv(out / "tables/e2_share_by_task.csv").columns
    assert json.loads((out / "summary.json").read_text())["synthetic"] is True


def test_figure_titles_say_synthetic(tmp_path, monkeypatch):
    """A figure job of synthetic data is saved with the label before its title (suptitle or axes title)."""
    from analysis.report import figures

    titles = []
    real_close = figures.plt.close

    def close(fig):
        titles.append([fig._suptitle.get_text() if fig._suptitle else ""] + [a.get_title() for a in fig.axes])
        real_close(fig)

    monkeypatch.setattr(figures.plt, "close", close)
    e1 = pd.DataFrame([{"scope": "all", "models": 10, "matching": 3, "share_pct": 30.0}])
    fn, args = output.labelled_job((figures.pie_version_share, (e1, tmp_path / "e1.png", "study regex")))
    fn(*args)
    fn(*output.labelled_job((figures.token_bars, ({"t": pd.DataFrame({"token": ["a"], "families": [2]})},
                                                   tmp_path / "t.png", 5, "Experiment 2b")))[1])
    figures.pie_version_share(e1, tmp_path / "real.png", "study regex")
    assert titles[0][1].startswith(labels.FIGURE)
    assert titles[1][0].startswith(f"{labels.FIGURE}: Experiment 2b")
    assert not any(labels.FIGURE in t for t in titles[2])  # the prefix is gone once the job is drawn


# ----------------------------------------------------------------------------------------------------------------
# A sampled repos crawl


def test_stratified_estimate_by_hand():
    """Two tasks: A has N=100 models, 20 sampled, 10 hits; B has N=900, 20 sampled, 4 hits.
    p = 0.1 * 0.5 + 0.9 * 0.2 = 0.23; Var = 0.1^2 (1 - 20/100) 0.25 / 19 + 0.9^2 (1 - 20/900) 0.16 / 19."""
    var = 0.01 * 0.8 * 0.25 / 19 + 0.81 * (1 - 20 / 900) * 0.16 / 19
    est, low, high = sampling.stratified([10, 4], [20, 20], [100, 900])
    assert est == pytest.approx(0.23)
    assert (low, high) == pytest.approx((0.23 - 1.959964 * math.sqrt(var), 0.23 + 1.959964 * math.sqrt(var)))
    assert (round(low, 4), round(high, 4)) == (0.0687, 0.3913)
    # the sample's plain share (14 of 40 = 35%) would overweight the small task A
    assert sampling.stratified([5, 5], [5, 5], [5, 5]) == (1.0, 1.0, 1.0)  # a census: no variance


def test_population_estimates_follow_the_design():
    counts = pd.DataFrame({"task": ["A", "B"], "found": [20, 20], "tagged": [10, 4]})
    per_task = {"method": "per_task", "per_task": 20, "seed": 1, "population": 1000,
                "population_by_task": {"A": 100, "B": 900}, "sampled_by_task": {"A": 20, "B": 20}}
    row = sampling.estimates(counts, ["tagged"], per_task).iloc[0]
    assert (row["share_pct"], row["ci_low_pct"], row["ci_high_pct"]) == (23.0, 6.87, 39.13)
    assert row["population"] == 1000 and row["n"] == 40
    random = {"method": "random", "size": 40, "seed": 1, "population": 1000}
    row = sampling.estimates(counts, ["tagged"], random).iloc[0]
    assert (row["share_pct"], row["ci_low_pct"], row["ci_high_pct"]) == (35.0, 22.13, 50.49)  # Wilson 14 of 40
    assert "unknown" in sampling.describe(None, 40)
    assert "1,000 models" in sampling.describe(random, 40) and "stratified" in sampling.describe(per_task, 40)


def test_report_states_the_sample_and_its_population(capsys, tmp_path):
    hub = {"kind": "hub", "endpoint": "https://huggingface.co", "server": None, "synthetic": False}
    sample = {"method": "per_task", "per_task": 4, "seed": 7, "population": 80,
              "population_by_task": {"fill-mask": 40, "text-generation": 40}, "sampled_by_task": {}}
    out = _synthetic_run(capsys, tmp_path, hub, hub, sample)
    md = (out / "report.md").read_text()
    assert "up to 4 repositories per task (seed 7) of the input's 80 models" in md
    est = pd.read_csv(out / "tables/repos_estimates.csv").set_index("measure")
    # fill-mask: 3 found, 1 tagged; text-generation: 4 found, 1 tagged; equal weights: (1/3 + 1/4) / 2
    assert est.loc["tagged", "share_pct"] == round(100 * (1 / 3 + 1 / 4) / 2, 2)
    by_task = pd.read_csv(out / "tables/repos_by_task.csv").set_index("task")
    assert (by_task.loc["all", "tagged_repos"], by_task.loc["all", "found"]) == (2, 7)
    assert (by_task.loc["all", "tagged_ci_low_pct"], by_task.loc["all", "tagged_ci_high_pct"]) == (8.22, 64.11)


# ----------------------------------------------------------------------------------------------------------------
# Figures: small n drawn apart, no line across populations, log bins


@pytest.fixture
def drawn(monkeypatch):
    """The figures saved while the test runs (kept open: pyplot.close is intercepted)."""
    import matplotlib.pyplot as plt

    figs, close = [], plt.close
    monkeypatch.setattr(plt, "close", figs.append)
    yield figs
    for fig in figs:
        close(fig)


def test_repos_modes_draws_small_tasks_apart_with_their_n_and_whole_names(drawn, tmp_path):
    from analysis.common.intervals import MIN_N
    from analysis.report import figures
    from analysis.repos import practices as R

    sizes = {"text-generation": 400, "zero-shot-image-classification": 7}
    rows = [{"task": t, "mode": m, "repos": n // 5 + (i == 0) * (n % 5)} for t, n in sizes.items()
            for i, m in enumerate(R.MODES)]
    figures.repos_modes_stacked(pd.DataFrame(rows), tmp_path / "m.png")
    ax = drawn[0].axes[0]
    labels_ = [t.get_text() for t in ax.get_yticklabels()]
    assert labels_ == ["all (n = 407)", "text-generation (n = 400)", "zero-shot-image-classification (n = 7)"][::-1] \
        or set(labels_) == {"all (n = 407)", "text-generation (n = 400)", "zero-shot-image-classification (n = 7)"}
    y_small = [t.get_position()[1] for t in ax.get_yticklabels() if t.get_text().startswith("zero-shot")][0]
    bars = [b for b in ax.patches if abs(b.get_y() + b.get_height() / 2 - y_small) < 1e-6 and b.get_width() > 0]
    assert bars and all(b.get_alpha() < 1 and b.get_hatch() for b in bars)  # fewer than MIN_N: faded, hatched
    full = [b for b in ax.patches if abs(b.get_y() + b.get_height() / 2 - y_small) > 1e-6 and b.get_width() > 0]
    assert full and all(b.get_alpha() in (None, 1.0) and not b.get_hatch() for b in full)
    assert any(f"fewer than {MIN_N}" in t.get_text() for t in ax.texts)


def test_commit_histogram_bins_are_log_spaced_whole_numbers(drawn, tmp_path):
    from analysis.report import figures

    edges = figures.log_bins(5000)
    assert edges[0] == 0.5 and edges[-1] > 5000
    assert all(math.floor(b) - math.floor(a) >= 1 for a, b in zip(edges, edges[1:]))  # a whole number in each bin
    ratios = (edges[1:] / edges[:-1])[edges[1:] > 20][:-1]  # the last bin: the top count alone
    assert ratios.min() > 1.2 and ratios.max() / ratios.min() < 1.3  # geometric: equal widths on the log axis
    figures.commit_count_histogram(pd.Series([1, 2, 2, 3, 40, 900]).to_numpy(), tmp_path / "h.png", 3)
    ax = drawn[0].axes[0]
    assert ax.get_xscale() == "log"
    lefts = sorted({round(p.get_x(), 6) for p in ax.patches})
    assert lefts == [round(e, 6) for e in figures.log_bins(900)[:-1]]


def test_trend_by_task_has_no_line_and_hollow_points_below_min_n(drawn, tmp_path):
    from analysis.common.intervals import MIN_N
    from analysis.trend import figures as trend_figures

    by_task = pd.DataFrame({"snapshot": ["a", "b", "c"], "task": "rl", "models": [2575, 3, 34296],
                            "regex_pct": [80.0, 100.0, 68.8], "detector_pct": [5.0, 0.0, 3.2]})
    trend_figures.task_shares(by_task, ["rl"], ["a", "b", "c"], tmp_path / "t.png")
    ax = drawn[0].axes[0]
    for line in ax.get_lines():
        assert line.get_linestyle() == "None"  # each snapshot is another population: no line joins them
    hollow = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "none" and len(ln.get_xdata())]
    assert sorted(x for ln in hollow for x in ln.get_xdata()) == [1, 1]  # the 3-model point, both methods
    filled = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() != "none"]
    assert sorted(x for ln in filled for x in ln.get_xdata()) == [0, 0, 2, 2]
    assert "n=3" in [t.get_text() for t in ax.texts] and MIN_N == 30


def test_cohorts_one_line_per_population_and_gaps_not_bridged(drawn, tmp_path):
    from analysis.trend import figures as trend_figures
    from analysis.trend import run as trend

    def scored(months: list[str], n: int, hit_every: int) -> pd.DataFrame:
        rows = [(f"{m}/{i}", m) for m in months for i in range(n)]
        ns = pd.to_datetime([m + "-15" for _, m in rows], utc=True).as_unit("ns").asi8
        return pd.DataFrame({"id": [r[0] for r in rows], "task": "t", "month": trend.month_codes(ns),
                             "regex": [i % hit_every == 0 for i in range(len(rows))], "detector": False,
                             "generation": False})

    pooled = trend.fold_cohorts(None, scored(["2021-01", "2021-02", "2021-04"], 40, 4), "2022-10")
    pooled = trend.fold_cohorts(pooled, scored(["2025-01", "2025-02"], 40, 2) , "2026-08")
    pooled = trend.fold_cohorts(pooled, scored(["2025-03"], 5, 2), "2026-08")
    cohorts, by_snapshot = trend.cohorts(pooled), trend.cohorts_by_snapshot(pooled)
    assert by_snapshot["snapshot"].tolist() == ["2022-10"] * 3 + ["2026-08"] * 3
    assert cohorts["from"].unique().tolist() == ["2022-10", "2026-08"]
    # n and interval per month: 10 of 40 -> 25.0% [14.19, 40.22]
    first = by_snapshot.iloc[0]
    assert (first["models"], first["regex_pct"], first["regex_ci_low_pct"], first["regex_ci_high_pct"]) == (
        40, 25.0, 14.19, 40.19)
    trend_figures.cohort_shares(cohorts, tmp_path / "c.png", by_snapshot)
    ax = drawn[0].axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() != "None"]
    assert sorted(ln.get_label() for ln in lines) == ["2022-10: detector", "2022-10: regex", "2026-08: detector",
                                                      "2026-08: regex"]
    import matplotlib.dates as mdates

    for ln in lines:
        years = {d.year for d, y in zip(mdates.num2date(ln.get_xdata()), ln.get_ydata()) if not math.isnan(y)}
        assert years in ({2021}, {2025})  # one population, never both
    regex_2021 = next(ln for ln in lines if ln.get_label() == "2022-10: regex")
    assert [not math.isnan(y) for y in regex_2021.get_ydata()] == [True, True, False, True]  # March: a gap
    hollow = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None" and len(ln.get_xdata())]
    assert [len(ln.get_xdata()) for ln in hollow] == [1, 1]  # 2025-03, 5 models: off the line, both methods


# ----------------------------------------------------------------------------------------------------------------
# Every figure readable at the report's column width, in a browser


MEASURE = """<script>window.addEventListener('load', () => {
  const rows = [...document.querySelectorAll('figure img')].map(i => i.getAttribute('src') + ' ' + i.naturalWidth
    + ' ' + i.getBoundingClientRect().width);
  const pre = document.createElement('pre'); pre.id = 'sizes'; pre.textContent = rows.join('\\n');
  document.body.appendChild(pre);
});</script>"""


def _sample_lists(folder: Path, per_list: int) -> Path:
    from analysis.inputs.load import seed_lists_dir

    folder.mkdir()
    for f in sorted(seed_lists_dir().glob("*.txt")):
        (folder / f.name).write_text("\n".join(f.read_text().splitlines()[:per_list]) + "\n")
    return folder


@pytest.mark.e2e
def test_every_figure_is_shown_unscaled_at_the_reports_column_width(capsys, tmp_path):
    """report.html in headless Chromium (1400 px window): every figure is drawn at its own width (8-point labels
    stay 11 pixels high), none is shrunk to fit the column."""
    import re
    import shutil
    import subprocess

    from analysis.inputs.load import seed_lists_dir

    if shutil.which("chromium") is None or not seed_lists_dir().is_dir():
        pytest.skip("chromium or the 2024 lists not available")
    lists = _sample_lists(tmp_path / "lists", 400)
    out = tmp_path / "out"
    rc, err = study_in_process(capsys, str(lists), "--out", str(out), "-q")
    assert rc == 0, err
    page = (out / "report.html").read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>")
    probe = out / "probe.html"
    probe.write_text(page, encoding="utf-8")
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,3000",
                          "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    rows = re.search(r'<pre id="sizes">(.*?)</pre>', dom, re.S)
    assert rows, dom[-2000:]
    sizes = [line.split() for line in rows.group(1).strip().splitlines()]
    assert len(sizes) >= len(list((out / "figures").glob("*.png"))) > 10
    assert all(int(natural) > 0 for _, natural, _ in sizes), sizes
    shrunk = [(src, natural, shown) for src, natural, shown in sizes if float(shown) < int(natural) - 1]
    assert not shrunk  # every figure at its own width: none scaled down to the column


def test_trend_of_a_replay_hub_feed_says_synthetic_in_headings_and_tables(tmp_path):
    from analysis.trend import report as trend_report
    from analysis.trend import run as trend

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": f"a/m{i}-v2", "crawl_tag": "text-generation",
                                        "created_at": "2023-05-01T00:00:00Z"}) + "\n" for i in range(40)))
    write_record(record_path(feed), record(feed, "http://127.0.0.1:8765", REPLAY))
    real = small_feed(tmp_path / "real.jsonl")
    result = trend.compute([("replayed", feed)])
    assert result.inputs[0]["origin"]["kind"] == "replay-hub" and result.synthetic
    trend.write_tables(result, tmp_path)
    assert pd.read_csv(tmp_path / "tables/trend_overall.csv")["data"].eq(labels.DATA).all()
    md = trend_report.markdown(result, [], "")
    assert all(h.endswith(f"({labels.HEADING})") for h in md.splitlines() if h.startswith("#"))
    assert labels.NOTE in md and "| replay-hub |" in md
    plain = trend.compute([("real", real)])
    assert not plain.synthetic and labels.HEADING not in trend_report.markdown(plain, [], "")


def test_a_real_data_figure_is_never_titled_synthetic():
    from analysis.repos import weight_history

    job = (weight_history.figure, ("changes", "path"))
    assert output.labelled_job(job) == job  # ../shared's real weight histories, whatever the input
    assert output.figure_jobs([job], synthetic=True) == [job]
    assert output.labelled_job((print, ("x",))) != (print, ("x",))  # any other figure is labelled


def test_task_scatters_fade_the_tasks_of_few_models_and_name_none_of_them(drawn, tmp_path):
    """A 14-model task at 43% is drawn faded in a shaded band, and is not numbered among the highest shares."""
    from analysis.common.intervals import MIN_N
    from analysis.report import figures

    sized = [f"t{i}" for i in range(10)]  # more than the figures number by size alone
    by_task = pd.DataFrame({"task": ["big", *sized, "tiny"], "models": [34296, *range(1000, 100, -90), 14],
                            "regex_pct": [68.8, *[10.0] * 10, 42.9], "detector_pct": [3.2, *[12.0] * 10, 42.9],
                            "diff_pct": [-65.6, *[2.0] * 10, 0.0]})
    figures.compare_share_by_task(by_task, tmp_path / "c.png")
    ax = drawn[0].axes[0]
    from matplotlib.collections import PathCollection

    points = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
    faded = [c for c in points if c.get_alpha() == 0.3]
    assert faded and all((c.get_offsets()[:, 0] < MIN_N).all() for c in faded)
    assert all((c.get_offsets()[:, 0] >= MIN_N).all() for c in points if c not in faded)
    key = next(t.get_text() for t in ax.texts if t.get_text().startswith("named tasks"))
    assert "tiny" not in key and "big" in key
    e2 = by_task.rename(columns={"regex_pct": "share_pct"})[["task", "models", "share_pct"]]
    figures.scatter_share_by_task(e2, tmp_path / "e2.png", "study regex")
    key = next(t.get_text() for t in drawn[1].axes[0].texts if t.get_text().startswith("named tasks"))
    assert "tiny" not in key


def test_the_synthetic_prefix_keeps_the_title_clear_of_a_legend_above_the_axes():
    """repos_modes puts its legend between the axes and a padded title: the prefix must not pull the title down."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("How repositories are versioned", pad=28)
    offset = ax.titleOffsetTrans.get_matrix().copy()
    output.mark_title(fig, labels.FIGURE)
    assert ax.get_title() == f"{labels.FIGURE}\nHow repositories are versioned"
    assert (ax.titleOffsetTrans.get_matrix() == offset).all()
    plt.close(fig)
