"""The detector's rules, each with its examples (analysis/versions/rules/): every example gives the verdict and the
reason it promises, every rule of `detect --rules` has an example it decides itself, and the examples are real names
of the 2024 lists (those of owner `made-up` aside)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis.versions import detector
from analysis.versions.rules.reading import Example
from tests.realnames import LISTS

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "analysis" / "versions" / "rules"


def _verdict(row: int, model_id: str) -> tuple[bool, str]:
    """(has_version, reason) of an id, the reason read the way the rule's row reads it: a generation rule's is the
    detection's generation rule."""
    d = detector.detect(model_id)
    if detector.rules()[row][0] == "generation":
        return d.has_version, d.generation["rule"] if d.generation else "no-generation"
    return d.has_version, d.reason


def test_every_rules_examples_give_the_verdict_and_the_reason_they_promise():
    table = detector.rules()
    wrong = [(table[row][1], e.id, (e.has_version, e.reason), _verdict(row, e.id))
             for row, e in detector.examples() if _verdict(row, e.id) != (e.has_version, e.reason)]
    assert wrong == []
    assert len(detector.examples()) >= 2 * len(table)


def rows_without_an_example_of_their_own(table: list[tuple], examples: list[tuple[int, Example]], decided_by) -> list:
    """(row, rule) of every row of the table with no example that the row itself decides: the example's reason is
    the rule's name and, outside the generation rules (read apart), `decided_by(id)` is that very row (several rows
    share a name: `architecture` is decided in five shapes)."""
    own = {row for row, e in examples
           if e.reason == table[row][1] and (table[row][0] == "generation" or decided_by(e.id) == row)}
    return [(k, r[1]) for k, r in enumerate(table) if k not in own]


def test_every_rule_of_the_table_has_an_example_it_decides_itself():
    assert rows_without_an_example_of_their_own(detector.rules(), detector.examples(), detector.decided_by) == []


def test_the_checker_finds_a_rule_whose_example_another_rule_of_its_name_decides():
    table = [("segment rules", "architecture", "", ""), ("segment rules", "architecture", "", ""),
             ("spans", "date", "", "")]
    examples = [(0, Example("merve/deeplab-v3", False, "architecture")), (1, Example("gpt2", False, "architecture")),
                (2, Example("sliu/taxi-2022", False, "date"))]
    assert rows_without_an_example_of_their_own(table, examples, {"merve/deeplab-v3": 0, "gpt2": 0,
                                                                  "sliu/taxi-2022": 2}.get) == [(1, "architecture")]


def test_decided_by_names_the_row_not_only_the_rule():
    # both are turned down as `architecture`, by different rows: a `v` after its family, digits glued in the name
    table = detector.rules()
    v_family, glued = detector.decided_by("merve/deeplab-v3"), detector.decided_by("gpt2")
    assert table[v_family][1] == table[glued][1] == "architecture" and v_family != glued
    assert table[detector.decided_by("hgc34/ppo-LunarLander-v2")][1] == "environment"
    assert table[detector.decided_by("abnv15/MLMA")][1] == "owner"
    # a version found and a tag after it: the version's rule decides (`0.1.0-beta` is a decimal)
    assert table[detector.decided_by("openthaigpt/openthaigpt-0.1.0-beta")][1] == "decimal"


def test_the_examples_are_names_of_the_2024_lists():
    if not LISTS.is_dir():
        pytest.skip(f"needs the 2024 lists ({LISTS})")
    listed = {x.strip() for f in LISTS.glob("*.txt") for x in f.read_text(encoding="utf-8").splitlines()}
    made_up = [e.id for _, e in detector.examples() if e.id.startswith("made-up/")]
    assert [e.id for _, e in detector.examples() if e.id not in listed and e.id not in made_up] == []
    assert len(made_up) <= 2


def test_the_command_shows_each_rule_with_an_example_it_decides(capsys):
    assert detector.main(["--rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(" | ")[-1].strip(" |") == "example"
    shown = [ln.rstrip(" |").rsplit(" | ", 1)[1].strip("`") for ln in lines[2:]]
    table = detector.rules()
    assert [_verdict(k, i)[1] for k, i in enumerate(shown)] == [r[1] for r in table]
    assert [k for k, i in enumerate(shown) if table[k][0] != "generation" and detector.decided_by(i) != k] == []


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            yield node.name, node.end_lineno - node.lineno + 1


def test_the_rules_are_small_enough_to_read_at_once():
    modules = sorted(RULES_DIR.glob("*.py"))
    assert {p.stem for p in modules} >= {"reading", "spans", "explicit", "decimals", "integers", "glued", "other"}
    assert [(p.name, n) for p in modules if (n := len(p.read_text(encoding="utf-8").splitlines())) > 150] == []
    long = [(p.name, f, n) for p in [*modules, RULES_DIR.parent / "detector.py"] for f, n in _functions(p) if n > 60]
    assert long == []


def test_the_rule_modules_never_import_the_detector():
    from tests.test_import_layers import import_graph

    graph = import_graph()
    assert [m for m, targets in graph.items() if m.startswith("analysis.versions.rules")
            and "analysis.versions.detector" in targets] == []
    assert {f"analysis.versions.rules.{p.stem}" for p in RULES_DIR.glob("*.py") if p.stem != "__init__"} <= set(graph)


@pytest.mark.e2e  # runs the command in a child process
def test_the_examples_hold_with_the_curated_core_alone(tmp_path):
    """Without ../shared the data-driven vocabulary is empty: every example still gets its verdict and reason."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, HFCRAWL_SHARED=str(tmp_path / "missing"), HFCRAWL_OUTPUT=str(tmp_path / "out"))
    table, examples = detector.rules(), detector.examples()
    p = subprocess.run([sys.executable, "-m", "analysis", "detect", "--explain"], input="".join(
        f"{e.id}\n" for _, e in examples), capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    got = [json.loads(x) for x in p.stdout.splitlines()]
    wrong = [(e.id, d["has_version"], d["reason"]) for (row, e), d in zip(examples, got)
             if (d["has_version"], (d["generation"] or {}).get("rule", "no-generation")
                 if table[row][0] == "generation" else d["reason"]) != (e.has_version, e.reason)]
    assert len(got) == len(examples) and wrong == []
