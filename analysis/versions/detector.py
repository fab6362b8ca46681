"""A measured, explainable model-version detector for Hugging Face model ids.

The study counted a model as "versioned" when its full id matched `[vV]\\d[.-]?\\d?[.-]?\\d?` anywhere (owner
included). That regex takes architecture names (`wav2vec2`, `yolov8`, `mobilenet-v3`), Gym environment versions
(`ppo-LunarLander-v2`) and owner names for versions, and misses versions written without `v` (`Llama-2-7b`,
`stable-diffusion-2-1`, `Qwen2.5`). This module reads the name apart from the owner, cuts it into segments and
decides each segment with a small set of named rules, backed by vocabularies (`analysis.versions.vocab`) of architecture
families, environments and datasets. Every decision carries the rule that made it.

The rules are a table (`SEGMENT_RULES`, in the order they are tried, after the spans claimed by `environment` and
`date` and the `quantisation` formats cut out with the segments); `rules()` lists them all with what each decides,
and `python -m analysis detect --rules` prints that list. A rule's name is the `reason` of the detection it decides
and what `--explain` prints. A negative detection's reason is the rule that turned down the candidate the study's
regex would have taken, if any, else the first candidate turned down; `owner` when only the owner held a `v<digit>`,
`no-candidate` / `no-digit` when the name held no candidate. A new rule is one function and one line of the table.
"""
from __future__ import annotations

import gc
import re
import sys
from bisect import bisect_left, bisect_right
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.versions import generation as _generation
from analysis.versions import vocab as _vocab
from analysis.versions.regex import VERSION_RE as _STUDY_RE
from analysis.versions.regex import VERSION_REGEX as STUDY_REGEX  # noqa: F401 - the study's regex, beside the rules
from analysis.versions.regex import regex_has_version  # noqa: F401 - the study's method, beside the detector's


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


# --- segmentation ----------------------------------------------------------------------------------------------------

# A segment: letters/digits, with decimal parts kept together (`2.1`, `v1.5`, `4.0bpw`, `1.4.1`).
_SEG = re.compile(r"[A-Za-z0-9]+(?:\.\d+[A-Za-z0-9]*)*")

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_YEAR = r"(?:199\d|20[0-3]\d)"
# Spans of the name decided before segmentation (they cross separators).
_DATE_RE = re.compile(
    rf"(?<![0-9]){_YEAR}[-_.]?(?:0[1-9]|1[0-2])[-_.]?(?:0[1-9]|[12]\d|3[01])(?![0-9])"   # 2023-06-16, 20210520
    rf"|(?<![0-9])\d{{1,2}}[-_.]\d{{1,2}}[-_.]{_YEAR}(?![0-9])"                             # 09-04-2021
    rf"|(?<![0-9]){_YEAR}[-_.](?:0[1-9]|1[0-2])(?![0-9.])"                                  # 2023-06
    rf"|(?i:(?<![a-z]){_MONTHS}[-_]?(?:{_YEAR}|\d\d)(?![0-9]))"                             # dec2021, feb-23
    rf"|(?<![0-9A-Za-z]){_YEAR}(?![0-9])")                                                  # 2022
# Quantisation / precision formats, as one segment (`q4_k_m` is claimed segment by segment below).
_QUANT_SEG = re.compile(
    r"(?i)i?q[1-8](?:k|km|ks|kl|0|1)?|\d+(?:\.\d+)?bpw|\d+bits?|w\d+a\d+|(?:mx|nv)?fp(?:4|8|16|32)|bf16|f16|f32|"
    r"int[2-8]|nf4|exl[23]|\d+g|gs\d+|g\d{2,3}|[248]b?it")
_QUANT_TAIL = re.compile(r"(?i)k|[0-9]|[sml]|xs|xxs|xl|km|ks")


_VNUM = re.compile(r"[-_]?[vV]\d+(?![0-9])")
_WORD = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=1)
def _env_keys() -> frozenset[str]:
    """Known environments without separators, with and without their usual suffixes (`...noframeskip`)."""
    base = {e.replace("-", "").replace("_", "") for e in _vocab.vocab()["environments"]}
    base |= {a + e for a in _vocab.RL_ALGORITHMS for e in _vocab.AGENT_ONLY_ENVIRONMENTS}  # `ppo-merge-v0`
    return frozenset(b + suf for b in base for suf in ("",) + _vocab.ENV_SUFFIXES)


@lru_cache(maxsize=1)
def _env_key_lengths() -> tuple[int, int]:
    """The longest known environment key and the longest environment prefix: no longer key needs to be built."""
    return max(map(len, _env_keys()), default=0), max(map(len, _vocab.ENV_PREFIXES), default=0)


def _env_key(name: str, words: list[tuple[int, int]]) -> bool:
    """Do these words of `name` (spans, joined without separators) name a known environment, or start like one?

    Only as many characters are joined as a known key or prefix can hold, so a huge word costs no more than a
    short one."""
    longest, prefix = _env_key_lengths()
    size = sum(b - a for a, b in words)
    need = size if size <= longest else prefix
    parts, have = [], 0
    for a, b in words:
        if have >= need:
            break
        parts.append(name[a:min(b, a + need - have)])
        have += len(parts[-1])
    key = "".join(parts).lower()
    return (size <= longest and key in _env_keys()) or key.startswith(_vocab.ENV_PREFIXES)


