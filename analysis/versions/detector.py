"""A measured, explainable model-version detector for Hugging Face model ids.

The study counted a model as "versioned" when its full id matched `[vV]\\d[.-]?\\d?[.-]?\\d?` anywhere (owner
included). That regex takes architecture names (`wav2vec2`, `yolov8`, `mobilenet-v3`), Gym environment versions
(`ppo-LunarLander-v2`) and owner names for versions, and misses versions written without `v` (`Llama-2-7b`,
`stable-diffusion-2-1`, `Qwen2.5`). This module reads the name apart from the owner, cuts it into segments and
decides each segment with a small set of named rules, backed by vocabularies (`analysis.versions.vocab`) of architecture
families, environments and datasets. Every decision carries the rule that made it.

The rules live in `analysis.versions.rules`, one module per kind of segment, each rule beside its examples; this
module joins their tables into `SEGMENT_RULES` (in the order they are tried, after the spans claimed by
`environment` and `date` and the `quantisation` formats cut out with the segments) and runs the passes. `rules()`
lists them all with what each decides and an example, and `python -m analysis detect --rules` prints that list. A
rule's name is the `reason` of the detection it decides and what `--explain` prints. A negative detection's reason
is the rule that turned down the candidate the study's regex would have taken, if any, else the first candidate
turned down; `owner` when only the owner held a `v<digit>`, `no-candidate` / `no-digit` when the name held no
candidate. A new rule is one function, decorated with its row and its examples, in the module of its shape.
"""
from __future__ import annotations

import gc
import re
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.versions import generation as _generation
from analysis.versions.regex import VERSION_RE as _STUDY_RE
from analysis.versions.regex import VERSION_REGEX as STUDY_REGEX  # noqa: F401 - the study's regex, beside the rules
from analysis.versions.regex import regex_has_version  # noqa: F401 - the study's method, beside the detector's
from analysis.versions.rules import MODULES as _RULE_MODULES
from analysis.versions.rules import spans as _spans
from analysis.versions.rules.reading import SHAPES as _SHAPES
from analysis.versions.rules.reading import Example, Reading, Spans, shape
from analysis.versions.rules.words import DIGIT as _DIGIT


@dataclass
class Detection:
    id: str
    has_version: bool
    versions: list[str] = field(default_factory=list)
    positions: list[tuple[int, int]] = field(default_factory=list)  # [start, end) offsets in the id
    reason: str = "no-digit"
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (segment, rule) of candidates turned down
    # the family's release number, a naming element of its own (`analysis.versions.generation`): family, number, rule
    generation: dict | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        d["positions"] = [list(p) for p in self.positions]
        d["rejected"] = [list(r) for r in self.rejected]
        return d


# --- the rules --------------------------------------------------------------------------------------------------------
#
# A name is read in passes. Spans that cross separators are claimed first (environment ids, dates: rules/spans.py);
# the rest is cut into segments (quantisation formats are turned down as they are cut); each segment that holds a
# digit is then decided by the first rule of SEGMENT_RULES that takes it; release tags (`-latest`, `-beta`) close
# the reading. Rules that turn a candidate down share names (`architecture` is decided in five shapes).

#: The segment rules in the order they are tried: (name, shapes it reads, rule, finds a version?), the tables of
#: `analysis.versions.rules.MODULES` one after the other. The name is the detection's `reason`; the first rule that
#: takes a segment decides it.
SEGMENT_RULES: tuple[tuple[str, frozenset[str], object, bool], ...] = tuple(
    row for module in _RULE_MODULES for row in module.TABLE.rows)

_RULES_BY_SHAPE = {kind: tuple((name, rule, finds, k) for k, (name, shapes, rule, finds) in enumerate(SEGMENT_RULES)
                               if kind in shapes) for kind in tuple(s for s, _ in _SHAPES) + ("other",)}

# A segment: letters/digits, with decimal parts kept together (`2.1`, `v1.5`, `4.0bpw`, `1.4.1`).
_SEG = re.compile(r"[A-Za-z0-9]+(?:\.\d+[A-Za-z0-9]*)*")


