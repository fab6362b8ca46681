"""Naming taxonomy: classify each token of a model name into the elements of Jiang et al.'s taxonomy.

Elements (labels of `naming-labels/ptm-naming-elements.json`): A architecture, S size, D dataset, C dataset
characteristic, V version, F reuse method, L language, T task, R training process, N layers, H heads, P parameter
count, O other; plus Q quantisation (gptq, awq, gguf, exl2, int4, 4bit, fp16 ...), absent from the published
taxonomy but the study's most frequent token family today. Against the labels Q is scored as O (other).

Each token gets exactly one element, by the first rule that applies (explainable, no learned model):
  V  the version detector's spans (`analysis.versions.detector`)
  Q  quantisation / precision formats        P  parameter counts `7b`, `1.5B`, `125m`, `8x7b`
  N  layers `L12`, `L-12`, `12layers`        H  heads / hidden `H384`, `H-128`, `A-2`
  S  size words: base, large, small, tiny, xl ...
  F  reuse: finetuned, ft, distilled, lora, merged ...       R  training: sft, dpo, rlhf, pretrained ...
  C  dataset characteristics: cased, uncased, 960h ...       L  languages: names and ISO codes
  T  tasks: ner, qa, sentiment, summarization, chat ...      D  datasets (curated + the Hub's `dataset:` tags)
  A  architectures/families (curated + transformers model types + timm families), or the name's first token
  O  everything else
and, over the whole name rather than a token, G: a family's generation (`Qwen3`, `Llama-2`; `analysis.versions.generation`).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.common.parallel import fork_map, worth_forking
from analysis.versions import detector
from analysis.versions import vocab as V

R = TypeVar("R")

ELEMENTS = {
    "A": "architecture", "S": "size", "D": "dataset", "C": "dataset characteristic", "V": "version",
    "F": "reuse method", "L": "language", "T": "task", "R": "training process", "N": "layers", "H": "heads",
    "P": "parameter count", "O": "other", "Q": "quantisation",
}
LABEL_CODES = [c for c in ELEMENTS if c != "Q"]
#: G: the family's release number (`analysis.versions.generation`), read over whole names rather than per token (it sits
#: inside a token, `Qwen3`, or across two, `Llama-2`), so a name can hold both G and the A of its family.
GENERATION = {"G": "generation"}
#: The elements the tables report: Jiang et al.'s, Q, and G.
ALL_ELEMENTS = {**ELEMENTS, **GENERATION}

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:\.\d+[A-Za-z0-9]*)*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+(?:\.\d+)?[A-Za-z]*")
_PARAMS = re.compile(r"(?i)^(?:\d+x)?\d+(?:\.\d+)?(?:[mbt]|bn|m?params?)$")
_LAYERS = re.compile(r"(?i)^(?:l\d{1,2}|\d{1,2}l|\d{1,2}layers?|layers?\d{1,2})$")
_HEADS = re.compile(r"(?i)^(?:h\d{2,4}|a\d{1,2}|\d{1,2}heads?|heads?\d{1,2})$")
_QUANT = re.compile(r"(?i)^(?:i?q[1-8](?:k|km|ks|0|1)?|\d+(?:\.\d+)?bpw|\d+bits?|w\d+a\d+|(?:mx|nv)?fp(?:4|8|16|32)|"
                    r"bf16|f16|f32|int[2-8]|nf4|gptq|awq|gguf|ggml|ggjt|exl[23]|hqq|\d+g|gs\d+|4b?it|8b?it)$")
_SIZE_CODE = re.compile(r"(?:x{1,3}l|x{0,2}large|b[0-7])")
_EPOCHS = re.compile(r"\d+(?:ep|epochs?|steps?|e)")
_IMAGENET = re.compile(r"in\d+k|in\d+k\w*")
_CHAR = re.compile(r"(?i)^(?:\d+h|\d+hrs?|patch\d+|p\d{1,2}|window\d+|seqlen\d*|\d+px|\d+res)$")
# image resolutions and sequence lengths: dataset characteristics in the labels (`vit-base-patch16-224`, `led-16384`)
_RES = {"96", "112", "128", "160", "192", "224", "240", "256", "288", "299", "320", "336", "384", "448", "480", "512",
        "518", "560", "576", "640", "768", "1024", "1280", "1536", "2048", "4096", "8192", "16384", "32768"}
# two-letter codes that are more often something else in names (timm tags `sw`/`ms`/`rw`, words `no`/`is`/`it`)
_LANG_AMBIGUOUS = {"ms", "rw", "no", "is", "id", "sd", "it", "am", "be", "as", "or", "to", "an", "so", "my", "sw",
                   "me", "he", "la", "lg", "wo", "ha", "ig", "si", "ta", "te", "mr", "pa", "gu", "ml", "ne", "et"}
_FILLER = {"model", "models", "to", "for", "the", "of", "and", "on", "with", "from", "by", "a", "an", "my", "new", "hf"}
_EXTRA_TASK = {"qg", "qag", "qa", "extraction", "paraphrasing", "paraphraser", "multitask", "text", "analysis",
               "textual", "inversion", "img2img", "txt2img", "inpainting", "sum", "summarizer", "keyword", "keywords",
               "answer", "question", "questions", "generation", "response", "translator", "ranking", "reranking"}


@lru_cache(maxsize=1)
def _sets() -> dict[str, frozenset[str]]:
    v = V.vocab()
    arch = set(v["arch"]) | V.ARCH_NAME_WORDS
    return {"arch": frozenset(arch), "datasets": frozenset(v["datasets"])}


def classify_token(tok: str, index: int = 0) -> str:
    """The element of one token (not a version: versions come from the detector)."""
    return _classify(tok.lower(), index > 0)


@lru_cache(maxsize=1 << 17)
def _classify(low: str, not_first: bool) -> str:
    s = _sets()
    if _QUANT.match(low) or low in V.QUANT_WORDS:
        return "Q"
    if _PARAMS.match(low):
        return "P"
    if _LAYERS.match(low):
        return "N"
    if _HEADS.match(low):
        return "H"
    if low in V.SIZE_WORDS or _SIZE_CODE.fullmatch(low):
        return "S"
    if low in V.REUSE_WORDS or low.startswith("finetun") or low.startswith("distil") and low not in s["arch"]:
        return "F"
    if low in V.TRAINING_WORDS or low in ("train", "training", "steps", "epochs") or _EPOCHS.fullmatch(low):
        return "R"
    if low in V.CHARACTERISTIC_WORDS or _CHAR.match(low):
        return "C"
    if low in V.LANGUAGES and (len(low) > 2 or not_first and low not in _LANG_AMBIGUOUS):
        return "L"
    if low in V.TASK_WORDS or low in _EXTRA_TASK:
        return "T"
    if low in _RES:
        return "C"
    if low == "opus":
        return "D"  # OPUS, the corpus of opus-mt
    if low == "mt":
        return "A"  # MarianMT, in opus-mt
    if low in s["arch"] or low in V.ARCH_V_FAMILIES:
        return "A"
    if low in V.DATASETS or low in s["datasets"] or _IMAGENET.fullmatch(low):
        return "D"
    # a glued architecture: `bertweetfr`, `xlmroberta`, `gpt2`, `yolov8n`, `mobilevitv2`
    if _GLUED_ARCH.search(low) or low.startswith(_GLUED_ARCH_SHORT):
        return "A"
    return "O"


# Architectures recognised inside a token: anywhere, or only at its start for those under 3 letters. One regex
# instead of a loop: most distinct tokens reach this last test.
_GLUED = V.ARCH_GLUED_WORDS
_GLUED_ARCH = re.compile("|".join(re.escape(a) for a in _GLUED if len(a) >= 3))
_GLUED_ARCH_SHORT = tuple(a for a in _GLUED if len(a) < 3)


def tokens(model_id: str) -> list[tuple[str, str, int, int]]:
    """(token, element, start, end) for each token of the name (owner excluded); offsets in the id."""
    mid = str(model_id).strip()
    owner, sep, name = mid.rpartition("/")
    base = len(owner) + len(sep)
    return [(t, el, base + a, base + b) for t, el, a, b in _name_tokens(name)]


@lru_cache(maxsize=1 << 16)
def _name_tokens(name: str) -> tuple[tuple[str, str, int, int], ...]:
    return _tokens_of(name, tuple((f[1], f[2]) for f in detector._scan(name)[0]))


_TAG_DOT = re.compile(r"\.(?=[A-Za-z])")
_LETTER = re.compile(r"[A-Za-z]")
_LAYERS_WIDTH = re.compile(r"\d+[lL]\d+[wW]")
_FOR_HEAD = re.compile(r"^([A-Za-z0-9]+?)(For[A-Z][A-Za-z]+)$")


def _tokens_of(name: str, vspans: tuple[tuple[int, int], ...]) -> tuple[tuple[str, str, int, int], ...]:
    """The tokens of a name given the detector's version spans in it (uncached: `elements_frame` reads each once)."""
    base = 0
    out = []
    idx = 0
    # timm-style `<arch>.<pretrained tag>`: the tag after the dot names the training data (`.fb_in1k`, `.ra3_in1k`)
    tag_at = -1
    mt = _TAG_DOT.search(name)
    if mt:
        tag_at = mt.start()
    for m in _TOKEN.finditer(name):
        s, e = m.start(), m.end()
        if vspans and any(a < e and s < b for a, b in vspans):
            # the part of the segment outside the version span is classified on its own (`Qwen` of `Qwen2.5`)
            a, b = next((a, b) for a, b in vspans if a < e and s < b)
            if s < a and _LETTER.search(name[s:a]):
                pre = name[s:a].rstrip("-_vV") or name[s:a]
                out.append((pre, classify_token(pre, idx), base + s, base + a))
                idx += 1
            out.append((name[max(s, a):min(e, b)], "V", base + max(s, a), base + min(e, b)))
            idx += 1
            continue
        tok = m.group()
        if tok.lower() in _FILLER:
            continue
        if 0 <= tag_at < s:
            el = classify_token(tok, idx)
            if tok.lower() in _LANG_AMBIGUOUS:
                continue  # `sw`/`ms` of `sw_in12k`: parts of the pretrained tag
            out.append((tok, "D" if el in ("O", "A", "C", "T", "L") else el, base + s, base + e))
            idx += 1
            continue
        prev = name[max(0, s - 2):s]
        if tok.isdigit() and len(prev) == 2 and prev[1] in "-_" and prev[0] in "LlHhAa" and (s < 2 or s == 2 or
                                                                                    not name[s - 3].isalnum()):
            # BERT miniatures: `L-12_H-768_A-12` -> layers, hidden size, attention heads
            out.append((prev[0] + "-" + tok, "N" if prev[0] in "Ll" else "H", base + s - 2, base + e))
            idx += 1
            continue
        if _LAYERS_WIDTH.fullmatch(tok):  # `4L512W`: layers and width
            out.append((tok, "N", base + s, base + e))
            idx += 1
            continue
        cm = _FOR_HEAD.match(tok)
        if cm:  # `BertForQuestionAnswering`: the architecture, then the task head
            out.append((cm.group(1), classify_token(cm.group(1), idx), base + s, base + s + len(cm.group(1))))
            out.append((cm.group(2), "T", base + s + len(cm.group(1)), base + e))
            idx += 2
            continue
        out.append((tok, classify_token(tok, idx), base + s, base + e))
        idx += 1
    # the first token names the family when nothing else did (the Hub's custom: `<family>-<...>`)
    if out and not any(el == "A" for _, el, _, _ in out) and out[0][1] == "O":
        t = out[0]
        out[0] = (t[0], "A", t[2], t[3])
    return tuple(out)


