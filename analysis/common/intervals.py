"""Uncertainty of a share: the 95% Wilson score interval, and the smallest n a figure draws as a full point.

The one home of both: tables, figures, the report and the conclusion take them from here, so a share is never
quoted without its n and its interval, and a 3-model point never weighs like a 34,000-model one."""
from __future__ import annotations

import numpy as np
import pandas as pd

#: z of a two-sided 95% interval.
Z95 = 1.959963984540054

#: Below this many models (or repositories) a share is drawn apart in a figure (hollow, or left out with a note):
#: its 95% interval is then wider than about +-18 points.
MIN_N = 30


def wilson(k: np.ndarray | pd.Series | int, n: np.ndarray | pd.Series | int, z: float = Z95
           ) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the Wilson score interval of k successes in n, as fractions in [0, 1]; NaN where n is 0.

    Wilson rather than the normal approximation: it stays inside [0, 1] and is honest at 0 of 3 or 3 of 3."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    low, high = np.where(k <= 0, 0.0, low), np.where(k >= n, 1.0, high)  # exact at 0 of n and n of n
    empty = n <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def with_wilson_pct(table: pd.DataFrame, k: str, n: str, prefix: str = "", digits: int = 2) -> pd.DataFrame:
    """The table with `{prefix}ci_low_pct` and `{prefix}ci_high_pct` (95% Wilson, percent) for the share k / n."""
    low, high = wilson(table[k].to_numpy(), table[n].to_numpy())
    out = table.copy()
    out[f"{prefix}ci_low_pct"] = np.round(100.0 * low, digits)
    out[f"{prefix}ci_high_pct"] = np.round(100.0 * high, digits)
    return out


def format_share(k: int, n: int, digits: int = 1) -> str:
    """`12.4% [11.9, 12.9] (n = 239,091)`: a share as the report quotes it."""
    if n <= 0:
        return "n/a (n = 0)"
    low, high = wilson(k, n)
    return f"{100.0 * k / n:.{digits}f}% [{100.0 * float(low):.{digits}f}, {100.0 * float(high):.{digits}f}] (n = {n:,})"