_ENV_SUFFIX_WORDS = ("NoFrameskip", "Deterministic", "BulletEnv", "Env", "Continuous", "Dense", "Sparse", "Hardcore")


def _ends_like_env(name: str, a: int, b: int) -> bool:
    """`name[a:b]` is a capitalised word ending like an environment (`SpaceInvadersNoFrameskip`, `AntBulletEnv`)."""
    return "A" <= name[a] <= "Z" and any(b - a > len(s) and name.endswith(s, a, b) for s in _ENV_SUFFIX_WORDS)


# The highest version of any registered Gym/Gymnasium/ALE/MuJoCo/Box2D/Bullet/panda-gym/Meta-World id (MuJoCo and ALE
# ids stop at v5): `<Environment>-v<N>` with a larger N is not an environment id.
ENV_MAX_VERSION = 5


def _env_spans(name: str) -> list[tuple[int, int]]:
    """Spans of `<Environment>-v<N>` (Gym/Atari/MuJoCo/Box2D/Bullet/panda-gym/Meta-World/ML-Agents ids): the words
    before `-vN` (up to 4, joined) name a known environment, or end like one (`...NoFrameskip`, `...BulletEnv`).

    The words of the name are found once; each `-vN` looks up the words before it (linear in the name's length)."""
    if "v" not in name and "V" not in name or not _VNUM.search(name):
        return []
    words = [(w.start(), w.end()) for w in _WORD.finditer(name)]
    starts = [a for a, _ in words]
    out = []
    for m in _VNUM.finditer(name):
        if int(m.group().lstrip("-_vV")) > ENV_MAX_VERSION:
            continue  # no registered environment id goes that far: `halfcheetah_v10` is the model's own version
        last = bisect_left(starts, m.start()) - 1  # the last word starting before the `-vN`, cut at its start
        if last < 0 or words[last][1] < m.start():
            continue
        before = words[max(0, last - 3):last] + [(words[last][0], m.start())]
        # a version glued to its word (`Landerv2`) is only taken for an environment when the word is one
        for k in range(len(before), 0, -1):
            if _env_key(name, before[-k:]) or (k == 1 and _ends_like_env(name, *before[-1])):
                out.append((before[-k][0], m.end()))
                break
    return out


_YEAR_HINT = re.compile(r"199\d|20[0-3]\d")
_MONTHS3 = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DIGIT = re.compile(r"\d")


def _arch() -> frozenset[str]:
    return _vocab.vocab()["arch"]


def _datasets() -> frozenset[str]:
    return _vocab.vocab()["datasets"]


_SIZE_UNIT = re.compile(r"(?i)^\d+(?:\.\d+)?(?:[kmbt]|bn|mil|million|billion|params?)$")
_SIZE_MUL = re.compile(r"(?i)^\d+x\d+(?:\.\d+)?[kmbt]?$|^\d+x\d+x\d+$|^x\d+$|^\d+x$")
_HYPER_PREFIX = {"l", "h", "a", "e", "ep", "epoch", "epochs", "step", "steps", "seed", "fold", "checkpoint", "ckpt",
                 "k", "top", "bs", "batch", "lr", "layer", "layers", "head", "heads", "p", "patch", "s", "b", "n",
                 "d", "r", "t", "x", "w", "c", "f", "m", "g", "i", "u", "exp", "run", "trial", "iter", "it",
                 "round", "sample", "samples", "shot", "shots", "class", "classes", "label", "labels", "unit",
                 "len", "seq", "ctx", "window", "dim", "in", "cv", "ft", "lv", "tv", "sw", "ra", "fb", "mt", "st",
                 "gen", "stage", "phase", "part", "chapter", "level", "lvl", "block", "blocks", "group", "char",
                 "num", "no", "nr", "id", "bit", "bits", "page", "task", "rank", "alpha", "beta", "gamma",
                 "lambda", "temp", "tau", "eps", "num_train_epochs", "fp", "int", "q", "grid", "res", "img", "px",
                 # rates and ratios: `pruning-0.1`, `sparsity-0.9`, `dropout-0.1`
                 "pruning", "pruned", "sparsity", "sparse", "dropout", "drop", "ratio", "rate", "threshold", "thresh",
                 "decay", "wd", "noise", "prob", "margin", "smoothing", "temperature", "weight", "mask", "masking"}
# Software whose release number is written into a name: `llama-65b-hf-transformers-4.29` (the library, not the model)
_LIBRARY_WORDS = {"transformers", "torch", "pytorch", "tensorflow", "tf", "diffusers", "onnx", "onnxruntime", "python",
                  "py", "cuda", "cudnn", "jax", "flax", "keras", "sklearn", "peft", "trl", "vllm", "openvino",
                  "optimum", "tensorrt", "trt", "coreml", "mlx", "sb3", "accelerate", "deepspeed", "spacy"}
