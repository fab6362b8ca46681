"""The version detector's rules, one module per kind, each rule beside its examples (docs/detector.md#the-rules).

`MODULES` lists the segment-rule modules in the order their tables are tried; `analysis.versions.detector` joins
their tables into `SEGMENT_RULES`. `spans` holds the rules read before and after them."""
from __future__ import annotations

from analysis.versions.rules import decimals, explicit, glued, glued_int, integers, other

MODULES = (explicit, decimals, integers, glued, glued_int, other)
