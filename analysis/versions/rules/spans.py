"""The rules that read across separators or before the segment rules: `environment` ids and `date`s (spans claimed
first), `quantisation` formats (turned down as the name is cut into segments) and `release-tag`s (read last)."""
from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from analysis.versions import vocab as _vocab
from analysis.versions.rules.reading import Example

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_YEAR = r"(?:199\d|20[0-3]\d)"
DATE_RE = re.compile(
    rf"(?<![0-9]){_YEAR}[-_.]?(?:0[1-9]|1[0-2])[-_.]?(?:0[1-9]|[12]\d|3[01])(?![0-9])"   # 2023-06-16, 20210520
    rf"|(?<![0-9])\d{{1,2}}[-_.]\d{{1,2}}[-_.]{_YEAR}(?![0-9])"                             # 09-04-2021
    rf"|(?<![0-9]){_YEAR}[-_.](?:0[1-9]|1[0-2])(?![0-9.])"                                  # 2023-06
    rf"|(?i:(?<![a-z]){_MONTHS}[-_]?(?:{_YEAR}|\d\d)(?![0-9]))"                             # dec2021, feb-23
    rf"|(?<![0-9A-Za-z]){_YEAR}(?![0-9])")                                                  # 2022
YEAR_HINT = re.compile(r"199\d|20[0-3]\d")
MONTHS3 = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Quantisation / precision formats, as one segment (`q4_k_m` is claimed segment by segment: QUANT_TAIL).
QUANT_SEG = re.compile(
    r"(?i)i?q[1-8](?:k|km|ks|kl|0|1)?|\d+(?:\.\d+)?bpw|\d+bits?|w\d+a\d+|(?:mx|nv)?fp(?:4|8|16|32)|bf16|f16|f32|"
    r"int[2-8]|nf4|exl[23]|\d+g|gs\d+|g\d{2,3}|[248]b?it")
QUANT_TAIL = re.compile(r"(?i)k|[0-9]|[sml]|xs|xxs|xl|km|ks")
# A release tag standing as its own word, not followed by a number (`beta-2` is read by the version-word rule).
_RELEASE_TAG = re.compile(r"(?i)(?:^|(?<=[-_ .]))(latest|beta)(?=$|[-_ .])(?![-_ .]\d+(?:\.\d+)*(?:$|[-_ .]))")
_VNUM = re.compile(r"[-_]?[vV]\d+(?![0-9])")
_WORD = re.compile(r"[A-Za-z0-9]+")
_ENV_SUFFIX_WORDS = ("NoFrameskip", "Deterministic", "BulletEnv", "Env", "Continuous", "Dense", "Sparse", "Hardcore")
# The highest version of any registered Gym/Gymnasium/ALE/MuJoCo/Box2D/Bullet/panda-gym/Meta-World id (MuJoCo and ALE
# ids stop at v5): `<Environment>-v<N>` with a larger N is not an environment id.
ENV_MAX_VERSION = 5

DOCS = {"environment": "`LunarLander-v2`, `FrozenLake-v1`, `halfcheetah_v4`: a Gym/Atari/MuJoCo environment id "
                       f"(v0-v{ENV_MAX_VERSION}; no registered id goes beyond, so `halfcheetah_v10` is the "
                       "model's own version)",
        "date": "`2023-06-16`, `20210520`, `09-04-2021`, `2022`, `dec2021`: a date",
        "quantisation": "`gptq`, `q4_k_m`, `4bit`, `4.0bpw`, `fp16`, `int4`, `128g`: a quantisation or precision "
                        "format",
        "release-tag": "`latest` or `beta` as a word of its own (`...-sentiment-latest`, `starchat-beta`): a "
                       "release named without a number; right after a version it joins it (`0.1.0-beta`)"}
#: Each rule's examples: names of the 2024 lists it decides, and near misses another rule decides.
EXAMPLES: dict[str, tuple[Example, ...]] = {
    "environment": (Example("hgc34/ppo-LunarLander-v2", False, "environment"),
                    Example("Segamboam/dqn-SpaceInvadersNoFrameskip-v4", False, "environment"),
                    Example("bnowak1831/a2c-AntBulletEnv-v0", False, "environment"),
                    Example("Sunny98/q-FrozenLake-v1-4x4-noSlippery", False, "environment"),
                    # beyond v5 no registered environment: the model's own version
                    Example("AnAmbitiousMonk/ppo-LunarLander-v7", True, "explicit-v")),
    "date": (Example("sliu/taxi-2022", False, "date"), Example("Xhaheen/srkay-man_6-1-2022", False, "date"),
             Example("Roshana/March23", False, "date")),
    "quantisation": (Example("iproskurina/gpt-j-6b-gptq-4bit", False, "quantisation"),
                     Example("Abzu/mpt-7b-q8", False, "quantisation"),
                     Example("bartowski/SlimOrca-13B-exl2", False, "quantisation")),
    "release-tag": (Example("HuggingFaceH4/mistral-7b-sft-beta", True, "release-tag"),
                    Example("olm/olm-gpt2-latest", True, "release-tag")),
}


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


def _ends_like_env(name: str, a: int, b: int) -> bool:
    """`name[a:b]` is a capitalised word ending like an environment (`SpaceInvadersNoFrameskip`, `AntBulletEnv`)."""
    return "A" <= name[a] <= "Z" and any(b - a > len(s) and name.endswith(s, a, b) for s in _ENV_SUFFIX_WORDS)


def env_spans(name: str) -> list[tuple[int, int]]:
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


def release_tags(name: str) -> tuple[tuple[str, int, int, str], ...]:
    if "eta" not in name and "ETA" not in name and "atest" not in name and "ATEST" not in name:
        return ()
    return tuple((m.group(), m.start(), m.end(), "release-tag") for m in _RELEASE_TAG.finditer(name))
