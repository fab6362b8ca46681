"""Experiment 2b: the version tokens of each model family, and how many families use each token.

Two rule sets, because the study's text (study.md) and its published code disagree in two places:

* ``study`` (default) follows study.md: keep names that contain ``-`` or ``.`` (step 2), and the version part is
  the text after the first ``-``, or after the first ``.`` when the name has no ``-`` (step 5).
* ``code`` reproduces the published notebook, whose outputs are in ``seed-2024-02/outputs``: its step-2 filter is
  ``if '-' or '.' in model`` (always true, so names without a separator still count towards a family's two models),
  and its version part is the text after the first ``.`` whenever the part before the first ``-`` holds a ``.``
  (``Qwen1.5-7B`` -> ``5-7B``, where study.md gives ``7B``).

Both lowercase tokens but not family names (``Mixtral`` and ``mixtral`` are two families), as the code does.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

RULES = ("study", "code")
#: Version markers removed from the version part before it is split (step 6).
MARKER_REGEX = r"-?[vV]\d\.?\d?\.?\d?"
#: A piece holding this stays whole instead of being split on "." (step 7): `2.5`, `4.0bpw`.
KEEP_WHOLE_REGEX = r"\d\.\d"


def _names(ids: pd.Series) -> pd.Series:
    """Step 1: ids with an owner; name = the part after the first "/"."""
    ids = ids[ids.str.contains("/", regex=False)]
    return ids.str.replace(r"^[^/]*/", "", regex=True)


def _version_part(names: pd.Series, rules: str) -> pd.Series:
    """Step 5: the text after the family token (see the module docstring for the two rule sets)."""
    has_dash = names.str.contains("-", regex=False)
    if rules == "study":  # the "." rule only for the (few) names without "-"
        out = names.str.replace(r"^[^-]*-", "", regex=True)
        if not has_dash.all():
            rest = names[~has_dash]
            out[~has_dash] = rest.str.replace(r"^[^.]*\.", "", regex=True).where(rest.str.contains(".", regex=False),
                                                                                   "")
        return out
    has_dot = names.str.contains(".", regex=False)
    after_dash = names.str.replace(r"^[^-]*-", "", regex=True).where(has_dash, "")
    after_dot = names.str.replace(r"^[^.]*\.", "", regex=True).where(has_dot, "")
    head_has_dot = names.str.contains(r"^[^-]*\.", regex=True)
    return after_dot.where(head_has_dot, after_dash)


_KEEP_WHOLE = re.compile(KEEP_WHOLE_REGEX)


def split_version(version: str) -> list[str]:
    """Steps 7-8 on one version part (markers already removed): its tokens, before lowercasing.

    Split on "-", then each piece on "." unless it holds `digit.digit`; drop empty, all-digit and 1-char tokens.
    """
    out: list[str] = []
    for piece in version.split("-"):
        for tok in ([piece] if _KEEP_WHOLE.search(piece) else piece.split(".")):
            if len(tok) > 1 and not tok.isdigit():
                out.append(tok)
    return out


def version_tokens(version: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """`split_version` of every version part at once, lower-cased: (position of the part in `version`, token) pairs.

    A part's tokens may repeat. The split runs in Arrow (split on "-", then on "." unless the piece holds
    `digit.digit`, then the length and all-digit filters), where Arrow's ASCII rules are Python's; the few parts with
    other characters (Unicode digits, case rules) are split by `split_version` itself."""
    at, toks = _version_tokens(version)
    return at, toks.to_numpy(zero_copy_only=False)


def _version_tokens(version: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """`version_tokens`, the tokens left in Arrow."""
    v = _arrow_strings(version)
    plain = pc.fill_null(pc.string_is_ascii(v), True).to_numpy(zero_copy_only=False)
    pieces = pc.split_pattern(v, "-")
    piece_at = pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False)
    pieces = pc.list_flatten(pieces)
    whole = pc.match_substring_regex(pieces, r"[0-9]\.[0-9]").to_numpy(zero_copy_only=False)
    parts = pc.split_pattern(pieces, ".")
    part_of = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
    split = ~whole[part_of]
    at = np.concatenate([piece_at[part_of[split]], piece_at[whole]])
    toks = pa.concat_arrays([pc.list_flatten(parts).filter(pa.array(split)), pieces.filter(pa.array(whole))])
    keep = pc.and_(pc.greater(pc.utf8_length(toks), 1), pc.invert(pc.ascii_is_decimal(toks)))
    keep = keep.to_numpy(zero_copy_only=False) & plain[at]
    at, toks = at[keep], pc.ascii_lower(toks.filter(pa.array(keep)))
    other = np.flatnonzero(~plain)
    if len(other):
        more = [(k, t.lower()) for k, ver in zip(other.tolist(), v.take(pa.array(other)).to_pylist())
                for t in split_version(ver)]
        at = np.concatenate([at, np.array([k for k, _ in more], dtype=at.dtype)])
        toks = pa.concat_arrays([toks, pa.array([t for _, t in more], type=toks.type)])
    return at, toks


def _arrow_strings(s: pd.Series) -> pa.Array:
    """The values of a string Series as one Arrow array (no copy when it is Arrow-backed already)."""
    arr = pa.array(s.astype("string[pyarrow]").array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def family_tokens(ids: pd.Series, rules: str = "study") -> pd.Series:
    """Family -> frozenset of its version tokens, for families of two models or more with at least one token.

    Index: family name (sorted); values: frozenset[str]. Families whose models yield no token are left out (they
    can hold no token and share none), as in the study's published per-family lists. The string steps run as
    vectorised (Arrow) regex replacements, and so does the split (`version_tokens`).
    """
    if rules not in RULES:
        raise ValueError(f"rules must be one of {RULES}")
    names = _names(ids.astype("str"))
    if rules == "study":
        names = names[names.str.contains(r"[-.]", regex=True)]
    family = names.str.replace(r"[-.].*", "", regex=True)
    multi = family.map(family.value_counts()) > 1
    names, family = names[multi], family[multi]
    version = _version_part(names, rules).str.replace(MARKER_REGEX, "", regex=True)
    at, toks = version_tokens(version)
    sets: dict[str, set[str]] = {}
    for fam, tok in zip(family.to_numpy(dtype=object)[at].tolist(), toks.tolist()):
        sets.setdefault(fam, set()).add(tok)
    out = pd.Series({f: frozenset(t) for f, t in sorted(sets.items())}, dtype=object, name="tokens")
    out.index.name = "family"
    return out


def family_token_counts(names: pd.Series, keys: pd.Series, rules: str = "study") -> pd.DataFrame:
    """`key, token, families`: the 2b token frequencies of every group of names at once (groups: `keys`, aligned).

    Per group, the same counts as `token_table(family_tokens(...))` on the group's names (owner already removed, so
    ids without an owner count too): families of two models or more *within the group*, each token counted once
    per family. For many groups over one feed (the comparison's 45 tasks and organisations): the version parts are
    split in Arrow (`version_tokens`), and families and tokens are counted as integer codes with numpy, instead of a
    Python loop per group.
    Sorted by key, then families (most first), then token.
    """
    if rules not in RULES:
        raise ValueError(f"rules must be one of {RULES}")
    keep = names.notna() & keys.notna()
    names, keys = names[keep].astype("str"), keys[keep]
    if rules == "study":
        sep = names.str.contains(r"[-.]", regex=True)
        names, keys = names[sep], keys[sep]
    family = names.str.replace(r"[-.].*", "", regex=True)
    # (key, family) pairs, (pair, token) and (key, token) as integer codes: no string tables to group
    key_at, key_of = pd.factorize(keys)
    fam_at, fam_of = pd.factorize(family)
    pair = key_at.astype(np.int64) * max(len(fam_of), 1) + fam_at
    _, pair_at, size = np.unique(pair, return_inverse=True, return_counts=True)
    multi = size[pair_at] > 1
    version = _version_part(names[multi], rules).str.replace(MARKER_REGEX, "", regex=True)
    at, toks = _version_tokens(version)
    toks = pc.dictionary_encode(toks)
    n_tok = max(len(toks.dictionary), 1)
    held = pd.unique(pair[multi][at] * n_tok + toks.indices.to_numpy(zero_copy_only=False))  # (pair, token) once
    key_tok, families = np.unique(held // n_tok // max(len(fam_of), 1) * n_tok + held % n_tok, return_counts=True)
    counts = pd.DataFrame({"key": key_of.to_numpy(dtype=object)[key_tok // n_tok],
                           "token": toks.dictionary.to_numpy(zero_copy_only=False)[key_tok % n_tok],
                           "families": families})
    counts["families"] = counts["families"].astype(int)
    return counts.sort_values(["key", "families", "token"], ascending=[True, False, True],
                              kind="stable").reset_index(drop=True)


def token_table(families: pd.Series) -> pd.DataFrame:
    """2b table: `token, families` (number of families whose token set holds it), most first, ties by token."""
    if families.empty:
        return pd.DataFrame({"token": pd.Series([], dtype=str), "families": pd.Series([], dtype=int)})
    counts = families.explode().value_counts()
    out = pd.DataFrame({"token": counts.index.astype(str), "families": counts.to_numpy().astype(int)})
    return out.sort_values(["families", "token"], ascending=[False, True], kind="stable").reset_index(drop=True)


def rule_differences(ids: pd.Series) -> int:
    """Number of families whose token set differs between the `study` and `code` rule sets.

    Only families holding a name the two rule sets read differently can differ: a name without `-` or `.` (kept by
    the code only), or a name whose part before the first `-` holds a `.` (other version part). Both rule sets run
    on those families' names only, which keeps this cheap on large feeds.
    """
    names = _names(ids.astype("str"))
    family = names.str.replace(r"[-.].*", "", regex=True)
    no_separator = ~names.str.contains(r"[-.]", regex=True)
    other_version = names.str.contains(r"^[^-]*\.[^-]*-", regex=True)
    codes, _ = pd.factorize(family)  # (Series.isin on Arrow strings goes through Python objects)
    affected = np.unique(codes[(no_separator | other_version).to_numpy(dtype=bool)])
    if not len(affected):
        return 0
    sub = ids[ids.str.contains("/", regex=False)][np.isin(codes, affected)]
    a, b = family_tokens(sub, "study"), family_tokens(sub, "code")
    return sum(1 for k in set(a.index) | set(b.index) if a.get(k) != b.get(k))
