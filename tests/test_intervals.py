"""The 95% Wilson interval every share of the report carries."""
import numpy as np
import pandas as pd

from analysis.common.intervals import format_share, wilson, with_wilson_pct


def test_wilson_matches_the_textbook_values():
    # Wilson (1927), as tabulated by Newcombe (1998), case 1: 81 of 263 -> 0.2553 .. 0.3662
    low, high = wilson(81, 263)
    assert round(float(low), 4) == 0.2553 and round(float(high), 4) == 0.3662


def test_wilson_stays_inside_zero_and_one_and_is_wide_for_three_models():
    low, high = wilson(np.array([0, 3]), np.array([3, 3]))
    assert low[0] == 0.0 and high[1] == 1.0
    assert high[0] > 0.5 and low[1] < 0.5  # 0 of 3 and 3 of 3 say little


def test_no_interval_without_models():
    low, high = wilson(0, 0)
    assert np.isnan(low) and np.isnan(high)
    assert format_share(0, 0) == "n/a (n = 0)"


def test_table_gets_percent_bounds_around_its_share():
    t = with_wilson_pct(pd.DataFrame({"models": [34296, 3], "matching": [3000, 3]}), "matching", "models")
    share = 100 * t["matching"] / t["models"]
    assert (t["ci_low_pct"] <= share).all() and (share <= t["ci_high_pct"]).all()
    assert t["ci_high_pct"][0] - t["ci_low_pct"][0] < 1 < t["ci_high_pct"][1] - t["ci_low_pct"][1]
    assert format_share(3000, 34296) == "8.7% [8.5, 9.1] (n = 34,296)"
