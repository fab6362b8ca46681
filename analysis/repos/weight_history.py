"""Real weight-change histories: how often weights change in place, whether names say so, how long between changes.

Two real sources, never the replay hub's synthetic histories:

* `../shared/data/weight-commits-s2e-2024/` (s2e-lab/model-evolution @ 1e791396, Apache-2.0): 8,171 commits that
  touched weight files in 1,031 repositories, 2019-02 .. 2024-09, with dates and messages. Only commits that touched
  a weight file are listed, so a repository's commit count cannot be read from it; the time between two commits
  that touched the *same* weight file can. A weight file touched by two commits or more was changed in place.
* Ajibode et al.'s per-file change counts (`model_weight_file_changed.csv.gz`): 16,271 of their 52,226 repositories
  have a weight file that commits of `main` changed at least twice (no dates).

For each: the share of repositories whose weights changed in place, and of those, the share whose name carries a
version (the detector) and a generation (`analysis.versions.generation`), beside the repositories whose weights did not
change; for s2e, the time between weight changes (median, quartiles, n) and how often the commit message of a
change names a version. Shares carry n and a 95% Wilson interval.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.common.intervals import format_share, with_wilson_pct
from analysis.common.paths import shared_dir
from analysis.report import labels
from analysis.repos.weights import ajibode_dir
from analysis.versions import detector
from analysis.versions.generation import has_generation

S2E_SOURCE = "s2e-lab/model-evolution @ 1e791396 (real commits, Apache-2.0)"
AJIBODE_SOURCE = "Ajibode et al., SAILResearch/wip-24-adekunle-lm-release @ 538e6ebc (real per-file change counts)"
SHARE_COLUMNS = ["source", "group", "repos", "measure", "k", "n", "pct", "ci_low_pct", "ci_high_pct"]
INTERVAL_COLUMNS = ["source", "scope", "intervals", "repos", "p25_days", "median_days", "p75_days"]
#: A version named in a commit message: `v2`, `1.5.1`, `version 3`.
MESSAGE_VERSION = r"(?i)\bv\d+(?:\.\d+)*\b|\b\d+\.\d+(?:\.\d+)*\b|\bversion\s*\d"


def s2e_dir() -> Path:
    return shared_dir() / "data" / "weight-commits-s2e-2024"


def read_s2e(folder: Path | None = None) -> tuple[pd.DataFrame, int]:
    """`repo, commit, file, date, message` of every weight-file commit (formats the source could not determine left
    out), the file path normalised (`\\` as `/`, a leading `<repo>/` cut); and how many rows were left out."""
    raw = pd.read_csv((folder or s2e_dir()) / "weight_file_commits.csv.gz", dtype=str, keep_default_na=False)
    date = pd.to_datetime(raw["date"], utc=True, errors="coerce")
    keep = (raw["serialization_format"] != "undetermined") & date.notna() & (raw["repo_url"] != "")
    df = raw[keep]
    path = df["model_file_path"].str.replace("\\", "/", regex=False)
    head = path.str.split("/", n=2, expand=True).reindex(columns=[0, 1, 2])
    under_repo = (head[0].fillna("") + "/" + head[1].fillna("")).eq(df["repo_url"]) & head[2].notna()
    path = path.where(~under_repo, head[2])  # `owner/name\model.safetensors` is the repository's `model.safetensors`
    out = pd.DataFrame({"repo": df["repo_url"], "commit": df["commit_hash"], "file": path, "date": date[keep],
                        "message": df["message"]})
    return out.drop_duplicates(["repo", "commit", "file"]).reset_index(drop=True), int((~keep).sum())


def s2e_changes(commits: pd.DataFrame) -> pd.DataFrame:
    """One row per (repository, commit) that changed a weight file some earlier commit had touched: `repo`,
    `commit`, `date`, `days` (since that file's previous commit; the smallest over the commit's files), `message`."""
    c = commits.sort_values(["repo", "file", "date", "commit"], kind="stable")
    prev = c.groupby(["repo", "file"], sort=False)["date"].shift()
    c = c.assign(days=(c["date"] - prev).dt.total_seconds() / 86400.0)
    later = c[prev.notna()]
    per_commit = later.groupby(["repo", "commit"], sort=False).agg(date=("date", "first"), days=("days", "min"),
                                                                  message=("message", "first"))
    return per_commit.reset_index()


def _quartiles(days: pd.Series) -> tuple[float, float, float]:
    q = np.percentile(days.to_numpy(dtype=float), [25, 50, 75]) if len(days) else [np.nan] * 3
    return tuple(round(float(x), 2) for x in q)


def intervals_table(changes: pd.DataFrame) -> pd.DataFrame:
    """weight_intervals_real.csv: the days between weight changes over every change, and over one median per
    repository (so a repository of 800 changes weighs as much as one of 2)."""
    per_repo = changes.groupby("repo")["days"].median()
    rows = [{"source": S2E_SOURCE, "scope": scope, "intervals": len(values), "repos": repos,
             **dict(zip(("p25_days", "median_days", "p75_days"), _quartiles(values)))}
            for scope, values, repos in (("every change", changes["days"], changes["repo"].nunique()),
                                         ("one median per repository", per_repo, len(per_repo)))]
    return pd.DataFrame(rows, columns=INTERVAL_COLUMNS)


def _name_rows(source: str, ids: pd.Series, changed: np.ndarray) -> list[dict]:
    """Per group (changed in place / not), the share of names with a version and with a generation."""
    version = detector.has_version(ids).to_numpy(dtype=bool)
    generation = has_generation(ids).to_numpy(dtype=bool)
    rows = [{"source": source, "group": "all", "repos": len(ids), "measure": "weights changed in place",
             "k": int(changed.sum()), "n": len(ids)}]
    for group, sel in (("weights changed in place", changed), ("weights not changed in place", ~changed)):
        n = int(sel.sum())
        if n:
            rows += [{"source": source, "group": group, "repos": n, "measure": f"name carries a {m}",
                      "k": int(flag[sel].sum()), "n": n} for m, flag in (("version", version),
                                                                        ("generation", generation))]
    return rows


def shares_table(commits: pd.DataFrame, changes: pd.DataFrame, ajibode: pd.DataFrame | None) -> pd.DataFrame:
    """weight_changes_real.csv: per source, weights changed in place, and names with a version or a generation
    among the repositories whose weights changed and those whose did not; for s2e, messages naming a version."""
    repos = pd.Series(commits["repo"].unique())
    changed = repos.isin(changes["repo"]).to_numpy()
    rows = _name_rows(S2E_SOURCE, repos, changed)
    said = changes["message"].astype("string").str.contains(MESSAGE_VERSION, regex=True).fillna(False)
    rows.append({"source": S2E_SOURCE, "group": "changes", "repos": int(changes["repo"].nunique()),
                 "measure": "commit message of the change names a version", "k": int(said.sum()), "n": len(changes)})
    if ajibode is not None:
        rows += _name_rows(AJIBODE_SOURCE, ajibode["id"], ajibode["changed"].to_numpy(dtype=bool))
    out = pd.DataFrame(rows)
    out["pct"] = (100.0 * out["k"] / out["n"]).round(2)
    return with_wilson_pct(out, "k", "n")[SHARE_COLUMNS]


def ajibode_repositories(folder: Path | None = None) -> pd.DataFrame:
    """`id, changed`: each of Ajibode et al.'s 52,226 repositories, and whether a weight file changed twice or more."""
    folder = folder or ajibode_dir()
    pop = pd.read_csv(folder / "ptlm_variants.csv.gz", dtype=str, keep_default_na=False, usecols=["model_name"])
    ids = pop["model_name"].str.strip().drop_duplicates().reset_index(drop=True)
    ch = pd.read_csv(folder / "model_weight_file_changed.csv.gz", dtype=str, keep_default_na=False)
    ch = ch[pd.to_numeric(ch["changed_frequency"], errors="coerce") >= 2]
    changed = (ch["owner"].str.strip() + "/" + ch["model_name"].str.strip()).unique()
    return pd.DataFrame({"id": ids, "changed": ids.isin(changed).to_numpy()})


