"""Experiment 3: experiments 2b and 2c on the models of a few organisations (the study: google, facebook, openai)."""
from __future__ import annotations

import pandas as pd


def org_models(models: pd.DataFrame, org: str) -> pd.DataFrame:
    """An organisation's models: listed under its organisation stream/list, or owned by it (case-insensitive).

    On the study's lists both give the same ids (every google/facebook/openai id of a task list is in the
    company's list); on a fresh crawl the owner rule catches models of a tag stream when no author stream ran.
    """
    key = org.casefold()
    listed = models["org"].astype("str").str.casefold() == key
    owned = models["author"].astype("str").str.casefold() == key
    return models[(listed & models["org"].notna()) | (owned & models["author"].notna())]


def org_sizes(models: pd.DataFrame, orgs: list[str]) -> pd.DataFrame:
    """`org, models` for each organisation studied (the study: google 617, facebook 1,879, openai 32)."""
    return pd.DataFrame({"org": orgs, "models": [len(org_models(models, o)) for o in orgs]})
