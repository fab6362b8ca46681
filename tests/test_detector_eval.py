"""The detector measured against the labelled names (held-out half), next to the study's regex."""
from __future__ import annotations

import pytest

from analysis.versions.vocab import LABELS_PATH, data_dir

pytestmark = pytest.mark.skipif(not (data_dir() / LABELS_PATH).exists(), reason="needs ../shared/data naming labels")


@pytest.fixture(scope="module")
def result():
    from analysis.versions.evaluation import evaluate
    return evaluate("test", errors=5)


def test_split_is_deterministic_and_disjoint():
    from analysis.versions.evaluation import load_labels, part_of
    allp = load_labels(None)
    assert len(allp) == 14178
    assert set(allp["part"]) == {"dev", "test"}
    assert part_of("meta-llama/Llama-2-7b-hf") == part_of("meta-llama/Llama-2-7b-hf")
    assert 0.45 < (allp["part"] == "test").mean() < 0.55


def test_labelled_ids_feed_no_vocabulary():
    from analysis.versions import vocab
    v = vocab.data_vocab()
    assert v["arch"] and v["environments"]
    # the build skips every labelled id; the labelled set is what it is told to skip
    assert len(vocab.labelled_ids()) == 14178


def test_detector_beats_regex_overall(result):
    rg, dt = result["overall"]["regex"], result["overall"]["detector"]
    assert 0.68 < rg["f1"] < 0.76  # the study's regex scores about 0.72
    assert dt["precision"] > rg["precision"] + 0.15
    assert dt["recall"] >= rg["recall"]
    assert dt["f1"] >= 0.85
    assert dt["f1"] > rg["f1"] + 0.12


@pytest.mark.xfail(strict=True, reason="issue-5 target F1 >= 0.90 not met on the raw held-out labels (measured 0.881; "
                                       "dev half 0.903): 84 held-out errors are names where the detector follows the "
                                       "issue and the labels do not (Llama-2-7b labelled without V; env ids, dinov2, "
                                       "dates labelled V); settled the issue's way it scores 0.927 (tested below)")
def test_detector_f1_target(result):
    assert result["overall"]["detector"]["f1"] >= 0.90


def test_by_task_large_tasks(result):
    # never below the regex on precision where the regex was wrong for the reasons
    by = {t["task"]: t for t in result["by_task"]}
    for task in ("automatic-speech-recognition", "image-classification", "object-detection"):
        if task in by:
            assert by[task]["detector"]["precision"] >= by[task]["regex"]["precision"]
    if "text-generation" in by:
        assert by["text-generation"]["detector"]["recall"] >= by["text-generation"]["regex"]["recall"]


def test_confusion_samples(result):
    for m in ("regex", "detector"):
        assert set(result["confusion"][m]) == {"false_positives", "false_negatives"}


@pytest.mark.xfail(strict=True, reason="forced by the issue's definitions: `Llama-2-7b` is a version (the labels agree on "
                                       "about half, the regex never matches it; no detector passing the issue's example "
                                       "tests can reach the regex's text-generation precision, tested below), and architecture generations (`dinov2`, "
                                       "`pvt_v2`, `efficientformerv2`, like the issue's `convnextv2`/`mobilenet-v3`) "
                                       "are not (the labels sometimes say V, the regex always matches)")
def test_never_below_regex_on_the_two_forced_tasks(result):
    by = {t["task"]: t for t in result["by_task"]}
    tg, ic = by["text-generation"], by["image-classification"]
    assert tg["detector"]["precision"] >= tg["regex"]["precision"]
    assert ic["detector"]["recall"] >= ic["regex"]["recall"]


@pytest.mark.parametrize("mid,labelled,kind", [
    ("araffin/ppo-LunarLander-v2", True, "label V, definition: environment"),
    ("facebook/dinov2-small", True, "label V, definition: architecture"),
    ("cardiffnlp/twitter-roberta-base-dec2021", True, "label V, definition: date"),
    ("meta-llama/Llama-2-7b-chat-hf", False, "label no V, definition: family-int"),
    ("stabilityai/stable-diffusion-2-1", False, "label no V, definition: int-sequence"),
    # the detector agrees with the label: nothing to settle
    ("araffin/ppo-LunarLander-v2", False, ""),
    ("meta-llama/Llama-2-7b-chat-hf", True, ""),
    # another turned-down candidate could be the labelled version (`1`): the issue does not settle it
    ("cheulyop/wav2vec2-large-xlsr-ksponspeech_1-20", True, ""),
    # a version the issue does not prescribe (`v2`) labelled without V: a plain error, not settled
    ("stablediffusionapi/eternitai-v2", False, ""),
])
def test_prescribed_disagreement(mid, labelled, kind):
    from analysis.versions.evaluation import prescribed_disagreement
    assert prescribed_disagreement(mid, labelled) == kind


