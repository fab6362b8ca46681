"""The generation element: a family's release number, beside the version (docs/versions.md, "Generations")."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.versions import detector, generation
from tests.paths import LISTS

GENERATIONS = {  # the definition's own examples, and their family and number
    "Qwen/Qwen3-4B": ("Qwen", "3"), "llama2_7b": ("llama", "2"), "meta-llama/Llama-2-7b-hf": ("Llama", "2"),
    "olmo3": ("olmo", "3"), "ministral3": ("ministral", "3"), "rwkv-3": ("rwkv", "3"),
    "google/mobilenet-v3": ("mobilenet", "3"), "gpt2": ("gpt", "2"), "facebook/dinov2-base": ("dino", "2"),
    "facebook/wav2vec2-base": ("wav2vec", "2"), "ultralytics/yolov8": ("yolo", "8"), "Qwen/Qwen2.5-7B": ("Qwen", "2.5"),
    "stabilityai/stable-diffusion-2-1": ("stable-diffusion", "2.1"), "microsoft/phi-1_5": ("phi", "1.5"),
    "Meta-Llama-3.1-8B-Instruct": ("Llama", "3.1"), "distilgpt2": ("gpt", "2"), "llama-2-70b": ("llama", "2"),
}
NOT_GENERATIONS = ["t5-base", "google/mt5-small", "wav2vec-base", "intfloat/e5-large", "bert-base-uncased",
                   "EleutherAI/gpt-neox-20b", "microsoft/resnet50", "google/bert_uncased_L-12_H-768_A-12",
                   "sb3/ppo-LunarLander-v2", "someone/my-bert-v3", "huggyllama/llama-7b", "google/gemma-2b",
                   "state-spaces/mamba-2.8b", "01-ai/Yi-34B", "TinyLlama/TinyLlama-1.1B", "x/glb_sd-1-data_sd-0",
                   "Qwen/Qwen-1.8B", "v2ray/LLaMA-X", ""]


@pytest.mark.parametrize("mid", list(GENERATIONS))
def test_a_family_release_number_is_a_generation(mid):
    got = detector.detect(mid).generation
    assert got is not None, mid
    assert (got["family"], got["number"]) == GENERATIONS[mid]
    start, end = got["position"]
    assert mid[start:end].replace("-", ".").replace("_", ".") == got["number"]


@pytest.mark.parametrize("mid", NOT_GENERATIONS)
def test_names_sizes_and_fine_tune_versions_are_not_generations(mid):
    assert detector.detect(mid).generation is None, mid


def test_the_vectorised_reading_is_the_per_name_one():
    ids = pd.Series(list(GENERATIONS) + NOT_GENERATIONS + [None], index=range(5, 5 + len(GENERATIONS) +
                                                                             len(NOT_GENERATIONS) + 1), dtype=object)
    got = generation.generations(ids)
    assert got.index.equals(ids.index)
    for i, mid in ids.items():
        one = detector.detect(mid or "").generation
        assert bool(got.at[i, "generation"]) == (one is not None), mid
        if one:
            assert (got.at[i, "generation_family"], got.at[i, "generation_number"]) == (one["family"], one["number"])


@pytest.mark.skipif(not LISTS.exists(), reason="needs ../shared/data/seed-2024-02/lists")
def test_on_real_names_the_column_and_the_names_agree(real_2024):
    ids = pd.Series(real_2024.ids[::7], dtype=object)
    col = generation.has_generation(ids)
    one = [generation.generation(str(m).rpartition("/")[2].strip()) is not None for m in ids]
    assert col.tolist() == one
    assert 0.03 < col.mean() < 0.15  # gpt2, Llama-2, wav2vec2 are common; most names carry none


def test_both_a_version_and_a_generation():
    d = detector.detect("meta-llama/Llama-2-7b-hf")
    assert d.has_version and d.generation["number"] == "2"  # Llama-2 is both, by the project's rules
    d = detector.detect("someone/mobilenet-v3-finetuned")
    assert not d.has_version and d.generation["family"] == "mobilenet"


def test_explain_prints_the_generation_and_rules_list_them(capsys):
    detector.main(["--explain", "Qwen/Qwen3-4B", "t5-base"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["generation"]["family"] == "Qwen" and lines[0]["generation"]["number"] == "3"
    assert lines[1]["generation"] is None
    detector.main(["--rules"])
    out = capsys.readouterr().out
    for rule, _ in generation.RULES:
        assert f"| generation | {rule} |" in out


def test_the_trend_reports_a_generation_share_beside_the_version_share():
    import numpy as np

    from analysis.trend import run as trend
    from analysis.versions import detector as det

    models = pd.DataFrame({"id": ["a/Qwen3-4B", "b/bert-base", "c/gpt2", "d/my-bert-v3"],
                           "task": ["text-generation", "fill-mask", "text-generation", "fill-mask"]})
    scored = trend.score(models, np.full(4, np.iinfo("int64").min), det.has_version)
    row = trend.overall_row("x", scored, "all")
    assert (row["generation"], row["generation_pct"]) == (2, 50.0)
    assert row["generation_ci_low_pct"] < 50.0 < row["generation_ci_high_pct"]
    table = trend.by_task("x", scored)
    assert list(table.columns) == trend.BY_TASK_COLUMNS
    by = table.set_index("task")
    assert by.loc["text-generation", "generation"] == 2 and by.loc["fill-mask", "generation"] == 0
