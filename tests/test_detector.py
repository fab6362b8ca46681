"""Version detector: hand-made cases for each rule (every example named in issue 5), the Series API, the command."""
from __future__ import annotations

import io
import json
import re
import sys

import pandas as pd
import pytest

from analysis.versions import detector
from analysis.versions.detector import (
    STUDY_REGEX,
    Detection,
    detect,
    has_version,
    regex_has_version,
)

# (id, has_version, versions, reason)
CASES = [
    # architectures and families holding digits: not versions
    ("facebook/wav2vec2-base-960h", False, [], "architecture"),
    ("jonatasgrosman/wav2vec2-large-xlsr-53-english", False, [], "architecture"),
    ("keremberke/yolov8m-table-extraction", False, [], "architecture"),
    ("Felix92/doctr-torch-crnn-mobilenet-v3-large", False, [], "architecture"),
    ("facebook/convnextv2-tiny-22k-224", False, [], "architecture"),
    ("openai-community/gpt2", False, [], "architecture"),
    ("gpt2", False, [], "architecture"),
    ("google/t5-small", False, [], "architecture"),
    ("google/mt5-base", False, [], "architecture"),
    ("timm/resnet50.a1_in1k", False, [], "architecture"),
    ("microsoft/layoutlmv3-base", False, [], "architecture"),
    ("RWKV/rwkv-4-7b-pile", False, [], "architecture"),  # RWKV-4: the architecture's generation
    # environment ids (Gym / Atari / MuJoCo / Bullet)
    ("sb3/ppo-LunarLander-v2", False, [], "environment"),
    ("user/q-FrozenLake-v1-4x4-noSlippery", False, [], "environment"),
    ("user/q-Taxi-v3", False, [], "environment"),
    ("sb3/dqn-SpaceInvadersNoFrameskip-v4", False, [], "environment"),
    ("x/a2c-PandaReachDense-v2", False, [], "environment"),
    ("ARDT-Internal/dt-halfcheetah_v4-2607_1930", False, [], "environment"),
    # highway-env's `merge-v0` after the algorithm trained on it; `merge-vN` elsewhere is a merged model's release
    ("x/ppo-merge-v0", False, [], "environment"),
    ("x/dqn_merge-v0", False, [], "environment"),
    ("brucethemoose/Yi-34B-200K-DARE-merge-v5", True, ["v5"], "explicit-v"),
    ("lIlBrother/llama2-merge-v0.2", True, ["v0.2"], "explicit-v"),
    # no registered environment goes beyond v5: a larger number is the model's own version
    ("x/dt-halfcheetah_v10-2607_1930", True, ["v10"], "explicit-v"),
    ("x/ppo-LunarLander-v7", True, ["v7"], "explicit-v"),
    # versions without a v, which the study's regex misses
    ("meta-llama/Llama-2-7b-hf", True, ["2"], "family-int"),
    ("TheBloke/Llama-2-7B-GPTQ", True, ["2"], "family-int"),
    ("stabilityai/stable-diffusion-2-1", True, ["2-1"], "int-sequence"),
    ("kandinsky-community/kandinsky-2-2-decoder", True, ["2-2"], "int-sequence"),
    ("Qwen/Qwen2.5-7B-Instruct", True, ["2.5"], "glued-decimal"),
    ("someone/my-model-1.5", True, ["1.5"], "decimal"),
    ("TheBloke/vicuna-7B-1.1-GPTQ-4bit-128g", True, ["1.1"], "decimal"),
    ("openthaigpt/openthaigpt-0.1.0-beta", True, ["0.1.0-beta"], "decimal"),
    ("x/rev-3", True, ["3"], "version-word"),
    ("Open-Orca/OpenOrcaxOpenChat-Preview2-13B", True, ["Preview2"], "version-word"),
    ("TencentARC/t2iadapter_seg_sd14v1", True, ["v1"], "glued-v"),
    # a lone closing 2 after a plain word: a second release; not after an architecture, a dataset or a run word
    ("emre/whisper-medium-turkish-2", True, ["2"], "trailing-int"),
    ("x/bertweet_2", True, ["2"], "trailing-int"),
    ("x/gpt-2", False, [], "architecture"),
    ("x/bert-finetuned-sst-2", False, [], "number"),
    ("x/model-epoch-2", False, [], "hyperparameter"),
    ("x/roberta_1", False, [], "number"),
    ("x/classifier-3", False, [], "number"),
    ("indobenchmark/indobert-base-p2", True, ["p2"], "phase"),
    ("x/vit-base-p16", False, [], "hyperparameter"),
    ("jondurbin/airoboros-mpt-30b-gpt4-1p4-five-epochs", True, ["1p4"], "decimal"),
    ("x/starchat-beta-8bit", True, ["beta"], "release-tag"),
    # release tags without a number
    ("cardiffnlp/twitter-roberta-base-sentiment-latest", True, ["latest"], "release-tag"),
    ("HuggingFaceH4/zephyr-7b-beta", True, ["beta"], "release-tag"),
    ("x/dpo-beta-0.1", False, [], "hyperparameter"),
    ("x/alphabet-model", False, [], "no-digit"),
    # explicit v
    ("x/model-v2", True, ["v2"], "explicit-v"),
    ("runwayml/stable-diffusion-v1-5", True, ["v1-5"], "explicit-v"),
    ("TheBloke/WizardLM-13B-V1-1-SuperHOT-8K-fp16", True, ["V1-1"], "explicit-v"),
    ("mistralai/Mistral-7B-Instruct-v0.2", True, ["v0.2"], "explicit-v"),
    ("mistralai/Mixtral-8x7B-v0.1", True, ["v0.1"], "explicit-v"),
    ("google/t5-v1_1-base", True, ["v1_1"], "explicit-v"),
    ("digiplay/chilled_remix_v1vae", True, ["v1"], "explicit-v"),
    ("stablediffusionapi/OnlyAnimeV2", True, ["V2"], "glued-v"),
    # sizes and parameter counts
    ("facebook/opt-125m", False, [], "size"),
    ("EleutherAI/pythia-1.4b", False, [], "size"),
    ("x/model-7b", False, [], "size"),
    ("x/model-1.5b", False, [], "size"),
    ("hlarcher/falcon-7b-v100s", False, [], "other"),  # a GPU, not a version
    ("facebook/opt-6-7b", False, [], "size"),  # 6.7B written with a dash
    # dates
    ("cardiffnlp/twitter-roberta-base-2021-124m", False, [], "date"),
    ("x/model-20230626", False, [], "date"),
    ("nateraw/rare-puppers-09-04-2021", False, [], "date"),
    ("olm/olm-roberta-base-dec-2022", False, [], "date"),
    ("x/model-2023-06-16", False, [], "date"),
    # quantisation suffixes
    ("x/mymodel-Q4_K_M", False, [], "quantisation"),
    ("x/foo-4.0bpw-h6-exl2", False, [], "quantisation"),
    ("x/foo-int4", False, [], "quantisation"),
    ("x/foo-fp16", False, [], "quantisation"),
    ("x/foo-8-bit", False, [], "quantisation"),
    ("x/foo-4bit", False, [], "quantisation"),
    # owners: read apart from the name
    ("v2ray/some-model", False, [], "owner"),
    ("user2v1/bert-base", False, [], "owner"),
    ("abc123/model-v3", True, ["v3"], "explicit-v"),
    # datasets, hyper-parameters, glued family digits, layer pairs
    ("mrm8488/electra-small-finetuned-squadv2", False, [], "dataset"),
    ("nreimers/MiniLM-L12-H384-uncased", False, [], "hyperparameter"),
    ("ltg/norbert3-base", False, [], "family-name"),
    ("sshleifer/distilbart-cnn-12-6", False, [], "number"),
    ("x/whisper-small-wer-0.073", False, [], "number"),  # a score, not a version
    ("x/distilbert-magnitude-pruning-0.1", False, [], "hyperparameter"),  # a rate
    ("x/model-torch-2.0", False, [], "library"),  # the library's release, not the model's
    ("bert-base-uncased", False, [], "no-digit"),
]


