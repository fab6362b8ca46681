"""Naming taxonomy: tokens classified into Jiang et al.'s elements plus Q (quantisation)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.versions import generation, taxonomy
from analysis.versions.vocab import LABELS_PATH, data_dir


def els(mid):
    return {t: e for t, e, _, _ in taxonomy.tokens(mid)}


def test_llm_name():
    e = els("TheBloke/Llama-2-13B-chat-GPTQ")
    assert e["Llama"] == "A" and e["2"] == "V" and e["13B"] == "P" and e["chat"] == "T" and e["GPTQ"] == "Q"


def test_bert_name():
    e = els("mrm8488/bert-base-portuguese-cased-finetuned-squad-v1-pt")
    assert e["bert"] == "A" and e["base"] == "S" and e["portuguese"] == "L" and e["cased"] == "C"
    assert e["finetuned"] == "F" and e["squad"] == "D" and e["v1"] == "V"


def test_layers_heads_and_glued_version():
    e = els("nreimers/MiniLM-L12-H384-uncased")
    assert e["L12"] == "N" and e["H384"] == "H" and e["uncased"] == "C"
    t = taxonomy.tokens("Qwen/Qwen2.5-7B-Instruct")
    assert ("2.5", "V") in [(x[0], x[1]) for x in t]
    for tok, _, a, b in t:
        assert "Qwen/Qwen2.5-7B-Instruct"[a:b] == tok


def test_quantisation_family():
    for mid in ("x/foo-GGUF", "x/foo-AWQ", "x/foo-exl2", "x/foo-int4", "x/foo-4bit", "x/foo-q4_k_m"):
        assert "Q" in taxonomy.elements(mid), mid


def test_elements_frame():
    ids = pd.Series(["TheBloke/Llama-2-13B-chat-GPTQ", "bert-base-uncased"], index=[5, 9])
    f = taxonomy.elements_frame(ids)
    assert f.index.tolist() == [5, 9]
    assert list(f.columns) == list(taxonomy.ELEMENTS) + ["G"]
    assert f.loc[5, "V"] and f.loc[5, "Q"] and not f.loc[9, "V"] and f.loc[9, "S"]
    assert f.loc[5, "G"] and not f.loc[9, "G"]  # Llama 2 is a generation; BERT numbers no release


@pytest.mark.skipif(not (data_dir() / LABELS_PATH).exists(), reason="needs ../shared/data naming labels")
def test_against_labels_heldout():
    from analysis.versions.evaluation import load_labels
    df = load_labels("test")
    r = taxonomy.evaluate(df["id"], df["elements"])["elements"]
    assert set(r) == set(taxonomy.LABEL_CODES)
    # the frequent elements are recognised well; measured on the held-out half
    for code, floor in {"A": 0.85, "S": 0.85, "P": 0.85, "V": 0.85, "L": 0.75, "F": 0.75}.items():
        assert r[code]["f1"] >= floor, (code, r[code])


LISTS = data_dir() / "seed-2024-02" / "lists"


def sample_ids(ids: list[str], n: int = 2000, seed: int = 0) -> pd.Series:
    """`n` of the real ids of the 2024 lists (`real_2024.ids`, sorted; a fixed sample), plus edge cases: no owner,
    blanks, empty, missing, repeats."""
    import random

    picked = random.Random(seed).sample(ids, n)
    edge = ["bert-base-uncased", "gpt2", " x/Llama-2-7b ", "x/ model-v2", "x/model-v2 ", "", None,
            picked[0], picked[1], "TheBloke/Llama-2-13B-chat-GPTQ", "sb3/ppo-LunarLander-v2", "a/Qwen2.5-7B"]
    return pd.Series(picked + edge, index=range(10, 10 + n + len(edge)), dtype=object)


@pytest.mark.skipif(not LISTS.exists(), reason="needs ../shared/data/seed-2024-02/lists")
@pytest.mark.parametrize("parallel", [False, True])
def test_elements_frame_is_the_per_name_reference(parallel, real_2024):
    # the fast path (pre-filter, no cache, names split over two processes) against `elements(id)`, which runs the
    # detector's rules on every name
    ids = sample_ids(real_2024.ids)
    f = taxonomy.elements_frame(ids, versioned=True, parallel=parallel)
    assert f.index.equals(ids.index)
    assert list(f.columns) == list(taxonomy.ELEMENTS) + ["versioned", "G"]
    for i, mid in ids.items():
        want = taxonomy.elements("" if mid is None else mid)
        got = {c for c in taxonomy.ALL_ELEMENTS if f.at[i, c]}
        assert got == want, mid
    assert f["G"].sum() > 100  # Llama-2, gpt2, wav2vec2 ...: the vectorised generation agrees with the per-name one
    assert f["V"].sum() > 100 and f["Q"].sum() > 10  # the sample holds versions for the pre-filter to keep


@pytest.mark.skipif(not LISTS.exists(), reason="needs ../shared/data/seed-2024-02/lists")
@pytest.mark.parametrize("parallel", [False, True])
def test_elements_frame_versioned_is_has_version(parallel, real_2024):
    from analysis.versions import detector

    ids = sample_ids(real_2024.ids)
    f = taxonomy.elements_frame(ids, versioned=True, parallel=parallel)
    hv = detector.has_version(ids)
    assert f["versioned"].tolist() == hv.tolist()
    assert f["versioned"].sum() > 100
    assert not taxonomy.elements_frame(pd.Series([], dtype=object), versioned=True).any().any()


# --- the vectorised path against `_tokens_of`, on every real name ------------------------------------------------

HAS_REAL = LISTS.exists() and (data_dir() / LABELS_PATH).exists()


@pytest.fixture(scope="module")
def real_names(real_2024) -> tuple[list[str], np.ndarray]:
    """Every distinct name (owner removed) of the 2024 lists and of the labelled names, and each one's element bits
    from `_tokens_of` one name at a time with the detector's version spans (the per-name reference; the session
    reads the names and runs the detector's rules on them once, tests/realnames.py)."""
    names = real_2024.names
    ref = np.array([taxonomy._bits(taxonomy._tokens_of(n, tuple((f[1], f[2]) for f in found)))
                    for n, found in zip(names, real_2024.found)], dtype=np.int64)
    return names, ref


