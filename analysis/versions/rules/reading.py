"""What every rule shares: the shapes of a segment, the reading of one name (`Reading`), the `Hit` a segment rule
returns, the claimed `Spans` of a name, and `RuleTable`, which keeps a module's rules in the order they are tried,
each with its examples.

A segment rule is `rule(r: Reading, i: int, m: re.Match | None) -> Hit | None`: it looks at segment `i` (its shape's
match `m`) and decides it (a `Hit`) or passes it to the next rule (`None`)."""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

Hit = tuple  # (next segment, start, end): the segments read and the span of the name they decided

# Segment shapes, tried in this order; each segment rule applies to some shapes and reads its shape's groups.
EXPLICIT_V = re.compile(r"^[vV](\d{1,4}(?:\.\d+)*)([A-Za-z][A-Za-z0-9]*)?$")  # v2, V1.5, v100s
VERSION_WORD_GLUED = re.compile(
    r"(?i)^(?:version|ver|rev|revision|release|preview|beta|rc)[-_]?(\d{1,3}(?:\.\d+)*)$")  # rev2, Preview2
BARE_INT = re.compile(r"^\d+$")
BARE_DEC = re.compile(r"^(\d+)((?:\.\d+)+)([A-Za-z]*)$")  # 2.1, 0.1.0, 2.5d
GLUED_DEC = re.compile(r"^([A-Za-z]{2,})[-_]?(\d{1,2}(?:\.\d{1,3})+)([A-Za-z]*)$")  # Qwen2.5
GLUED_V = re.compile(r"^([A-Za-z][A-Za-z0-9]*?[A-Za-z0-9])[vV](\d+(?:\.\d+)*)([A-Za-z]*)$")  # OnlyAnimeV2
GLUED_INT = re.compile(r"^([A-Za-z]+)(\d+)$")  # llama2
SHAPES = (("explicit-v", EXPLICIT_V), ("version-word", VERSION_WORD_GLUED), ("int", BARE_INT), ("dec", BARE_DEC),
          ("glued-dec", GLUED_DEC), ("glued-v", GLUED_V), ("glued-int", GLUED_INT))
NUMBERS = frozenset({"int", "dec"})
NOT_V = frozenset({"int", "dec", "glued-dec", "glued-v", "glued-int", "other"})


def shape(text: str) -> tuple[str, re.Match | None]:
    """The first shape a segment has (`other` when none), with its match."""
    for name, rx in SHAPES:
        m = rx.match(text)
        if m:
            return name, m
    return "other", None


def small_int(t: str) -> bool:
    return t.isdigit() and len(t) <= 2


class Reading:
    """The segments of one name and the state the segment rules share (which segments a rule already took)."""

    __slots__ = ("_runs", "n", "name", "segs", "used")

    def __init__(self, name: str, segs: list[tuple[str, int, int]]):
        self.name, self.segs, self.n = name, segs, len(segs)
        self.used = [False] * self.n
        self._runs: dict[int, int] = {}

    def sep_before(self, i: int) -> str:
        return self.name[self.segs[i - 1][2]:self.segs[i][1]] if i > 0 else ""

    def prev_low(self, i: int) -> str:
        return self.segs[i - 1][0].lower() if i > 0 else ""

    def low(self, i: int) -> str:
        return self.segs[i][0].lower() if 0 <= i < self.n else ""

    def after_dash(self, i: int) -> bool:
        """Segment `i` follows another after `-` or `_` (or glued to it)."""
        return i > 0 and self.sep_before(i) in "-_"

    def run_end(self, i: int) -> int:
        """The last segment of the run of small integers joined by `-`/`_` that starts at `i` (`2-1`, `1-0-2`)."""
        if i not in self._runs:
            j = i
            while (j + 1 < self.n and small_int(self.segs[j + 1][0]) and len(self.segs[j + 1][0]) <= 2
                   and self.sep_before(j + 1) in ("-", "_") and not self.used[j + 1]):
                j += 1
            self._runs[i] = j
        return self._runs[i]

    def whole(self, i: int, step: int = 1) -> Hit:
        """Segment `i` decided as it stands; reading goes on `step` segments later."""
        return (i + step, self.segs[i][1], self.segs[i][2])


class Spans:
    """Claimed `[start, end)` spans of a name, sorted by start, answering overlap questions in logarithmic time."""

    def __init__(self, spans: list[tuple[int, int]]):
        spans = sorted(spans)
        self.starts = [a for a, _ in spans]
        self.reach: list[int] = []  # the furthest end among the spans up to each one
        for _, b in spans:
            self.reach.append(max(b, self.reach[-1]) if self.reach else b)

    def covers(self, at: int) -> bool:
        """Does a span starting at or before `at` reach past it?"""
        k = bisect_right(self.starts, at)
        return k > 0 and self.reach[k - 1] > at

    def overlaps(self, a: int, b: int) -> bool:
        """Does any span share a position with `[a, b)`?"""
        k = bisect_left(self.starts, b)
        return k > 0 and self.reach[k - 1] > a

    def first_start_in(self, a: int, b: int) -> int:
        """The first span start inside `(a, b)`, else `b`."""
        k = bisect_right(self.starts, a)
        return self.starts[k] if k < len(self.starts) and self.starts[k] < b else b


Rule = Callable[[Reading, int, "re.Match | None"], "Hit | None"]


@dataclass(frozen=True)
class Example:
    """A model id and what the detector says of it: whether it has a version, and the reason (the deciding rule)."""

    id: str
    has_version: bool
    reason: str


class RuleTable:
    """A module's segment rules in the order they are tried, each with its examples.

    `@table.rule(name, shapes, finds, *examples)` adds the function below it as the table's next row. An example is
    a model id the rule decides itself (expected: `has_version == finds`, `reason == name`), or an
    `(id, has_version, reason)` triple for a name the rule hands on (a near miss another rule decides)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, frozenset[str], Rule, bool]] = []
        self.examples: dict[Rule, tuple[Example, ...]] = {}

    def rule(self, name: str, shapes: frozenset[str] | set[str], finds: bool, *examples: str | tuple):
        def add(fn: Rule) -> Rule:
            self.rows.append((name, frozenset(shapes), fn, finds))
            self.examples[fn] = tuple(Example(e, finds, name) if isinstance(e, str) else Example(*e)
                                      for e in examples)
            return fn
        return add
