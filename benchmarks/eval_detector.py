"""Score the study's regex and the version detector (and the naming taxonomy) against labelled names.

    python -m benchmarks.eval_detector                # held-out test part: table + one JSON line
    python -m benchmarks.eval_detector --part dev     # the dev part (the one rules were designed on)
    python -m benchmarks.eval_detector --errors 20    # longer confusion samples

A command line over `analysis.versions.evaluation` (labels, held-out split, scores, bootstrap, prescribed disagreements).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.versions.evaluation import evaluate


def _fmt(r: dict) -> str:
    return f"P {r['precision']:.3f}  R {r['recall']:.3f}  F1 {r['f1']:.3f}  (tp {r['tp']}, fp {r['fp']}, fn {r['fn']})"


def _below_text(by_task: list[dict]) -> str:
    return ", ".join(f"{t['task']} {m[0]} {b['gap']:+.3f} [{b['ci95'][0]:+.2f}, {b['ci95'][1]:+.2f}]"
                     + ("*" if b["clear"] else "") for t in by_task for m, b in t["below_regex"].items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.eval_detector", description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["test", "dev", "all"], default="test")
    ap.add_argument("--errors", type=int, default=8, help="ids per confusion sample")
    ap.add_argument("--json", type=Path, help="also write the full result as JSON here")
    args = ap.parse_args(argv)
    res = evaluate(None if args.part == "all" else args.part, errors=args.errors)
    res["part"] = args.part
    o = res["overall"]
    w = sys.stdout.write
    w(f"Version detection on the {args.part} part of the labelled names (n={res['n']}, "
      f"V-labelled={o['regex']['positives']})\n")
    w(f"  study regex  {_fmt(o['regex'])}\n  detector     {_fmt(o['detector'])}\n\n")
    w(f"{'task':34} {'n':>5} {'V':>4} | {'regex P':>7} {'R':>5} {'F1':>5} | {'det P':>6} {'R':>5} {'F1':>5}\n")
    for t in res["by_task"]:
        rg, dt = t["regex"], t["detector"]
        w(f"{t['task'][:34]:34} {t['n']:>5} {t['positives']:>4} | {rg['precision']:>7.3f} {rg['recall']:>5.3f} "
          f"{rg['f1']:>5.3f} | {dt['precision']:>6.3f} {dt['recall']:>5.3f} {dt['f1']:>5.3f}\n")
    w("\nBelow the regex (95% paired-bootstrap interval of the gap; * = the gap exceeds the sampling noise): "
      + (_below_text(res["by_task"]) or "none") + "\n")
    for m in ("regex", "detector"):
        c = res["confusion"][m]
        w(f"\n{m}: false positives (labelled without V): {', '.join(c['false_positives'])}\n")
        w(f"{m}: false negatives (labelled V): {', '.join(c['false_negatives'])}\n")
    eb = res["errors_by_rule"]
    w("\ndetector errors by deciding rule: false positives "
      + ", ".join(f"{k} {v}" for k, v in eb["false_positives"].items())
      + "; false negatives " + ", ".join(f"{k} {v}" for k, v in eb["false_negatives"].items()) + "\n")
    w("detector positives by rule (labels agreeing): "
      + ", ".join(f"{k} {v['tp']}/{v['n']}" for k, v in res["positive_rules"].items()) + "\n")
    w("\nNot attainable by any detector that passes the tests of the definition's own examples (it must say V for "
      "every name holding `Llama-2-7b`, `stable-diffusion-2-1` or `Qwen2.5`): "
      + ("; ".join(f"{u['task']} precision at most {u['best_precision']:.3f} ({u['positives']} labelled V, "
                   f"{u['forced_false_positives']} such names labelled without V) against the regex's "
                   f"{u['regex_precision']:.3f}" for u in res["unattainable"]) or "none") + "\n")
    ll = res["llama2_labels"]
    w(f"`Llama-2-<N>b` names: {ll['labelled_v']} labelled V, {ll['labelled_not_v']} without; any one reading of the "
      f"`2` is wrong on {min(ll['labelled_v'], ll['labelled_not_v'])} of them.\n")
    ia = res["definition_adjusted"]
    w(f"\nWhere the definition of a version settles what the labels dispute ({sum(ia['settled'].values())} names: "
      + ", ".join(f"{k} {v}" for k, v in ia["settled"].items()) + "), settled its way:\n")
    w(f"  study regex  {_fmt(ia['overall']['regex'])}\n  detector     {_fmt(ia['overall']['detector'])}\n")
    w("  tasks where the detector is below the regex on precision or recall: "
      + (_below_text(ia["by_task"]) or "none") + "\n")
    lc = res["label_consistency"]
    w(f"Labels against themselves (all {lc['names']:,} names): {lc['names_with_twins']} names recur under "
      f"several owners; of the {lc['groups_with_a_V']} holding a V label, {lc['groups_mixed']} are labelled both ways. "
      f"A V-labelled name's identical twin is labelled without V {lc['p_twin_not_v_given_v']:.1%} of the time.\n")
    w("\nTaxonomy, per element (name holds the element): precision / recall against the labels\n")
    for code, r in res["taxonomy"]["elements"].items():
        w(f"  {code} {r['name'][:24]:24} labelled {r['positives']:>5}  P {r['precision']:.3f}  R {r['recall']:.3f}"
          f"  F1 {r['f1']:.3f}\n")
    w(f"  Q quantisation (not in the labels): {res['taxonomy']['quantisation_names']} names\n\n")
    summary = {"part": args.part, "n": res["n"],
               "regex": {k: o["regex"][k] for k in ("precision", "recall", "f1")},
               "detector": {k: o["detector"][k] for k in ("precision", "recall", "f1")},
               "detector_definition_adjusted": {k: ia["overall"]["detector"][k] for k in ("precision", "recall", "f1")},
               "taxonomy_f1": {c: r["f1"] for c, r in res["taxonomy"]["elements"].items()}}
    w(json.dumps(summary) + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