def _read_segments(name: str, segs: list[tuple[str, int, int]], found: list, rejected: list,
                   rows: bool = False) -> None:
    """Decide each segment holding a digit with the first segment rule that takes it (labelled with the rule's name,
    or with its row of `SEGMENT_RULES` when `rows`)."""
    r = Reading(name, segs)
    i = 0
    while i < r.n:
        text = segs[i][0]
        if r.used[i] or text.isalpha():
            i += 1
            continue
        kind, m = shape(text)
        for rule_name, rule, finds, k in _RULES_BY_SHAPE[kind]:  # noqa: B007 - read after the break
            hit = rule(r, i, m)
            if hit is not None:
                break
        else:  # pragma: no cover - every shape ends with a rule that always decides
            raise AssertionError(f"no rule decided {text!r}")
        nxt, s, e = hit
        label = k if rows else rule_name
        if finds:
            found.append((name[s:e], s, e, label))
        else:
            rejected.append((name[s:e], label))
        i = nxt


# -- spans that cross separators, and the cut into segments --

def _claim_spans(name: str, rejected: list) -> list[tuple[int, int]]:
    """The `environment` ids and `date`s of a name (they cross separators), turned down before segmentation."""
    envs = _spans.env_spans(name)
    for a, b in envs:
        rejected.append((name[a:b], "environment"))
    env_spans = Spans(envs)
    claimed = list(envs)
    low_name = name.lower()
    if _spans.YEAR_HINT.search(name) or any(mo in low_name for mo in _spans.MONTHS3):
        for m in _spans.DATE_RE.finditer(name):
            if env_spans.overlaps(m.start(), m.end()):
                continue
            claimed.append((m.start(), m.end()))
            rejected.append((m.group(), "date"))
    return claimed


def _segments(name: str, claimed: list[tuple[int, int]], rejected: list) -> list[tuple[str, int, int]]:
    """The segments of a name outside the claimed spans; `quantisation` formats are turned down here (`q4_k_m`
    whole)."""
    spans = Spans(claimed)
    segs = []  # (text, start, end)
    quant_tail = False
    for m in _SEG.finditer(name):
        s, e = m.start(), m.end()
        t = m.group()
        if quant_tail and name[s - 1] == "_" and _spans.QUANT_TAIL.fullmatch(t):
            continue  # the `_k_m` of `q4_k_m`
        quant_tail = False
        if not t.isalpha() and _spans.QUANT_SEG.fullmatch(t):
            rejected.append((t, "quantisation"))
            quant_tail = t[0] in "qQiI"
            continue
        if not claimed:
            segs.append((t, s, e))
            continue
        if spans.covers(s):
            continue
        # partly claimed: keep the unclaimed prefix only (e.g. `model-q4` cut by a quant span)
        e = spans.first_start_in(s, e)
        segs.append((name[s:e], s, e))
    return segs


def _attach_release_tags(name: str, tags: tuple, found: list) -> None:
    """`release-tag`s: `latest`, `beta` as words of their own; a tag right after a version belongs to it
    (`0.1.0-beta`, `v5-beta`)."""
    ending: dict[int, int] = {}  # end -> the first found version ending there
    for k, f in enumerate(found):
        ending.setdefault(f[2], k)
    for t in tags:
        k = ending.get(t[1] - 1)
        if k is None:
            found.append(t)
            ending.setdefault(t[2], len(found) - 1)
        else:
            f = found[k]
            found[k] = (name[f[1]:t[2]], f[1], t[2], f[3])
            del ending[f[2]]
            ending[t[2]] = min(k, ending.get(t[2], k))
    found.sort(key=lambda f: f[1])


def _read(name: str, rows: bool = False) -> tuple[tuple[tuple[str, int, int, str], ...], tuple[tuple[str, str], ...]]:
    """Versions found in a name ((text, start, end, rule), ...) and rejected candidates ((text, rule), ...); with
    `rows`, a segment rule's decisions are labelled with its row of `SEGMENT_RULES` instead of its name."""
    tags = _spans.release_tags(name)
    if not _DIGIT.search(name):
        return tags, ()
    found: list[tuple[str, int, int, str]] = []
    rejected: list[tuple[str, str]] = []
    segs = _segments(name, _claim_spans(name, rejected), rejected)
    _read_segments(name, segs, found, rejected, rows)
    if tags:
        _attach_release_tags(name, tags, found)
    return tuple(found), tuple(rejected)


@lru_cache(maxsize=1 << 18)
def _scan(name: str) -> tuple[tuple[tuple[str, int, int, str], ...], tuple[tuple[str, str], ...]]:
    """`_read(name)`, remembered: the product's one cache of the rules' readings."""
    return _read(name)


