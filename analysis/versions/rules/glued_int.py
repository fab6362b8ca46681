"""Digits glued to a word: `llama2`, `gpt2`, `squad2`, `L12` are names, datasets and codes, not versions (written
apart, `Llama-2` would be one); only IndoBERT's closing `p2` is a release."""
from __future__ import annotations

import re

from analysis.versions import vocab as _vocab
from analysis.versions.rules.reading import Hit, Reading, RuleTable
from analysis.versions.rules.words import HYPER_PREFIX, glued_arch, is_dataset

TABLE = RuleTable()


@TABLE.rule("architecture", {"glued-int"}, False, "gpt2", "facebook/wav2vec2-base-960h",
            "asieh/mt5-small-finetuned-amazon-en-es")
def _glued_int_architecture(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`gpt2`, `t5`, `resnet50`, `wav2vec2`: an architecture whose name holds the digits."""
    return r.whole(i) if glued_arch(r.low(i), m.group(1).lower()) else None


@TABLE.rule("dataset", {"glued-int"}, False, "pranav4205/distilbert-base-uncased-finetuned-sst2",
            "AdapterHub/bert-base-uncased-pf-conll2003")
def _glued_int_dataset(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`squad2`, `cv7`, `conll2003`: a dataset name."""
    return r.whole(i) if is_dataset(r.low(i)) or is_dataset(m.group(1).lower()) else None


@TABLE.rule("phase", {"glued-int"}, True, "indobenchmark/indobert-base-p2", "indobenchmark/indobert-large-p1")
def _phase(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`indobert-base-p2`: `p1`/`p2` closing the name after a size word (IndoBERT's phase-2 release)."""
    if m.group(1).lower() == "p" and len(m.group(2)) == 1 and i == r.n - 1 and r.prev_low(i) in _vocab.SIZE_WORDS:
        return r.whole(i)
    return None


@TABLE.rule("hyperparameter", {"glued-int"}, False, "pyf98/aishell_ctc_e_branchformer_e12",
            "mncai/Foundation_Law_Administration_CoT_epoch1")
def _glued_int_hyper(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`L12`, `H384`, `ep10`, `e2`, `p16`: a hyper-parameter or variant code."""
    prefix = m.group(1).lower()
    return r.whole(i) if prefix in HYPER_PREFIX or len(prefix) <= 2 else None


@TABLE.rule("number", {"glued-int"}, False, "erica/kob400", "GamerGod2k/DialoGPT-medium-johnnyboy123")
def _glued_int_long(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`model123`: three digits or more glued to a word."""
    return r.whole(i) if len(m.group(2)) > 2 else None


@TABLE.rule("family-name", {"glued-int"}, False, "hfl/rbt3", "kartikpalani/eai-setfit-model2",
            "Seonghwan/my-bert-fine-tuned-psh2")
def _family_name(r: Reading, i: int, m: re.Match) -> Hit:
    """`llama2`, `norbert3`, `generator1`: a digit glued to a word is part of the family's name (separated, it would
    be a version: `Llama-2`)."""
    return r.whole(i)