def elements(model_id: str) -> set[str]:
    """The set of elements a name holds (`G` when it carries a family's generation)."""
    from analysis.versions.generation import generation

    name = str(model_id).strip().rpartition("/")[2]
    found = {el for _, el, _, _ in _name_tokens(name)}
    return found | {"G"} if generation(name.strip()) is not None else found


_BIT = {c: 1 << k for k, c in enumerate(ELEMENTS)}
#: The bit of `name_bits` for the detector's verdict (`detector.has_version`), above the elements' bits.
VERSIONED_BIT = 1 << len(ELEMENTS)
#: Names with any of these go through `_tokens_of` one by one, since their tokens depend on their neighbours: a timm
#: pretrained tag after a dot (`.fb_in1k`), a BERT miniature's `L-12`/`H-768`/`A-12`, a `4L512W`, a `...For<Task>`
#: head; and the \x01 that `_arrow_tokens` marks joining dots with. Each is a superset of the test `_tokens_of`
#: makes, without look-around (pandas runs them with Arrow's RE2).
PER_NAME_CASES = {"mark": r"\x01", "timm-tag": r"\.[A-Za-z]", "bert-miniature": r"(?:^|[^A-Za-z0-9])[LlHhAa][-_]\d",
                  "layers-width": r"\d[lL]\d+[wW]", "task-head": r"For[A-Z]"}