@pytest.mark.parametrize("mid,has,versions,reason", CASES, ids=[c[0] for c in CASES])
def test_rules(mid, has, versions, reason):
    d = detect(mid)
    assert isinstance(d, Detection)
    assert d.id == mid
    assert d.has_version is has
    assert d.versions == versions
    assert d.reason == reason


@pytest.mark.parametrize("mid", [c[0] for c in CASES if c[1]])
def test_positions_are_offsets_in_the_id(mid):
    d = detect(mid)
    assert len(d.positions) == len(d.versions)
    for (a, b), v in zip(d.positions, d.versions):
        assert mid[a:b] == v
        assert a > mid.find("/")  # never in the owner


def test_regex_is_the_studys():
    assert STUDY_REGEX == r"[vV]\d[.-]?\d?[.-]?\d?"
    ids = pd.Series(["v2ray/some-model", "facebook/wav2vec2-base", "meta-llama/Llama-2-7b-hf", "x/model-V1.0"],
                    index=[10, 20, 30, 40])
    r = regex_has_version(ids)
    assert r.index.tolist() == [10, 20, 30, 40]
    assert r.tolist() == [True, True, False, True]


def test_has_version_series_matches_detect():
    ids = pd.Series([c[0] for c in CASES] + [None, ""], index=range(100, 100 + len(CASES) + 2))
    hv = has_version(ids)
    assert hv.dtype == bool
    assert hv.index.equals(ids.index)
    assert hv.tolist()[:len(CASES)] == [c[1] for c in CASES]
    assert hv.tolist()[len(CASES):] == [False, False]


