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

import re
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from analysis import detector, taxonomy, tokens
from analysis.section import Section

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
_STUDY_RE = re.compile(detector.STUDY_REGEX)
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
             for c in taxonomy.ELEMENTS}
    rows = []
    for i, val in enumerate(values.tolist()):
        row = {key: val, "models": int(models[i])}
        for c in taxonomy.ELEMENTS:
            row[f"pct_{c}"] = round(100.0 * float(share[c][i] / models[i]), 2)
        row["study_top_tokens"] = _top_tokens_with_elements(by_key.get(val, empty))
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values("models", ascending=False).reset_index(drop=True) if len(out) else out


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


def _scatter(by_task: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 6.5))
    if len(by_task):
        x = by_task["models"]
        for _, r in by_task.iterrows():
            ax.plot([r["models"], r["models"]], [r["regex_pct"], r["detector_pct"]], color="0.8", lw=1, zorder=1)
        ax.scatter(x, by_task["regex_pct"], marker="o", facecolors="none", edgecolors="tab:red",
                   label="study regex", zorder=2)
        ax.scatter(x, by_task["detector_pct"], marker="o", color="tab:blue", label="version detector", zorder=3)
        top = by_task.reindex(by_task["diff_pct"].abs().sort_values(ascending=False).index).head(8)
        big = by_task.sort_values("models", ascending=False).head(6)
        for _, r in pd.concat([top, big]).drop_duplicates("task").iterrows():
            ax.annotate(str(r["task"]), (r["models"], max(r["regex_pct"], r["detector_pct"])),
                        textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.set_xscale("log")
    ax.set_xlabel("models in the task list (log)")
    ax.set_ylabel("% of names with a version")
    ax.set_title("Share of versioned model names per task: study regex vs version detector")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _global_fig(glob: dict, regex_rules: Counter, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1, 1.6]})
    a1.bar(["study regex", "version detector"], [glob["regex_pct"], glob["detector_pct"]],
           color=["tab:red", "tab:blue"])
    for i, v in enumerate([glob["regex_pct"], glob["detector_pct"]]):
        a1.text(i, v, f"{v:.1f}%", ha="center", va="bottom")
    a1.set_ylabel("% of names with a version")
    a1.set_title(f"Global share ({glob['models']:,} task-listed models)")
    items = regex_rules.most_common(9)
    if items:
        labels = [k for k, _ in items][::-1]
        vals = [v for _, v in items][::-1]
        colors = ["tab:blue" if k == "version (confirmed)" else "tab:gray" for k in labels]
        a2.barh(labels, vals, color=colors)
        a2.set_xlabel("ids matched by the study regex")
    a2.set_title("What the regex's matches are, by detector rule")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(models: pd.DataFrame, out_dir: Path, orgs: list[str]) -> Section:
    """Compare the study's regex with the detector on a loaded feed; write tables and figures; return the section."""
    out_dir = Path(out_dir)
    tables, figures = out_dir / "tables", out_dir / "figures"
    tables.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    # the columns read below only: every row selection copies each column it keeps
    df = _ensure_columns(models)[["id", "name", "task", "org"]]
    # the taxonomy reads every name with the detector's rules anyway: its `versioned` column is
    # `detector.has_version(df["id"])` (tests/test_compare.py), so the detector runs once per distinct name, and
    # the names to explain are explained by the process that read them (`_read_names`)
    bits, explain = _read_ids(df["id"])
    ef = taxonomy.bits_frame(bits, df.index, versioned=True)
    df["regex"] = detector.regex_has_version(df["id"]).to_numpy()
    df["detector"] = ef["versioned"].to_numpy()
    orgs = list(orgs or [])
    tasked = df[df["task"].notna()]

    # --- global ---
    glob = {"scope": "task lists", "models": int(len(tasked)),
            "regex_versioned": int(tasked["regex"].sum()), "detector_versioned": int(tasked["detector"].sum()),
            "regex_pct": _pct(tasked["regex"]), "detector_pct": _pct(tasked["detector"]),
            "both": int((tasked["regex"] & tasked["detector"]).sum()),
            "regex_only": int((tasked["regex"] & ~tasked["detector"]).sum()),
            "detector_only": int((~tasked["regex"] & tasked["detector"]).sum())}
    glob["diff_pct"] = round(glob["detector_pct"] - glob["regex_pct"], 2)
    pd.DataFrame([glob]).to_csv(tables / "compare_global.csv", index=False)

    # --- why they disagree: a rule for every disagreement ---
    dis = df[df["regex"] != df["detector"]].copy()
    expl_match, expl_rule, versions = explain(dis.index.to_numpy(), dis["id"].tolist(), dis["regex"].to_numpy())
    dis["regex_match"] = expl_match
    dis["rule"] = expl_rule
    dis["detector_versions"] = versions
    dis["direction"] = dis["regex"].map({True: "regex only", False: "detector only"})

    # what the regex's matches are, overall (confirmed versions vs. each rejecting rule)
    regex_rules: Counter = Counter()
    regex_rules["version (confirmed)"] = glob["both"]
    regex_rules.update(dis.loc[dis["regex"] & dis["task"].notna(), "rule"].tolist())

    # --- per task ---
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
                     "detector_only_top_rule": do["rule"].value_counts().index[0] if len(do) else ""})
    by_task = pd.DataFrame(rows, columns=["task", "models", "regex_pct", "detector_pct", "diff_pct", "regex_only",
                                          "detector_only", "regex_only_top_rule", "detector_only_top_rule"])
    by_task = by_task.sort_values("models", ascending=False).reset_index(drop=True)
    by_task.to_csv(tables / "compare_share_by_task.csv", index=False)

    # --- per organisation ---
    org_rows = []
    org_df = df[df["org"].notna()]
    for org in orgs or sorted(org_df["org"].dropna().unique()):
        g = org_df[org_df["org"] == org]
        org_rows.append({"org": org, "models": len(g), "regex_pct": _pct(g["regex"]),
                         "detector_pct": _pct(g["detector"]),
                         "diff_pct": round(_pct(g["detector"]) - _pct(g["regex"]), 2),
                         "regex_only": int((g["regex"] & ~g["detector"]).sum()),
                         "detector_only": int((~g["regex"] & g["detector"]).sum())})
    by_org = pd.DataFrame(org_rows, columns=["org", "models", "regex_pct", "detector_pct", "diff_pct",
                                             "regex_only", "detector_only"])
    by_org.to_csv(tables / "compare_orgs.csv", index=False)

    # --- examples: per task with the largest differences, a few ids per (direction, rule) ---
    ex_rows = []
    order = by_task.reindex(by_task["diff_pct"].abs().sort_values(ascending=False).index)["task"].tolist()
    for task in order[:12] + ["(organisations)"]:
        dg = dis[dis["task"] == task] if task != "(organisations)" else dis[dis["task"].isna()]
        for (direction, rule), gg in dg.groupby(["direction", "rule"], sort=False):
            for _, r in gg.sort_values("id").head(3).iterrows():
                ex_rows.append({"task": task if task != "(organisations)" else r["org"], "id": r["id"],
                                "direction": direction, "regex_match": r["regex_match"],
                                "detector_versions": r["detector_versions"], "rule": rule,
                                "explanation": WHY.get(rule) or FOUND.get(rule, rule), "count": len(gg)})
    examples = pd.DataFrame(ex_rows, columns=["task", "id", "direction", "regex_match", "detector_versions", "rule",
                                              "explanation", "count"])
    examples.to_csv(tables / "compare_examples.csv", index=False)

    # --- taxonomy ---
    tax_task = _taxonomy_table(tasked, "task", ef)
    tax_task.to_csv(tables / "taxonomy_by_task.csv", index=False)
    tax_org = _taxonomy_table(org_df[org_df["org"].isin(orgs)] if orgs else org_df, "org", ef)
    tax_org.to_csv(tables / "taxonomy_by_org.csv", index=False)

    # --- figures ---
    _scatter(by_task, figures / "compare_share_by_task.png")
    _global_fig(glob, regex_rules, figures / "compare_global.png")

    md = _markdown(glob, by_task, by_org, dis, regex_rules, tax_task, tax_org)
    return Section(
        title="Version detector vs. the study's regex, and a naming taxonomy",
        markdown=md,
        figures=[Path("figures/compare_global.png"), Path("figures/compare_share_by_task.png")],
        tables=[Path("tables") / n for n in ("compare_global.csv", "compare_share_by_task.csv", "compare_orgs.csv",
                                             "compare_examples.csv", "taxonomy_by_task.csv", "taxonomy_by_org.csv")],
        key="compare",
    )


