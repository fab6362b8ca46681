"""Segments of no shape above (letters and digits mixed): `1p4` is a decimal written with a `p`; `m2m100` an
architecture; the rest is nothing to version."""
from __future__ import annotations

import re

from analysis.versions.rules.reading import Hit, Reading, RuleTable
from analysis.versions.rules.words import HYPER_PREFIX, HYPER_WORDS, glued_arch

_P_DEC = re.compile(r"^\d{1,2}p\d{1,2}$")  # `1p4`, `3p0`: a decimal written with a p
TABLE = RuleTable()


@TABLE.rule("decimal", {"other"}, True, "jondurbin/airoboros-3b-3p0",
            "jondurbin/airoboros-mpt-30b-gpt4-1p4-five-epochs")
def _p_decimal(r: Reading, i: int, m: None) -> Hit | None:
    """`1p4`, `3p0`: a decimal written with a `p` (`airoboros-mpt-30b-gpt4-1p4`)."""
    pl = r.prev_low(i)
    return r.whole(i) if _P_DEC.match(r.segs[i][0]) and not (pl in HYPER_PREFIX or pl in HYPER_WORDS) else None


@TABLE.rule("architecture", {"other"}, False, "google/pix2struct-widget-captioning-large",
            "Davlan/m2m100_418M-eng-yor-mt")
def _other_architecture(r: Reading, i: int, m: None) -> Hit | None:
    """`wav2vec2`, `m2m100`, `pix2struct`: an architecture name with digits inside."""
    low = r.low(i)
    return r.whole(i) if glued_arch(low, re.sub(r"\d+[a-z]*$", "", low)) else None


@TABLE.rule("other", {"other"}, False, "KMJJJJ/a2c", "Recag/1hf")
def _other(r: Reading, i: int, m: re.Match | None) -> Hit:
    """Letters and digits that are none of the above."""
    return r.whole(i)
