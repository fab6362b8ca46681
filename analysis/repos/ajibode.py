"""Ajibode et al.'s predecessor measure re-run on their own population and samples (real data, 2024).

Ajibode et al. (EMSE 2025, arXiv 2409.10472) report that only 43% of major and 35% of minor versions of language
models have their predecessor on the Hub. Their replication package (`../shared/data/versioning-ajibode-2024`)
holds their population (`ptlm_variants.csv.gz`, 52,227 NLP models of 2022 onwards) and the names they sampled as
major (`major_sampled.csv`, 330) and minor (`minor_sampled.csv`, 288) versions. This module runs the project's
predecessor finder (`analysis.repos.predecessors`: families of one owner, the version span cut out, the bare name as 1.0)
on that population, with two readers of a name's version: the detector's spans, and their regex `v\\d+(\\.\\d+)?`
(the last match in the name). For each sample and for the whole population it reports the share of major (>= 2) and
minor (X.Y, Y >= 1) versions whose predecessor is in the population, and the share that has any other version of
its family there (a successor counts: their annotated pairs include `albert-xlarge-v1` with `-v2`), each with n and
a 95% Wilson interval.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.common.intervals import format_share, with_wilson_pct
from analysis.repos import predecessors
from analysis.repos.weights import ajibode_dir

#: Their version identifier, searched in the name (docs of their replication package).
THEIR_REGEX = r"v\d+(?:\.\d+)?"
_SEPARATORS = "-_. "
COLUMNS = ["reader", "scope", "kind", "names", "read_as_kind", "with_predecessor", "pct", "ci_low_pct",
           "ci_high_pct", "with_other_version", "other_pct", "other_ci_low_pct", "other_ci_high_pct", "ajibode_pct"]


def population(folder: Path | None = None) -> pd.DataFrame:
    """Their 52,227 models as the predecessor finder reads a feed: `id`, `author`, `name`, `task` (their pipeline)."""
    folder = folder or ajibode_dir()
    v = pd.read_csv(folder / "ptlm_variants.csv.gz", dtype=str, keep_default_na=False)
    ids = v["model_name"].str.strip()
    owner, name = ids.str.rpartition("/")[0], ids.str.rpartition("/")[2]
    return pd.DataFrame({"id": ids, "author": owner.where(owner != "", None), "name": name,
                         "task": v["pipeline"].replace("", None)}).drop_duplicates("id").reset_index(drop=True)


def samples(folder: Path | None = None) -> dict[str, pd.Series]:
    """Their sampled ids: `major` and `minor`."""
    folder = folder or ajibode_dir()
    return {k: pd.read_csv(folder / f"{k}_sampled.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
            ["model_name"].str.strip() for k in ("major", "minor")}


def regex_versions(models: pd.DataFrame) -> pd.DataFrame:
    """`predecessors.name_versions`'s frame with their regex as the reader: the last `v\\d+(\\.\\d+)?` of the name is
    the version; the family is the owner and the name without it (and one separator before it), lower-cased."""
    name = models["name"].astype("string").fillna("")
    parts = name.str.extract(rf"^(?P<prefix>.*)(?P<version>{THEIR_REGEX})(?P<suffix>.*)$")  # greedy: the last match
    found = parts["version"].notna()
    prefix, suffix = parts["prefix"].fillna(""), parts["suffix"].fillna("")
    head = prefix.where(~prefix.str[-1:].isin(list(_SEPARATORS)), prefix.str[:-1])
    bare = (head + suffix).where(head != "", suffix.str.lstrip(_SEPARATORS))
    owner = models["author"].astype("string").fillna("").str.lower() + "/"
    return pd.DataFrame({"versioned": found.to_numpy(dtype=bool),
                         "version": parts["version"].astype("string"),
                         "family": (owner + (head + "\x00" + suffix).str.lower()).where(found),
                         "bare": (owner + bare.str.lower()).where(found),
                         "label": (prefix + "{v}" + suffix).str.lower().where(found)}, index=models.index)


def _other_version(flags: pd.DataFrame) -> pd.Series:
    """Does the name's family hold another version (lower or higher) or the bare name."""
    distinct = flags.groupby("family")["value"].transform("nunique")
    return (distinct >= 2) | flags["family_has_bare"]


def _rows(reader: str, models: pd.DataFrame, flags: pd.DataFrame, picks: dict[str, pd.Series]) -> list[dict]:
    other = _other_version(flags)
    ids = models.loc[flags.index, "id"]
    rows = []
    for scope, chosen in picks.items():
        for kind, ajibode in (("major", predecessors.AJIBODE_MAJOR_PCT), ("minor", predecessors.AJIBODE_MINOR_PCT)):
            if scope != "population" and not scope.startswith(kind):
                continue
            in_scope = ids.isin(chosen) if scope != "population" else pd.Series(True, index=ids.index)
            sel = in_scope & flags[f"is_{kind}"]
            rows.append({"reader": reader, "scope": scope, "kind": kind,
                         "names": int(len(chosen)) if scope != "population" else len(models),
                         "read_as_kind": int(sel.sum()), "with_predecessor": int((sel & flags[f"{kind}_has_predecessor"]).sum()),
                         "with_other_version": int((sel & other).sum()), "ajibode_pct": ajibode})
    return rows


