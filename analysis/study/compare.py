"""The study's regex next to the measured version detector, and the naming taxonomy, on a crawl feed.

`run(models, out_dir, orgs)` writes under `out_dir`:
  tables/compare_global.csv          share of versioned names, both methods, over the task lists
  tables/compare_share_by_task.csv   task, models, regex_pct, detector_pct, diff_pct (+ disagreement counts)
  tables/compare_orgs.csv            the same per organisation
  tables/compare_examples.csv        ids where the methods disagree, with the rule that explains it
  tables/taxonomy_by_task.csv        share of names holding each naming element, per task (+ the study's top tokens)
  tables/taxonomy_by_org.csv         the same per organisation
  figures/compare_share_by_task.png  scatter: models vs % versioned per task, both methods
  figures/compare_global.png         global share, and what the regex's matches really are
and returns a `Section` explaining the largest differences with example ids.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.common.intervals import format_share, wilson, with_wilson_pct
from analysis.report import figures, output
from analysis.report.markdown import table
from analysis.report.section import Section
from analysis.study import tokens
from analysis.versions import detector, evaluation, taxonomy
from analysis.versions.audit import ANNOTATORS, AUDIT_PATH, audit
from analysis.versions.regex import VERSION_RE as _STUDY_RE
from analysis.versions.regex import VERSION_REGEX, regex_has_version

# What each rejecting rule means, for the report.
WHY = {
    "environment": "a Gym/Atari/MuJoCo environment id (`LunarLander-v2`), not a model version",
    "architecture": "an architecture or family name that holds digits (`wav2vec2`, `yolov8`, `mobilenet-v3`)",
    "family-name": "a digit glued to the family name (`llama2`, `norbert3`)",
    "dataset": "a dataset name or dataset version (`squadv2`, `cv7`)",
    "owner": "only the owner name matched (`v` + digit in the user or organisation name)",
    "size": "a size or parameter count (`7b`, `125m`, `8x7b`)",
    "date": "a date (`2023-06-16`, `dec2021`)",
    "quantisation": "a quantisation or precision format (`gptq`, `4bit`, `fp16`)",
    "hyperparameter": "a hyper-parameter or variant code (`L12`, `ep10`, `s0`)",
    "word": "letters and digits of one word (`wav2vec`-like)",
    "other": "another letters+digits token",
    "number": "a number that is not a version",
}
FOUND = {
    "explicit-v": "an explicit `v`-version the regex also sees",
    "decimal": "a bare decimal version (`2.1`, `1.5`), which the regex misses without a `v`",
    "glued-decimal": "a decimal glued to the family (`Qwen2.5`, `SD2.1`)",
    "int-sequence": "a dashed version (`stable-diffusion-2-1`)",
    "family-int": "a release number after the family (`Llama-2-7b`)",
    "glued-v": "a `v`-version glued to a word (`OnlyAnimeV2`)",
    "version-word": "a version word (`rev-2`, `version3`)",
}


def _pct(x: pd.Series) -> float:
    return round(100.0 * float(x.mean()), 2) if len(x) else 0.0


def regex_explanation(model_id: str) -> tuple[str, str]:
    """Why the study's regex matched an id the detector does not count: (matched text, rule)."""
    mid = str(model_id)
    m = _STUDY_RE.search(mid)
    if not m:
        return "", ""
    owner, sep, name = mid.rpartition("/")
    if m.start() < len(owner) + len(sep) and not _STUDY_RE.search(name):
        return m.group(), "owner"
    d = detector.detect(mid)
    nm = _STUDY_RE.search(name)
    shown = nm.group() if nm else m.group()
    hit = shown.lower()
    # the rejected candidate that holds the regex's match (`squadv2` holds `v2`), else one inside it
    for text, rule in d.rejected:
        if hit in text.lower():
            return shown, rule
    for text, rule in d.rejected:
        if text.lower() in hit or hit[:2] in text.lower():
            return shown, rule
    return shown, d.reason


def _detector_explanation(model_id: str) -> tuple[str, str]:
    """Why the detector counts an id the regex does not: (rule, the versions found, space-separated)."""
    d = detector.detect(model_id)
    return d.reason, " ".join(d.versions)


#: Names read by `_read_names` between two explanation passes: fewer than the detector's cache holds.
_EXPLAIN_BATCH = 50_000