def test_has_version_empty():
    assert has_version(pd.Series([], dtype=object)).empty


def test_has_version_large_cached(benchmark_ids=20000):
    # many ids, few distinct names: decided once per name
    names = [c[0].rpartition("/")[2] for c in CASES]
    ids = pd.Series([f"user{i}/{names[i % len(names)]}" for i in range(benchmark_ids)])
    hv = has_version(ids)
    expect = {c[0].rpartition("/")[2]: c[1] for c in CASES if c[3] != "owner"}
    for i in range(0, benchmark_ids, 997):
        n = names[i % len(names)]
        if n in expect:
            assert hv.iloc[i] == expect[n]


@pytest.mark.parametrize("cached", [True, False])
def test_has_version_reads_each_name_once_through_the_cache_up_to_its_size(monkeypatch, cached):
    # experiments 1 and 2a of `study --method detector` call has_version on the same ids: up to CACHED_NAMES_MAX
    # distinct names, the second call reads none again; beyond, the names are read without the cache (it would only
    # evict them), with the same verdicts
    probes = pd.Series([f"owner{k}/cache-probe-{k}-{c[0].rpartition('/')[2]}" for k, c in enumerate(CASES)] * 2)
    names = probes.str.rpartition("/")[2]
    n = int(names[names.str.contains(detector.CANDIDATE_REGEX)].nunique())
    monkeypatch.setattr(detector, "CACHED_NAMES_MAX", n if cached else n - 1)
    before = detector._scan.cache_info()
    first = has_version(probes)
    between = detector._scan.cache_info()
    second = has_version(probes)
    after = detector._scan.cache_info()
    assert first.tolist() == second.tolist() == [detect(i).has_version for i in probes]
    assert between.misses - before.misses == (n if cached else 0)
    assert after.misses == between.misses and after.hits - between.hits == (n if cached else 0)


