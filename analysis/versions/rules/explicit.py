"""Segments that say they are versions (`v2`, `rev2`) and numbers after a word that says what they are (`rev-3`,
`transformers-4.29`, and sizes `7b` of any shape)."""
from __future__ import annotations

import re

from analysis.versions import vocab as _vocab
from analysis.versions.rules.reading import NOT_V, NUMBERS, Hit, Reading, RuleTable, small_int
from analysis.versions.rules.words import LIBRARY_WORDS, SIZE_MUL, SIZE_UNIT

_VERSION_WORDS = re.compile(r"(?i)^(?:version|ver|rev|release|revision|vers|r)$")
TABLE = RuleTable()


# -- explicit `v` --

@TABLE.rule("architecture", {"explicit-v"}, False, "merve/deeplab-v3", "timm/inception_v3.tv_in1k",
            "NitheshSanil/YOLO_v8s")
def _v_after_v_family(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`mobilenet-v3`: the `v` generation of an architecture family written after it."""
    pl = r.prev_low(i)
    if r.after_dash(i) and (pl in _vocab.ARCH_V_FAMILIES or pl.rstrip("s") in _vocab.ARCH_V_FAMILIES):
        return r.whole(i)
    return None


@TABLE.rule("other", {"explicit-v"}, False, "hlarcher/falcon-7b-v100s")
def _v_gpu(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`v100s`: a GPU, not a version (a `v` with three digits or more and letters after)."""
    return r.whole(i) if m.group(2) and len(m.group(1).split(".")[0]) > 2 else None


@TABLE.rule("explicit-v", {"explicit-v"}, True, "EarthnDusk/malware-dream-v2",
            "sofia-todeschini/Bioformer-LitCovid-v1.2.5", "004T/v3-5", "brucethemoose/Yi-34B-200K-DARE-merge-v5")
def _explicit_v(r: Reading, i: int, m: re.Match) -> Hit:
    """`v2`, `V1.5`, `v0.1` as their own segment, with their dashed parts (`V1-1`, `v1_1`, `v1-2-2`)."""
    s, e = r.segs[i][1], r.segs[i][2]
    end = s + 1 + len(m.group(1)) if m.group(2) else e
    j = i + 1
    if "." not in m.group(1) and not m.group(2):
        while j < r.n and small_int(r.segs[j][0]) and len(r.segs[j][0]) == 1 and r.sep_before(j) in ("-", "_"):
            end = r.segs[j][2]
            r.used[j] = True
            j += 1
    return (i + 1, s, end)


@TABLE.rule("version-word", {"version-word"}, True, "chanchongwei/bert-base-uncased-ver1",
            "TheBloke/OpenOrca-Preview1-13B-GPTQ", "no3/kat-at3-beta1")
def _version_word_glued(r: Reading, i: int, m: re.Match) -> Hit:
    """`version2`, `rev2`, `beta2`, `Preview2`, `rc1`: a version word glued to its number."""
    return r.whole(i)


# -- numbers after a word that says what they are --

@TABLE.rule("library", NUMBERS, False, "eduard-llado/bert-finetuned-ner-accelerate-3", "Martin2203/starcoder-peft-2")
def _library_release(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`transformers-4.29`, `torch-2.0`: the release of a library written into the name, not the model's."""
    return r.whole(i) if i > 0 and r.prev_low(i) in LIBRARY_WORDS and r.sep_before(i) in "-_ " else None


@TABLE.rule("version-word", NUMBERS, True, "mann-e/mann-e_rev-2", "Seooooooogi/version_2",
            "underactuated/opt-350m_ver_13")
def _after_version_word(r: Reading, i: int, m: re.Match) -> Hit | None:
    """`rev-3`, `version-2`, `release_1.1`: a number after a version word."""
    if i > 0 and _VERSION_WORDS.match(r.prev_low(i)) and r.sep_before(i) in "-_ " and len(r.segs[i][0]) <= 5:
        return r.whole(i)
    return None


@TABLE.rule("size", NOT_V, False, "petals-team/falcon-rw-1b", "amu/tao-8k",
            "TheBloke/Wizard-Vicuna-7B-Uncensored-HF")
def _size(r: Reading, i: int, m: re.Match | None) -> Hit | None:
    """`7b`, `1.5b`, `125m`, `8x7b`, resolutions `512x512`: a size or parameter count."""
    text = r.segs[i][0]
    return r.whole(i) if SIZE_UNIT.match(text) or SIZE_MUL.match(text) else None