def _read_names(chunk: tuple[list[str], np.ndarray]) -> tuple[np.ndarray, list[tuple[str, str] | None]]:
    """`taxonomy.name_bits` of a chunk of distinct names, and the explanation of each name a disagreement may need.

    A name with a version and no regex match gets `_detector_explanation`, a name with a regex match and no
    version `regex_explanation`: the name alone decides both (a match in the owner only is explained from the id,
    by `_read_ids`). They are computed here, right after the detector's rules read the name, while its cache still
    holds it (and, on two cores, each process explains the names it read). Names with surrounding blanks are left
    to `_read_ids` too, which explains them from the id."""
    names, scanned = chunk
    bits = np.zeros(len(names), dtype=np.int64)
    why: list[tuple[str, str] | None] = [None] * len(names)
    for at in range(0, len(names), _EXPLAIN_BATCH):
        part = names[at:at + _EXPLAIN_BATCH]
        bits[at:at + _EXPLAIN_BATCH] = b = taxonomy.name_bits((part, scanned[at:at + _EXPLAIN_BATCH]))
        versioned = (b & taxonomy.VERSIONED_BIT) != 0
        for k in np.flatnonzero(scanned[at:at + _EXPLAIN_BATCH]).tolist():
            name = part[k]
            if name != name.strip():
                continue
            match = _STUDY_RE.search(name) is not None
            if versioned[k] and not match:
                why[at + k] = _detector_explanation(name)
            elif match and not versioned[k]:
                why[at + k] = regex_explanation(name)
    return bits, why


Explain = Callable[[np.ndarray, list[str], np.ndarray], tuple[list[str], list[str], list[str]]]


def _read_ids(ids: pd.Series, parallel: bool | None = None) -> tuple[np.ndarray, Explain]:
    """`taxonomy.name_bits` of each id, and `explain(rows, ids, regex)`: for the ids at those positions of `ids`,
    where the regex and the detector disagree (`regex` True: the regex only), the columns `regex_match`, `rule`,
    `detector_versions` of the disagreements table. The names are read once, on two processes where there are
    two cores; each process also explains the names it read (`_read_names`)."""
    names = taxonomy.distinct_names(ids)
    chunks = taxonomy.name_chunks(names, parallel)
    bits = np.zeros(len(names.names), dtype=np.int64)
    explained: list[tuple[str, str] | None] = [None] * len(names.names)
    for c, (part, why) in zip(chunks, taxonomy.read_chunks(_read_names, names, chunks)):
        bits[c] = part
        for k, w in zip(c.tolist(), why):
            explained[k] = w

    def explain(rows: np.ndarray, at: list[str], regex: np.ndarray) -> tuple[list[str], list[str], list[str]]:
        match, rule, versions = [], [], []
        for i, mid, rg in zip(rows.tolist(), at, regex.tolist()):
            known = explained[names.codes[i]]
            if rg:  # a regex match in the owner only is not known by name
                t, r = known or regex_explanation(mid)
                match.append(t)
                rule.append(r)
                versions.append("")
            else:
                reason, found = known or _detector_explanation(mid)
                match.append("")
                rule.append(reason)
                versions.append(found)
        return match, rule, versions

    return bits[names.codes], explain


def _top_tokens_with_elements(counts: pd.DataFrame, k: int = 10) -> str:
    """The study's Experiment 2b top tokens of one group (`tokens.family_token_counts` rows), tagged by element."""
    return " ".join(f"{tok}[{taxonomy.classify_token(tok, 1)}]:{n}"
                    for tok, n in zip(counts["token"].head(k), counts["families"].head(k)))