# --- the table of rules and their examples ---------------------------------------------------------------------------

_NO_CANDIDATE_DOCS = {"owner": "only the owner held a `v<digit>` (the study's regex would have matched)",
                      "no-candidate": "digits, but nothing a rule could read as a version",
                      "no-digit": "no digit and no release tag in the name"}
#: Examples of the reasons `detect` gives when the rules found no candidate (`_reason`). Owner `made-up`: no name of
#: the 2024 lists has digits that no rule reads (only digits other than 0-9 do).
_NO_CANDIDATE_EXAMPLES = {"owner": (Example("dcv21/ppo-Huggy", False, "owner"), Example("abnv15/MLMA", False, "owner")),
                          "no-candidate": (Example("made-up/bert-base-\u0663", False, "no-candidate"),),
                          "no-digit": (Example("bert-base-uncased", False, "no-digit"),
                                       Example("Sebb/german-nli-large-thesis", False, "no-digit"))}


_FIRST_SEGMENT_ROW = 3  # rules(): three span rows, then the segment rules


def _doc(fn) -> str:
    return " ".join((fn.__doc__ or "").split())


def rules() -> list[tuple[str, str, str, str]]:
    """Every rule in the order it is applied: (pass, name, what it decides, what it reads); the generation rules
    (`analysis.versions.generation`) are read apart from the version rules and last."""
    out = [("spans", "environment", "not a version", _spans.DOCS["environment"]),
           ("spans", "date", "not a version", _spans.DOCS["date"]),
           ("segments", "quantisation", "not a version", _spans.DOCS["quantisation"])]
    out += [("segment rules", name, "version" if finds else "not a version", _doc(fn))
            for name, _, fn, finds in SEGMENT_RULES]
    out.append(("tags", "release-tag", "version", _spans.DOCS["release-tag"]))
    out += [("no candidate", r, "not a version", doc) for r, doc in _NO_CANDIDATE_DOCS.items()]
    out += [("generation", r, "not a generation" if r == "no-generation" else "generation", doc)
            for r, doc in _generation.RULES]
    return out


def examples() -> list[tuple[int, Example]]:
    """Every rule's examples, in the order of `rules()`: (the rule's row in `rules()`, example). A segment rule's are
    beside it in its module (`analysis.versions.rules`); a generation rule's reason is the generation's rule."""
    out = []
    for k, (kind, name, _, _) in enumerate(rules()):
        if kind == "segment rules":
            _, _, fn, _ = SEGMENT_RULES[k - _FIRST_SEGMENT_ROW]
            found = next(m.TABLE.examples[fn] for m in _RULE_MODULES if fn in m.TABLE.examples)
        elif kind == "generation":
            found = _generation.EXAMPLES[name]
        else:
            found = _spans.EXAMPLES.get(name) or _NO_CANDIDATE_EXAMPLES.get(name, ())
        out += [(k, e) for e in found]
    return out



def decided_by(model_id: str) -> int:
    """The row of `rules()` whose rule gave `detect(model_id)` its reason (the generation rules aside)."""
    owner, _, name = str(model_id).strip().rpartition("/")
    found, rejected = _read(name, rows=True)
    label = _reason(found, rejected, owner, name)
    if isinstance(label, int):
        return _FIRST_SEGMENT_ROW + label
    return next(k for k, (kind, rule, _, _) in enumerate(rules()) if rule == label and kind != "segment rules")


def rules_markdown() -> str:
    """The rule table as markdown, each rule with an example it decides (`python -m analysis detect --rules`)."""
    from analysis.report.markdown import table  # only the command needs it

    table_rules = rules()
    first: dict[int, str] = {}
    for k, e in examples():
        kind, name = table_rules[k][:2]
        if k not in first and e.reason == name and (kind == "generation" or decided_by(e.id) == k):
            first[k] = f"`{e.id}`"
    return table([(k + 1, *r, first.get(k, "")) for k, r in enumerate(table_rules)],
                 ["#", "pass", "rule", "decides", "what it reads", "example"], "rlllll")


def _reason(found: tuple, rejected: tuple, owner: str, name: str):
    """The reason of a detection: the rule of the first version found; else the rule that turned down the candidate
    the study's regex would have taken (it explains best why this is not a version), else the first turned down."""
    if found:
        return found[0][3]
    if rejected:
        return next((r for t, r in rejected if _STUDY_RE.search(t)), rejected[0][1])
    if owner and _STUDY_RE.search(owner):
        return "owner"
    return "no-candidate" if any(c.isdigit() for c in name) else "no-digit"