PER_NAME_REGEX = "|".join(PER_NAME_CASES.values())
#: Names read by `_plain_bits` at a time: bounds the token arrays (about 5 tokens a name) on large feeds.
_PLAIN_CHUNK = 200_000


def _bits(toks: tuple[tuple[str, str, int, int], ...]) -> int:
    b = 0
    for _, el, _, _ in toks:
        b |= _BIT[el]
    return b


def _plain_bits(names: list[str]) -> np.ndarray:
    """`_bits(_tokens_of(name, ()))` for names without version spans and without `PER_NAME_REGEX`, vectorised.

    Such a name is its tokens, fillers left out, each classified on its own, the first one with `index` 0. Most of
    the tokens of a feed are the same few thousand words, so each distinct (token, first or not) is classified once
    and a name's bits are the OR of its tokens' bits; then the first-token rule (an O first token names the family
    when no token is an A)."""
    out = np.zeros(len(names), dtype=np.int64)
    for at in range(0, len(names), _PLAIN_CHUNK):
        out[at:at + _PLAIN_CHUNK] = _plain_chunk(names[at:at + _PLAIN_CHUNK])
    return out


def _plain_chunk(names: list[str]) -> np.ndarray:
    """`_plain_bits` of up to `_PLAIN_CHUNK` names; the tokens are cut and lower-cased by Arrow, not one by one."""
    toks, name_of = _arrow_tokens(names)
    low = pc.dictionary_encode(pc.utf8_lower(toks))  # tokens are ASCII: Arrow's lower is `str.lower`
    keep = pc.invert(pc.is_in(low.dictionary, value_set=_FILLER_ARRAY)).to_numpy(zero_copy_only=False)
    codes = low.indices.to_numpy(zero_copy_only=False)
    words = low.dictionary.to_pylist()
    kept = keep[codes]
    codes, name_of = codes[kept], name_of[kept]
    first = np.ones(len(codes), dtype=bool)  # the name's first token, fillers left out
    first[1:] = name_of[1:] != name_of[:-1]
    bit = np.zeros(len(codes), dtype=np.int64)
    for is_first in (True, False):
        rows = first if is_first else ~first
        used = np.unique(codes[rows])
        lookup = np.zeros(len(words), dtype=np.int64)
        lookup[used] = [_BIT[_classify(words[k], not is_first)] for k in used.tolist()]
        bit[rows] = lookup[codes[rows]]
    head = np.zeros(len(names), dtype=np.int64)
    head[name_of[first]] = bit[first]
    out = np.zeros(len(names), dtype=np.int64)
    np.bitwise_or.at(out, name_of[~first], bit[~first])
    family = (head == _BIT["O"]) & ((out | head) & _BIT["A"] == 0)
    return out | np.where(family, _BIT["A"], head)