def _taxonomy_table(df: pd.DataFrame, key: str, ef: pd.DataFrame) -> pd.DataFrame:
    # 2b tokens of every group in one pass (family = first token; token frequency = number of families); ties in
    # the top 10 by token, as in the study's own 2b tables
    counts = tokens.family_token_counts(df["name"], df[key])
    by_key = {k: g for k, g in counts.groupby("key", sort=False)}
    empty = counts.iloc[:0]
    # the groups in order of appearance, as groupby(sort=False); each element's count per group with one bincount
    # (the shares are then computed as `_pct` does: 100 * (count / models), Python's round)
    codes, values = pd.factorize(df[key])
    held = codes >= 0
    models = np.bincount(codes[held], minlength=len(values))
    e = ef.loc[df.index]
    share = {c: np.bincount(codes[held], weights=e[c].to_numpy(dtype=np.float64)[held], minlength=len(values))
             for c in taxonomy.ALL_ELEMENTS}
    rows = []
    for i, val in enumerate(values.tolist()):
        row = {key: val, "models": int(models[i])}
        for c in taxonomy.ALL_ELEMENTS:
            row[f"pct_{c}"] = round(100.0 * float(share[c][i] / models[i]), 2)
        gen = _generation_share(int(share["G"][i]), int(models[i]))
        row.update({"names_G": gen["generation"], "G_ci_low_pct": gen["generation_ci_low_pct"],
                    "G_ci_high_pct": gen["generation_ci_high_pct"]})
        row["study_top_tokens"] = _top_tokens_with_elements(by_key.get(val, empty))
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in taxonomy.ELEMENTS:  # each share's 95% Wilson interval, after the study's columns
        if len(out):
            out = with_wilson_pct(out.assign(_k=share[c].round().astype(int)), "_k", "models", prefix=f"{c}_")
    out = out.drop(columns="_k", errors="ignore")
    return out.sort_values("models", ascending=False).reset_index(drop=True) if len(out) else out


GENERATION_COLUMNS = ["generation", "generation_pct", "generation_ci_low_pct", "generation_ci_high_pct"]


def _ensure_columns(models: pd.DataFrame) -> pd.DataFrame:
    df = models.copy()
    if "id" not in df:
        raise ValueError("models needs an `id` column")
    df["id"] = df["id"].astype("string").fillna("")
    if "name" not in df:
        df["name"] = df["id"].str.rsplit("/", n=1).str[-1]
    for c in ("task", "org", "author", "pipeline_tag"):
        if c not in df:
            df[c] = pd.NA
    return df.reset_index(drop=True)


def _compare_frame(models: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, Explain]:
    """The feed's `id, name, task, org` with both verdicts (`regex`, `detector`), the taxonomy's element frame, and
    the explanation of disagreements (`_read_ids`).

    The taxonomy reads every name with the detector's rules anyway: its `versioned` column is
    `detector.has_version(df["id"])` (tests/test_compare.py), so the detector runs once per distinct name, and the
    names to explain are explained by the process that read them (`_read_names`)."""
    # the columns read below only: every row selection copies each column it keeps
    df = _ensure_columns(models)[["id", "name", "task", "org"]]
    bits, explain = _read_ids(df["id"])
    ef = taxonomy.with_generation(taxonomy.bits_frame(bits, df.index, versioned=True), df["id"])
    df["regex"] = regex_has_version(df["id"]).to_numpy()
    df["detector"] = ef["versioned"].to_numpy()
    df["generation"] = ef["G"].to_numpy()
    return df, ef, explain


def _global(tasked: pd.DataFrame) -> dict:
    """The share of versioned names over the task lists by both methods, and where they agree."""
    glob = {"scope": "task lists", "models": len(tasked),
            "regex_versioned": int(tasked["regex"].sum()), "detector_versioned": int(tasked["detector"].sum()),
            "regex_pct": _pct(tasked["regex"]), "detector_pct": _pct(tasked["detector"]),
            "both": int((tasked["regex"] & tasked["detector"]).sum()),
            "regex_only": int((tasked["regex"] & ~tasked["detector"]).sum()),
            "detector_only": int((~tasked["regex"] & tasked["detector"]).sum())}
    glob["diff_pct"] = round(glob["detector_pct"] - glob["regex_pct"], 2)
    return {**glob, **_generation_share(int(tasked["generation"].sum()), len(tasked))}


def _generation_share(k: int, n: int) -> dict:
    """`generation` (names carrying a family's generation), its share of `n` in percent and its 95% Wilson
    interval: the columns every comparison table carries beside the version shares."""
    low, high = wilson(k, n)
    return {"generation": k, "generation_pct": round(100.0 * k / n, 2) if n else float("nan"),
            "generation_ci_low_pct": round(100.0 * float(low), 2), "generation_ci_high_pct": round(100.0 * float(high), 2)}