def measured() -> dict | None:
    """Precision/recall/F1 of both methods on the held-out half of the labelled names (None without the labels):
    `regex`, `detector`, and `issue_adjusted` (the same once the issue's own definitions settle the labels)."""
    try:
        from benchmarks.eval_detector import evaluate  # noqa: PLC0415 - optional: needs ../shared labels
        res = evaluate("test", overall_only=True)
        return {**res["overall"], "issue_adjusted": res["issue_adjusted"]}
    except Exception:  # noqa: BLE001 - the section is still useful without the measurement
        return None


def _markdown(glob, by_task, by_org, dis, regex_rules, tax_task, tax_org=None) -> str:
    L = []
    L.append("The study counted a name as versioned when the regex `[vV]\\d[.-]?\\d?[.-]?\\d?` matched anywhere in "
             "the id. The version detector (`analysis/detector.py`) reads the name apart from the owner and decides "
             "each candidate with a named rule (architecture and family names holding digits, environment ids, "
             "sizes, dates and quantisation suffixes are not versions; `Llama-2`, `stable-diffusion-2-1`, "
             "`Qwen2.5`, `-1.5` are).")
    L.append("")
    m = measured()
    if m:
        rg, dt = m["regex"], m["detector"]
        L.append(f"Measured against the held-out half ({rg['n']:,} names, {rg['positives']:,} with a version) of the "
                 "14,178 names labelled by Jiang et al. (`python -m benchmarks.eval_detector`):")
        L.append("")
        L.append("| method | precision | recall | F1 |")
        L.append("|---|---:|---:|---:|")
        L.append(f"| study regex | {rg['precision']:.3f} | {rg['recall']:.3f} | {rg['f1']:.3f} |")
        L.append(f"| version detector | {dt['precision']:.3f} | {dt['recall']:.3f} | {dt['f1']:.3f} |")
        L.append("")
        ia = m["issue_adjusted"]
        settled = sum(ia["settled"].values())
        ard, arg = ia["overall"]["detector"], ia["overall"]["regex"]
        L.append(f"{settled:,} of these names are errors only because the detector follows the definitions of the "
                 "issue that asked for it where the labels do not: `Llama-2-7b` and `stable-diffusion-2-1` numbers "
                 "labelled without a version, Gym environment ids, architecture names with digits (`dinov2`, "
                 "`layoutlmv3`), dates and quantisation suffixes labelled with one. Settled the issue's way, the "
                 f"detector scores precision {ard['precision']:.3f}, recall {ard['recall']:.3f}, F1 {ard['f1']:.3f} "
                 f"and the regex F1 {arg['f1']:.3f}. The labels also disagree with themselves: identical names "
                 "under different owners are labelled both ways (`python -m benchmarks.eval_detector` prints how "
                 "often).")
        L.append("")
    L.append(f"**Global share** over {glob['models']:,} task-listed models: study regex **{glob['regex_pct']:.1f}%**, "
             f"detector **{glob['detector_pct']:.1f}%** ({glob['diff_pct']:+.1f} points). The methods agree on "
             f"{glob['both']:,} versioned names; {glob['regex_only']:,} ids are counted by the regex only and "
             f"{glob['detector_only']:,} by the detector only.")
    L.append("")
    tot = sum(v for k, v in regex_rules.items()) or 1
    L.append("What the regex's matches are (by the detector's rule):")
    L.append("")
    L.append("| regex matched ... | ids | share |")
    L.append("|---|---:|---:|")
    for k, v in regex_rules.most_common(10):
        L.append(f"| {k}: {WHY.get(k, 'a real version') if k != 'version (confirmed)' else 'a real version'} "
                 f"| {v:,} | {100 * v / tot:.1f}% |")
    L.append("")
    if len(by_task):
        L.append("**Largest differences per task** (percentage points, detector minus regex):")
        L.append("")
        L.append("| task | models | regex % | detector % | diff | regex only (main rule) | detector only (main rule) |")
        L.append("|---|---:|---:|---:|---:|---|---|")
        top = by_task.reindex(by_task["diff_pct"].abs().sort_values(ascending=False).index).head(10)
        for _, r in top.iterrows():
            L.append(f"| {r['task']} | {r['models']:,} | {r['regex_pct']:.1f} | {r['detector_pct']:.1f} | "
                     f"{r['diff_pct']:+.1f} | {r['regex_only']:,} ({r['regex_only_top_rule'] or '-'}) | "
                     f"{r['detector_only']:,} ({r['detector_only_top_rule'] or '-'}) |")
        L.append("")
        for _, r in top.head(5).iterrows():
            dg = dis[dis["task"] == r["task"]]
            L.append(f"- **{r['task']}** ({r['regex_pct']:.1f}% → {r['detector_pct']:.1f}%):")
            for direction in ("regex only", "detector only"):
                dd = dg[dg["direction"] == direction]
                if not len(dd):
                    continue
                for rule, n in dd["rule"].value_counts().head(3).items():
                    ids = dd[dd["rule"] == rule].sort_values("id")["id"].head(3).tolist()
                    what = WHY.get(rule) if direction == "regex only" else FOUND.get(rule, rule)
                    verb = "counted by the regex but" if direction == "regex only" else "missed by the regex:"
                    L.append(f"  - {n:,} {verb} {what}: " + ", ".join(f"`{i}`" for i in ids))
        L.append("")
    if len(by_org):
        L.append("**Organisations**:")
        L.append("")
        L.append("| organisation | models | regex % | detector % | diff |")
        L.append("|---|---:|---:|---:|---:|")
        for _, r in by_org.iterrows():
            L.append(f"| {r['org']} | {r['models']:,} | {r['regex_pct']:.1f} | {r['detector_pct']:.1f} | "
                     f"{r['diff_pct']:+.1f} |")
        L.append("")
    if len(tax_task):
        L.append("**Naming taxonomy** (Jiang et al.'s elements + Q quantisation; % of names holding each element, "
                 "largest tasks; full tables in `tables/taxonomy_by_task.csv` and `tables/taxonomy_by_org.csv`, "
                 "with the study's top tokens tagged by element):")
        L.append("")
        codes = list(taxonomy.ELEMENTS)
        L.append("| task | models | " + " | ".join(codes) + " |")
        L.append("|---|---:|" + "---:|" * len(codes))
        for _, r in tax_task.head(8).iterrows():
            L.append(f"| {r['task']} | {r['models']:,} | " + " | ".join(f"{r['pct_' + c]:.0f}" for c in codes) + " |")
        L.append("")
        L.append("The study's most frequent version tokens (Experiment 2b: number of families holding the token), "
                 "each tagged with its element — most are not versions but sizes (S/P), quantisation (Q), tasks (T) "
                 "or reuse methods (F):")
        L.append("")
        for _, r in tax_task.head(6).iterrows():
            L.append(f"- {r['task']}: {r['study_top_tokens']}")
        L.append("")
    if tax_org is not None and len(tax_org):
        codes = list(taxonomy.ELEMENTS)
        L.append("| organisation | models | " + " | ".join(codes) + " |")
        L.append("|---|---:|" + "---:|" * len(codes))
        for _, r in tax_org.iterrows():
            L.append(f"| {r['org']} | {r['models']:,} | " + " | ".join(f"{r['pct_' + c]:.0f}" for c in codes) + " |")
        L.append("")
    L.append("Examples of every disagreement, with the rule that explains it: `tables/compare_examples.csv`. "
             "Check any id with `python -m analysis detect --explain <id>`.")
    return "\n".join(L)