_FILLER_ARRAY = pa.array(sorted(_FILLER), type=pa.string())
# `_TOKEN` without look-around, for Arrow's RE2: a `.` joins two tokens when a letter or digit is before it and a digit
# after it; it is marked with \x01 (twice: a match takes the digit after the dot, which the next dot may need), then
# the names are split on everything else that is not a letter or digit.
_JOIN_DOT = r"([A-Za-z0-9])\.([0-9])"
_MARK = "\x01"


def _arrow_tokens(names: list[str]) -> tuple[pa.Array, np.ndarray]:
    """`_TOKEN.findall` of every name, flattened: (tokens, index of each token's name). No name may hold \x01."""
    marked = pa.array(names, type=pa.string())
    for _ in range(2):
        marked = pc.replace_substring_regex(marked, _JOIN_DOT, r"\1" + _MARK + r"\2")
    parts = pc.split_pattern_regex(marked, r"[^A-Za-z0-9" + _MARK + "]+")
    toks, name_of = pc.list_flatten(parts), pc.list_parent_indices(parts)
    nonempty = pc.not_equal(pc.utf8_length(toks), 0)
    toks = pc.replace_substring(pc.filter(toks, nonempty), _MARK, ".")
    return toks, pc.filter(name_of, nonempty).to_numpy(zero_copy_only=False).astype(np.int64)