def _disagreements(df: pd.DataFrame, explain: Explain) -> pd.DataFrame:
    """The ids where the methods disagree, each with the rule that explains it."""
    dis = df[df["regex"] != df["detector"]].copy()
    expl_match, expl_rule, versions = explain(dis.index.to_numpy(), dis["id"].tolist(), dis["regex"].to_numpy())
    dis["regex_match"] = expl_match
    dis["rule"] = expl_rule
    dis["detector_versions"] = versions
    dis["direction"] = dis["regex"].map({True: "regex only", False: "detector only"})
    return dis


def _regex_rules(glob: dict, dis: pd.DataFrame) -> Counter:
    """What the regex's matches are, overall: confirmed versions, and each rule that turned one down."""
    regex_rules: Counter = Counter()
    regex_rules["version (confirmed)"] = glob["both"]
    regex_rules.update(dis.loc[dis["regex"] & dis["task"].notna(), "rule"].tolist())
    return regex_rules


def _by_task(tasked: pd.DataFrame, dis: pd.DataFrame) -> pd.DataFrame:
    """Per task: both shares, their difference, and the main rule behind each direction of disagreement."""
    rows = []
    dis_of = dict(list(dis.groupby("task", sort=False)))
    for task, g in tasked.groupby("task", sort=False):
        dg = dis_of.get(task, dis.iloc[:0])
        ro = dg[dg["regex"]]
        do = dg[~dg["regex"]]
        rows.append({"task": task, "models": len(g), "regex_pct": _pct(g["regex"]),
                     "detector_pct": _pct(g["detector"]),
                     "diff_pct": round(_pct(g["detector"]) - _pct(g["regex"]), 2),
                     "regex_only": len(ro), "detector_only": len(do),
                     "regex_only_top_rule": ro["rule"].value_counts().index[0] if len(ro) else "",
                     "detector_only_top_rule": do["rule"].value_counts().index[0] if len(do) else "",
                     "regex_versioned": int(g["regex"].sum()), "detector_versioned": int(g["detector"].sum()),
                     **_generation_share(int(g["generation"].sum()), len(g))})
    by_task = pd.DataFrame(rows, columns=["task", "models", "regex_pct", "detector_pct", "diff_pct", "regex_only",
                                          "detector_only", "regex_only_top_rule", "detector_only_top_rule",
                                          "regex_versioned", "detector_versioned", *GENERATION_COLUMNS])
    return by_task.sort_values("models", ascending=False).reset_index(drop=True)


def _by_org(org_df: pd.DataFrame, orgs: list[str]) -> pd.DataFrame:
    """Per organisation (the given ones, else every one in the feed): both shares and the disagreements."""
    org_rows = []
    for org in orgs or sorted(org_df["org"].dropna().unique()):
        g = org_df[org_df["org"] == org]
        org_rows.append({"org": org, "models": len(g), "regex_pct": _pct(g["regex"]),
                         "detector_pct": _pct(g["detector"]),
                         "diff_pct": round(_pct(g["detector"]) - _pct(g["regex"]), 2),
                         "regex_only": int((g["regex"] & ~g["detector"]).sum()),
                         "detector_only": int((~g["regex"] & g["detector"]).sum()),
                         "regex_versioned": int(g["regex"].sum()), "detector_versioned": int(g["detector"].sum()),
                         **_generation_share(int(g["generation"].sum()), len(g))})
    return pd.DataFrame(org_rows, columns=["org", "models", "regex_pct", "detector_pct", "diff_pct", "regex_only",
                                           "detector_only", "regex_versioned", "detector_versioned",
                                           *GENERATION_COLUMNS])


def _largest_differences(by_task: pd.DataFrame) -> pd.DataFrame:
    return by_task.reindex(by_task["diff_pct"].abs().sort_values(ascending=False).index)


