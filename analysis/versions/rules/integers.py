"""Bare integers: `Llama-2`, `stable-diffusion-2-1` and a closing `-2` are versions; sizes, counts, hyper-parameters,
an architecture's generation (`rwkv-4`) and other numbers are not."""
from __future__ import annotations

import re

from analysis.versions import vocab as _vocab
from analysis.versions.rules.reading import Hit, Reading, RuleTable, small_int
from analysis.versions.rules.words import HYPER_PREFIX, HYPER_WORDS, SIZE_UNIT, arch, is_dataset

_TRAILING_INTS = {"2"}
TABLE = RuleTable()


def _lone_digit_after_dash(r: Reading, i: int) -> bool:
    return r.run_end(i) == i and len(r.segs[i][0]) == 1 and i > 0 and r.sep_before(i) in ("-", "_")


@TABLE.rule("size", {"int"}, False, "uaritm/datapars-base-202", "lilrhexi/finetuning-sentiment-model-3000-samples")
def _big_int(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`1024`, `512`: three digits or more are a size, not a version."""
    return None if small_int(r.segs[i][0]) else r.whole(i)


@TABLE.rule("hyperparameter", {"int"}, False, "Jeevesh8/multiberts-seed_0-step_1200k_mnli_ft_11", "google/bit-50",
            "mort1k/unit_1")
def _int_after_hyper_word(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`epoch-2`, `seed-3`, `L-12`, or a number glued to the segment before: a hyper-parameter."""
    pl = r.prev_low(i)
    if pl in HYPER_PREFIX or pl in HYPER_WORDS or (i > 0 and r.sep_before(i) not in ("-", "_", " ")):
        return (r.run_end(i) + 1, r.segs[i][1], r.segs[i][2])
    return None


@TABLE.rule("quantisation", {"int"}, False, "legendhasit/gpt-j-8-bit", "misterkuka/4-bit-cerebras-3b-8k-base")
def _int_bits(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`4-bit`, `8_bits`: a quantisation written with a separator."""
    j = r.run_end(i)
    if r.low(j + 1) in ("bit", "bits", "bpw") and i + 1 < r.n:
        return (j + 1, r.segs[i][1], r.segs[i][2])
    return None


@TABLE.rule("hyperparameter", {"int"}, False, "Akshay0706/Rice-Plant-20-Epochs-Model",
            "UnassumingOwl/opus-mt-ar-en-finetuned-npomo-en-5-epochs", "Ailyth/3_Labels")
def _int_before_hyper_word(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`3-epochs`, `5-shot`, `10-layers`: a count of something named after it."""
    j = r.run_end(i)
    return (j + 1, r.segs[i][1], r.segs[i][2]) if j + 1 < r.n and r.low(j + 1) in HYPER_WORDS else None


@TABLE.rule("int-sequence", {"int"}, True, "stabilityai/stable-diffusion-2-1", "agonh/phi-1_5",
            "winglian/phi-1_5-2x-fib")
def _int_sequence(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`2-1` in `stable-diffusion-2-1`, `1-5`: one-digit integers joined by `-`/`_`, the first at most 5 (a larger
    first is rather a layer pair of a distilled model: `distilbart-cnn-6-6`)."""
    j = r.run_end(i)
    if j > i and all(len(r.segs[k][0]) == 1 for k in range(i, j + 1)) and int(r.segs[i][0]) <= 5:
        for k in range(i, j + 1):
            r.used[k] = True
        return (j + 1, r.segs[i][1], r.segs[j][2])
    return None


@TABLE.rule("architecture", {"int"}, False, "breadlicker45/rwkv-4-430m-3072", "samroni/gpt-2",
            "BBuf/rwkv-5-world-1b5")
def _int_generation(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`rwkv-4`: the generation of an architecture numbered with bare integers."""
    return r.whole(i) if _lone_digit_after_dash(r, i) and r.prev_low(i) in _vocab.ARCH_INT_FAMILIES else None


@TABLE.rule("size", {"int"}, False, "arminmehrabian/opt-2-7b", "lagodw/plotly_gpt_neo_1_3B")
def _dash_size(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`opt-6-7b`: a parameter count written with a dash (6.7B), for the families that write it so."""
    if (_lone_digit_after_dash(r, i) and r.prev_low(i) in _vocab.SIZE_DASH_FAMILIES and i + 1 < r.n
            and SIZE_UNIT.match(r.segs[i + 1][0]) and re.fullmatch(r"\d[bBmM]", r.segs[i + 1][0])):
        r.used[i + 1] = True
        return (i + 2, r.segs[i][1], r.segs[i + 1][2])
    return None


@TABLE.rule("family-int", {"int"}, True, "meta-llama/Llama-2-7b-hf", "microsoft/phi-2", "Qwen/Qwen-1_8B")
def _family_int(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`Llama-2-7b`, `kandinsky-2`: one digit right after the family word, when a parameter count follows or the
    family is known to number its releases with bare integers (not after sizes, tasks, languages, reuse words)."""
    pl = r.prev_low(i)
    nxt_size = bool(SIZE_UNIT.match(r.segs[i + 1][0])) if i + 1 < r.n else False
    if (_lone_digit_after_dash(r, i) and re.fullmatch(r"[a-z]{2,}", pl) and pl not in HYPER_WORDS
            and pl not in _vocab.SIZE_WORDS and pl not in _vocab.TASK_WORDS and pl not in _vocab.LANGUAGES
            and pl not in _vocab.REUSE_WORDS and (pl in _vocab.VERSIONED_FAMILIES or (nxt_size and len(pl) >= 3))):
        return r.whole(i)
    return None


@TABLE.rule("trailing-int", {"int"}, True, "hung200504/test-bert-2", "multimodalart/poli-standard-face-repeats-2")
def _trailing_int(r: Reading, i: int, m: re.Match) -> Hit | None:
    """A lone `2` closing the name after a plain word: `whisper-medium-turkish-2` (a second release; not `gpt-2`,
    `sst-2`, `epoch-2`. Dev labels: a closing `-2` is a version in 10 of 17 names, `-1` in 3 of 16 (a run or a first
    try), `-3`..`-9` in 0 of 9 (runs, folds, classes): only the 2 is taken)."""
    text, pl = r.segs[i][0], r.prev_low(i)
    if (r.run_end(i) == i and i == r.n - 1 and text in _TRAILING_INTS and r.sep_before(i) in ("-", "_")
            and len(pl) >= 2 and pl.isalpha() and pl not in HYPER_WORDS and pl not in HYPER_PREFIX
            and pl not in _vocab.ARCH_INT_FAMILIES and not is_dataset(pl + text) and pl + text not in arch()):
        return r.whole(i)
    return None


@TABLE.rule("number", {"int"}, False, "Domrachev/my_awesome_model_bert_3_all_metric",
            "camus-ng/lora-trained-xl-cory-5")
def _int_number(r: Reading, i: int, m: re.Match) -> Hit:
    """`distilbart-cnn-12-6`, `roberta_1`, `classifier-3`: a number that is none of the above."""
    return (r.run_end(i) + 1, r.segs[i][1], r.segs[i][2])
