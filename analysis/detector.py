"""A measured, explainable model-version detector for Hugging Face model ids.

The study counted a model as "versioned" when its full id matched `[vV]\\d[.-]?\\d?[.-]?\\d?` anywhere (owner
included). That regex takes architecture names (`wav2vec2`, `yolov8`, `mobilenet-v3`), Gym environment versions
(`ppo-LunarLander-v2`) and owner names for versions, and misses versions written without `v` (`Llama-2-7b`,
`stable-diffusion-2-1`, `Qwen2.5`). This module reads the name apart from the owner, cuts it into segments and
decides each segment with a small set of named rules, backed by vocabularies (`analysis.vocab`) of architecture
families, environments and datasets. Every decision carries the rule that made it.

Rules that find a version (the `reason` of a positive detection):
  explicit-v      `v2`, `V1.5`, `v0.1`, `V1-1`, `v1_1` as their own segment
  glued-v         `...V2` / `...v3` glued to a word that is not an architecture or a dataset (`OnlyAnimeV2`)
  version-word    `version2`, `ver-3`, `rev-2`, `release-1`, `beta2`, `Preview2`, `rc1`
  decimal         a bare decimal number that is not a size/score: `2.1`, `1.5`, `0.1.0`, also written `1p4`
  glued-decimal   a decimal glued to a word: `Qwen2.5`, `SD2.1`, `XuanYuan2.0`
  int-sequence    small integers joined by `-`/`_`: `2-1` in `stable-diffusion-2-1`, `1-5`
  trailing-int    a lone `2` closing the name after a plain word: `whisper-medium-turkish-2` (a second release; not
                  `gpt-2`, `sst-2`, `epoch-2`, and not `-1` or `-3`..`-9`, mostly runs and folds)
  phase           `p1`/`p2` closing the name after a size word: `indobert-base-p2` (IndoBERT's phase-2 release)
  release-tag     `latest` or `beta` as a word of its own (`twitter-roberta-base-sentiment-latest`, `starchat-beta`):
                  a release named without a number (dev labels: 9 of 11 names with one hold a V; `alpha` only 2 of 7)
  family-int      a digit right after the family word, before a size or for a known family: `Llama-2-7b`,
                  `kandinsky-2` (not for architecture generations, `rwkv-4`, nor dash-written sizes, `opt-6-7b`)
Rules that reject a candidate (the `reason` of a negative detection, the first one met):
  environment     `LunarLander-v2`, `FrozenLake-v1`, `Taxi-v3`, `halfcheetah_v4` (Gym/Atari/MuJoCo ids, v0-v5: no
                  registered id goes beyond v5, so `halfcheetah_v10` is read as the model's own version)
  family-name     a digit glued to a word names the family (`llama2`, `norbert3`, `generator1`)
  architecture    `wav2vec2`, `yolov8`, `mobilenet-v3`, `convnextv2`, `gpt2`, `t5`, `resnet50`, `rwkv-4`
  dataset         `squadv2`, `squad2`, `cv7`, `conll2003` glued (a `-v2` after its own separator, `squad-v2`, is read
                  as a version of the dataset, as the labels do)
  size            `7b`, `1.5b`, `125m`, `8x7b`, `8k`, resolutions `512x512`, big numbers (`1024`), `opt-6-7b`
  date            `2023-06-16`, `20210520`, `09-04-2021`, `2022`, `dec2021`
  quantisation    `gptq`, `awq`, `gguf`, `exl2`, `int4`, `4bit`, `4.0bpw`, `q4_k_m`, `fp16`, `128g`
  hyperparameter  `L12`, `H384`, `ep10`, `seed-2`, `step-2000`, `e2`, `p16`, rates `pruning-0.1`, `dropout-0.1`
  library         a software release written into the name: `transformers-4.29`, `torch-2.0`
  owner           only the owner held a `v<digit>` (the study's regex would have matched)
  number, other, word   a number or letters+digits token that is none of the above (`distilbart-cnn-12-6`, `v100s`)
  no-digit / no-candidate
A negative detection's reason is the rule that turned down the candidate the study's regex would have taken, if any,
else the first candidate turned down.
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

from analysis import vocab as _vocab

STUDY_REGEX = r"[vV]\d[.-]?\d?[.-]?\d?"
_STUDY_RE = re.compile(STUDY_REGEX)


@dataclass
class Detection:
    id: str
    has_version: bool
    versions: list[str] = field(default_factory=list)
    positions: list[tuple[int, int]] = field(default_factory=list)  # [start, end) offsets in the id
    reason: str = "no-digit"
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (segment, rule) of candidates turned down

    def to_json(self) -> dict:
        d = asdict(self)
        d["positions"] = [list(p) for p in self.positions]
        d["rejected"] = [list(r) for r in self.rejected]
        return d


# --- the study's method ----------------------------------------------------------------------------------------------

def regex_has_version(ids: pd.Series) -> pd.Series:
    """The study's method exactly: the regex searched anywhere in the full id (owner included)."""
    return ids.astype("string").str.contains(STUDY_REGEX, regex=True).fillna(False).astype(bool)


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
                 "num", "no", "nr", "id", "bit", "bits", "page", "task", "top", "rank", "alpha", "beta", "gamma",
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
                "bit", "bits", "d", "x", "px", "hz", "khz", "min", "mins", "sec", "s", "hrs", "h", "days",
                "experts", "experts", "gpu", "gpus", "percent", "pct", "of"}
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