def name_bits(chunk: tuple[list[str], np.ndarray]) -> np.ndarray:
    """One int per name: a bit per element it holds (`_BIT`), and `VERSIONED_BIT` for the detector's verdict.

    `scanned[k]` False: name k cannot hold a version (it misses `detector.CANDIDATE_REGEX`), the detector's rules
    are not run on it. Names without a version span nor a `PER_NAME_REGEX` feature are read by `_plain_bits`,
    the others by `_tokens_of`, one by one."""
    names, scanned = chunk
    out = np.zeros(len(names), dtype=np.int64)
    if not names:
        return out
    one_by_one = pd.Series(names, dtype="string").str.contains(PER_NAME_REGEX, regex=True).to_numpy(dtype=bool)
    spans: dict[int, tuple[tuple[int, int], ...]] = {}
    for k in np.flatnonzero(scanned).tolist():
        name = names[k]
        found = detector._scan(name)[0]
        if found:
            spans[k] = tuple((f[1], f[2]) for f in found)
            one_by_one[k] = True
        stripped = name.strip()  # `detector.has_version` reads the stripped name
        if found if stripped == name else detector._scan(stripped)[0]:
            out[k] = VERSIONED_BIT
    for k in np.flatnonzero(one_by_one).tolist():
        out[k] |= _bits(_tokens_of(names[k], spans.get(k, ())))
    plain = np.flatnonzero(~one_by_one)
    out[plain] |= _plain_bits([names[k] for k in plain.tolist()])
    return out


@dataclass(frozen=True)
class Names:
    """The distinct names (owner removed) of a Series of ids, as `elements_frame` reads them."""

    codes: np.ndarray  # per id: its name's position in `names`
    names: list[str]
    scanned: np.ndarray  # per name: may hold a version, so the detector's rules run on it


def distinct_names(ids: pd.Series) -> Names:
    """Each id's name, its distinct names, and which of them the detector's rules must read."""
    names = ids.astype("string").fillna("").str.replace(r"(?s)^.*/", "", regex=True)  # in Arrow, not per id
    codes, uniq = pd.factorize(names)
    u = pd.Series(uniq, dtype="string")
    # a name with surrounding blanks is always read: the pre-filter is checked on stripped names only
    scanned = (u.str.contains(detector.CANDIDATE_REGEX, regex=True) | (u.str.strip() != u)).to_numpy(dtype=bool)
    return Names(codes, uniq.tolist(), scanned)