_HYPER_WORDS = {"epoch", "epochs", "ep", "eps", "e", "step", "steps", "seed", "fold", "folds", "layer", "layers",
                "l", "heads", "head", "h", "shot", "shots", "way", "class", "classes", "labels", "label", "k",
                "bit", "bits", "d", "x", "px", "hz", "khz", "min", "mins", "sec", "s", "hrs", "days",
                "experts", "gpu", "gpus", "percent", "pct", "of"}
_TRAILING_INTS = {"2"}
_VERSION_WORDS = re.compile(r"(?i)^(?:version|ver|rev|release|revision|vers|r)$")
_VERSION_WORD_GLUED = re.compile(
    r"(?i)^(?:version|ver|rev|revision|release|preview|beta|rc)[-_]?(\d{1,3}(?:\.\d+)*)$")
_EXPLICIT_V = re.compile(r"^[vV](\d{1,4}(?:\.\d+)*)([A-Za-z][A-Za-z0-9]*)?$")
_GLUED_V = re.compile(r"^([A-Za-z][A-Za-z0-9]*?[A-Za-z0-9])[vV](\d+(?:\.\d+)*)([A-Za-z]*)$")
_GLUED_DEC = re.compile(r"^([A-Za-z]{2,})[-_]?(\d{1,2}(?:\.\d{1,3})+)([A-Za-z]*)$")
_GLUED_INT = re.compile(r"^([A-Za-z]+)(\d+)$")
_BARE_INT = re.compile(r"^\d+$")
_BARE_DEC = re.compile(r"^(\d+)((?:\.\d+)+)([A-Za-z]*)$")
_P_DEC = re.compile(r"^\d{1,2}p\d{1,2}$")  # `1p4`, `3p0`: a decimal written with a p


@lru_cache(maxsize=1)
def _arch_tables() -> tuple[frozenset[str], tuple[str, ...]]:
    arch = _arch()
    return frozenset(a for a in arch if any(c.isdigit() for c in a)), tuple(
        f for f in _vocab.ARCH_V_FAMILIES if len(f) >= 3)


@lru_cache(maxsize=4)
def _longest(words: frozenset[str]) -> int:
    return max(map(len, words), default=0)


@lru_cache(maxsize=1 << 16)
def _glued_arch(low: str, prefix: str) -> bool:
    """Is a glued letters+digits token an architecture/family name (wav2vec2, yolov8, gpt2, resnet50 ...)?"""
    arch = _arch()
    if low in arch or prefix in _vocab.ARCH_V_FAMILIES:
        return True
    digit_arch, fams = _arch_tables()
    # a known family with a size/depth suffix, or a class name starting with a digit-holding architecture
    for k in range(min(len(low) - 1, _longest(digit_arch)), 2, -1):
        if low[:k] in digit_arch:
            return True
    p = prefix.rstrip("_")
    if p.endswith(fams):
        return True
    # the family of a glued arch ends like one (`mvitv2`, `poolformerv2`, `maxxvitv2`, `rut5`, `aragpt2`)
    if p.endswith(_vocab.ARCH_SUFFIXES):
        return True
    for a in _vocab.ARCH_SUFFIX_TOKENS:
        if low.endswith(a) and len(low) > len(a):
            return True
    return False


def _is_dataset(low: str) -> bool:
    ds = _datasets()
    return low in ds or low.rstrip("0123456789") in ds and low.rstrip("0123456789") in _vocab.DATASETS


class _Spans:
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


# A release tag standing as its own word, not followed by a number (`beta-2` is read by the version-word rule).
_RELEASE_TAG = re.compile(r"(?i)(?:^|(?<=[-_ .]))(latest|beta)(?=$|[-_ .])(?![-_ .]\d+(?:\.\d+)*(?:$|[-_ .]))")


def _release_tags(name: str) -> tuple[tuple[str, int, int, str], ...]:
    if "eta" not in name and "ETA" not in name and "atest" not in name and "ATEST" not in name:
        return ()
    return tuple((m.group(), m.start(), m.end(), "release-tag") for m in _RELEASE_TAG.finditer(name))


# --- the rules --------------------------------------------------------------------------------------------------------
#
# A name is read in three passes. Spans that cross separators are claimed first (SPAN_RULES: environment ids, dates);
# the rest is cut into segments (quantisation formats are turned down as they are cut); each segment that holds a
# digit is then decided by the first rule of SEGMENT_RULES that takes it; release tags (`-latest`, `-beta`) close
# the reading. A rule's name is the `reason` of the detection it decides and what `--explain` prints; rules that
# turn a candidate down share names (`architecture` is decided in several places).

Hit = tuple  # (next segment, start, end): the segments read and the span of the name they decided