@lru_cache(maxsize=1 << 18)
def _scan(name: str) -> tuple[tuple[tuple[str, int, int, str], ...], tuple[tuple[str, str], ...]]:
    """Versions found in a name ((text, start, end, rule), ...) and rejected candidates ((text, rule), ...)."""
    found: list[tuple[str, int, int, str]] = []
    rejected: list[tuple[str, str]] = []
    tags = _release_tags(name)
    if not _DIGIT.search(name):
        return tags, ()
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

    n = len(segs)
    used = [False] * n

    def sep_before(i: int) -> str:
        return name[segs[i - 1][2]:segs[i][1]] if i > 0 else ""

    def prev_low(i: int) -> str:
        return segs[i - 1][0].lower() if i > 0 else ""

    def small_int(t: str) -> bool:
        return t.isdigit() and len(t) <= 2

    i = 0
    while i < n:
        text, s, e = segs[i]
        low = text.lower()
        if used[i] or text.isalpha():
            i += 1
            continue
        pl = prev_low(i)
        prev_sep = sep_before(i)
        # --- explicit v ---
        m = _EXPLICIT_V.match(text)
        if m:
            if i > 0 and prev_sep in "-_" and (pl in _vocab.ARCH_V_FAMILIES or pl.rstrip("s") in _vocab.ARCH_V_FAMILIES):
                rejected.append((text, "architecture"))
            elif m.group(2) and len(m.group(1).split(".")[0]) > 2:
                rejected.append((text, "other"))  # `v100s`: a GPU, not a version
            else:
                end = s + 1 + len(m.group(1)) if m.group(2) else e
                j = i + 1
                # V1-1, v1_1, v1-2-2: trailing small integer parts of the same version
                if "." not in m.group(1) and not m.group(2):
                    while j < n and small_int(segs[j][0]) and len(segs[j][0]) == 1 and sep_before(j) in ("-", "_"):
                        end = segs[j][2]
                        used[j] = True
                        j += 1
                found.append((name[s:end], s, end, "explicit-v"))
            i += 1
            continue
        m = _VERSION_WORD_GLUED.match(text)
        if m:
            found.append((text, s, e, "version-word"))
            i += 1
            continue
        if _BARE_INT.match(text) or _BARE_DEC.match(text):
            if i > 0 and pl in _LIBRARY_WORDS and prev_sep in "-_ ":
                rejected.append((text, "library"))  # `transformers-4.29`: the library's release
                i += 1
                continue
            # `rev-3`, `version-2`
            if i > 0 and _VERSION_WORDS.match(pl) and prev_sep in "-_ " and len(text) <= 5:
                found.append((text, s, e, "version-word"))
                i += 1
                continue
        # --- sizes, multipliers ---
        if _SIZE_UNIT.match(text) or _SIZE_MUL.match(text):
            rejected.append((text, "size"))
            i += 1
            continue
        # --- bare decimal ---
        m = _BARE_DEC.match(text)
        if m:
            parts = (m.group(1) + m.group(2)).split(".")
            suffix = m.group(3).lower()
            if suffix in ("", "v") and len(parts[0]) <= 2 and all(len(p) <= 3 for p in parts[1:]):
                if len(parts) == 2 and len(parts[1]) >= 2 and parts[1][0] == "0":
                    rejected.append((text, "number"))  # `0.073`, `0.05`: a score or a rate, not a version
                elif pl in _HYPER_PREFIX and prev_sep in "-_" and pl not in ("r",):
                    rejected.append((text, "hyperparameter"))
                else:
                    found.append((text, s, e, "decimal"))
            elif suffix in ("d",):
                rejected.append((text, "other"))
            else:
                rejected.append((text, "size" if len(parts[0]) <= 2 else "other"))
            i += 1
            continue
        # --- bare integers ---
        if _BARE_INT.match(text):
            if not small_int(text):
                rejected.append((text, "size"))
                i += 1
                continue
            # sequence of small integers: 2-1, 1-5, 1-0, 2-1-2
            j = i
            while j + 1 < n and small_int(segs[j + 1][0]) and len(segs[j + 1][0]) <= 2 \
                    and sep_before(j + 1) in ("-", "_") and not used[j + 1]:
                j += 1
            if pl in _HYPER_PREFIX or pl in _HYPER_WORDS or (i > 0 and prev_sep not in ("-", "_", " ")):
                rejected.append((text, "hyperparameter"))
                i = j + 1
                continue
            nxt = segs[j + 1][0].lower() if j + 1 < n else ""
            if nxt in ("bit", "bits", "bpw") and i + 1 < n:
                rejected.append((text, "quantisation"))
                i = j + 1
                continue
            if nxt in _HYPER_WORDS:
                rejected.append((text, "hyperparameter"))
                i = j + 1
                continue
            # (a major above 5 is rather a layer pair of a distilled model: `distilbart-cnn-6-6`, `12-1`)
            if j > i and all(len(segs[k][0]) == 1 for k in range(i, j + 1)) and int(text) <= 5:
                found.append((name[s:segs[j][2]], s, segs[j][2], "int-sequence"))
                for k in range(i, j + 1):
                    used[k] = True
                i = j + 1
                continue
            # family-int: `Llama-2-7b`, `stable-diffusion-2-base`, `kandinsky-2`: one digit right after the family
            # word, when a parameter count follows (`<family>-<N>-<size>`) or the family is known to number its
            # releases with bare integers (VERSIONED_FAMILIES)
            nxt_size = bool(_SIZE_UNIT.match(segs[i + 1][0])) if i + 1 < n else False
            if j == i and len(text) == 1 and i > 0 and prev_sep in ("-", "_"):
                if pl in _vocab.ARCH_INT_FAMILIES:
                    rejected.append((text, "architecture"))  # `rwkv-4`: the architecture's generation
                    i += 1
                    continue
                if pl in _vocab.SIZE_DASH_FAMILIES and nxt_size and re.fullmatch(r"\d[bBmM]", segs[i + 1][0]):
                    rejected.append((name[s:segs[i + 1][2]], "size"))  # `opt-6-7b`: 6.7B parameters
                    used[i + 1] = True
                    i += 2
                    continue
            if (j == i and len(text) == 1 and i > 0 and re.fullmatch(r"[a-z]{2,}", pl) and pl not in _HYPER_WORDS
                    and pl not in _vocab.SIZE_WORDS and pl not in _vocab.TASK_WORDS and pl not in _vocab.LANGUAGES
                    and pl not in _vocab.REUSE_WORDS and prev_sep in ("-", "_")
                    and (pl in _vocab.VERSIONED_FAMILIES or (nxt_size and len(pl) >= 3))):
                found.append((text, s, e, "family-int"))
                i += 1
                continue
            # trailing-int: a lone `2` closing the name after a word (`whisper-medium-turkish-2`, `bertweet_2`): a
            # second release. (Dev labels: a closing `-2` is a version in 10 of 17 names, `-1` in 3 of 16 (a run or
            # a first try), `-3`..`-9` in 0 of 9 (runs, folds, classes): only the 2 is taken.)
            if (j == i and i == n - 1 and text in _TRAILING_INTS and prev_sep in ("-", "_") and len(pl) >= 2
                    and pl.isalpha() and pl not in _HYPER_WORDS and pl not in _HYPER_PREFIX
                    and pl not in _vocab.ARCH_INT_FAMILIES and not _is_dataset(pl + text)
                    and pl + text not in _arch()):
                found.append((text, s, e, "trailing-int"))
                i += 1
                continue
            rejected.append((text, "number"))
            i = j + 1
            continue
        # --- glued forms ---
        m = _GLUED_DEC.match(text)
        if m:
            suffix = m.group(3).lower()
            if suffix and suffix not in ("v",):
                rejected.append((text, "size" if suffix in ("b", "m", "k", "t", "x") else "other"))
            elif m.group(1).lower() in _HYPER_PREFIX:
                rejected.append((text, "hyperparameter"))
            elif _is_dataset(m.group(1).lower()):
                rejected.append((text, "dataset"))  # `squad2.0`, `AMR3.0`
            else:
                vs = text.index(m.group(2))
                found.append((m.group(2), s + vs, s + vs + len(m.group(2)), "glued-decimal"))
            i += 1
            continue
        m = _GLUED_V.match(text)
        if m:
            prefix = m.group(1).lower()
            if _DIGIT.search(prefix) and prefix in _arch() and not m.group(3):
                # a version glued after a digit-holding base model: `sd14v1` (v1 of an adapter for SD 1.4)
                vs = s + len(m.group(1))
                ve = vs + 1 + len(m.group(2))
                found.append((name[vs:ve], vs, ve, "glued-v"))
            elif _glued_arch(low, prefix) or _glued_arch(prefix + "v" + m.group(2), prefix):
                rejected.append((text, "architecture"))
            elif _is_dataset(prefix) or _is_dataset(low):
                rejected.append((text, "dataset"))
            elif m.group(3) and m.group(3)[0].islower() and m.group(1)[-1].islower():
                rejected.append((text, "word"))  # `wav2vec`-like words: a v inside lower-case letters
            elif len(prefix) < 2:
                rejected.append((text, "other"))
            else:
                vs = s + len(m.group(1))
                ve = vs + 1 + len(m.group(2))
                found.append((name[vs:ve], vs, ve, "glued-v"))
            i += 1
            continue
        m = _GLUED_INT.match(text)
        if m:
            prefix = m.group(1).lower()
            digits = m.group(2)
            if _glued_arch(low, prefix):
                rejected.append((text, "architecture"))
            elif _is_dataset(low) or _is_dataset(prefix):
                rejected.append((text, "dataset"))
            elif prefix == "p" and len(digits) == 1 and i == n - 1 and pl in _vocab.SIZE_WORDS:
                found.append((text, s, e, "phase"))  # `indobert-base-p2`: the phase-2 release of the base model
            elif prefix in _HYPER_PREFIX or len(prefix) <= 2:
                rejected.append((text, "hyperparameter"))
            elif len(digits) > 2:
                rejected.append((text, "number"))
            else:
                # a digit glued to a word is part of the name (`llama2`, `norbert3`, `generator1`): separated, it
                # would be a version (`Llama-2`)
                rejected.append((text, "family-name"))
            i += 1
            continue
        if _P_DEC.match(text) and not (pl in _HYPER_PREFIX or pl in _HYPER_WORDS):
            found.append((text, s, e, "decimal"))  # `airoboros-mpt-30b-gpt4-1p4`
        elif _glued_arch(low, re.sub(r"\d+[a-z]*$", "", low)):
            rejected.append((text, "architecture"))  # `wav2vec2`, `wav2vec`, `m2m100`, `pix2struct`
        else:
            rejected.append((text, "other"))
        i += 1
    if tags:
        ending: dict[int, int] = {}  # end -> the first found version ending there
        for k, f in enumerate(found):
            ending.setdefault(f[2], k)
        for t in tags:
            # a tag right after a version belongs to it: `0.1.0-beta`, `v5-beta`
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
    return tuple(found), tuple(rejected)