def detect(model_id: str) -> Detection:
    """Does this model id carry a model version in its name? Which, where, and by which rule."""
    mid = str(model_id).strip()
    owner, sep, name = mid.rpartition("/")
    base = len(owner) + len(sep)
    found, rejected = _scan(name)
    gen = _generation.generation(name)
    gen_json = None if gen is None else {**gen.to_json(), "position": [base + gen.position[0], base + gen.position[1]]}
    reason = _reason(found, rejected, owner, name)
    if found:
        return Detection(mid, True, [f[0] for f in found], [(base + f[1], base + f[2]) for f in found],
                         reason, list(rejected), gen_json)
    return Detection(mid, False, [], [], reason, list(rejected), gen_json)


# Every name the rules can find a version in matches this (a superset, checked by the tests on the 2024 lists): a `v`
# before a digit, a decimal, a digit standing alone after a separator, or a version word. No look-around, so that
# pandas runs it in C++ (pyarrow/RE2) over millions of names; only the names it keeps are read by `_scan`.
CANDIDATE_REGEX = (r"[vV]\d|\d\.\d|[-_ ]\d(?:[^0-9A-Za-z]|$)|^\d[-_ ]\d"
                   r"|(?i:version|revision|release|preview|beta|ver|rev|rc|r)[-_ ]?\d|(?i:latest|beta)|\dp\d|[pP]\d$")


#: Up to this many distinct names, `has_version` reads them through `_scan`'s cache: they all fit, so a second call on
#: the same ids (experiments 1 and 2a of `study --method detector`, about 61k names on the 2024 lists) finds them
#: read. More would only evict each other: they are read without the cache.
CACHED_NAMES_MAX = _scan.cache_info().maxsize


def has_version(ids: pd.Series) -> pd.Series:
    """Vectorised `detect(id).has_version` for a Series of ids; same index.

    A vectorised pre-filter (`CANDIDATE_REGEX`) drops the names that cannot hold a version; each distinct remaining
    name is then decided once by the rules (through their cache, up to `CACHED_NAMES_MAX` names)."""
    s = ids.astype("string")
    names = s.str.replace(r"^.*/", "", regex=True).str.strip().fillna("")
    cand = names.str.contains(CANDIDATE_REGEX, regex=True).fillna(False).to_numpy(dtype=bool)
    out = pd.Series(False, index=ids.index, dtype=bool)
    if cand.any():
        sub = names[cand]
        uniq = pd.unique(sub.to_numpy(dtype=object))
        gc_was = gc.isenabled()
        gc.disable()  # millions of small tuples: the cyclic GC would rescan them over and over
        try:
            scan = _scan.__wrapped__ if len(uniq) > CACHED_NAMES_MAX else _scan
            decided = {u: bool(scan(u)[0]) for u in uniq}
        finally:
            if gc_was:
                gc.enable()
        out.iloc[np.flatnonzero(cand)] = sub.map(decided).to_numpy(dtype=bool)
    return out


# --- command ----------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """`python -m analysis detect [ID ...]`: one JSON object per id (ids as arguments, else one per line on stdin)."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m analysis detect",
                                 description="Detect model versions in Hugging Face model ids; one JSON line per id.")
    ap.add_argument("ids", nargs="*", help="model ids (owner/name); read from standard input when none")
    ap.add_argument("--explain", action="store_true", help="also print positions, rule and rejected candidates")
    ap.add_argument("--regex", action="store_true", help="also print the study's regex verdict")
    ap.add_argument("--rules", action="store_true", help="print the rules in the order they are applied, and exit")
    args = ap.parse_args(argv)
    if args.rules:
        sys.stdout.write(rules_markdown() + "\n")
        return 0
    src = args.ids if args.ids else (line.strip() for line in sys.stdin)
    out = sys.stdout
    for mid in src:
        if not mid:
            continue
        d = detect(mid)
        obj = {"id": d.id, "has_version": d.has_version, "versions": d.versions, "reason": d.reason}
        if args.explain:
            obj["positions"] = [list(p) for p in d.positions]
            obj["rejected"] = [list(r) for r in d.rejected]
            obj["generation"] = d.generation  # beside the version: the family's release number, or null
        if args.regex:
            obj["study_regex"] = bool(_STUDY_RE.search(d.id))
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