class _Reading:
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
            while (j + 1 < self.n and _small_int(self.segs[j + 1][0]) and len(self.segs[j + 1][0]) <= 2
                   and self.sep_before(j + 1) in ("-", "_") and not self.used[j + 1]):
                j += 1
            self._runs[i] = j
        return self._runs[i]

    def whole(self, i: int, step: int = 1) -> Hit:
        """Segment `i` decided as it stands; reading goes on `step` segments later."""
        return (i + step, self.segs[i][1], self.segs[i][2])


def _small_int(t: str) -> bool:
    return t.isdigit() and len(t) <= 2


# Segment shapes, tried in this order; each segment rule applies to some shapes.
_SHAPES = (("explicit-v", _EXPLICIT_V), ("version-word", _VERSION_WORD_GLUED), ("int", _BARE_INT),
           ("dec", _BARE_DEC), ("glued-dec", _GLUED_DEC), ("glued-v", _GLUED_V), ("glued-int", _GLUED_INT))


def _shape(text: str) -> tuple[str, re.Match | None]:
    for shape, rx in _SHAPES:
        m = rx.match(text)
        if m:
            return shape, m
    return "other", None


# -- explicit `v` --

def _v_after_v_family(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`mobilenet-v3`: the `v` generation of an architecture family written after it."""
    pl = r.prev_low(i)
    if r.after_dash(i) and (pl in _vocab.ARCH_V_FAMILIES or pl.rstrip("s") in _vocab.ARCH_V_FAMILIES):
        return r.whole(i)
    return None


def _v_gpu(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`v100s`: a GPU, not a version (a `v` with three digits or more and letters after)."""
    return r.whole(i) if m.group(2) and len(m.group(1).split(".")[0]) > 2 else None


def _explicit_v(r: _Reading, i: int, m: re.Match) -> Hit:
    """`v2`, `V1.5`, `v0.1` as their own segment, with their dashed parts (`V1-1`, `v1_1`, `v1-2-2`)."""
    s, e = r.segs[i][1], r.segs[i][2]
    end = s + 1 + len(m.group(1)) if m.group(2) else e
    j = i + 1
    if "." not in m.group(1) and not m.group(2):
        while j < r.n and _small_int(r.segs[j][0]) and len(r.segs[j][0]) == 1 and r.sep_before(j) in ("-", "_"):
            end = r.segs[j][2]
            r.used[j] = True
            j += 1
    return (i + 1, s, end)


def _version_word_glued(r: _Reading, i: int, m: re.Match) -> Hit:
    """`version2`, `rev2`, `beta2`, `Preview2`, `rc1`: a version word glued to its number."""
    return r.whole(i)


# -- numbers after a word that says what they are --

def _library_release(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`transformers-4.29`, `torch-2.0`: the release of a library written into the name, not the model's."""
    return r.whole(i) if i > 0 and r.prev_low(i) in _LIBRARY_WORDS and r.sep_before(i) in "-_ " else None


def _after_version_word(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`rev-3`, `version-2`, `release_1.1`: a number after a version word."""
    if i > 0 and _VERSION_WORDS.match(r.prev_low(i)) and r.sep_before(i) in "-_ " and len(r.segs[i][0]) <= 5:
        return r.whole(i)
    return None


def _size(r: _Reading, i: int, m: re.Match | None) -> Hit | None:
    """`7b`, `1.5b`, `125m`, `8x7b`, resolutions `512x512`: a size or parameter count."""
    text = r.segs[i][0]
    return r.whole(i) if _SIZE_UNIT.match(text) or _SIZE_MUL.match(text) else None


# -- bare decimals: `2.1`, `0.1.0` --

def _dec_parts(m: re.Match) -> tuple[list[str], str, bool]:
    """The parts and suffix of a bare decimal, and whether it is shaped like a version (`2.1`, not `128.5`)."""
    parts = (m.group(1) + m.group(2)).split(".")
    suffix = m.group(3).lower()
    return parts, suffix, suffix in ("", "v") and len(parts[0]) <= 2 and all(len(p) <= 3 for p in parts[1:])


def _dec_score(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`0.073`, `0.05`: a score or a rate, not a version."""
    parts, _, versionish = _dec_parts(m)
    return r.whole(i) if versionish and len(parts) == 2 and len(parts[1]) >= 2 and parts[1][0] == "0" else None


def _dec_rate(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`pruning-0.1`, `lr-1.5`, `dropout-0.1`: a decimal after a hyper-parameter word."""
    pl = r.prev_low(i)
    if _dec_parts(m)[2] and pl in _HYPER_PREFIX and r.sep_before(i) in "-_" and pl not in ("r",):
        return r.whole(i)
    return None


def _decimal(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`2.1`, `1.5`, `0.1.0`: a bare decimal number shaped like a version."""
    return r.whole(i) if _dec_parts(m)[2] else None


def _dec_other(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`2.5d`, `128.5`: a decimal with a suffix or a long integer part."""
    parts, suffix, _ = _dec_parts(m)
    return r.whole(i) if suffix == "d" or len(parts[0]) > 2 else None


def _dec_size(r: _Reading, i: int, m: re.Match) -> Hit:
    """`1.5x`, `2.7bn`: a decimal with a unit."""
    return r.whole(i)


# -- bare integers --

def _big_int(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`1024`, `512`: three digits or more are a size, not a version."""
    return None if _small_int(r.segs[i][0]) else r.whole(i)


def _int_after_hyper_word(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`epoch-2`, `seed-3`, `L-12`, or a number glued to the segment before: a hyper-parameter."""
    pl = r.prev_low(i)
    if pl in _HYPER_PREFIX or pl in _HYPER_WORDS or (i > 0 and r.sep_before(i) not in ("-", "_", " ")):
        return (r.run_end(i) + 1, r.segs[i][1], r.segs[i][2])
    return None


def _int_bits(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`4-bit`, `8_bits`: a quantisation written with a separator."""
    j = r.run_end(i)
    if r.low(j + 1) in ("bit", "bits", "bpw") and i + 1 < r.n:
        return (j + 1, r.segs[i][1], r.segs[i][2])
    return None


def _int_before_hyper_word(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`3-epochs`, `5-shot`, `10-layers`: a count of something named after it."""
    j = r.run_end(i)
    return (j + 1, r.segs[i][1], r.segs[i][2]) if j + 1 < r.n and r.low(j + 1) in _HYPER_WORDS else None


def _int_sequence(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`2-1` in `stable-diffusion-2-1`, `1-5`: one-digit integers joined by `-`/`_`, the first at most 5 (a larger
    first is rather a layer pair of a distilled model: `distilbart-cnn-6-6`)."""
    j = r.run_end(i)
    if j > i and all(len(r.segs[k][0]) == 1 for k in range(i, j + 1)) and int(r.segs[i][0]) <= 5:
        for k in range(i, j + 1):
            r.used[k] = True
        return (j + 1, r.segs[i][1], r.segs[j][2])
    return None


def _lone_digit_after_dash(r: _Reading, i: int) -> bool:
    return r.run_end(i) == i and len(r.segs[i][0]) == 1 and i > 0 and r.sep_before(i) in ("-", "_")


def _int_generation(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`rwkv-4`: the generation of an architecture numbered with bare integers."""
    return r.whole(i) if _lone_digit_after_dash(r, i) and r.prev_low(i) in _vocab.ARCH_INT_FAMILIES else None


def _dash_size(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`opt-6-7b`: a parameter count written with a dash (6.7B), for the families that write it so."""
    if (_lone_digit_after_dash(r, i) and r.prev_low(i) in _vocab.SIZE_DASH_FAMILIES and i + 1 < r.n
            and _SIZE_UNIT.match(r.segs[i + 1][0]) and re.fullmatch(r"\d[bBmM]", r.segs[i + 1][0])):
        r.used[i + 1] = True
        return (i + 2, r.segs[i][1], r.segs[i + 1][2])
    return None


def _family_int(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`Llama-2-7b`, `kandinsky-2`: one digit right after the family word, when a parameter count follows or the
    family is known to number its releases with bare integers (not after sizes, tasks, languages, reuse words)."""
    pl = r.prev_low(i)
    nxt_size = bool(_SIZE_UNIT.match(r.segs[i + 1][0])) if i + 1 < r.n else False
    if (_lone_digit_after_dash(r, i) and re.fullmatch(r"[a-z]{2,}", pl) and pl not in _HYPER_WORDS
            and pl not in _vocab.SIZE_WORDS and pl not in _vocab.TASK_WORDS and pl not in _vocab.LANGUAGES
            and pl not in _vocab.REUSE_WORDS and (pl in _vocab.VERSIONED_FAMILIES or (nxt_size and len(pl) >= 3))):
        return r.whole(i)
    return None


def _trailing_int(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """A lone `2` closing the name after a plain word: `whisper-medium-turkish-2` (a second release; not `gpt-2`,
    `sst-2`, `epoch-2`. Dev labels: a closing `-2` is a version in 10 of 17 names, `-1` in 3 of 16 (a run or a first
    try), `-3`..`-9` in 0 of 9 (runs, folds, classes): only the 2 is taken)."""
    text, pl = r.segs[i][0], r.prev_low(i)
    if (r.run_end(i) == i and i == r.n - 1 and text in _TRAILING_INTS and r.sep_before(i) in ("-", "_")
            and len(pl) >= 2 and pl.isalpha() and pl not in _HYPER_WORDS and pl not in _HYPER_PREFIX
            and pl not in _vocab.ARCH_INT_FAMILIES and not _is_dataset(pl + text) and pl + text not in _arch()):
        return r.whole(i)
    return None


def _int_number(r: _Reading, i: int, m: re.Match) -> Hit:
    """`distilbart-cnn-12-6`, `roberta_1`, `classifier-3`: a number that is none of the above."""
    return (r.run_end(i) + 1, r.segs[i][1], r.segs[i][2])


# -- a decimal glued to a word: `Qwen2.5` --

def _glued_dec_unit(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`llama3.1b`, `phi1.5m`: a glued decimal with a size unit."""
    suffix = m.group(3).lower()
    return r.whole(i) if suffix and suffix != "v" and suffix in ("b", "m", "k", "t", "x") else None


def _glued_dec_suffix(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`gpt3.5turbo`-like: a glued decimal with other letters after it."""
    return r.whole(i) if m.group(3) and m.group(3).lower() != "v" else None


def _glued_dec_hyper(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`lr1.5`, `ep2.5`: a decimal glued to a hyper-parameter word."""
    return r.whole(i) if m.group(1).lower() in _HYPER_PREFIX else None


def _glued_dec_dataset(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`squad2.0`, `AMR3.0`: a dataset's version."""
    return r.whole(i) if _is_dataset(m.group(1).lower()) else None


def _glued_decimal(r: _Reading, i: int, m: re.Match) -> Hit:
    """`Qwen2.5`, `SD2.1`, `XuanYuan2.0`: a decimal glued to a word (the decimal is the version)."""
    at = r.segs[i][1] + r.segs[i][0].index(m.group(2))
    return (i + 1, at, at + len(m.group(2)))


# -- a `v` glued to a word: `OnlyAnimeV2` --

def _glued_v_span(r: _Reading, i: int, m: re.Match) -> Hit:
    at = r.segs[i][1] + len(m.group(1))
    return (i + 1, at, at + 1 + len(m.group(2)))


def _glued_v_after_base(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`sd14v1`: a version glued after a digit-holding base model (v1 of an adapter for SD 1.4)."""
    prefix = m.group(1).lower()
    return _glued_v_span(r, i, m) if _DIGIT.search(prefix) and prefix in _arch() and not m.group(3) else None


def _glued_v_architecture(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`yolov8`, `convnextv2`, `layoutlmv3`: an architecture whose name holds the `v` and digit."""
    prefix = m.group(1).lower()
    if _glued_arch(r.low(i), prefix) or _glued_arch(prefix + "v" + m.group(2), prefix):
        return r.whole(i)
    return None


def _glued_v_dataset(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`squadv2`: a dataset's version glued to it."""
    prefix = m.group(1).lower()
    return r.whole(i) if _is_dataset(prefix) or _is_dataset(r.low(i)) else None


def _glued_v_word(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`wav2vec`-like words: a `v` inside lower-case letters."""
    return r.whole(i) if m.group(3) and m.group(3)[0].islower() and m.group(1)[-1].islower() else None


def _glued_v_short(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`xv2`: one letter before the `v` is no word to version."""
    return r.whole(i) if len(m.group(1)) < 2 else None


def _glued_v(r: _Reading, i: int, m: re.Match) -> Hit:
    """`OnlyAnimeV2`, `modelv3`: a `v`-version glued to a word that is not an architecture or a dataset."""
    return _glued_v_span(r, i, m)


# -- digits glued to a word: `llama2` --

def _glued_int_architecture(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`gpt2`, `t5`, `resnet50`, `wav2vec2`: an architecture whose name holds the digits."""
    return r.whole(i) if _glued_arch(r.low(i), m.group(1).lower()) else None


def _glued_int_dataset(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`squad2`, `cv7`, `conll2003`: a dataset name."""
    return r.whole(i) if _is_dataset(r.low(i)) or _is_dataset(m.group(1).lower()) else None


def _phase(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`indobert-base-p2`: `p1`/`p2` closing the name after a size word (IndoBERT's phase-2 release)."""
    if m.group(1).lower() == "p" and len(m.group(2)) == 1 and i == r.n - 1 and r.prev_low(i) in _vocab.SIZE_WORDS:
        return r.whole(i)
    return None


def _glued_int_hyper(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`L12`, `H384`, `ep10`, `e2`, `p16`: a hyper-parameter or variant code."""
    prefix = m.group(1).lower()
    return r.whole(i) if prefix in _HYPER_PREFIX or len(prefix) <= 2 else None


def _glued_int_long(r: _Reading, i: int, m: re.Match) -> Hit | None:
    """`model123`: three digits or more glued to a word."""
    return r.whole(i) if len(m.group(2)) > 2 else None


def _family_name(r: _Reading, i: int, m: re.Match) -> Hit:
    """`llama2`, `norbert3`, `generator1`: a digit glued to a word is part of the family's name (separated, it would
    be a version: `Llama-2`)."""
    return r.whole(i)


# -- the rest --

def _p_decimal(r: _Reading, i: int, m: None) -> Hit | None:
    """`1p4`, `3p0`: a decimal written with a `p` (`airoboros-mpt-30b-gpt4-1p4`)."""
    pl = r.prev_low(i)
    return r.whole(i) if _P_DEC.match(r.segs[i][0]) and not (pl in _HYPER_PREFIX or pl in _HYPER_WORDS) else None


def _other_architecture(r: _Reading, i: int, m: None) -> Hit | None:
    """`wav2vec2`, `m2m100`, `pix2struct`: an architecture name with digits inside."""
    low = r.low(i)
    return r.whole(i) if _glued_arch(low, re.sub(r"\d+[a-z]*$", "", low)) else None


def _other(r: _Reading, i: int, m: re.Match | None) -> Hit:
    """Letters and digits that are none of the above."""
    return r.whole(i)


_NUMBERS = frozenset({"int", "dec"})
_NOT_V = frozenset({"int", "dec", "glued-dec", "glued-v", "glued-int", "other"})

#: The segment rules in the order they are tried: (name, shapes it reads, rule, finds a version?). The name is the
#: detection's `reason`; the first rule that takes a segment decides it.
SEGMENT_RULES: tuple[tuple[str, frozenset[str], object, bool], ...] = (
    ("architecture", frozenset({"explicit-v"}), _v_after_v_family, False),
    ("other", frozenset({"explicit-v"}), _v_gpu, False),
    ("explicit-v", frozenset({"explicit-v"}), _explicit_v, True),
    ("version-word", frozenset({"version-word"}), _version_word_glued, True),
    ("library", _NUMBERS, _library_release, False),
    ("version-word", _NUMBERS, _after_version_word, True),
    ("size", _NOT_V, _size, False),
    ("number", frozenset({"dec"}), _dec_score, False),
    ("hyperparameter", frozenset({"dec"}), _dec_rate, False),
    ("decimal", frozenset({"dec"}), _decimal, True),
    ("other", frozenset({"dec"}), _dec_other, False),
    ("size", frozenset({"dec"}), _dec_size, False),
    ("size", frozenset({"int"}), _big_int, False),
    ("hyperparameter", frozenset({"int"}), _int_after_hyper_word, False),
    ("quantisation", frozenset({"int"}), _int_bits, False),
    ("hyperparameter", frozenset({"int"}), _int_before_hyper_word, False),
    ("int-sequence", frozenset({"int"}), _int_sequence, True),
    ("architecture", frozenset({"int"}), _int_generation, False),
    ("size", frozenset({"int"}), _dash_size, False),
    ("family-int", frozenset({"int"}), _family_int, True),
    ("trailing-int", frozenset({"int"}), _trailing_int, True),
    ("number", frozenset({"int"}), _int_number, False),
    ("size", frozenset({"glued-dec"}), _glued_dec_unit, False),
    ("other", frozenset({"glued-dec"}), _glued_dec_suffix, False),
    ("hyperparameter", frozenset({"glued-dec"}), _glued_dec_hyper, False),
    ("dataset", frozenset({"glued-dec"}), _glued_dec_dataset, False),
    ("glued-decimal", frozenset({"glued-dec"}), _glued_decimal, True),
    ("glued-v", frozenset({"glued-v"}), _glued_v_after_base, True),
    ("architecture", frozenset({"glued-v"}), _glued_v_architecture, False),
    ("dataset", frozenset({"glued-v"}), _glued_v_dataset, False),
    ("word", frozenset({"glued-v"}), _glued_v_word, False),
    ("other", frozenset({"glued-v"}), _glued_v_short, False),
    ("glued-v", frozenset({"glued-v"}), _glued_v, True),
    ("architecture", frozenset({"glued-int"}), _glued_int_architecture, False),
    ("dataset", frozenset({"glued-int"}), _glued_int_dataset, False),
    ("phase", frozenset({"glued-int"}), _phase, True),
    ("hyperparameter", frozenset({"glued-int"}), _glued_int_hyper, False),
    ("number", frozenset({"glued-int"}), _glued_int_long, False),
    ("family-name", frozenset({"glued-int"}), _family_name, False),
    ("decimal", frozenset({"other"}), _p_decimal, True),
    ("architecture", frozenset({"other"}), _other_architecture, False),
    ("other", frozenset({"other"}), _other, False),
)

_RULES_BY_SHAPE = {shape: tuple((name, rule, finds) for name, shapes, rule, finds in SEGMENT_RULES if shape in shapes)
                   for shape in tuple(s for s, _ in _SHAPES) + ("other",)}


def _read_segments(name: str, segs: list[tuple[str, int, int]], found: list, rejected: list) -> None:
    """Decide each segment holding a digit with the first segment rule that takes it."""
    r = _Reading(name, segs)
    i = 0
    while i < r.n:
        text = segs[i][0]
        if r.used[i] or text.isalpha():
            i += 1
            continue
        shape, m = _shape(text)
        for rule_name, rule, finds in _RULES_BY_SHAPE[shape]:  # noqa: B007 - read after the break
            hit = rule(r, i, m)
            if hit is not None:
                break
        else:  # pragma: no cover - every shape ends with a rule that always decides
            raise AssertionError(f"no rule decided {text!r}")
        nxt, s, e = hit
        if finds:
            found.append((name[s:e], s, e, rule_name))
        else:
            rejected.append((name[s:e], rule_name))
        i = nxt


# -- spans that cross separators, and the cut into segments --

def _claim_spans(name: str, rejected: list) -> list[tuple[int, int]]:
    """The `environment` ids and `date`s of a name (they cross separators), turned down before segmentation."""
    envs = _env_spans(name)
    for a, b in envs:
        rejected.append((name[a:b], "environment"))
    env_spans = _Spans(envs)
    claimed = list(envs)
    low_name = name.lower()
    if _YEAR_HINT.search(name) or any(mo in low_name for mo in _MONTHS3):
        for m in _DATE_RE.finditer(name):
            if env_spans.overlaps(m.start(), m.end()):
                continue
            claimed.append((m.start(), m.end()))
            rejected.append((m.group(), "date"))
    return claimed


def _segments(name: str, claimed: list[tuple[int, int]], rejected: list) -> list[tuple[str, int, int]]:
    """The segments of a name outside the claimed spans; `quantisation` formats are turned down here (`q4_k_m`
    whole)."""
    spans = _Spans(claimed)
    segs = []  # (text, start, end)
    quant_tail = False
    for m in _SEG.finditer(name):
        s, e = m.start(), m.end()
        t = m.group()
        if quant_tail and name[s - 1] == "_" and _QUANT_TAIL.fullmatch(t):
            continue  # the `_k_m` of `q4_k_m`
        quant_tail = False
        if not t.isalpha() and _QUANT_SEG.fullmatch(t):
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


@lru_cache(maxsize=1 << 18)
def _scan(name: str) -> tuple[tuple[tuple[str, int, int, str], ...], tuple[tuple[str, str], ...]]:
    """Versions found in a name ((text, start, end, rule), ...) and rejected candidates ((text, rule), ...)."""
    tags = _release_tags(name)
    if not _DIGIT.search(name):
        return tags, ()
    found: list[tuple[str, int, int, str]] = []
    rejected: list[tuple[str, str]] = []
    segs = _segments(name, _claim_spans(name, rejected), rejected)
    _read_segments(name, segs, found, rejected)
    if tags:
        _attach_release_tags(name, tags, found)
    return tuple(found), tuple(rejected)


def _doc(fn) -> str:
    return " ".join((fn.__doc__ or "").split())


def _claim_doc(rule: str) -> str:
    return {"environment": "`LunarLander-v2`, `FrozenLake-v1`, `halfcheetah_v4`: a Gym/Atari/MuJoCo environment id "
                           f"(v0-v{ENV_MAX_VERSION}; no registered id goes beyond, so `halfcheetah_v10` is the "
                           "model's own version)",
            "date": "`2023-06-16`, `20210520`, `09-04-2021`, `2022`, `dec2021`: a date",
            "quantisation": "`gptq`, `q4_k_m`, `4bit`, `4.0bpw`, `fp16`, `int4`, `128g`: a quantisation or precision "
                            "format",
            "release-tag": "`latest` or `beta` as a word of its own (`...-sentiment-latest`, `starchat-beta`): a "
                           "release named without a number; right after a version it joins it (`0.1.0-beta`)",
            "owner": "only the owner held a `v<digit>` (the study's regex would have matched)",
            "no-candidate": "digits, but nothing a rule could read as a version",
            "no-digit": "no digit and no release tag in the name"}[rule]


def rules() -> list[tuple[str, str, str, str]]:
    """Every rule in the order it is applied: (pass, name, what it decides, what it reads); the generation rules
    (`analysis.versions.generation`) are read apart from the version rules and last."""
    out = [("spans", "environment", "not a version", _claim_doc("environment")),
           ("spans", "date", "not a version", _claim_doc("date")),
           ("segments", "quantisation", "not a version", _claim_doc("quantisation"))]
    out += [("segment rules", name, "version" if finds else "not a version", _doc(fn))
            for name, _, fn, finds in SEGMENT_RULES]
    out.append(("tags", "release-tag", "version", _claim_doc("release-tag")))
    out += [("no candidate", r, "not a version", _claim_doc(r)) for r in ("owner", "no-candidate", "no-digit")]
    out += [("generation", r, "not a generation" if r == "no-generation" else "generation", doc)
            for r, doc in _generation.RULES]
    return out


def rules_markdown() -> str:
    """The rule table as markdown (`python -m analysis detect --rules`)."""
    from analysis.report.markdown import table  # only the command needs it

    return table([(k + 1, *r) for k, r in enumerate(rules())], ["#", "pass", "rule", "decides", "what it reads"],
                  "rllll")


def detect(model_id: str) -> Detection:
    """Does this model id carry a model version in its name? Which, where, and by which rule."""
    mid = str(model_id).strip()
    owner, sep, name = mid.rpartition("/")
    base = len(owner) + len(sep)
    found, rejected = _scan(name)
    gen = _generation.generation(name)
    gen_json = None if gen is None else {**gen.to_json(), "position": [base + gen.position[0], base + gen.position[1]]}
    if found:
        return Detection(mid, True, [f[0] for f in found], [(base + f[1], base + f[2]) for f in found],
                         found[0][3], list(rejected), gen_json)
    if rejected:
        # the candidate the study's regex would have taken explains best why this is not a version
        reason = next((r for t, r in rejected if _STUDY_RE.search(t)), rejected[0][1])
    elif owner and _STUDY_RE.search(owner):
        reason = "owner"
    elif any(c.isdigit() for c in name):
        reason = "no-candidate"
    else:
        reason = "no-digit"
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