@labels.real_data
def figure(changes: pd.DataFrame, path: Path) -> None:
    """The distribution of the days between weight changes (real data), per change and per repository's median."""
    from analysis.report import output

    minutes = 1.0 / 1440
    with output.figure(path, (8, 4.2)) as fig:
        ax = fig.subplots()
        for values, label, colour in ((changes["days"], "every change", "#4C72B0"),
                                      (changes.groupby("repo")["days"].median(), "one median per repository",
                                       "#DD8452")):
            x = np.sort(np.maximum(values.to_numpy(dtype=float), minutes))
            if len(x):
                ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", color=colour,
                        label=f"{label} (n = {len(x):,})")
        ax.set_xscale("log")
        for days, name in ((1 / 24, "1 hour"), (1, "1 day"), (30, "30 days"), (365, "1 year")):
            ax.axvline(days, color="#bbb", linewidth=0.7)
            ax.text(days, 1.01, name, fontsize=7, ha="center", color="#666")
        ax.set_xlabel("days since the same weight file's previous commit (log scale; under a minute drawn at 1 "
                      "minute)")
        ax.set_ylabel("share of changes (cumulative)")
        ax.set_title("Real data: time between weight changes, 1,031 Hub repositories (s2e-lab/model-evolution)",
                     fontsize=9)
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(True, alpha=0.3)