def _examples(by_task: pd.DataFrame, dis: pd.DataFrame) -> pd.DataFrame:
    """Per task with the largest differences (and the organisation lists), a few ids per (direction, rule)."""
    ex_rows = []
    order = _largest_differences(by_task)["task"].tolist()
    for task in order[:12] + ["(organisations)"]:
        dg = dis[dis["task"] == task] if task != "(organisations)" else dis[dis["task"].isna()]
        for (direction, rule), gg in dg.groupby(["direction", "rule"], sort=False):
            for _, r in gg.sort_values("id").head(3).iterrows():
                ex_rows.append({"task": task if task != "(organisations)" else r["org"], "id": r["id"],
                                "direction": direction, "regex_match": r["regex_match"],
                                "detector_versions": r["detector_versions"], "rule": rule,
                                "explanation": WHY.get(rule) or FOUND.get(rule, rule), "count": len(gg)})
    return pd.DataFrame(ex_rows, columns=["task", "id", "direction", "regex_match", "detector_versions", "rule",
                                          "explanation", "count"])


TABLES = ("compare_global", "compare_share_by_task", "compare_orgs", "compare_examples", "taxonomy_by_task",
          "taxonomy_by_org")


def _with_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """The table with the 95% Wilson interval of both shares (`regex_ci_low_pct` ... `detector_ci_high_pct`)."""
    for method in ("regex", "detector"):
        table = with_wilson_pct(table, f"{method}_versioned", "models", prefix=f"{method}_")
    return table


def run(models: pd.DataFrame, out_dir: Path, orgs: list[str], synthetic: bool = False) -> Section:
    """Compare the study's regex with the detector on a loaded feed; write tables and figures (labelled synthetic
    when `synthetic`); return the section."""
    out_dir = Path(out_dir)
    figs = out_dir / "figures"
    df, ef, explain = _compare_frame(models)
    orgs = list(orgs or [])
    tasked = df[df["task"].notna()]
    org_df = df[df["org"].notna()]
    glob = _global(tasked)
    dis = _disagreements(df, explain)
    regex_rules = _regex_rules(glob, dis)
    by_task = _by_task(tasked, dis)
    by_org = _by_org(org_df, orgs)
    tax_task = _taxonomy_table(tasked, "task", ef)
    tax_org = _taxonomy_table(org_df[org_df["org"].isin(orgs)] if orgs else org_df, "org", ef)
    frames = (_with_intervals(pd.DataFrame([glob])), _with_intervals(by_task), _with_intervals(by_org),
              _examples(by_task, dis), tax_task, tax_org)
    written = [output.write_table(frame, out_dir, name, synthetic=synthetic) for name, frame in zip(TABLES, frames)]
    with output.synthetic_titles(synthetic):
        figures.compare_share_by_task(by_task, figs / "compare_share_by_task.png")
        figures.compare_global(glob, regex_rules, figs / "compare_global.png")
    return Section(
        title="Version detector vs. the study's regex, and a naming taxonomy",
        markdown=_markdown(glob, by_task, by_org, dis, regex_rules, tax_task, tax_org),
        figures=[Path("figures/compare_global.png"), Path("figures/compare_share_by_task.png")],
        tables=written,
        key="compare",
    )


def measured() -> dict:
    """Precision/recall/F1 of both methods on the held-out half of the labelled names, and the blind audit's
    scores: `regex`, `detector`, `definition_adjusted` (the same once the project's definition settles the labels),
    `labelled` (names in the labels), `audit`. Without the labels (shared data absent): `{"skipped": reason}`."""
    path = evaluation.labels_path()
    if not path.exists():
        return {"skipped": f"labels not found at {path}, evaluation skipped"}
    res = evaluation.evaluate("test", overall_only=True)
    out = {**res["overall"], "definition_adjusted": res["definition_adjusted"],
           "labelled": len(evaluation.load_labels(None))}
    out["audit"] = audit(AUDIT_PATH, resamples=0) if AUDIT_PATH.exists() else None
    return out


