"""Bare decimals: `2.1`, `0.1.0` are versions; scores, rates, sizes and `2.5d` are not."""
from __future__ import annotations

import re

from analysis.versions.rules.reading import Hit, Reading, RuleTable
from analysis.versions.rules.words import HYPER_PREFIX

TABLE = RuleTable()


def _dec_parts(m: re.Match) -> tuple[list[str], str, bool]:
    """The parts and suffix of a bare decimal, and whether it is shaped like a version (`2.1`, not `128.5`)."""
    parts = (m.group(1) + m.group(2)).split(".")
    suffix = m.group(3).lower()
    return parts, suffix, suffix in ("", "v") and len(parts[0]) <= 2 and all(len(p) <= 3 for p in parts[1:])


@TABLE.rule("number", {"dec"}, False, "zerohell/rfid-bleu_0.012", "sinhala-nlp/sinbert-sold-si-std-0.01")
def _dec_score(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`0.073`, `0.05`: a score or a rate, not a version."""
    parts, _, versionish = _dec_parts(m)
    return r.whole(i) if versionish and len(parts) == 2 and len(parts[1]) >= 2 and parts[1][0] == "0" else None


@TABLE.rule("hyperparameter", {"dec"}, False, "cansurav/bert-base-uncased-finetuned-cola-dropout-0.6",
            "Bodolaz/Unit-4.1")
def _dec_rate(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`pruning-0.1`, `lr-1.5`, `dropout-0.1`: a decimal after a hyper-parameter word."""
    pl = r.prev_low(i)
    if _dec_parts(m)[2] and pl in HYPER_PREFIX and r.sep_before(i) in "-_" and pl not in ("r",):
        return r.whole(i)
    return None


@TABLE.rule("decimal", {"dec"}, True, "PaddlePaddle/ernie-1.0-base-zh", "Wanfq/distillchat_1.7.12", "yaneq/dog-1.4")
def _decimal(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`2.1`, `1.5`, `0.1.0`: a bare decimal number shaped like a version."""
    return r.whole(i) if _dec_parts(m)[2] else None


@TABLE.rule("other", {"dec"}, False, "tensor-diffusion/Dark-Sushi-2.5D", "adolor/lora_steffi-1702431651.1062772")
def _dec_other(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`2.5d`, `128.5`: a decimal with a suffix or a long integer part."""
    parts, suffix, _ = _dec_parts(m)
    return r.whole(i) if suffix == "d" or len(parts[0]) > 2 else None


@TABLE.rule("size", {"dec"}, False, "ltg/bnc-bert-span-0.5x",
            "ayameRushia/bert-base-indonesian-1.5G-sentiment-analysis-smsa")
def _dec_size(r: Reading, i: int, m: re.Match) -> Hit:
    """`1.5x`, `2.7bn`: a decimal with a unit."""
    return r.whole(i)
