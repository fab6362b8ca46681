"""The whole study in one call: load, run every experiment, write tables, figures and the report's sections.

Each experiment is a pure function in its own module (version_share, pareto, tokens, groups, organisations); this
module only sequences them, names the files after the experiment, and writes the Markdown of each section.
"""
from __future__ import annotations

import dataclasses
import json
import math
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.common.parallel import Forked, fork_map, worth_forking
from analysis.common.progress import Progress
from analysis.common.staging import check_out, staged
from analysis.inputs.load import DEFAULT_ORGS, InputError, LoadResult, check_inputs, load
from analysis.report import document as report
from analysis.report import figures, labels, markdown, output
from analysis.report.section import Section
from analysis.repos import practices as repos_analysis
from analysis.study import compare, conclusion, pareto, tokens, version_share
from analysis.study.groups import group_counts, groups_table, pairwise_group_counts
from analysis.study.organisations import org_models, org_sizes
from analysis.versions import detector
from analysis.versions.regex import VERSION_REGEX, Detector, regex_has_version

METHODS = ("study", "detector", "both")
GROUP_METHODS = {"fast": group_counts, "pairwise": pairwise_group_counts}
TOKEN_RULES = tokens.RULES
#: Most tokens or groups a figure panel shows (--top): a bar is 0.19 inch high.
MAX_TOP = 100
#: What a run writes at the top of its output folder; a folder holding anything else is not replaced.
OUTPUT_NAMES = ("tables", "figures", "report.md", "report.html", "summary.json")

#: The published study's own numbers (original-study.fr.md, February 2024), checked against ours in the report.
PAPER = {
    "global_share_pct": 21.0,  # "environ 21%" (and 79% without)
    "task_share_pct": {"reinforcement-learning": 68.80, "automatic-speech-recognition": 46.55},
    "tasks": 42,
    "pareto_selected": ["text-classification", "text-generation", "text2text-generation", "token-classification",
                        "text-to-image", "fill-mask"],
    "org_models": {"google": 617, "facebook": 1879, "openai": 32},
    "text_generation_tokens": ["gptq", "7b", "13b", "gguf", "awq", "llama", "chat"],
}


@dataclass
class StudyConfig:
    """Everything the command line sets; defaults are the study's."""

    inputs: list[Path]
    out: Path
    orgs: list[str] = field(default_factory=lambda: list(DEFAULT_ORGS))
    threshold: float = 0.8
    exclude: list[str] = field(default_factory=lambda: list(pareto.STUDY_EXCLUDED))
    top: int = 20
    method: str = "both"
    token_rules: str = "study"
    groups: str = "fast"
    make_figures: bool = True
    command: str = ""
    repos: Path | None = None  # the repos feed (`scrapy crawl repos`): adds "Versioning in the repositories"
    synthetic: bool = False  # set once loaded: a models input came from the replay hub (analysis.report.labels)


class ConfigError(ValueError):
    """An option the study cannot run with (told before anything is read or written)."""


def _check_names(option: str, names: list[str]) -> None:
    for name in names:
        if not isinstance(name, str) or not name.strip() or not name.isprintable():
            raise ConfigError(f"{option}: {name!r} is not a name (empty, or with control characters)")


def check_config(cfg: StudyConfig) -> None:
    """Raise ConfigError on the first option out of range."""
    if not (isinstance(cfg.threshold, (int, float)) and math.isfinite(cfg.threshold) and 0 < cfg.threshold <= 1):
        raise ConfigError(f"--threshold must be a share in (0, 1], not {cfg.threshold}")
    if not isinstance(cfg.top, int) or not 1 <= cfg.top <= MAX_TOP:
        raise ConfigError(f"--top must be a whole number from 1 to {MAX_TOP}, not {cfg.top}")
    _check_names("--exclude", cfg.exclude)
    _check_names("--orgs", cfg.orgs)
    for option, value, allowed in (("--method", cfg.method, METHODS), ("--token-rules", cfg.token_rules, TOKEN_RULES),
                                   ("--groups", cfg.groups, tuple(GROUP_METHODS))):
        if value not in allowed:
            raise ConfigError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             check=False, cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


