"""Faults the replay hub injects on purpose: errors, 429 bursts, dropped connections, cut or odd bodies ...

A ``Fault`` is one rule (a kind, filters saying which requests it watches, and when it fires among them);
``Faults`` is a set of rules with a seed; ``FaultCounters`` counts each rule's requests and decides which fire.
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("error", "burst429", "drop", "truncate", "nonjson", "slow", "layout", "noid", "offsite_link",
               "offsite_redirect", "huge")


@dataclass
class Fault:
    """One fault rule. It applies to requests that match its filters; among those (counted 1, 2, 3 ... per rule),
    it fires on the ``nth`` ones if given, else with probability ``p`` (deterministic from the seed and the count).

    kinds: ``error`` (status from ``status``, int or list), ``burst429`` (``burst`` consecutive 429s every ``every``
    matching requests, RateLimit r=0;t=``reset``, ``retry_after`` adds a Retry-After header), ``drop`` (close the
    socket, no answer), ``truncate`` (JSON cut at ``fraction``; ``dataloss=True`` announces the full Content-Length
    then closes), ``nonjson`` (HTML error page with status 200), ``slow`` (``delay`` seconds), ``layout`` (HTML page
    with neither ModelList data-props nor cards; on the repo routes, the JSON wrapped in ``{"data": ...}``), ``noid`` (API items without ``id``/``modelId``), ``offsite_link``
    (Link next on ``base_url``), ``offsite_redirect`` (302 to ``base_url`` + path), ``huge`` (``size_mb`` of padding).
    filters: ``route`` ("api", "html", "json", "js", "tags", "repo" or None = any non-control route), ``tag``
    (pipeline_tag, str or list), ``author`` (str or list), ``path`` (path prefix), ``after`` (skip the first n),
    ``times`` (fire at most n times).
    """
    kind: str
    p: float = 1.0
    nth: list[int] | None = None
    route: str | list[str] | None = None
    tag: str | list[str] | None = None
    author: str | list[str] | None = None
    path: str | None = None
    after: int = 0
    times: int | None = None
    status: int | list[int] = field(default_factory=lambda: [500, 502, 503])
    every: int = 100
    burst: int = 1
    reset: float = 1.0
    retry_after: bool = False
    fraction: float = 0.5
    dataloss: bool = False
    delay: float = 1.0
    base_url: str = "http://offsite.invalid:9"
    size_mb: float = 5.0

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")
        for name in ("route", "tag", "author"):
            v = getattr(self, name)
            if isinstance(v, str):
                setattr(self, name, [v])
        if self.nth is not None and isinstance(self.nth, int):
            self.nth = [self.nth]

    def matches(self, route: str, path: str, tags: list[str], authors: list[str]) -> bool:
        """Whether this rule watches a request (its filters, not yet ``after``/``times``/``nth``/``p``)."""
        if self.route is None:
            if route in ("control", "other"):
                return False
        elif route not in self.route:
            return False
        if self.tag is not None and not set(self.tag) & set(tags):
            return False
        if self.author is not None and not set(self.author) & set(authors):
            return False
        return self.path is None or path.startswith(self.path)


class Faults:
    """A set of fault rules plus a seed. ``Faults(Fault("error", p=.1), Fault("slow", tag="fill-mask"), seed=1)``.

    ``Faults.parse(x)`` accepts a Faults, a list of rules (Fault or dict), a dict ``{"seed":..,"rules":[..]}``, or
    the same as a JSON string.
    """

    def __init__(self, *rules: Fault | dict, seed: int = 0):
        self.rules: list[Fault] = [r if isinstance(r, Fault) else Fault(**r) for r in rules]
        self.seed = seed

    @classmethod
    def parse(cls, spec: Any) -> Faults:
        if spec is None:
            return cls()
        if isinstance(spec, Faults):
            return spec
        if isinstance(spec, (str, bytes)):
            spec = json.loads(spec) if spec.strip() else []
        if isinstance(spec, Fault):
            return cls(spec)
        if isinstance(spec, dict):
            if "kind" in spec:
                return cls(spec)
            return cls(*spec.get("rules", ()), seed=spec.get("seed", 0))
        return cls(*spec)

    def to_json(self) -> dict:
        return {"seed": self.seed, "rules": [asdict(r) for r in self.rules]}

    def __repr__(self):
        return f"Faults({', '.join(map(repr, self.rules))}, seed={self.seed})"


class FaultCounters:
    """Per rule of a ``Faults``: how many requests it watched and how many times it fired (not thread-safe: the
    caller holds its lock)."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self.seen = [0] * len(faults.rules)
        self.fired = [0] * len(faults.rules)

    def firing(self, route: str, path: str, params: dict) -> list[Fault]:
        """Count the request for every rule that watches it; returns the rules that fire on it."""
        fired = []
        tags = params.get("pipeline_tag", [])
        authors = params.get("author", [])
        for i, r in enumerate(self.faults.rules):
            if not r.matches(route, path, tags, authors):
                continue
            self.seen[i] += 1
            n = self.seen[i]
            if n <= r.after:
                continue
            if r.times is not None and self.fired[i] >= r.times:
                continue
            if self._hits(i, r, n):
                self.fired[i] += 1
                fired.append(r)
        return fired

    def _hits(self, i: int, r: Fault, n: int) -> bool:
        if r.kind == "burst429":
            m = (n - 1 - r.after) % max(1, r.every)
            return m >= max(1, r.every) - r.burst
        if r.nth is not None:
            return n in r.nth
        if r.p >= 1:
            return True
        if r.p <= 0:
            return False
        return random.Random(f"{self.faults.seed}:{i}:{n}").random() < r.p

    def times_fired(self, rule: Fault) -> int:
        """How many times ``rule`` (the first equal rule of the set) has fired."""
        return self.fired[self.faults.rules.index(rule)]
