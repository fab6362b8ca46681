"""Experiments 1 and 2a: the share of model ids that carry a "semantic" version, overall and per task."""
from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from analysis.intervals import with_wilson_pct

#: The study's version regex, searched anywhere in the full id (owner included). The one definition: the detector,
#: the comparison and the evaluation use it from here.
VERSION_REGEX = r"[vV]\d[.-]?\d?[.-]?\d?"
VERSION_RE = re.compile(VERSION_REGEX)

Detector = Callable[[pd.Series], pd.Series]


def regex_has_version(ids: pd.Series) -> pd.Series:
    """The study's method: does the regex match anywhere in the id (owner included). Same index, booleans; a missing
    id (NA) has no version (False), as the detector says of it."""
    return ids.astype("string").str.contains(VERSION_REGEX, regex=True).fillna(False).astype(bool)


def task_models(models: pd.DataFrame) -> pd.DataFrame:
    """The models of experiment 1's scope: those listed under a task (company-only lists excluded)."""
    return models[models["task"].notna()]


def _share(models: int, matching: int) -> float:
    return round(100.0 * matching / models, 4) if models else 0.0


def version_share(models: pd.DataFrame, has_version: Detector = regex_has_version) -> pd.DataFrame:
    """e1: `scope, models, matching, share_pct` (+ its 95% Wilson interval) over every model with a task (scope `all`)."""
    scoped = task_models(models)
    matching = int(has_version(scoped["id"]).sum())
    return with_wilson_pct(pd.DataFrame([{"scope": "all", "models": len(scoped), "matching": matching,
                                          "share_pct": _share(len(scoped), matching)}]), "matching", "models")


def share_by_task(models: pd.DataFrame, has_version: Detector = regex_has_version) -> pd.DataFrame:
    """e2a: `task, models, matching, share_pct` (+ its 95% Wilson interval) per task, largest task first (ties by name)."""
    scoped = task_models(models)
    hits = has_version(scoped["id"]).astype(bool)
    grouped = hits.groupby(scoped["task"]).agg(["size", "sum"])
    out = pd.DataFrame({"task": grouped.index.astype(str), "models": grouped["size"].to_numpy(),
                        "matching": grouped["sum"].to_numpy().astype(int)})
    out["share_pct"] = (100.0 * out["matching"] / out["models"]).round(4)
    out = with_wilson_pct(out, "matching", "models")
    return out.sort_values(["models", "task"], ascending=[False, True], kind="stable").reset_index(drop=True)
