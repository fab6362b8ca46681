"""The study report's conclusion: per question of the study, what the real data say and how sure, from the tables.

Every number is read from the run's own tables (`tables/*.csv`), never typed here, and every share is quoted with
its n and 95% Wilson interval (`analysis.common.intervals.format_share`). Synthetic data are never cited as findings: the
repositories section (`--repos`, whose histories the replay hub makes up) is left out, and when the input itself came
from the replay hub (`synthetic` in its provenance) the input's figures are given as a check of the pipeline only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.common.intervals import MIN_N, format_share
from analysis.report import labels
from analysis.report.section import Section

QUESTIONS = ("Experiment 1: how many model names carry a version?",
             "Experiment 2a and the Pareto selection: which tasks version their names?",
             "Experiments 2b and 2c: what are the study's version tokens?",
             "Experiment 3: do the large organisations version their names?",
             "Known flaw (names are a proxy): do versioned names track how models are really versioned?")


def _read(tables: Path, name: str) -> pd.DataFrame | None:
    path = tables / f"{name}.csv"
    try:
        return pd.read_csv(path) if path.is_file() else None
    except (OSError, ValueError, pd.errors.ParserError):
        return None


def _from_pct(pct: float, n: int) -> str:
    """A share a table gives in percent, quoted with its n and interval; the count behind it is the percentage of n
    (2 decimals: exact below 50,000 names, within one name above). A missing share is `n/a`."""
    if pd.isna(pct) or pd.isna(n) or int(n) <= 0:
        return "n/a"
    return format_share(int(round(float(pct) * int(n) / 100.0)), int(n))


def _names(t: dict[str, pd.DataFrame | None]) -> list[str]:
    g = t["compare_global"]
    if g is None:
        return []
    r = g.iloc[0]
    n = int(r["models"])
    out = [f"The study's regex finds a version in {format_share(int(r['regex_versioned']), n)} of the names listed "
           f"under a task; the detector, which reads versions as docs/versions.md defines them, in "
           f"{format_share(int(r['detector_versioned']), n)}."]
    if "generation" in g:
        out.append(f"A family's generation (`Qwen3`, `Llama-2`), an element of its own, is in "
                   f"{format_share(int(r['generation']), n)}.")
    out.append(f"Of the regex's matches, {format_share(int(r['regex_only']), int(r['regex_versioned']))} are not "
               f"versions by that definition, and {format_share(int(r['detector_only']), int(r['detector_versioned']))}"
               " of the detector's versions escape the regex: its share is not a measure of versioning.")
    return [" ".join(out)]


def _tasks(t: dict[str, pd.DataFrame | None]) -> list[str]:
    by = t["compare_share_by_task"]
    if by is None or by.empty:
        return []
    big = by[by["models"] >= MIN_N]
    top = big.sort_values("detector_pct", ascending=False).head(3)
    tops = "; ".join(f"{r['task']} {_from_pct(r['detector_pct'], int(r['models']))}"
                     for _, r in top.iterrows())
    out = [f"By the detector, the tasks of {MIN_N} names or more whose names carry a version most often: {tops}."]
    for task in ("reinforcement-learning", "automatic-speech-recognition"):
        row = by[by["task"] == task]
        if len(row):
            r, n = row.iloc[0], int(row.iloc[0]["models"])
            out.append(f"{task}, which the study set apart for its high share: "
                       f"{_from_pct(r['regex_pct'], n)} by the regex, "
                       f"{_from_pct(r['detector_pct'], n)} by the detector.")
    return [" ".join(out)]


def _tokens(t: dict[str, pd.DataFrame | None]) -> list[str]:
    tax, pareto = t["taxonomy_by_task"], t["pareto_tasks"]
    if tax is None or tax.empty or "study_top_tokens" not in tax:
        return []
    if pareto is not None and "task" in pareto and "selected" in pareto:
        tax = tax[tax["task"].isin(pareto.loc[pareto["selected"].astype(bool), "task"])]
    tags = tax["study_top_tokens"].fillna("").str.findall(r"\[([A-Z])\]").explode().dropna()
    if tags.empty:
        return []
    n = len(tags)
    return [f"Of the study's top-10 version tokens of the {len(tax)} studied tasks (experiment 2b), "
            f"{format_share(int((tags == 'V').sum()), n)} are versions by the taxonomy; sizes and parameter counts "
            f"{format_share(int(tags.isin(['S', 'P']).sum()), n)}, tasks and reuse words "
            f"{format_share(int(tags.isin(['T', 'F', 'R']).sum()), n)}, quantisation "
            f"{format_share(int((tags == 'Q').sum()), n)} (each top token is tagged in `tables/taxonomy_by_task.csv`)."]


def _orgs(t: dict[str, pd.DataFrame | None]) -> list[str]:
    org = t["compare_orgs"]
    if org is None or org.empty:
        return []
    parts = [f"{r['org']} {_from_pct(r['detector_pct'], int(r['models']))}"
             for _, r in org.iterrows() if int(r["models"]) > 0]
    return [f"Names with a version by the detector: {'; '.join(parts)}."] if parts else []


def _beyond(t: dict[str, pd.DataFrame | None], synthetic: bool) -> list[str]:
    out = []
    pred = t["predecessors"]
    if pred is not None and len(pred) and not synthetic:
        a = pred.iloc[0]
        maj, mi = int(a["major_ge2"]), int(a["minor"])
        out.append(f"In this input, {_from_pct(a['major_with_predecessor_pct'], maj)} of major and "
                   f"{_from_pct(a['minor_with_predecessor_pct'], mi)} of minor versions have their "
                   "predecessor in the input.")
    aj = t["ajibode_predecessors"]
    if aj is not None and len(aj):
        def one(scope: str, kind: str, k: str) -> str:
            r = aj[(aj["reader"] == "their regex") & (aj["scope"] == scope) & (aj["kind"] == kind)].iloc[0]
            return format_share(int(r[k]), int(r["read_as_kind"]))
        out.append(f"On Ajibode et al.'s own samples (real, 2024), {one('major sample', 'major', 'with_other_version')} "
                   f"of major and {one('minor sample', 'minor', 'with_other_version')} of minor versions have another "
                   f"version of their family in their population ({one('major sample', 'major', 'with_predecessor')} "
                   f"and {one('minor sample', 'minor', 'with_predecessor')} a strict predecessor); they reported 43% "
                   "and 35%.")
    w, iv = t["weight_changes_real"], t["weight_intervals_real"]
    if w is not None and len(w):
        def share(group: str, measure: str, src: str = "Ajibode") -> str:
            r = w[w["source"].str.startswith(src) & (w["group"] == group) & (w["measure"] == measure)]
            return "n/a" if r.empty else format_share(int(r["k"].iloc[0]), int(r["n"].iloc[0]))
        text = (f"Weights change in place in {share('all', 'weights changed in place')} of Ajibode et al.'s "
                f"repositories and {share('all', 'weights changed in place', 's2e')} of s2e-lab's (real commits); of "
                f"those changed, {share('weights changed in place', 'name carries a version')} carry a version in "
                "their name: most in-place updates leave the name as it was.")
        if iv is not None and len(iv) > 1:
            r = iv.iloc[1]
            text += (f" Between two changes of a repository's weights: a median of {r['median_days']:g} days "
                     f"(quartiles {r['p25_days']:g} .. {r['p75_days']:g}, one median per repository, "
                     f"n = {int(r['repos']):,}).")
        out.append(text)
    return out


def _answer(fn, *args) -> list[str]:
    """One question's answer; a table with unexpected columns or values leaves that answer out, not the report."""
    try:
        return fn(*args)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        return [f"Not measured in this run (a table could not be read: {type(exc).__name__}: {exc})."]


