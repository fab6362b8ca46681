"""The blind audit's design-based scores (analysis/versions/audit.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.versions.audit import (
    AUDIT_PATH,
    _weights,
    annotator_agreement,
    load_audit,
    stratified_bootstrap,
)
from analysis.versions.evaluation import prf as weighted_prf
from analysis.versions.vocab import LABELS_PATH, data_dir


def test_each_row_stands_for_its_share_of_the_stratum():
    w = _weights(np.array(["agree", "agree", "disagree"]), np.array([10.0, 10.0, 1.0]))
    assert w.tolist() == [5.0, 5.0, 1.0]


def test_weighted_scores_by_hand():
    pred = np.array([True, True, False])
    truth = np.array([True, False, True])
    r = weighted_prf(pred, truth, np.array([5.0, 5.0, 1.0]))
    assert (r["tp"], r["fp"], r["fn"]) == (5.0, 5.0, 1.0)
    assert r["precision"] == 0.5 and r["recall"] == round(5 / 6, 4)
    # unweighted, the same rows give another answer: the weights matter
    assert weighted_prf(pred, truth, np.ones(3))["recall"] == 0.5


def test_bootstrap_keeps_each_strata_weight():
    # a perfect predictor scores 1 in every resample; a predictor wrong on the one heavy stratum never does
    strata = np.array(["a"] * 4 + ["b"] * 4)
    sizes = np.array([100.0] * 4 + [4.0] * 4)
    truth = np.array([True, False] * 4)
    ci = stratified_bootstrap(strata, sizes, truth, {"perfect": truth.copy(),
                                                     "wrong_on_a": np.r_[~truth[:4], truth[4:]]}, resamples=200)
    assert ci["perfect"]["f1"] == [1.0, 1.0]
    assert ci["wrong_on_a"]["f1"][1] < 0.2


def test_annotator_agreement_kappa():
    df = pd.DataFrame({"annotator_a": ["V", "V", "N", "N", "V", ""], "annotator_b": ["V", "N", "N", "N", "?", "V"]})
    ag = annotator_agreement(df)
    assert ag["names"] == 5 and ag["same_verdict"] == 0.6 and ag["both_decided"] == 4
    # on the 4 decided pairs: po = 3/4, pe = 0.5*0.25 + 0.5*0.75 = 0.5 -> kappa 0.5
    assert ag["kappa"] == 0.5


def test_load_audit_refuses_an_unknown_verdict(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,stratum,stratum_size,verdict\na/b,agree,10,yes\n")
    with pytest.raises(ValueError, match="verdict must be V, N or ?"):
        load_audit(p)


@pytest.mark.skipif(not (data_dir() / LABELS_PATH).exists(), reason="needs ../shared/data naming labels")
def test_the_stored_audit_is_a_sample_of_the_held_out_half():
    from analysis.versions.audit import audit
    from analysis.versions.evaluation import load_labels
    df = load_audit(AUDIT_PATH)
    held_out = load_labels("test")
    assert df["id"].isin(held_out["id"]).all() and not df["id"].duplicated().any()
    sizes = df.groupby("stratum")["stratum_size"].first()
    assert sizes.sum() == len(held_out)  # the strata partition the held-out half
    res = audit(resamples=50)
    assert res["annotators"]["names"] >= 50
    for m in ("detector", "labels", "regex"):
        r = res["scores"][m]
        assert 0 < r["f1"] <= 1 and r["ci95"]["f1"][0] <= r["f1"] <= r["ci95"]["f1"][1] + 1e-9
