"""Generations: the release number of a model family, as its makers number the family's releases.

The detector reads `Qwen3`, `llama2`, `olmo3` as family names on purpose (docs/versions.md); a reader also wants to
know how many names carry a family's release number, so a **generation** is its own naming element: the 3 of
`Qwen3-4B`, the 2 of `llama2_7b` and `Llama-2-7b`, the 2.5 of `Qwen2.5`, the 3 of `mobilenet-v3`, the 8 of `yolov8`,
the 2 of `gpt2`, `dinov2`, `wav2vec2`. Digits that number no release (`t5`, `e5`, `wav2vec`'s own 2, `resnet50`),
sizes (`llama-7b`, `gemma-2b`, `mamba-2.8b`) and a fine-tune's own version (`my-bert-v3`) are not generations.

Which families number their releases is knowledge, not pattern: `FAMILIES` lists them, each with how its makers
write the number (`plain`: one digit, no `v`; `v`: with or without `v`, up to two digits; `dashed`: also a decimal
written with `-` or `_`, `stable-diffusion-2-1`, `phi-1_5`). The rules are one regular expression (`PATTERN`) that
both Python's `re` (one name, with positions, for `detect --explain`) and Arrow's RE2 (`generations`, whole columns
of millions of names in C++) run, so the two readings are the same by construction. The first family mention of a
name that passes the rules decides; the owner is never read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.versions.rules.reading import Example

#: family word (as written in names, lower case, `-` standing for any of `-`, `_`, space or nothing) -> how it
#: numbers its releases. `glued` families may be glued after other letters (`distilgpt2`, `kogpt2`).
FAMILIES: dict[str, str] = {
    # language models
    "llama": "plain", "qwen": "plain", "olmo": "plain", "ministral": "plain", "gemma": "plain", "phi": "dashed",
    "falcon": "plain", "chatglm": "plain", "glm": "plain", "baichuan": "plain", "internlm": "dashed", "yi": "plain",
    "starcoder": "plain", "stablelm": "plain", "codegen": "plain", "smollm": "plain", "granite": "plain",
    "orca": "plain", "wizardlm": "plain", "hermes": "plain", "openhermes": "plain", "openchat": "plain",
    "nemotron": "plain", "ernie": "plain", "rwkv": "plain", "mamba": "plain", "gpt": "glued",
    "deepseek": "v", "dolly": "v", "llava": "v",
    # vision, speech, multimodal
    "wav2vec": "plain", "blip": "plain", "idefics": "plain", "florence": "plain", "sam": "plain",
    "siglip": "plain", "paligemma": "plain", "moondream": "plain", "kandinsky": "dashed",
    "stable-diffusion": "dashed", "sd": "sd",
    "mobilenet": "v", "mobilevit": "v", "efficientnet": "v", "convnext": "v", "swin": "v", "yolo": "v",
    "dino": "v", "layoutlm": "v", "deberta": "v", "inception": "v",
}

_SEP = r"[-_ ]?"
# what may follow the number: the end, or a character that is not a letter, a digit or a decimal point (`mamba-2.8b`
# is a size, not generation 2); both engines read it without look-around
_END = r"(?:$|[^A-Za-z0-9.]|\.$|\.[^0-9])"
# letters glued after a plain family's number, unless they make it a size (`7b`, `125m`, `2k`, `1t`, `8x`)
_PLAIN_TAIL = r"(?:[ac-jl-su-wyz][a-z]*|[bkmtx][a-z]+)?"


def _words(kind: set[str]) -> str:
    words = sorted((w for w, k in FAMILIES.items() if k in kind), key=len, reverse=True)
    return "|".join(w.replace("-", "[-_ ]?") for w in words)


@lru_cache(maxsize=1)
def pattern() -> str:
    """The generation rules as one regular expression (RE2- and `re`-compatible; named groups per branch)."""
    left = r"(?:^|[^a-z])"
    dashed = rf"{left}(?P<df>{_words({'dashed', 'sd'})}){_SEP}v?(?P<dn>\d)[-_](?P<dd>\d){_END}"
    vfam = rf"{left}(?P<vf>{_words({'v'})}){_SEP}v?(?P<vn>\d{{1,2}}(?:\.\d{{1,2}})?)(?:[a-z][a-z0-9]*)?{_END}"
    # `sd` alone is too short a word to take `sd-1` (a seed) for Stable Diffusion 1: glued, with `v`, or a decimal
    sd = rf"{left}(?P<sf>sd)(?:(?:[-_ ]?v)?(?P<sn>\d(?:\.\d)?)|[-_ ](?P<sm>\d\.\d)){_END}"
    plain = (rf"(?:{left}(?P<pf>{_words({'plain', 'dashed'})})|(?P<gf>{_words({'glued'})})){_SEP}"
             rf"(?P<pn>\d(?:\.\d{{1,2}})?){_PLAIN_TAIL}{_END}")
    return rf"(?i){dashed}|{vfam}|{sd}|{plain}"


@lru_cache(maxsize=1)
def _compiled() -> re.Pattern:
    return re.compile(pattern())


#: The rules, in the order the expression tries them at each position: (name, example, what it reads).
RULES: tuple[tuple[str, str], ...] = (
    ("generation-dashed", "`stable-diffusion-2-1`, `sd-v1-5`, `phi-1_5`, `internlm2_5`: a family that writes a "
                          "decimal release with `-` or `_` (2.1, 1.5)"),
    ("generation-v", "`mobilenet-v3`, `yolov8`, `yolo11`, `dinov2`, `deberta-v3`, `llava-v1.5`, `DeepSeek-V3`: a "
                     "family whose makers number releases with or without `v` (up to two digits, a decimal part)"),
    ("generation", "`Qwen3-4B`, `llama2_7b`, `Llama-2-7b`, `olmo3`, `rwkv-4`, `Qwen2.5`, `gpt2`, `wav2vec2`: one "
                   "digit (and a decimal part) glued to or written after a family that numbers its releases"),
    ("no-generation", "`t5`, `e5`, `bert`, `resnet50`, `wav2vec`, `my-bert-v3`: no family that numbers its releases; "
                      "`llama-7b`, `gemma-2b`, `mamba-2.8b`, `Yi-34B`: the number after the family is a size"),
)
#: Each rule's examples, tested through `detect()` like the version rules': the reason is the generation's
#: rule (or `no-generation`), beside whether the name has a version.
EXAMPLES: dict[str, tuple[Example, ...]] = {
    "generation-dashed": (Example("microsoft/phi-1_5", True, "generation-dashed"),
                          Example("kandinsky-community/kandinsky-2-2-controlnet-depth", True, "generation-dashed")),
    "generation-v": (Example("anymodality/llava-v1.5-7b", True, "generation-v"),
                     Example("amejri/layoutlmv3", False, "generation-v")),
    "generation": (Example("tnash6/llama-2-7b-miniguanaco", True, "generation"),
                   Example("Narsil/gpt2", False, "generation")),
    "no-generation": (Example("t5-3b", False, "no-generation"),
                      Example("Nazzyk/ppo-SnowballTarget", False, "no-generation")),
}


@dataclass(frozen=True)
class Generation:
    family: str  # the family word as written in the name
    number: str  # `3`, `2.5` (a dashed decimal written with a dot: `2-1` -> `2.1`)
    rule: str
    position: tuple[int, int]  # [start, end) of the number in the name

    def to_json(self) -> dict:
        return {"family": self.family, "number": self.number, "rule": self.rule, "position": list(self.position)}


def generation(name: str) -> Generation | None:
    """The generation a name (owner left out) carries, by the first family mention that passes the rules."""
    m = _compiled().search(name)
    if m is None:
        return None
    if m.group("df"):
        return Generation(m.group("df"), f"{m.group('dn')}.{m.group('dd')}", "generation-dashed",
                          (m.start("dn"), m.end("dd")))
    if m.group("vf"):
        return Generation(m.group("vf"), m.group("vn"), "generation-v", (m.start("vn"), m.end("vn")))
    if m.group("sf"):
        at = "sn" if m.group("sn") else "sm"
        return Generation(m.group("sf"), m.group(at), "generation-v", (m.start(at), m.end(at)))
    fam = m.group("pf") or m.group("gf")
    return Generation(fam, m.group("pn"), "generation", (m.start("pn"), m.end("pn")))


def _arrow_names(ids: pd.Series):
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(ids.astype("string").fillna("").array)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pc.replace_substring_regex(pc.fill_null(arr.cast(pa.string()), ""), r"^.*/", "")


def generations(ids: pd.Series) -> pd.DataFrame:
    """Per id (same index): `generation` (bool), `generation_family`, `generation_number` (empty when none).

    Vectorised: one RE2 search over the whole column (names only, owners cut off by Arrow), no Python per name."""
    import pyarrow.compute as pc

    names = _arrow_names(ids)
    found = pc.extract_regex(pc.utf8_trim_whitespace(names), pattern())
    has = pc.is_valid(found).to_numpy(zero_copy_only=False)
    field = {k: pc.fill_null(pc.struct_field(found, k), "") for k in ("df", "dn", "dd", "vf", "vn", "sf", "sn", "sm", "pf",
                                                                    "gf", "pn")}
    dashed = pc.not_equal(field["df"], "")
    family = pc.if_else(dashed, field["df"], pc.binary_join_element_wise(
        field["vf"], field["sf"], field["pf"], field["gf"], ""))  # at most one branch matched: the others are ""
    number = pc.if_else(dashed, pc.binary_join_element_wise(field["dn"], field["dd"], "."),
                        pc.binary_join_element_wise(field["vn"], field["sn"], field["sm"], field["pn"], ""))
    return pd.DataFrame({"generation": has, "generation_family": pd.array(family, dtype="string"),
                         "generation_number": pd.array(number, dtype="string")}, index=ids.index)


def has_generation(ids: pd.Series) -> pd.Series:
    """`generation(name) is not None` for a Series of ids, vectorised; same index, booleans."""
    return pd.Series(np.asarray(generations(ids)["generation"], dtype=bool), index=ids.index)
