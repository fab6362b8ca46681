"""A decimal or a `v`-number glued to a word: `Qwen2.5`, `OnlyAnimeV2` are versions; `squad2.0`, `llama3.1b`,
`yolov8`, `squadv2` are not."""
from __future__ import annotations

import re

from analysis.versions.rules.reading import Hit, Reading, RuleTable
from analysis.versions.rules.words import DIGIT, HYPER_PREFIX, arch, glued_arch, is_dataset

TABLE = RuleTable()


# -- a decimal glued to a word: `Qwen2.5` --

@TABLE.rule("size", {"glued-dec"}, False, "rexwang8/py2.8b", "lomahony/eleuther-pythia6.9b-hh-dpo")
def _glued_dec_unit(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`llama3.1b`, `phi1.5m`: a glued decimal with a size unit."""
    suffix = m.group(3).lower()
    return r.whole(i) if suffix and suffix != "v" and suffix in ("b", "m", "k", "t", "x") else None


@TABLE.rule("other", {"glued-dec"}, False, "digiplay/LemonTea2.5D", "genne/otter3.1.3n_7b")
def _glued_dec_suffix(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`gpt3.5turbo`-like: a glued decimal with other letters after it."""
    return r.whole(i) if m.group(3) and m.group(3).lower() != "v" else None


@TABLE.rule("hyperparameter", {"glued-dec"}, False, "jbrinkw/fp1.1", "Iskaj/300m_cv8.0_nl_base",
            "GItaf/roberta-base-roberta-base-TF-weight0.5-epoch5")
def _glued_dec_hyper(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`lr1.5`, `ep2.5`: a decimal glued to a hyper-parameter word."""
    return r.whole(i) if m.group(1).lower() in HYPER_PREFIX else None


@TABLE.rule("dataset", {"glued-dec"}, False, "maroo93/squad2.0", "ankitkupadhyay/xnli3.0_bulgarian_model")
def _glued_dec_dataset(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`squad2.0`, `AMR3.0`: a dataset's version."""
    return r.whole(i) if is_dataset(m.group(1).lower()) else None


@TABLE.rule("glued-decimal", {"glued-dec"}, True, "xyz-nlp/XuanYuan2.0", "saberai/Zro1.2_3B", "Neus/GFPGANv1.4")
def _glued_decimal(r: Reading, i: int, m: re.Match) -> Hit:
    """`Qwen2.5`, `SD2.1`, `XuanYuan2.0`: a decimal glued to a word (the decimal is the version)."""
    at = r.segs[i][1] + r.segs[i][0].index(m.group(2))
    return (i + 1, at, at + len(m.group(2)))


# -- a `v` glued to a word: `OnlyAnimeV2` --

def _glued_v_span(r: Reading, i: int, m: re.Match) -> Hit:
    at = r.segs[i][1] + len(m.group(1))
    return (i + 1, at, at + 1 + len(m.group(2)))


@TABLE.rule("glued-v", {"glued-v"}, True, "TencentARC/t2iadapter_canny_sd14v1", "pietrolesci/t5v1_1-base-mnli")
def _glued_v_after_base(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`sd14v1`: a version glued after a digit-holding base model (v1 of an adapter for SD 1.4)."""
    prefix = m.group(1).lower()
    return _glued_v_span(r, i, m) if DIGIT.search(prefix) and prefix in arch() and not m.group(3) else None


@TABLE.rule("architecture", {"glued-v"}, False, "keremberke/yolov8s-protective-equipment-detection",
            "TheSleepyJo/mobilevitv2_fold_5", "molsen/beitv2")
def _glued_v_architecture(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`yolov8`, `convnextv2`, `layoutlmv3`: an architecture whose name holds the `v` and digit."""
    prefix = m.group(1).lower()
    if glued_arch(r.low(i), prefix) or glued_arch(prefix + "v" + m.group(2), prefix):
        return r.whole(i)
    return None


@TABLE.rule("dataset", {"glued-v"}, False, "aware-ai/bart-squadv2", "vhurryharry/cifarv2")
def _glued_v_dataset(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`squadv2`: a dataset's version glued to it."""
    prefix = m.group(1).lower()
    return r.whole(i) if is_dataset(prefix) or is_dataset(r.low(i)) else None


@TABLE.rule("word", {"glued-v"}, False, "ai4bharat/indicwav2vec-hindi", "tartuNLP/liv4ever-mt")
def _glued_v_word(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`wav2vec`-like words: a `v` inside lower-case letters."""
    return r.whole(i) if m.group(3) and m.group(3)[0].islower() and m.group(1)[-1].islower() else None


@TABLE.rule("glued-v", {"glued-v"}, True, "kqj5uj/ADRv1", "sail-rvc/HayleyWilliams700v2", "khursani8/mesollama2v2")
def _glued_v(r: Reading, i: int, m: re.Match) -> Hit:
    """`OnlyAnimeV2`, `modelv3`: a `v`-version glued to a word that is not an architecture or a dataset."""
    return _glued_v_span(r, i, m)
