"""The report's one markdown-table writer."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.report.markdown import table


def test_rows_with_alignment():
    assert table([["regex", "0.500"], ["detector", "0.900"]], ["method", "F1"], "lr") == (
        "| method | F1 |\n|---|---:|\n| regex | 0.500 |\n| detector | 0.900 |")


def test_frame_aligns_numbers_right_and_escapes_pipes():
    df = pd.DataFrame({"task": ["a|b", "c\nd"], "models": [1, 2], "ok": [True, False]})
    assert table(df) == "| task | models | ok |\n|---|---:|---|\n| a\\|b | 1 | True |\n| c d | 2 | False |"


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError):
        table([["a", "b", "c"]], ["x", "y"])
    with pytest.raises(ValueError):
        table([["a"]])
    with pytest.raises(ValueError):
        table([["a"]], ["x"], "lr")
