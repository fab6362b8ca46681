"""Versions and their predecessors, read from names alone (Ajibode et al.'s measure, with the detector's spans).

Ajibode et al. (EMSE 2025) found that only 43% of major and 35% of minor versions of language models have their
predecessor on the Hub. This module measures the same thing on any input (a crawl feed or the 2024 lists):

* **A name's version** is the last version span the detector (`analysis.versions.detector.detect`) finds in the name that
  holds a digit (`v2`, `1.5`, `2-1`, `Qwen2.5`'s `2.5`); its **major** is the first number of that span and its
  **minor** the second (missing = 0): `v1.2.3` is 1.2, `2-1` is 2.1, `v2` is 2.0. A name whose only spans hold no
  digit (`-latest`, `-beta`) is versioned but has no number.
* **A family** is an owner (lower-cased) and the name with that span cut out, lower-cased; the one separator
  (`-`, `_`, `.`, space) right before the span goes with it, so `Model-v1`, `model_v2` and `modelV3` of one owner are
  one family. Other spans stay part of the family: `Llama-2-7b-chat-v1` and `Llama-2-7b-chat-v2` are one family.
* **The bare name** of a family is the name without the version and its separator (`Copilot_for_poors_v2` ->
  `Copilot_for_poors`); when the same owner has it, it counts as the family's version 1.0, as Ajibode et al. paired
  `Copilot_for_poors_v2` with `Copilot_for_poors`.
* **A major version** is a name whose major is 2 or more; it **has its predecessor** when its family holds a lower
  major, or the bare name. **A minor version** is a name `X.Y` with `Y >= 1`; it has its predecessor when its family
  holds `X.Z` with `Z < Y` (`X` alone counting as `X.0`, the bare name as `1.0`).

Families are formed over every id of the input (tasks and organisations): a predecessor listed under another task is
still on the Hub. The scopes count the versioned names listed under a task (`all`) or under one task.
"""
from __future__ import annotations

import gc
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.common.intervals import with_wilson_pct
from analysis.common.parallel import fork_map, worth_forking
from analysis.report import markdown
from analysis.versions import detector

#: Ajibode et al., EMSE 2025 (arXiv 2409.10472): share of major / minor versions whose predecessor is on the Hub.
AJIBODE_MAJOR_PCT = 43.0
AJIBODE_MINOR_PCT = 35.0

_SEPARATORS = "-_. "
_DIGITS = re.compile(r"\d+")
PREDECESSOR_COLUMNS = ["scope", "versioned", "major_ge2", "major_with_predecessor_pct", "minor",
                       "minor_with_predecessor_pct"]
LINEAGE_COLUMNS = ["owner", "family", "versions", "repos", "series"]


def _read_name(name: str) -> tuple[bool, str | None, str | None, str | None, str | None]:
    """(versioned, version text, family key, bare name, family label) of one name, from the detector's spans."""
    found = detector.detect(name)
    if not found.has_version:
        return False, None, None, None, None
    numbered = [(v, p) for v, p in zip(found.versions, found.positions) if _DIGITS.search(v)]
    if not numbered:
        return True, None, None, None, None
    text, (start, end) = numbered[-1]
    prefix, suffix = name[:start], name[end:]
    head = prefix[:-1] if prefix[-1:] and prefix[-1] in _SEPARATORS else prefix
    bare = head + suffix if head else suffix.lstrip(_SEPARATORS)
    return True, text, (head + "\x00" + suffix).lower(), bare.lower(), (prefix + "{v}" + suffix).lower()


def _read_chunk(names: list[str]) -> list[tuple]:
    gc_was = gc.isenabled()
    gc.disable()  # many small tuples: the cyclic GC would rescan them over and over
    try:
        return [_read_name(n) for n in names]
    finally:
        if gc_was:
            gc.enable()


