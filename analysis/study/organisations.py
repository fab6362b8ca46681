"""Experiment 3: experiments 2b and 2c on the models of a few organisations (the study: google, facebook, openai)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def _casefold_is(values: pd.Series, key: str) -> np.ndarray:
    """`values.str.casefold() == key`, False where missing. Each distinct value is case-folded once: casefold has no
    Arrow kernel, and a feed holds far fewer owners than models."""
    codes, distinct = pd.factorize(values)
    hit = np.array([str(v).casefold() == key for v in distinct.tolist()] + [False], dtype=bool)
    return hit[codes]  # code -1 (missing) takes the trailing False


def org_mask(models: pd.DataFrame, org: str) -> np.ndarray:
    """Which models are the organisation's: listed under its organisation stream/list, or owned by it
    (case-insensitive)."""
    key = org.casefold()
    return _casefold_is(models["org"], key) | _casefold_is(models["author"], key)


def org_models(models: pd.DataFrame, org: str) -> pd.DataFrame:
    """An organisation's models (`org_mask`).

    On the study's lists both give the same ids (every google/facebook/openai id of a task list is in the
    company's list); on a fresh crawl the owner rule catches models of a tag stream when no author stream ran.
    """
    return models[org_mask(models, org)]


def org_sizes(models: pd.DataFrame, orgs: list[str]) -> pd.DataFrame:
    """`org, models` for each organisation studied (the study: google 617, facebook 1,879, openai 32)."""
    return pd.DataFrame({"org": orgs, "models": [int(org_mask(models, o).sum()) for o in orgs]})