def markdown(shares: pd.DataFrame, intervals: pd.DataFrame, dropped: int) -> str:
    """The section's text: real sources named, every share with n and its interval."""
    def share(source: str, group: str, measure: str) -> str:
        r = shares[(shares["source"] == source) & (shares["group"] == group) & (shares["measure"] == measure)]
        return "n/a" if r.empty else format_share(int(r["k"].iloc[0]), int(r["n"].iloc[0]))

    every, per_repo = intervals.iloc[0], intervals.iloc[1]
    inplace, other = "weights changed in place", "weights not changed in place"
    md = [("**Real data only** (no replay-hub history reaches this section): the commits of "
           f"{S2E_SOURCE}, and {AJIBODE_SOURCE}. A weight file touched by two commits or more was changed in place "
           f"(the first commit uploads it); s2e rows whose format the source could not determine are left out "
           f"({dropped:,})."), "",
          (f"- **How often weights change in place**: {share(S2E_SOURCE, 'all', 'weights changed in place')} of the "
           f"s2e repositories; {share(AJIBODE_SOURCE, 'all', 'weights changed in place')} of Ajibode et al.'s "
           "population (a weight file changed at least twice on `main`)."),
          (f"- **Does the name say so**: of the repositories whose weights changed in place, "
           f"{share(AJIBODE_SOURCE, inplace, 'name carries a version')} carry a version in their name (Ajibode et "
           f"al.'s population; s2e: {share(S2E_SOURCE, inplace, 'name carries a version')}), against "
           f"{share(AJIBODE_SOURCE, other, 'name carries a version')} of those whose weights did not change (s2e: "
           f"{share(S2E_SOURCE, other, 'name carries a version')}). A generation: "
           f"{share(AJIBODE_SOURCE, inplace, 'name carries a generation')} (s2e: "
           f"{share(S2E_SOURCE, inplace, 'name carries a generation')}). The commit message of a change names a "
           f"version in {share(S2E_SOURCE, 'changes', 'commit message of the change names a version')} of the s2e "
           "changes."),
          (f"- **Time between weight changes** (s2e, days since the same file's previous commit): median "
           f"{every['median_days']:g}, quartiles {every['p25_days']:g} .. {every['p75_days']:g} over "
           f"{int(every['intervals']):,} changes in {int(every['repos']):,} repositories (training runs push "
           f"checkpoints minutes apart); one median per repository: {per_repo['median_days']:g} days, quartiles "
           f"{per_repo['p25_days']:g} .. {per_repo['p75_days']:g} (n = {int(per_repo['repos']):,})."), "",
          "Most weights that change in place do so under the same name: the name is not where these repositories "
          "version their weights, and repositories that put a version in their name change their weights in place "
          "less often than the others (compare the two groups above).", "",
          "`tables/weight_changes_real.csv`:", "", _md(shares), "", "`tables/weight_intervals_real.csv`:", "",
          _md(intervals)]
    return "\n".join(md)


def _md(df: pd.DataFrame) -> str:
    from analysis.report import markdown as md

    return md.table(df.assign(source=df["source"].str.split(" @ ").str[0]), max_rows=20, floatfmt="{:,.2f}", na="")