def name_chunks(names: Names, parallel: bool | None = None) -> list[np.ndarray]:
    """Positions of the distinct names, in one chunk, or in two of about equal work for two processes (`parallel`
    None: when the machine can fork and there are enough names): the names the rules read (most of the work) are
    dealt out alternately, and so are the others."""
    if parallel is None:
        parallel = worth_forking(len(names.names))
    if not parallel:
        return [np.arange(len(names.names))]
    read, plain = np.flatnonzero(names.scanned), np.flatnonzero(~names.scanned)
    return [np.concatenate([read[k::2], plain[k::2]]) for k in (0, 1)]


def read_chunks(fn: Callable[[tuple[list[str], np.ndarray]], R], names: Names,
                chunks: list[np.ndarray]) -> list[R]:
    """`fn((names, scanned))` on each chunk, the second on a forked process (`analysis.common.parallel.fork_map`)."""
    import gc

    gc_was = gc.isenabled()
    gc.disable()  # hundreds of thousands of small tuples: the cyclic GC would rescan them over and over
    try:
        return fork_map(fn, [([names.names[k] for k in c.tolist()], names.scanned[c]) for c in chunks],
                        parallel=len(chunks) > 1)
    finally:
        if gc_was:
            gc.enable()


def bits_frame(bits: np.ndarray, index: pd.Index, versioned: bool = False) -> pd.DataFrame:
    """`name_bits` per id as the boolean columns of `elements_frame`."""
    cols = {c: (bits & bit) != 0 for c, bit in _BIT.items()}
    if versioned:
        cols["versioned"] = (bits & VERSIONED_BIT) != 0
    return pd.DataFrame(cols, index=index)


def elements_frame(ids: pd.Series, versioned: bool = False, parallel: bool | None = None) -> pd.DataFrame:
    """One boolean column per element (A ... O, Q), same index as `ids`. Each distinct name is read once.

    `versioned=True` adds a `versioned` column, `detector.has_version(ids)`: the taxonomy runs the detector's rules
    on every name that may hold a version anyway, so the comparison gets the verdict without a second pass. Names
    that cannot hold a version (two thirds of the 2024 names) skip the rules; on two cores a forked process reads
    half of the names while this one reads the other half (`name_chunks`). `parallel` False forces one process
    (None: by the machine and the size)."""
    names = distinct_names(ids)
    chunks = name_chunks(names, parallel)
    bits = np.zeros(len(names.names), dtype=np.int64)
    for c, part in zip(chunks, read_chunks(name_bits, names, chunks)):
        bits[c] = part
    return with_generation(bits_frame(bits[names.codes], ids.index, versioned), ids)


def with_generation(frame: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The element frame with its `G` column: does the id's name carry a family's generation (vectorised)."""
    from analysis.versions.generation import has_generation

    frame["G"] = has_generation(ids).to_numpy(dtype=bool)
    return frame


def evaluate(ids: pd.Series, labels: pd.Series) -> dict:
    """Per-element precision/recall of `elements()` against labelled element lists (Q counted as O)."""
    ef = elements_frame(ids.reset_index(drop=True))
    lab = labels.reset_index(drop=True)
    out = {}
    for c in LABEL_CODES:
        pred = ef[c] | (ef["Q"] if c == "O" else False)
        truth = lab.map(lambda e, c=c: c in e).astype(bool)
        tp = int((pred & truth).sum())
        fp = int((pred & ~truth).sum())
        fn = int((~pred & truth).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[c] = {"name": ELEMENTS[c], "positives": int(truth.sum()), "predicted": int(pred.sum()),
                  "precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0, 4)}
    return {"elements": out, "quantisation_names": int(ef["Q"].sum())}