def _arrow(strings: pd.Series):
    """A text column as one Arrow string array, missing values as empty strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(strings.astype("str").array)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pc.fill_null(arr.cast(pa.string()), "")


def name_versions(models: pd.DataFrame) -> pd.DataFrame:
    """Per model (same index): `versioned`, `version` (span text), `family` (owner/key), `bare` (owner/bare name),
    `label`. Only the distinct names that can hold a version (the detector's own pre-filter) are read, on two
    processes where there are two cores; the rest is Arrow on whole columns."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = _arrow(models["name"])
    uniq = pc.unique(pc.filter(names, pc.match_substring_regex(names, detector.CANDIDATE_REGEX))).to_pylist()
    half = (len(uniq) + 1) // 2
    chunks = [uniq[:half], uniq[half:]] if worth_forking(len(uniq)) else [uniq]
    read = list(zip(*[r for part in fork_map(_read_chunk, chunks) for r in part])) or [()] * 5
    pos = pc.index_in(names, value_set=pa.array(uniq, type=pa.string()))
    taken = {c: pc.take(pa.array(v, type=pa.bool_() if c == "versioned" else pa.string()), pos)
             for c, v in zip(("versioned", "version", "key", "bare", "label"), read)}
    owner = pc.binary_join_element_wise(pc.utf8_lower(_arrow(models["author"])), "", "/")
    columns = {"versioned": pc.fill_null(taken["versioned"], False).to_numpy(zero_copy_only=False),
               "version": taken["version"], "label": taken["label"],
               "family": pc.binary_join_element_wise(owner, taken["key"], ""),
               "bare": pc.binary_join_element_wise(owner, taken["bare"], "")}
    return pd.DataFrame({c: v if c == "versioned" else pd.array(v, dtype="str") for c, v in columns.items()},
                        index=models.index)


def _numbers(version: pd.Series) -> pd.DataFrame:
    """`major`, `minor` (missing = 0), `patch` (the third number, missing = 0) and a normalised `value` (the numbers
    joined by `.`, trailing zeros cut: `v1.0` -> `1`, `2-1` -> `2.1`) of each version text."""
    parts = version.str.extract(r"^\D*(\d+)(?:\D+(\d+))?(?:\D+(\d+))?")
    nums = {k: pd.to_numeric(parts[i], errors="coerce").fillna(0).astype("int64")
            for i, k in enumerate(("major", "minor", "patch"))}
    value = version.str.replace(r"\D+", ".", regex=True).str.strip(".").str.replace(r"(?:\.0+)+$", "", regex=True)
    return pd.DataFrame({**nums, "value": value}, index=version.index)


def _lower_ids(models: pd.DataFrame):
    """Every id of the input as `owner/name`, lower-cased (an owner-less id as `/name`), distinct, in Arrow."""
    import pyarrow.compute as pc

    return pc.unique(pc.utf8_lower(pc.binary_join_element_wise(_arrow(models["author"]), _arrow(models["name"]),
                                                                "/")))


def _is_in(values: pd.Series, pool) -> np.ndarray:
    """`values.isin(pool)` in Arrow (pandas' Arrow-string isin goes through Python objects)."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.is_in(_arrow(values), value_set=pool), False).to_numpy(zero_copy_only=False)


def predecessor_flags(models: pd.DataFrame, versions: pd.DataFrame) -> pd.DataFrame:
    """Per numbered versioned model: `major`, `minor`, `is_major` (>= 2), `is_minor` (Y >= 1), and whether each has
    its predecessor in its family (see the module docstring)."""
    numbered = versions[versions["family"].notna()]
    nums = _numbers(numbered["version"])
    df = pd.concat([numbered[["family", "bare"]], nums], axis=1)
    has_bare = pd.Series(_is_in(df["bare"], _lower_ids(models)), index=df.index)
    df["has_bare"] = has_bare
    fam_bare = has_bare.groupby(df["family"]).transform("any")
    df["family_has_bare"] = fam_bare
    lowest_major = df.groupby("family")["major"].transform("min")
    lowest_minor = df.groupby(["family", "major"])["minor"].transform("min")
    df["is_major"] = df["major"] >= 2
    df["is_minor"] = df["minor"] >= 1
    df["major_has_predecessor"] = df["is_major"] & ((lowest_major < df["major"]) | fam_bare)
    df["minor_has_predecessor"] = df["is_minor"] & ((lowest_minor < df["minor"]) | (fam_bare & (df["major"] == 1)))
    return df.astype({"is_major": bool, "is_minor": bool, "major_has_predecessor": bool,
                      "minor_has_predecessor": bool})


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else float("nan")


def predecessors_table(models: pd.DataFrame, versioned: np.ndarray | pd.Series, flags: pd.DataFrame,
                       tasks: list[str]) -> pd.DataFrame:
    """predecessors.csv: one row for `all` (names listed under a task) and one per task of `tasks`; `versioned` is
    the detector's verdict per model row."""
    task = models["task"]
    versioned = pd.Series(np.asarray(versioned, dtype=bool), index=models.index)
    rows = []
    for scope in ["all", *tasks]:
        in_scope = task.notna() if scope == "all" else task == scope
        f = flags[in_scope.reindex(flags.index).to_numpy(dtype=bool)]
        major, minor = int(f["is_major"].sum()), int(f["is_minor"].sum())
        rows.append({"scope": scope, "versioned": int(versioned[in_scope].sum()),
                     "major_ge2": major, "major_with_predecessor_pct": _pct(int(f["major_has_predecessor"].sum()),
                                                                            major),
                     "minor": minor, "minor_with_predecessor_pct": _pct(int(f["minor_has_predecessor"].sum()),
                                                                        minor),
                     "major_with_predecessor": int(f["major_has_predecessor"].sum()),
                     "minor_with_predecessor": int(f["minor_has_predecessor"].sum())})
    out = pd.DataFrame(rows, columns=PREDECESSOR_COLUMNS + ["major_with_predecessor", "minor_with_predecessor"])
    # each share's successes and 95% Wilson interval, after the columns the section quotes
    out = with_wilson_pct(out, "major_with_predecessor", "major_ge2", prefix="major_")
    return with_wilson_pct(out, "minor_with_predecessor", "minor", prefix="minor_")


def lineages_table(models: pd.DataFrame, versions: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """lineages.csv: families with two or more distinct versions (the bare name being one), largest first.

    `versions` counts the distinct normalised versions, `repos` the ids of the family, `series` lists the versions
    in order (`-` for the bare name)."""
    members = pd.DataFrame({"family": flags["family"], "value": flags["value"], "major": flags["major"],
                            "minor": flags["minor"], "patch": flags["patch"], "owner": models.loc[flags.index, "author"].fillna(""),
                            "label": versions.loc[flags.index, "label"]})
    bare = flags[flags["has_bare"]].drop_duplicates("family")
    bare_rows = pd.DataFrame({"family": bare["family"], "value": "-", "major": -1, "minor": -1, "patch": -1,
                              "owner": models.loc[bare.index, "author"].fillna(""), "label": None})
    members = pd.concat([members, bare_rows], ignore_index=True)
    distinct = members.drop_duplicates(["family", "value"])
    counts = distinct.groupby("family").size()
    counts = counts[counts >= 2]
    distinct = distinct[distinct["family"].isin(counts.index)].sort_values(["family", "major", "minor", "patch",
                                                                              "value"])
    out = pd.DataFrame({"versions": counts,
                        "series": distinct.astype({"value": object}).groupby("family")["value"].agg(" ".join)})
    firsts = members.dropna(subset=["label"]).drop_duplicates("family").set_index("family")
    out["repos"] = members.groupby("family").size().reindex(out.index)
    out["owner"] = firsts["owner"].reindex(out.index)
    out["family"] = firsts["label"].reindex(out.index)
    out.index.name = None
    out = out.sort_values(["versions", "repos", "owner", "family"], ascending=[False, False, True, True],
                          kind="stable")
    return out[LINEAGE_COLUMNS].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------------
# The report's section (names only: runs on every input)


def md_table(df: pd.DataFrame, max_rows: int = 15) -> str:
    """A Markdown table of the first rows (the CSV next to it has them all); a missing share is left blank."""
    return markdown.table(df, max_rows=max_rows, floatfmt="{:,.2f}", na="")


def names_markdown(pred: pd.DataFrame, lineages: pd.DataFrame, weights: pd.DataFrame | None, task_names: int,
                   synthetic: bool = False) -> str:
    """The section's text: definitions, this input's figures next to the published ones (on synthetic data, a
    note instead of the published figures: analysis.report.labels)."""
    from analysis.common.intervals import format_share
    from analysis.report.labels import NOTE

    a = pred.iloc[0]
    jiang = ("Jiang et al. (arXiv 2310.01642) found a version element in **12.7% of 14,178** labelled names, while "
             "**48%** of the users they surveyed say they put versions in names.")
    md = [(f"Read from the names alone, with the version detector's spans. "
          f"**{format_share(int(a['versioned']), task_names)}** of the names listed under a task carry a version. "
          + (f"_{NOTE}_" if synthetic else jiang)), "",
          ("**Predecessors** (Ajibode et al.'s measure). A name's version is the last version span the detector finds "
          "that holds a digit: its major is the span's first number, its minor the second (`v1.2` is 1.2, `2-1` is "
          "2.1, `v2` is 2.0). A *family* is one owner and the name with that span (and the one separator before it) "
          "cut out, lower-cased: `Model-v1`, `model_v2` and `modelV3` of one owner are one family. The *bare name* "
          "(`Copilot_for_poors` for `Copilot_for_poors_v2`), when the owner has it, counts as version 1.0. A major "
          "version (major >= 2) has its predecessor when its family holds a lower major or the bare name; a minor "
          "version `X.Y` (Y >= 1) when its family holds `X.Z` with Z < Y (`X` alone is `X.0`). Families are formed "
          "over every id of the input; the scopes count the versioned names of all tasks, then of each studied "
          "task."), "",
          (f"Here **{format_share(int(a['major_with_predecessor']), int(a['major_ge2']))}** of the major versions "
          f"and **{format_share(int(a['minor_with_predecessor']), int(a['minor']))}** of the minor versions have their "
          "predecessor in the input" + ("." if synthetic else "; Ajibode et al. (EMSE 2025, 52,227 LLM repositories) "
                                         f"found **{AJIBODE_MAJOR_PCT:.0f}%** and **{AJIBODE_MINOR_PCT:.0f}%**.")),
          "", md_table(pred), "",
          f"**Lineages**: {len(lineages):,} families hold two or more versions (`-` is the bare name); the largest:",
          "", md_table(lineages.assign(series=lineages["series"].str.slice(0, 80)), 12)]
    if weights is not None:
        md += ["", weights_markdown(weights)]
    return "\n".join(md)


def weights_markdown(weights: pd.DataFrame) -> str:
    from analysis.repos.weights import AJIBODE_UNREFLECTED_CHANGES_PCT

    a = weights.iloc[0]
    return "\n".join([
        (f"**Weights that changed, and names** (Ajibode et al.'s replication data): of the **{int(a['repos']):,}** "
        "repositories whose weight files `main` changed at least twice (an upload, then at least one change in "
        f"place), **{int(a['detector_versioned']):,} ({a['detector_pct']:.2f}%)** carry a version in their name by "
        f"the detector and **{int(a['regex_versioned']):,} ({a['regex_pct']:.2f}%)** by the study's regex. "
        f"Ajibode et al. report that **{AJIBODE_UNREFLECTED_CHANGES_PCT}%** of weight-file changes are reflected "
        "neither in the version name nor in the documentation. This is a different measure: theirs counts changes "
        "and reads cards too; this one counts repositories and reads names only, so the two figures are set side by "
        "side, not compared as a replication."), "", md_table(weights)])


@dataclass
class NameReading:
    """What the names-only section computes from the input alone (on a forked process, alongside the study)."""

    versioned: np.ndarray  # per model row: the detector finds a version in the name
    flags: pd.DataFrame  # predecessor_flags
    lineages: pd.DataFrame
    weights: pd.DataFrame | None  # weights_vs_names, None when Ajibode et al.'s data cannot be read
    weights_error: str = ""
    real: Any = None  # analysis.repos.real_data.RealReading: the sections on real data (input-independent)


def read_names(models: pd.DataFrame) -> NameReading:
    """Everything of the names-only section that needs no task list: the detector's reading of every distinct
    name (the costly part), the predecessor flags, the lineages, and the weights-vs-names table."""
    from analysis.repos import weights

    versions = name_versions(models)
    flags = predecessor_flags(models, versions)
    lineages = lineages_table(models, versions, flags)
    try:
        wvn, error = weights.weights_vs_names(weights.changed_repositories()), ""
    except (OSError, ValueError, KeyError) as exc:  # the shared data is optional for the rest
        wvn, error = None, str(exc)
    return NameReading(versions["versioned"].to_numpy(dtype=bool), flags, lineages, wvn, error)


def names_section(models: pd.DataFrame, tasks: list[str], cfg: Any, reading: NameReading):
    """Write predecessors.csv, lineages.csv and weights_vs_names.csv (labelled synthetic on replay-hub data); return
    (Section, summary, figure jobs)."""
    from analysis.report import figures, output
    from analysis.report.section import Section

    out = Path(cfg.out)
    pred = predecessors_table(models, reading.versioned, reading.flags, tasks)
    if reading.weights is None:
        print(f"warning: weights_vs_names.csv not written: Ajibode et al.'s data unreadable ({reading.weights_error})",
              file=sys.stderr)
    synthetic = bool(getattr(cfg, "synthetic", False))  # no published figure beside synthetic data
    tables = [output.write_table(df, out, name, synthetic=synthetic)
              for df, name in ((pred, "predecessors"), (reading.lineages, "lineages"),
                               (reading.weights, "weights_vs_names")) if df is not None]
    fig = Path("figures/predecessors.png")
    refs = (None, None) if synthetic else (AJIBODE_MAJOR_PCT, AJIBODE_MINOR_PCT)
    jobs = [(figures.predecessor_bars, (pred, out / fig, *refs))]
    task_names = int(models["task"].notna().sum())
    section = Section(title="Versions and their predecessors (names only)",
                      markdown=names_markdown(pred, reading.lineages, reading.weights, task_names, synthetic),
                      figures=[fig] if cfg.make_figures else [], tables=tables, key="predecessors")
    summary = {"predecessors": pred.to_dict(orient="records"), "lineages": len(reading.lineages),
               "weights_vs_names": None if reading.weights is None else reading.weights.to_dict(orient="records")}
    return section, summary, jobs