def table(models: pd.DataFrame | None = None, picks: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """ajibode_predecessors.csv: per reader (detector, their regex) and scope (their major sample, their minor
    sample, their whole population), the major or minor versions read, how many have their predecessor in the
    population and how many any other version of their family; shares in percent with 95% Wilson intervals."""
    models = population() if models is None else models
    s = samples() if picks is None else picks
    picks = {"major sample": s["major"], "minor sample": s["minor"], "population": models["id"]}
    rows = []
    for reader, versions in (("detector", predecessors.name_versions(models)), ("their regex", regex_versions(models))):
        flags = predecessors.predecessor_flags(models, versions)
        rows += _rows(reader, models, flags, picks)
    out = pd.DataFrame(rows)
    for k, prefix, pct in (("with_predecessor", "", "pct"), ("with_other_version", "other_", "other_pct")):
        out[pct] = (100.0 * out[k] / out["read_as_kind"]).round(2)
        out = with_wilson_pct(out, k, "read_as_kind", prefix)
    return out[COLUMNS]


def markdown(t: pd.DataFrame) -> str:
    """The section's text: their figures beside these, and why they differ."""
    def cell(reader: str, scope: str, kind: str, k: str = "with_predecessor") -> str:
        r = t[(t["reader"] == reader) & (t["scope"] == scope) & (t["kind"] == kind)].iloc[0]
        return format_share(int(r[k]), int(r["read_as_kind"]))

    def read(reader: str, scope: str, kind: str) -> str:
        r = t[(t["reader"] == reader) & (t["scope"] == scope) & (t["kind"] == kind)].iloc[0]
        return f"{int(r['read_as_kind']):,} of {int(r['names']):,}"

    return "\n".join([
        ("Real data: Ajibode et al.'s replication package (SAILResearch/wip-24-adekunle-lm-release @ 538e6ebc), "
         "their 52,227 NLP models and the names they sampled. The project's predecessor finder is run on their "
         "population: a name's family is its owner and the name without its version; a predecessor is a lower "
         "major (or the bare name) for a major version, a lower minor of the same major for a minor one; it must "
         "be in their population."), "",
        (f"They found **{predecessors.AJIBODE_MAJOR_PCT:.0f}%** of major and **{predecessors.AJIBODE_MINOR_PCT:.0f}%** "
         f"of minor versions with their predecessor on the Hub. On their major sample, read by their regex: "
         f"{cell('their regex', 'major sample', 'major')} of the names read as a major version 2 or more have "
         f"their predecessor; {cell('their regex', 'major sample', 'major', 'with_other_version')} have another "
         f"version of their family (a successor counts). On their minor sample: "
         f"{cell('their regex', 'minor sample', 'minor')}, and {cell('their regex', 'minor sample', 'minor', 'with_other_version')}. "
         f"Over their whole population: majors {cell('detector', 'population', 'major')} by the detector, "
         f"{cell('their regex', 'population', 'major')} by their regex; minors "
         f"{cell('detector', 'population', 'minor')} and {cell('their regex', 'population', 'minor')}."), "",
        "Why the figures differ:", "",
        (f"- **The reader.** Their regex `{THEIR_REGEX}` reads only `v`-versions, anywhere in the name; the detector "
         "also reads versions without `v` (`-2`, `1.5`) and turns down environment ids and architectures. On their "
         f"samples, picked by that regex, both read the same majors ({read('detector', 'major sample', 'major')} "
         f"and {read('their regex', 'major sample', 'major')}) and minors ({read('detector', 'minor sample', 'minor')}"
         f", {read('their regex', 'minor sample', 'minor')}); the rest are `v1` and `vX.0` names, which have no "
         "predecessor by construction and are left out. Over the population they part: the detector reads "
         f"{read('detector', 'population', 'major')} majors, their regex {read('their regex', 'population', 'major')}."),
        ("- **The measure.** Their annotated pairs (`major_combined_changes.csv`) pair a version with another version "
         "of the same family whichever is older (`albert-xlarge-v1` with `-v2`): the share with *any other version* "
         "is the closer reading of their figure; a strict predecessor is rarer."),
        ("- **The population.** Here a predecessor must be in their 52,227 models (NLP, 2022 onwards); they searched "
         "the whole Hub, where an older or non-NLP predecessor still counts. This reading can only be lower."),
        ("- **The time.** Their list was collected in 2024 with the Hub's API; names renamed or deleted before then "
         "are in neither reading, and the Hub has grown since: the shares describe 2024, not today."), "",
        predecessors.md_table(t, 20)])