def _measured_markdown(m: dict) -> list[str]:
    """The scores against the labels, and the blind audit with who read it."""
    if "skipped" in m:
        return [f"Measured precision and recall: {m['skipped']}.", ""]
    rg, dt = m["regex"], m["detector"]
    L = [f"Measured against the held-out half ({rg['n']:,} names, {rg['positives']:,} with a version) of the "
         f"{m['labelled']:,} names whose naming elements GPT-4 labelled (published by Jiang et al.; "
         "`python -m benchmarks.eval_detector`):", ""]
    L += [table([("study regex", *(f"{rg[k]:.3f}" for k in ("precision", "recall", "f1"))),
                 ("version detector", *(f"{dt[k]:.3f}" for k in ("precision", "recall", "f1")))],
                ["method", "precision", "recall", "F1"], "lrrr"), ""]
    ia = m["definition_adjusted"]
    settled = sum(ia["settled"].values())
    ard, arg = ia["overall"]["detector"], ia["overall"]["regex"]
    L += [f"{settled:,} of these names are errors only because the detector follows the project's definition of a "
          "version where the labels do not: `Llama-2-7b` and `stable-diffusion-2-1` numbers labelled without a "
          "version, Gym environment ids, architecture names with digits (`dinov2`, `layoutlmv3`), dates and "
          "quantisation suffixes labelled with one. Settled by the definition, the detector scores precision "
          f"{ard['precision']:.3f}, recall {ard['recall']:.3f}, F1 {ard['f1']:.3f} and the regex F1 {arg['f1']:.3f}. "
          "The labels also disagree with themselves: identical names under different owners are labelled both ways "
          "(`python -m benchmarks.eval_detector` prints how often).", ""]
    au = m.get("audit")
    if au is None:
        L += [f"Blind audit: not found at {AUDIT_PATH}, skipped.", ""]
    else:
        n = sum(s["audited"] - s["undecided"] for s in au["strata"].values())
        sc = au["scores"]
        L += [f"A blind audit of {n:,} held-out names, read by {ANNOTATORS} (`python -m benchmarks.audit_detector`, "
              f"weighted to the held-out half): F1 against it, detector {sc['detector']['f1']:.3f}, GPT-4 labels "
              f"{sc['labels']['f1']:.3f}, study regex {sc['regex']['f1']:.3f}.", ""]
    return L


def _regex_rules_markdown(glob: dict, regex_rules: Counter) -> list[str]:
    """The global share, and what the regex's matches are by the detector's rule."""
    tot = sum(v for k, v in regex_rules.items()) or 1
    rows = [(f"{k}: {WHY.get(k, 'a real version') if k != 'version (confirmed)' else 'a real version'}", f"{v:,}",
             f"{100 * v / tot:.1f}%") for k, v in regex_rules.most_common(10)]
    return [f"**Global share** over {glob['models']:,} task-listed models: study regex "
            f"**{format_share(glob['regex_versioned'], glob['models'])}**, detector "
            f"**{format_share(glob['detector_versioned'], glob['models'])}** ({glob['diff_pct']:+.1f} points). The methods agree on "
            f"{glob['both']:,} versioned names; {glob['regex_only']:,} ids are counted by the regex only and "
            f"{glob['detector_only']:,} by the detector only.", "",
            "What the regex's matches are (by the detector's rule):", "",
            table(rows, ["regex matched ...", "ids", "share"], "lrr"), ""]


def _task_examples(top: pd.DataFrame, dis: pd.DataFrame) -> list[str]:
    """For the five tasks with the largest differences, the main rules of each direction with example ids."""
    L = []
    for _, r in top.head(5).iterrows():
        dg = dis[dis["task"] == r["task"]]
        L.append(f"- **{r['task']}** ({r['regex_pct']:.1f}% → {r['detector_pct']:.1f}%):")
        for direction in ("regex only", "detector only"):
            dd = dg[dg["direction"] == direction]
            for rule, n in dd["rule"].value_counts().head(3).items():
                ids = dd[dd["rule"] == rule].sort_values("id")["id"].head(3).tolist()
                what = WHY.get(rule) if direction == "regex only" else FOUND.get(rule, rule)
                verb = "counted by the regex but" if direction == "regex only" else "missed by the regex:"
                L.append(f"  - {n:,} {verb} {what}: " + ", ".join(f"`{i}`" for i in ids))
    return L


def _tasks_markdown(by_task: pd.DataFrame, dis: pd.DataFrame) -> list[str]:
    if not len(by_task):
        return []
    top = _largest_differences(by_task).head(10)
    rows = [(r["task"], f"{r['models']:,}", f"{r['regex_pct']:.1f}", f"{r['detector_pct']:.1f}", f"{r['diff_pct']:+.1f}",
             f"{r['regex_only']:,} ({r['regex_only_top_rule'] or '-'})",
             f"{r['detector_only']:,} ({r['detector_only_top_rule'] or '-'})") for _, r in top.iterrows()]
    return (["**Largest differences per task** (percentage points, detector minus regex):", "",
             table(rows, ["task", "models", "regex %", "detector %", "diff", "regex only (main rule)",
                          "detector only (main rule)"], "lrrrrll"), ""]
            + _task_examples(top, dis) + [""])


