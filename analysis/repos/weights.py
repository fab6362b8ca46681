"""Repositories whose weights changed, and whether their names carry a version (on Ajibode et al.'s data).

Ajibode et al. (EMSE 2025) report that 40.87% of weight-file changes in their 52,227 language-model repositories are
reflected neither in the version name nor in the documentation. Their replication package lists, for 16,271
repositories, every weight file that commits of `main` changed at least twice (the upload and at least one change
after it: the model was updated in place). This module asks a simpler, different question of that file: of those
repositories, how many carry a version in their name at all, by the detector and by the study's regex, per variant
type they assigned (finetuned, quantized, compressed, deduplicated; `unknown` for repositories not in their variant
table). It counts repositories, not changes, and reads names only (not the cards): the two figures are not the same
measure and are shown side by side, never as one replicating the other.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.common.intervals import with_wilson_pct
from analysis.common.paths import shared_dir
from analysis.versions import detector
from analysis.versions.regex import regex_has_version

#: Ajibode et al., EMSE 2025: share of weight-file changes not reflected in the version name or documentation.
AJIBODE_UNREFLECTED_CHANGES_PCT = 40.87
WEIGHTS_COLUMNS = ["variant", "repos", "detector_versioned", "detector_pct", "regex_versioned", "regex_pct",
                   "detector_ci_low_pct", "detector_ci_high_pct", "regex_ci_low_pct", "regex_ci_high_pct"]


def ajibode_dir() -> Path:
    """The shared copy of Ajibode et al.'s replication data."""
    return shared_dir() / "data" / "versioning-ajibode-2024"


def changed_repositories(folder: Path | None = None) -> pd.DataFrame:
    """`id, variant, weight_files`: each repository of `model_weight_file_changed.csv.gz` once, with its variant type
    from `ptlm_variants.csv.gz` (`unknown` where it has none) and how many of its weight files changed twice or more."""
    folder = folder or ajibode_dir()
    changed = pd.read_csv(folder / "model_weight_file_changed.csv.gz", dtype=str, keep_default_na=False)
    changed = changed[changed["changed_frequency"].astype(int) >= 2]
    ids = changed["owner"].str.strip() + "/" + changed["model_name"].str.strip()
    repos = ids.value_counts(sort=False).rename_axis("id").reset_index(name="weight_files")
    variants = pd.read_csv(folder / "ptlm_variants.csv.gz", dtype=str, keep_default_na=False,
                           usecols=["model_name", "variants"])
    variant_of = variants.drop_duplicates("model_name").set_index("model_name")["variants"]
    repos["variant"] = repos["id"].map(variant_of).fillna("unknown").replace("", "unknown")
    return repos[["id", "variant", "weight_files"]]


def weights_vs_names(repos: pd.DataFrame) -> pd.DataFrame:
    """weights_vs_names.csv: per variant type (and `all`), the repositories and how many carry a version in their
    name, by the detector (the name apart from the owner) and by the study's regex (anywhere in the id)."""
    flags = pd.DataFrame({"variant": repos["variant"], "detector": detector.has_version(repos["id"]).to_numpy(),
                          "regex": regex_has_version(repos["id"]).to_numpy(dtype=bool)})
    by = flags.groupby("variant").agg(repos=("detector", "size"), detector_versioned=("detector", "sum"),
                                      regex_versioned=("regex", "sum"))
    by = by.sort_values("repos", ascending=False, kind="stable")
    total = pd.DataFrame({"repos": [len(flags)], "detector_versioned": [int(flags["detector"].sum())],
                          "regex_versioned": [int(flags["regex"].sum())]}, index=["all"])
    out = pd.concat([total, by]).rename_axis("variant").reset_index()
    for k in ("detector", "regex"):
        out[f"{k}_pct"] = (100.0 * out[f"{k}_versioned"] / out["repos"]).round(2)
        out = with_wilson_pct(out, f"{k}_versioned", "repos", prefix=f"{k}_")
    return out.astype({"repos": int, "detector_versioned": int, "regex_versioned": int})[WEIGHTS_COLUMNS]
