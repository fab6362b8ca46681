"""The study's version regex: the one definition, searched anywhere in the full id (owner included).

The detector, the comparison, the evaluation, the trend and experiments 1 and 2a all take it from here."""
from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

VERSION_REGEX = r"[vV]\d[.-]?\d?[.-]?\d?"
VERSION_RE = re.compile(VERSION_REGEX)

#: A reader of ids: a Series of ids in, a Series of booleans (has a version) out, same index.
Detector = Callable[[pd.Series], pd.Series]


def regex_has_version(ids: pd.Series) -> pd.Series:
    """The study's method: does the regex match anywhere in the id (owner included). Same index, booleans; a missing
    id (NA) has no version (False), as the detector says of it."""
    return ids.astype("string").str.contains(VERSION_REGEX, regex=True).fillna(False).astype(bool)