def test_label_consistency_counts_twins():
    import pandas as pd

    from analysis.versions.evaluation import label_consistency
    df = pd.DataFrame({"id": ["a/x-v2", "b/X-V2", "c/x-v2", "a/y", "b/y", "a/z"],
                       "is_version": [True, True, False, False, False, True]})
    lc = label_consistency(df)
    assert lc["names_with_twins"] == 2 and lc["ids_in_twin_groups"] == 5
    assert lc["groups_with_a_V"] == 1 and lc["groups_mixed"] == 1
    # each of the two V-labelled x's has 2 twins, one without V: 2 of 4
    assert lc["p_twin_not_v_given_v"] == 0.5


def test_definition_adjusted_scores(result):
    # settling the disputes the issue settles only flips labels where the detector followed the issue
    ia = result["definition_adjusted"]
    assert sum(ia["settled"].values()) > 0
    raw, adj = result["overall"]["detector"], ia["overall"]["detector"]
    assert adj["tp"] + adj["fp"] == raw["tp"] + raw["fp"]  # same predictions, other truth
    assert adj["fp"] <= raw["fp"] and adj["fn"] <= raw["fn"]
    # where the definitions settle what the labels dispute, the detector meets the F1 target
    assert adj["f1"] >= 0.90
    assert ia["overall"]["regex"]["f1"] < 0.75


def test_below_regex_separates_real_gaps_from_noise():
    import pandas as pd

    from analysis.versions.evaluation import below_regex
    # 200 names, 100 labelled V: the regex finds all of them, the detector half -> a recall gap far beyond noise
    truth = pd.Series([True] * 100 + [False] * 100)
    regex = truth.copy()
    det = pd.Series([True] * 50 + [False] * 150)
    b = below_regex(regex, det, truth)
    assert set(b) == {"recall"}  # precision is 1.0 for both: not below
    assert b["recall"]["gap"] == -0.5 and b["recall"]["clear"]
    assert b["recall"]["ci95"][0] < -0.5 < b["recall"]["ci95"][1] < 0
    # the detector at or above the regex: nothing reported
    assert below_regex(det, regex, truth) == {}
    # 2 V-labelled names among 40, the detector misses one: a gap of 0.5 that resampling cannot tell from noise
    few = pd.Series([True, True] + [False] * 38)
    b = below_regex(few.copy(), pd.Series([True] + [False] * 39), few)
    assert b["recall"]["gap"] == -0.5 and not b["recall"]["clear"]


def test_overall_only_is_the_full_runs_overall(result):
    # what the study's report shows (analysis.study.compare.measured), without the task map and the per-task detail
    from analysis.versions.evaluation import evaluate
    quick = evaluate("test", overall_only=True)
    assert set(quick) == {"part", "n", "overall", "definition_adjusted"}
    assert quick["overall"] == result["overall"] and quick["n"] == result["n"]
    assert quick["definition_adjusted"]["overall"] == result["definition_adjusted"]["overall"]
    assert quick["definition_adjusted"]["settled"] == result["definition_adjusted"]["settled"]


def test_example_bound_on_hand_made_labels():
    import pandas as pd

    from analysis.versions.evaluation import example_bound
    ids = pd.Series(["a/x-v2", "b/y-v3", "c/z-1.0", "meta/Llama-2-7b-chat-hf", "d/llama-2-70b", "e/Qwen2.5-7B",
                     "f/plain"])
    truth = pd.Series([True, True, True, False, False, True, False])
    regex = pd.Series([True, True, False, False, False, False, False])
    b = example_bound(ids, truth, regex)
    # `Llama-2-7b` is an example of the issue, labelled without V: one forced false positive (`llama-2-70b` is not
    # the example itself, and `Qwen2.5` is labelled V)
    assert b["forced_false_positives"] == 1 and b["positives"] == 4
    assert b["best_precision"] == 0.8 and b["regex_precision"] == 1.0 and b["impossible"]
    # labelled V, the example forces nothing
    b = example_bound(ids, truth | ids.str.contains("Llama"), regex)
    assert b["forced_false_positives"] == 0 and not b["impossible"]


def test_never_below_regex_is_unattainable_on_text_generation(result):
    # The held-out labels call names holding the issue's own `Llama-2-7b` unversioned often enough that no detector
    # passing the example tests reaches the regex's text-generation precision: the strict xfail above is a
    # property of the labels.
    un = {u["task"]: u for u in result["unattainable"]}
    tg = un["text-generation"]
    assert tg["forced_false_positives"] >= 10 and tg["best_precision"] < tg["regex_precision"]
    by = {t["task"]: t for t in result["by_task"]}
    assert by["text-generation"]["detector"]["precision"] <= tg["best_precision"]
    ll = result["llama2_labels"]
    assert ll["labelled_v"] >= 10 and ll["labelled_not_v"] >= 10  # the labels read the same `2` both ways