def test_main_args(capsys):
    assert detector.main(["sb3/ppo-LunarLander-v2", "meta-llama/Llama-2-7b-hf"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in lines] == ["sb3/ppo-LunarLander-v2", "meta-llama/Llama-2-7b-hf"]
    assert set(lines[0]) == {"id", "has_version", "versions", "reason"}
    assert lines[0]["has_version"] is False and lines[0]["reason"] == "environment"
    assert lines[1]["versions"] == ["2"]


def test_main_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Qwen/Qwen2.5-7B-Instruct\n\nfacebook/wav2vec2-base\n"))
    assert detector.main(["--explain"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    assert lines[0]["versions"] == ["2.5"] and lines[0]["positions"] == [[len("Qwen/Qwen"), len("Qwen/Qwen2.5")]]
    assert lines[1]["has_version"] is False and lines[1]["reason"] == "architecture"


def test_every_reason_is_a_rule_of_the_table_with_its_description():
    table = {name: what for _, name, _, what in detector.rules()}
    assert {c[3] for c in CASES} <= set(table)
    assert all(what.strip() for what in table.values())
    # the segment rules are the table, in order: every one has a name, the shapes it reads and a docstring
    assert [r[1] for r in detector.rules()[3:3 + len(detector.SEGMENT_RULES)]] == [
        name for name, *_ in detector.SEGMENT_RULES]
    assert all(fn.__doc__ for _, _, fn, _ in detector.SEGMENT_RULES)


def test_explain_prints_the_deciding_rules_name(capsys):
    assert detector.main(["--explain", "x/opt-6-7b-v2", "x/wav2vec2-squadv2"]) == 0
    a, b = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert (a["reason"], a["versions"], a["rejected"]) == ("explicit-v", ["v2"], [["6-7b", "size"]])
    assert b["reason"] in {r[1] for r in detector.rules()} and b["has_version"] is False


def test_rules_command_lists_the_table_in_order(capsys):
    assert detector.main(["--rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + len(detector.rules())
    assert [ln.split(" | ")[2] for ln in lines[2:]] == [r[1] for r in detector.rules()]


def test_candidate_prefilter_is_a_superset_on_hand_cases():
    for mid, has, _, _ in CASES:
        if has:
            assert re.search(detector.CANDIDATE_REGEX, mid.rpartition("/")[2]), mid


def test_candidate_prefilter_is_a_superset_on_the_2024_lists(real_2024):
    # every name of the 2024 lists and of the labelled names in which the rules find a version (the session's
    # `detector._scan` of each name, tests/realnames.py) matches the pre-filter
    cand = re.compile(detector.CANDIDATE_REGEX)
    kept = [cand.search(n) is not None for n in real_2024.names]
    missed = [n for n, found, k in zip(real_2024.names, real_2024.found, kept) if found and not k]
    assert missed == []
    assert len(real_2024.names) > 185_000 / real_2024.every and sum(map(bool, real_2024.found)) > 25_000 / real_2024.every
    # `has_version` reads the names the pre-filter keeps through the rules' cache: those of the 2024 names all fit
    assert sum(kept) <= detector.CACHED_NAMES_MAX


def test_python_m_analysis_detect_command():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    p = subprocess.run([sys.executable, "-m", "analysis", "detect"], input="sb3/ppo-LunarLander-v2\nx/model-v2\n",
                       capture_output=True, text=True, cwd=root, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert [(x["id"], x["has_version"], x["reason"]) for x in lines] == [
        ("sb3/ppo-LunarLander-v2", False, "environment"), ("x/model-v2", True, "explicit-v")]


def test_curated_core_alone_without_shared_data(tmp_path):
    """Without ../shared the data-driven vocabulary is empty; the hand-curated core still decides every case."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, HFCRAWL_SHARED=str(tmp_path / "missing"), HFCRAWL_OUTPUT=str(tmp_path / "out"))
    ids = "\n".join(c[0] for c in CASES) + "\n"
    p = subprocess.run([sys.executable, "-m", "analysis", "detect"], input=ids, capture_output=True, text=True,
                       cwd=root, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    got = [(x["has_version"], x["versions"], x["reason"]) for x in map(json.loads, p.stdout.splitlines())]
    assert got == [(c[1], c[2], c[3]) for c in CASES]


def test_one_study_regex_with_one_handling_of_missing_ids():
    from analysis.study import compare, version_share
    from analysis.versions import regex

    ids = pd.Series(["a/x-v2", None, "v2ray/model", "b/plain"], dtype=object)
    assert regex.regex_has_version(ids).tolist() == [True, False, True, False]
    assert detector.regex_has_version is regex.regex_has_version
    assert compare._STUDY_RE is detector._STUDY_RE is regex.VERSION_RE
    # the study's experiment 1 counts a missing id as unversioned, not as an error
    models = pd.DataFrame({"id": ids, "task": ["t"] * 4})
    assert version_share.version_share(models)["matching"].tolist() == [2]


def test_the_docs_hold_the_rule_table_as_the_command_prints_it():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "detector.md").read_text(encoding="utf-8")
    assert detector.rules_markdown() in doc, "docs/detector.md: paste `python -m analysis detect --rules` again"