def section(out: Path, summary: dict[str, Any]) -> Section:
    """The conclusion, one paragraph per question of the study, from the tables of this run."""
    tables = Path(out) / "tables"
    names = ("compare_global", "compare_share_by_task", "compare_orgs", "taxonomy_by_task", "pareto_tasks",
             "predecessors",
             "ajibode_predecessors", "weight_changes_real", "weight_intervals_real")
    t = {n: _read(tables, n) for n in names}
    synthetic = bool(summary.get("synthetic"))
    answers = [_answer(fn, t) for fn in (_names, _tasks, _tokens, _orgs)] + [_answer(_beyond, t, synthetic)]
    md = ["Per question of the study (`../shared/docs/study.md`), what this run's tables say; each share with its n "
          "and 95% Wilson interval. Results of the repositories section (`--repos`) are not cited here: see that "
          "section and its provenance."]
    if synthetic:
        md.append(f"**{labels.NOTE}** Only the paragraphs on Ajibode et al.'s population and on real weight "
                  "changes read real data (`../shared/data`).")
    for q, a in zip(QUESTIONS, answers):
        md += ["", f"**{q}**", "", " ".join(a) if a else "Not measured in this run (its table is missing)."]
    title = f"Conclusion ({labels.HEADING})" if synthetic else "Conclusion"
    return Section(title=title, markdown="\n".join(md), key="conclusion")