def _orgs_markdown(by_org: pd.DataFrame) -> list[str]:
    if not len(by_org):
        return []
    rows = [(r["org"], f"{r['models']:,}", f"{r['regex_pct']:.1f}", f"{r['detector_pct']:.1f}", f"{r['diff_pct']:+.1f}")
            for _, r in by_org.iterrows()]
    return ["**Organisations**:", "",
            table(rows, ["organisation", "models", "regex %", "detector %", "diff"], "lrrrr"), ""]


def _elements_table(tax: pd.DataFrame, key: str, label: str) -> str:
    codes = list(taxonomy.ALL_ELEMENTS)
    rows = [(r[key], f"{r['models']:,}", *(f"{r['pct_' + c]:.0f}" for c in codes)) for _, r in tax.iterrows()]
    return table(rows, [label, "models", *codes], "lr" + "r" * len(codes))


def _taxonomy_markdown(tax_task: pd.DataFrame, tax_org: pd.DataFrame | None) -> list[str]:
    L = []
    if len(tax_task):
        L += ["**Naming taxonomy** (Jiang et al.'s elements + Q quantisation; % of names holding each element, "
              "largest tasks; full tables in `tables/taxonomy_by_task.csv` and `tables/taxonomy_by_org.csv`, "
              "with the study's top tokens tagged by element):", "",
              _elements_table(tax_task.head(8), "task", "task"), "",
              "The study's most frequent version tokens (Experiment 2b: number of families holding the token), "
              "each tagged with its element — most are not versions but sizes (S/P), quantisation (Q), tasks (T) "
              "or reuse methods (F):", ""]
        L += [f"- {r['task']}: {r['study_top_tokens']}" for _, r in tax_task.head(6).iterrows()] + [""]
    if tax_org is not None and len(tax_org):
        L += [_elements_table(tax_org, "org", "organisation"), ""]
    return L


def _generation_markdown(glob: dict, by_task: pd.DataFrame) -> list[str]:
    """One paragraph: the generation share beside the version shares (docs/versions.md, "Generations")."""
    top = by_task[by_task["models"] >= 1000].sort_values("generation_pct", ascending=False).head(3)
    tops = "; ".join(f"{r['task']} {format_share(int(r['generation']), int(r['models']))}" for _, r in top.iterrows())
    return [f"**Generations** (a family's release number, `Qwen3`, `Llama-2`, `mobilenet-v3`: its own element, "
            "not a version by the detector's rules unless it is one): "
            f"{format_share(int(glob['generation']), int(glob['models']))} of the names listed under a task carry "
            f"one, beside {format_share(int(glob['detector_versioned']), int(glob['models']))} with a version by "
            f"the detector. Highest among tasks of 1,000 names or more: {tops or 'none'}. Columns `generation_*` of "
            "`tables/compare_*.csv`, `G` of `tables/taxonomy_by_*.csv`; the rules: `python -m analysis detect "
            "--rules`.", ""]


def _markdown(glob, by_task, by_org, dis, regex_rules, tax_task, tax_org=None) -> str:
    L = [f"The study counted a name as versioned when the regex `{VERSION_REGEX}` matched anywhere in "
         "the id. The version detector (`analysis/versions/detector.py`) reads the name apart from the owner and decides "
         "each candidate with a named rule (architecture and family names holding digits, environment ids, "
         "sizes, dates and quantisation suffixes are not versions; `Llama-2`, `stable-diffusion-2-1`, "
         "`Qwen2.5`, `-1.5` are).", ""]
    L += _measured_markdown(measured())
    L += _generation_markdown(glob, by_task)
    L += _regex_rules_markdown(glob, regex_rules)
    L += _tasks_markdown(by_task, dis)
    L += _orgs_markdown(by_org)
    L += _taxonomy_markdown(tax_task, tax_org)
    L.append("Examples of every disagreement, with the rule that explains it: `tables/compare_examples.csv`. "
             "Check any id with `python -m analysis detect --explain <id>`.")
    return "\n".join(L)