# ----------------------------------------------------------------------------------------------------------------
# Sections


def provenance_table(inputs: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per input: file, kind, lines, its crawl record, the crawl's dates, endpoint, origin, complete."""
    def dates(s: dict[str, Any]) -> str:
        return f"{s['crawl_start']} to {s['crawl_end']}" if s.get("crawl_start") else ""

    def complete(s: dict[str, Any]) -> str:
        return "" if s.get("complete") is None else ("yes" if s["complete"] else "**no**")

    return pd.DataFrame({
        "input": [f"`{s['path']}`" for s in inputs], "kind": [s["kind"] for s in inputs],
        "lines with an id": [s["lines"] for s in inputs],
        "record": [f"`{Path(s['record']).name}`" if s.get("record") else "not recorded" for s in inputs],
        "crawl dates": [dates(s) for s in inputs], "endpoint": [s.get("endpoint") or "" for s in inputs],
        "origin": [s["origin"]["kind"] for s in inputs], "complete": [complete(s) for s in inputs]})


def _crawled_from(inputs: list[dict[str, Any]]) -> str:
    """The provenance line on every input's origin."""
    return "- **origin**: " + "; ".join(f"`{Path(s['path']).name}`: {labels.describe_origin(s['origin'])}"
                                        for s in inputs)


def _provenance_section(loaded: LoadResult, cfg: StudyConfig) -> Section:
    p = loaded.provenance
    lines = [markdown.table(provenance_table(p["inputs"]), max_rows=None), "", _crawled_from(p["inputs"])]
    if p.get("synthetic"):
        lines.append(f"- **{labels.NOTE}**")
    lines.append(f"- **models** (distinct ids): {p['models']:,}; listed under a task: {p['models_with_task']:,} "
                 f"in {p['tasks']} tasks; listed under an organisation: {p['models_with_org']:,}")
    crawl = (f"{p['crawled_from']} to {p['crawled_to']}" if p["crawled_from"]
             else "no line carries a crawl time (the 2024 lists were scraped about 2024-02-01)")
    lines.append(f"- **crawl date** (of the lines): {crawl}")
    lines.append(f"- **lines read**: {p['lines_read']:,}; valid: {p['valid_lines']:,}")
    for key, label in (("malformed_lines", "malformed lines skipped"),
                       ("truncated_lines", "truncated last lines dropped (the writer stopped mid-line)"),
                       ("duplicate_ids", "duplicate ids dropped (the latest line of each id kept)")):
        d = p[key]
        where = ", ".join(f"`{Path(e['file']).name}`:{e['line']}" for e in d["first"])
        more = f" (first {len(d['first'])}: {where})" if d["count"] else ""
        lines.append(f"- **{label}**: {d['count']:,}{more}")
    lines.append(f"- **organisation lists**: {', '.join(p['org_lists']) or 'none'} (files of a list folder named "
                 "after them are organisations, not tasks)")
    lines.append("")
    lines.append(f"Re-run: `{cfg.command}`" if cfg.command else "")
    return Section(title="Input and provenance", markdown="\n".join(lines), key="input")


def _method_notes(cfg: StudyConfig, rule_diffs: dict[str, int]) -> Section:
    diff_txt = ", ".join(f"{k}: {v}" for k, v in rule_diffs.items()) or "not computed"
    md = f"""This run follows `study.md` (the study's method as written) wherever its published code disagrees;
the differences below were found by running the code's rules on the published lists and comparing with the study
team's own outputs (`seed-2024-02/outputs`), which the code's rules reproduce exactly (tests: `tests/test_analysis_study.py`).

1. **Step 2 (names with `-` or `.`)**: the code's filter is `if '-' or '.' in model`, always true, so names without a
   separator still count towards a family's "two models or more". study.md's filter is applied here.
2. **Step 5 (version part)**: the code takes the text after the first `.` whenever the part before the first `-`
   holds a `.` (`Qwen1.5-7B` -> `5-7B`); study.md says after the first `-` (`7B`). study.md is applied here.
3. **Families without a token** are not listed, as in the code's outputs; they share no token with anyone.
4. **Groups (2c)** are the pairwise exact intersections of two families' token sets, of 2 tokens or more (the
   published group files hold no 1-token group); they are counted without enumerating pairs (`analysis/study/groups.py`),
   with the same result as the study's pairwise loop.
5. **Pareto**: tasks are added while the running total **before** the task is under {cfg.threshold:.0%}: the task that
   crosses the threshold is kept, which is how the study got 8 tasks (read literally, "stays within 80%" gives 7).
6. The paper's "about 41,000 models" with a version does not match its own 21% of ~240,000 (~50,000); the
   published notebook printed 34,420 of 200,506 on an earlier, smaller scrape. The 21% share is what reproduces.

Token rules used in this run: **{cfg.token_rules}**. Families whose token set differs between the two rule sets,
per scope: {diff_txt}."""
    return Section(title="Method notes: where study.md and the published code disagree", markdown=md, key="notes")


def _reproduction_section(e1: pd.DataFrame, e2: pd.DataFrame, par: pd.DataFrame, tok: dict[str, pd.DataFrame],
                          sizes: pd.DataFrame, groups: dict[str, pd.DataFrame]) -> tuple[Section, dict[str, Any]]:
    share = e2.set_index("task")["share_pct"]
    rows = [("global share with a version (%)", f"{PAPER['global_share_pct']:.0f}",
             f"{float(e1['share_pct'].iloc[0]):.2f}")]
    for task, v in PAPER["task_share_pct"].items():
        rows.append((f"{task} share (%)", f"{v:.2f}", f"{share.get(task, float('nan')):.2f}"))
    rows.append(("tasks", str(PAPER["tasks"]), str(len(e2))))
    rows.append(("Pareto tasks after the hand exclusions", ", ".join(PAPER["pareto_selected"]),
                 ", ".join(pareto.selected_tasks(par))))
    org_n = sizes.set_index("org")["models"]
    for org, n in PAPER["org_models"].items():
        rows.append((f"{org} models", f"{n:,}", f"{int(org_n[org]):,}" if org in org_n else "not studied"))
    tg = tok.get("text-generation")
    ours_top = ", ".join(tg["token"].head(8)) if tg is not None else "task not selected"
    rows.append(("text-generation top tokens", ", ".join(PAPER["text_generation_tokens"]), ours_top))
    g = groups.get("text-generation")
    if g is not None and len(g):
        rows.append(("text-generation top groups of 2", "awq gptq; 13b 7b",
                     "; ".join(g.loc[g["size"] == 2, "tokens"].head(2))))
    md = [("The published study's numbers (original-study.fr.md) next to this run's. On the study's own lists "
           "(`seed-2024-02/lists`) they agree; on a fresh crawl they show how the Hub has changed."), "",
          markdown.table(pd.DataFrame(rows, columns=["figure", "paper (Feb 2024)", "this run"]), max_rows=None)]
    return (Section(title="Reproduction of the published figures", markdown="\n".join(md), key="reproduction"),
            {a: {"paper": b, "ours": c} for a, b, c in rows})


# ----------------------------------------------------------------------------------------------------------------
# The run


def _compare_section(models: pd.DataFrame, cfg: StudyConfig) -> Section:
    section = compare.run(models, cfg.out, cfg.orgs, synthetic=cfg.synthetic)
    return labels.mark_section(section) if cfg.synthetic else section


# Up to this many models the comparison runs on a forked process alongside the study (see run_study).
CONCURRENT_COMPARISON_MAX = 1_000_000


def run_study(cfg: StudyConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Run everything; write tables/, figures/, report.md, report.html, summary.json under cfg.out.

    Options, inputs and the output folder are checked before anything is read or written (ConfigError, InputError,
    OutputError); the run writes into a new folder beside cfg.out, which replaces cfg.out only once complete."""
    progress = progress or Progress(quiet=True)
    check_config(cfg)
    check_inputs(list(cfg.inputs) + ([cfg.repos] if cfg.repos is not None else []))
    check_out(cfg.out, OUTPUT_NAMES)
    started = time.perf_counter()
    with staged(cfg.out) as staging:
        return _load_and_run(dataclasses.replace(cfg, out=staging), progress, started)


def _load_and_run(cfg: StudyConfig, progress: Progress, started: float) -> dict[str, Any]:
    with progress.step("load"):
        loaded = load(cfg.inputs, cfg.orgs)
    cfg = dataclasses.replace(cfg, synthetic=bool(loaded.provenance["synthetic"]))
    models = loaded.models
    if not models["task"].notna().any():
        raise InputError("no model in the input is listed under a task: nothing to study")

    # The comparison (regex vs detector, taxonomy) needs only the loaded models: on two cores it runs on a forked
    # process alongside the study's own experiments and figures, and its section is collected at its usual place.
    # Above CONCURRENT_COMPARISON_MAX models the two memory peaks would add up (10x the 2024 data: 4.6 GB for the
    # process tree against 3.6 GB one after the other), so there it runs after the study, in this process; so it does
    # below `parallel.FORK_MIN_ITEMS`, where a fork costs more than the work.
    comparison = None
    if cfg.method in ("both", "detector"):
        comparison = Forked(_compare_section, models, cfg,
                            parallel=worth_forking(len(models)) and len(models) <= CONCURRENT_COMPARISON_MAX)
    try:
        return _run_experiments(cfg, progress, loaded, comparison, started)
    except BaseException:
        if comparison is not None:
            comparison.cancel()
        raise


@dataclass
class ScopeResults:
    """Experiments 2b and 2c on each scope (a task, or an organisation), and the CSV files written for them."""

    tokens: dict[str, pd.DataFrame] = field(default_factory=dict)
    groups: dict[str, pd.DataFrame] = field(default_factory=dict)
    families: dict[str, int] = field(default_factory=dict)  # families with a token, per scope
    rule_diffs: dict[str, int] = field(default_factory=dict)  # families whose token set the two rule sets disagree on
    files: list[Path] = field(default_factory=list)  # tokens and groups tables, alternately

    def per_scope(self, what: str, groups: bool = False) -> str:
        """The Markdown of each scope's table, headed by its counts."""
        tables = self.groups if groups else self.tokens
        parts = [f"**{scope}** ({self.families.get(scope, 0):,} families with a token; {len(df):,} {what})\n\n"
                 f"{markdown.table(df, max_rows=10)}" for scope, df in tables.items()]
        return "\n\n".join(parts) if parts else "_no task selected_"


def _scopes_2b_2c(scopes: dict[str, pd.Series], cfg: StudyConfig, tokens_name: str, groups_name: str,
                  progress: Progress) -> ScopeResults:
    """2b and 2c on the ids of each scope; tables `<tokens_name>_<scope>.csv` and `<groups_name>_<scope>.csv`
    (`output.table_path`)."""
    res = ScopeResults()
    count = GROUP_METHODS[cfg.groups]
    for i, (scope, ids) in enumerate(scopes.items(), 1):
        progress.item(scope, i, len(scopes))
        fams = tokens.family_tokens(ids, cfg.token_rules)
        res.tokens[scope], res.groups[scope] = tokens.token_table(fams), groups_table(count(fams.tolist()))
        res.families[scope] = len(fams)
        res.rule_diffs[scope] = tokens.rule_differences(ids)
        res.files += [output.write_table(res.tokens[scope], cfg.out, tokens_name, scope, cfg.synthetic),
                      output.write_table(res.groups[scope], cfg.out, groups_name, scope, cfg.synthetic)]
    return res


def version_reader(method: str) -> Detector:
    """How experiments 1 and 2a find versions: `study` -> the study's regex; `detector` -> the version detector."""
    if method == "study":
        return regex_has_version
    if method == "detector":
        return detector.has_version
    raise ValueError(f"unknown method {method!r}")


def _version_share_sections(models: pd.DataFrame, cfg: StudyConfig, has_version: Detector,
                            method_label: str) -> tuple[pd.DataFrame, pd.DataFrame, list[Section]]:
    """Experiments 1 and 2a: their tables and sections."""
    e1 = version_share.version_share(models, has_version)
    e2 = version_share.share_by_task(models, has_version)
    t_e1 = output.write_table(e1, cfg.out, "e1_version_share", synthetic=cfg.synthetic)
    t_e2 = output.write_table(e2, cfg.out, "e2_share_by_task", synthetic=cfg.synthetic)
    r1 = e1.iloc[0]
    return e1, e2, [
        Section(title="Experiment 1: share of ids with a version",
                markdown=(f"Method: {method_label} (`{VERSION_REGEX}` searched anywhere in the id, owner "
                          f"included, for the study). **{int(r1['matching']):,} of {int(r1['models']):,} ids "
                          f"({r1['share_pct']:.2f}%)** of the task lists match; organisation-only lists are "
                          "excluded.\n\n" + markdown.table(e1, max_rows=15)),
                figures=[Path("figures/e1_version_share.png")], tables=[t_e1], key="e1"),
        Section(title="Experiment 2a: share per task",
                markdown=f"{len(e2)} tasks, largest first.\n\n" + markdown.table(e2, max_rows=50),
                figures=[Path("figures/e2_share_by_task.png")], tables=[t_e2], key="e2a")]


def _pareto_section(e2: pd.DataFrame, cfg: StudyConfig) -> tuple[pd.DataFrame, Section]:
    par = pareto.pareto_tasks(e2, cfg.threshold, cfg.exclude)
    t_par = output.write_table(par, cfg.out, "pareto_tasks", synthetic=cfg.synthetic)
    in_pareto = par[par["selected"] | par["excluded_by_hand"]]
    return par, Section(
        title="Pareto selection of tasks",
        markdown=(f"Largest tasks first until they hold {cfg.threshold:.0%} of all ids: {len(in_pareto)} tasks; "
                  f"left out by hand: {', '.join(par.loc[par['excluded_by_hand'], 'task']) or 'none'}; studied: "
                  f"**{', '.join(pareto.selected_tasks(par)) or 'none'}**.\n\n"
                  + markdown.table(par, max_rows=max(12, len(in_pareto) + 2))),
        tables=[t_par], key="pareto")


def _token_sections(tasks: ScopeResults, orgs: ScopeResults, sizes: pd.DataFrame) -> list[Section]:
    """The sections of experiments 2b, 2c (tasks) and 3 (organisations)."""
    return [
        Section(title="Experiment 2b: the most frequent tokens per task",
                markdown=("Family = first token of the name; families of two models or more; token frequency = number "
                          "of families whose token set holds the token. The study calls them version tokens: they "
                          "are every token after the family (`base`, `large`, `7b`), versions or not.\n\n" + tasks.per_scope("distinct tokens")),
                figures=[Path("figures/e2b_tokens.png")], tables=tasks.files[0::2], key="e2b"),
        Section(title="Experiment 2c: token groups",
                markdown=("For every pair of families of a task, the set of tokens they share; `count` = family pairs "
                          "whose token sets intersect in exactly that group. Groups of 2 tokens and of 3 or more.\n\n"
                          + tasks.per_scope("groups", groups=True)),
                figures=[Path("figures/e2c_groups.png"), Path("figures/e2c_groups_3plus.png"),
                         Path("figures/e2c_groups_by_size.png")],
                tables=tasks.files[1::2], key="e2c"),
        Section(title="Experiment 3: organisations",
                markdown=("Experiments 2b and 2c on each organisation's models (its list or stream, or the models it "
                          "owns).\n\n" + markdown.table(sizes, max_rows=15) + "\n\n" + orgs.per_scope("distinct tokens") + "\n\n"
                          + orgs.per_scope("groups", groups=True)),
                figures=[Path("figures/e3_organisations_tokens.png"), Path("figures/e3_organisations_groups.png")],
                tables=orgs.files, key="e3")]


def _figure_jobs(cfg: StudyConfig, e1: pd.DataFrame, e2: pd.DataFrame, tasks: ScopeResults, orgs: ScopeResults,
                 method_label: str) -> list[list[tuple[Callable, tuple]]]:
    """The figures as two lists of (function, arguments) of about equal drawing time, one per process."""
    fig, top = cfg.out / "figures", cfg.top
    return [
        [(figures.group_bars, (tasks.groups, fig / "e2c_groups.png", min(top, 15),
                               "Experiment 2c: most shared groups of 2 tokens per task", ("2",))),
         (figures.group_bars, (tasks.groups, fig / "e2c_groups_3plus.png", min(top, 15),
                               "Experiment 2c: most shared groups of 3 tokens or more per task", ("3+",))),
         (figures.token_bars, (tasks.tokens, fig / "e2b_tokens.png", top,
                               f"Experiment 2b: the {top} most frequent tokens per task (not all are versions)")),
         (figures.pie_version_share, (e1, fig / "e1_version_share.png", method_label))],
        [(figures.scatter_share_by_task, (e2, fig / "e2_share_by_task.png", method_label)),
         (figures.group_bars, (orgs.groups, fig / "e3_organisations_groups.png", min(top, 15),
                               "Experiment 3: most shared token groups per organisation")),
         (figures.token_bars, (orgs.tokens, fig / "e3_organisations_tokens.png", top,
                               f"Experiment 3: the {top} most frequent tokens per organisation (not all are "
                               "versions)")),
         (figures.groups_by_size_stacked, (tasks.groups, fig / "e2c_groups_by_size.png",
                                           "Experiment 2c: family pairs by size of the shared group"))]]


def _draw(jobs: list[tuple[Callable, tuple]]) -> None:
    for fn, args in jobs:
        fn(*args)


def _summary(cfg: StudyConfig, loaded: LoadResult, e1: pd.DataFrame, e2: pd.DataFrame, par: pd.DataFrame,
             tasks: ScopeResults, orgs: ScopeResults, sizes: pd.DataFrame, method_label: str) -> dict[str, Any]:
    """summary.json's numbers (the run's timings and sections are added when the report is written)."""
    r1 = e1.iloc[0]
    return {
        "method": cfg.method, "experiments_use": method_label, "token_rules": cfg.token_rules,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": cfg.command,
        "code_commit": _git_commit(),
        "python": platform.python_version(), "pandas": pd.__version__,
        "input": loaded.provenance,
        "e1": {"models": int(r1["models"]), "matching": int(r1["matching"]), "share_pct": float(r1["share_pct"])},
        "e2_largest_tasks": e2.head(10).to_dict(orient="records"),
        "pareto": {"threshold": cfg.threshold, "excluded_by_hand": par.loc[par["excluded_by_hand"], "task"].tolist(),
                   "selected": pareto.selected_tasks(par)},
        "e2b_top_tokens": {k: v.head(10).to_dict(orient="records") for k, v in tasks.tokens.items()},
        "e2c_top_groups": {k: v.head(5).to_dict(orient="records") for k, v in tasks.groups.items()},
        "e3": {"org_models": dict(zip(sizes["org"], map(int, sizes["models"]))),
               "top_tokens": {k: v.head(10).to_dict(orient="records") for k, v in orgs.tokens.items()},
               "top_groups": {k: v.head(5).to_dict(orient="records") for k, v in orgs.groups.items()}},
        "families": {**tasks.families, **{f"org:{k}": v for k, v in orgs.families.items()}},
        "token_rule_differences": {**tasks.rule_diffs, **{f"org:{k}": v for k, v in orgs.rule_diffs.items()}},
    }


#: Sections that describe the run rather than compute from its data, or that read only the real data of
#: ../shared (Ajibode et al.'s population, real weight histories): never labelled synthetic.
_UNLABELLED = ("input", "notes", "ajibode", "weights_real")


def _label_synthetic(cfg: StudyConfig, sections: list[Section]) -> list[Section]:
    """On replay-hub data: every section computed from it says "synthetic" in its heading (its tables and figures
    were labelled when written), and the reproduction table (the paper's figures beside this run's) is replaced by
    the note."""
    if not cfg.synthetic:
        return sections
    out = []
    for s in sections:
        if s.key in _UNLABELLED:
            out.append(s)
            continue
        if s.key == "reproduction":
            s = dataclasses.replace(s, markdown="No published figure is set beside synthetic data.")
        out.append(labels.mark_section(s))
    return out


def _run_experiments(cfg: StudyConfig, progress: Progress, loaded: LoadResult, comparison: Forked | None,
                     started: float) -> dict[str, Any]:
    """Every experiment in the study's order, then the figures, the notes, the comparison and the report."""
    models = loaded.models
    exp_method = "detector" if cfg.method == "detector" else "study"
    method_label = "study regex" if exp_method == "study" else "version detector"
    versioning = repos_analysis.start(cfg, models)  # a bad --repos stops the run here; names read alongside
    sections: list[Section] = [_provenance_section(loaded, cfg)]
    with progress.step("experiments 1 and 2a (version share)"):
        e1, e2, shares = _version_share_sections(models, cfg, version_reader(exp_method), method_label)
    sections += shares
    with progress.step("Pareto selection"):
        par, pareto_section = _pareto_section(e2, cfg)
    sections.append(pareto_section)
    selected = pareto.selected_tasks(par)
    with progress.step(f"experiments 2b and 2c on {len(selected)} tasks"):
        tasks = _scopes_2b_2c({t: models.loc[models["task"] == t, "id"] for t in selected}, cfg,
                              "e2b_tokens", "e2c_groups", progress)
    sizes = org_sizes(models, cfg.orgs)
    with progress.step(f"experiment 3 on {len(cfg.orgs)} organisations"):
        orgs = _scopes_2b_2c({o: org_models(models, o)["id"] for o in cfg.orgs}, cfg,
                             "e3_tokens", "e3_groups", progress)
    sections += _token_sections(tasks, orgs, sizes)
    extra, versioning_summary, extra_jobs = repos_analysis.study_sections(models, selected, cfg, progress, versioning)
    if cfg.make_figures:
        with progress.step("figures"):
            jobs = _figure_jobs(cfg, e1, e2, tasks, orgs, method_label)
            jobs = [jobs[0] + extra_jobs, jobs[1]]
            fork_map(_draw, [output.figure_jobs(js, cfg.synthetic) for js in jobs])
    else:
        for s in sections:
            s.figures = []
    summary = _summary(cfg, loaded, e1, e2, par, tasks, orgs, sizes, method_label)
    summary["versioning"] = versioning_summary
    sections.append(_method_notes(cfg, summary["token_rule_differences"]))
    repro, summary["reproduction"] = _reproduction_section(e1, e2, par, tasks.tokens, sizes, tasks.groups)
    sections.append(repro)
    sections += extra  # the versioning sections; the comparison stays last
    sections = _label_synthetic(cfg, sections)
    if cfg.synthetic:
        summary["reproduction"] = "not compared: synthetic data"
    summary["synthetic"] = cfg.synthetic or bool((versioning_summary.get("repos") or {}).get("synthetic"))
    if comparison is not None:  # the detector's figures always come side by side with the regex's
        step = "comparison: study regex vs version detector" + (" (waiting for its process)" if comparison.forked
                                                               else "")
        with progress.step(step):
            sections.append(comparison.result())
    sections.append(conclusion.section(cfg.out, summary))  # from the tables written above
    summary["sections"] = [s.key for s in sections]
    with progress.step("report"):
        summary["timings_s"] = {k: round(v, 2) for k, v in progress.timings.items()}
        summary["wall_s"] = round(time.perf_counter() - started, 2)
        report.write_report(cfg.out, sections, summary)
        (cfg.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return summary