@pytest.mark.skipif(not HAS_REAL, reason="needs ../shared/data lists and naming labels")
def test_elements_frame_is_tokens_of_on_every_real_name(real_names, real_2024):
    names, ref = real_names
    f = taxonomy.elements_frame(pd.Series(names), parallel=False)
    got = sum(f[c].to_numpy().astype("int64") << k for k, c in enumerate(taxonomy.ELEMENTS))
    bad = [(n, taxonomy.elements(n)) for n in pd.Series(names)[got != ref].head(5)]
    assert not bad, bad
    per_name = np.array([generation.generation(n.strip()) is not None for n in names])
    assert f["G"].to_numpy().tolist() == per_name.tolist()  # RE2 over the column = `re` name by name
    assert len(names) > 185_000 / real_2024.every


@pytest.mark.skipif(not HAS_REAL, reason="needs ../shared/data lists and naming labels")
def test_each_per_name_case_changes_real_names(real_names):
    # every case `PER_NAME_REGEX` sends to `_tokens_of` (timm tag, BERT miniature, `4L512W`, `For<Task>` head) gives
    # other elements than the plain reading on some real names: without it, the test above fails
    import re

    names, _ = real_names
    for name, case in taxonomy.PER_NAME_CASES.items():
        if name == "mark":
            continue  # the tokenizer's own mark, in no real name (next test)
        hit = [n for n in names if re.search(case, n)]
        plain = taxonomy._plain_bits(hit)
        per_name = [taxonomy._bits(taxonomy._tokens_of(n, ())) for n in hit]
        assert sum(a != b for a, b in zip(plain.tolist(), per_name)) >= 3, name
    # the plain path's own rules, each deciding real names: an O first token becomes the family (A), a two-letter
    # language code is L except in first place, fillers do not take the first place
    firsts = [taxonomy._tokens_of(n, ())[:2] for n in names[:60_000]]
    assert sum(1 for t in firsts if t and t[0][1] == "A" and taxonomy.classify_token(t[0][0], 0) == "O") > 1000
    assert sum(1 for t in firsts if len(t) > 1 and t[1][1] == "L" and len(t[1][0]) == 2) > 10
    assert sum(1 for t in firsts if t and len(t[0][0]) == 2 and t[0][1] != "L"
               and taxonomy.classify_token(t[0][0], 1) == "L") > 10
    started = [n for n in names if re.match(r"(?i)(?:the|my|hf|new)[-_]", n)]
    assert len(started) > 10
    assert taxonomy._plain_bits(["the-de-model"]).tolist() == [taxonomy._bits(taxonomy._tokens_of("the-de-model", ()))]


def test_plain_path_edge_names():
    import re

    # dots that join (`1.5.2`, `v1.0b`) and do not (`a.b`, `.5`, `x-.5`), no token, fillers only, the \x01 mark
    names = ["1.5.2-x", "model.v1.0b", "a.b.c", ".5-x", "x-.5", "---", "", "the-model-for", "a\x01b-1.5",
             "1.2.3.4.5.6", "a..1", "Bert-de", "de-bert", "my-en-model", "ÄÖ-bert-1.5x.2"]
    f = taxonomy.elements_frame(pd.Series(names), versioned=True, parallel=False)
    for i, n in enumerate(names):
        assert {c for c in taxonomy.ALL_ELEMENTS if f.at[i, c]} == taxonomy.elements(n), n
    plain = [n for n in names if not re.search(taxonomy.PER_NAME_REGEX, n)]
    assert len(plain) == len(names) - 3  # `model.v1.0b`, `a.b.c` (timm tags) and the mark
    assert taxonomy._plain_bits(plain).tolist() == [taxonomy._bits(taxonomy._tokens_of(n, ())) for n in plain]
