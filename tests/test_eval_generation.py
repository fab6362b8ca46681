"""benchmarks.eval_generation against a small labels file the test writes (never the real labels)."""
from __future__ import annotations

import json

from benchmarks import eval_generation

ROWS = """id,generation,family,number,note
Qwen/Qwen3-4B,yes,Qwen,3,
meta-llama/Llama-2-7b-hf,yes,Llama,2,
google/gemma-2-9b,yes,gemma,2,
someone/Falcon-H1-7B,yes,Falcon-H1,1,not a family the rules know
t5-base,no,,,
someone/my-bert-v3,no,,,
someone/glued-gpt4all,no,,,a family of its own
someone/whisper-large-v3,undecided,whisper,3,
,yes,,,no id
someone/x,maybe,,,
"""


def test_scores_count_undecided_and_name_bad_rows(tmp_path, capsys):
    path = tmp_path / "labels.csv"
    path.write_text(ROWS, encoding="utf-8")
    assert eval_generation.main(["--labels", str(path)]) == 0
    out, err = capsys.readouterr()
    res = json.loads(out.strip().splitlines()[-1])
    assert (res["labelled"], res["undecided"], res["scored"], res["rows_left_out"]) == (8, 1, 7, 2)
    # Qwen3, Llama-2, gemma-2 found; Falcon-H1 missed; gpt4all taken for GPT-4: tp 3, fn 1, fp 1
    assert (res["tp"], res["fp"], res["fn"]) == (3, 1, 1)
    assert res["precision"]["value"] == 0.75 and res["recall"]["value"] == 0.75
    lo, hi = res["precision"]["ci95"]
    assert lo < 0.75 < hi
    assert res["same_number"]["k"] == 3
    assert "language-model assistant" in res["labelled_by"]
    assert err.count("left out") == 2 and ":10:" in err and ":11:" in err


def test_a_missing_or_empty_labels_file_is_an_error(tmp_path, capsys):
    assert eval_generation.main(["--labels", str(tmp_path / "none.csv")]) == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("id,generation,family,number,note\n", encoding="utf-8")
    assert eval_generation.main(["--labels", str(empty)]) == 2
    assert "no readable label" in capsys.readouterr().err
