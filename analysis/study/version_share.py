"""Experiments 1 and 2a: the share of model ids that carry a "semantic" version, overall and per task."""
from __future__ import annotations

import pandas as pd

from analysis.common.intervals import with_wilson_pct
from analysis.versions.regex import Detector, regex_has_version


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