def detect(model_id: str) -> Detection:
    """Does this model id carry a model version in its name? Which, where, and by which rule."""
    mid = str(model_id).strip()
    owner, sep, name = mid.rpartition("/")
    base = len(owner) + len(sep)
    found, rejected = _scan(name)
    if found:
        return Detection(mid, True, [f[0] for f in found], [(base + f[1], base + f[2]) for f in found],
                         found[0][3], list(rejected))
    if rejected:
        # the candidate the study's regex would have taken explains best why this is not a version
        reason = next((r for t, r in rejected if _STUDY_RE.search(t)), rejected[0][1])
    elif owner and _STUDY_RE.search(owner):
        reason = "owner"
    elif any(c.isdigit() for c in name):
        reason = "no-candidate"
    else:
        reason = "no-digit"
    return Detection(mid, False, [], [], reason, list(rejected))


def _name_has_version(name: str) -> bool:
    return bool(_scan(name)[0])


# Every name the rules can find a version in matches this (a superset, checked by the tests on the 2024 lists): a `v`
# before a digit, a decimal, a digit standing alone after a separator, or a version word. No look-around, so that
# pandas runs it in C++ (pyarrow/RE2) over millions of names; only the names it keeps are read by `_scan`.
CANDIDATE_REGEX = (r"[vV]\d|\d\.\d|[-_ ]\d(?:[^0-9A-Za-z]|$)|^\d[-_ ]\d"
                   r"|(?i:version|revision|release|preview|beta|ver|rev|rc|r)[-_ ]?\d|(?i:latest|beta)|\dp\d|[pP]\d$")


def has_version(ids: pd.Series) -> pd.Series:
    """Vectorised `detect(id).has_version` for a Series of ids; same index.

    A vectorised pre-filter (`CANDIDATE_REGEX`) drops the names that cannot hold a version; each distinct remaining
    name is then decided once by the rules."""
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
            scan = _scan.__wrapped__ if len(uniq) > 50_000 else _scan
            decided = {u: bool(scan(u)[0]) for u in uniq}
        finally:
            if gc_was:
                gc.enable()
        out.iloc[np.flatnonzero(cand)] = sub.map(decided).to_numpy(dtype=bool)
    return out


def reasons(ids: pd.Series) -> pd.Series:
    """The deciding rule for each id (same index); negative rules for ids without a version."""
    uniq = pd.unique(ids.astype("string").fillna("").to_numpy(dtype=object))
    r = {u: detect(u).reason for u in uniq}
    return ids.astype("string").fillna("").map(r)


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
    args = ap.parse_args(argv)
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
        if args.regex:
            obj["study_regex"] = bool(_STUDY_RE.search(d.id))
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
