"""Score the detector, the GPT-4 labels and the study's regex against the blind audit of held-out names.

    python -m benchmarks.audit_detector

A command line over `analysis.versions.audit` (its docstring says how the sample was drawn and read; the two annotators were
language-model assistants, not people).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.versions.audit import AUDIT_PATH, audit


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.audit_detector", description=__doc__.split("\n\n")[0])
    ap.add_argument("--audit", type=Path, default=AUDIT_PATH)
    ap.add_argument("--resamples", type=int, default=2000)
    args = ap.parse_args(argv)
    res = audit(args.audit, args.resamples)
    w = sys.stdout.write
    st = res["strata"]
    w("Blind audit of the held-out half: "
      + ", ".join(f"{s} {v['audited']} of {v['size']:,} names ({v['undecided']} left undecided)"
                  for s, v in st.items()) + "\n")
    an = res["annotators"]
    if an.get("names"):
        w(f"Annotators: {an['who']}.\n")
        w(f"The two annotators on {an['names']} shared names: same verdict {an['same_verdict']:.1%}, "
          f"Cohen's kappa {an['kappa']:.2f} on the {an['both_decided']} both decided (V or N)\n")
    sd = res["disagreements_sided_with"]
    w(f"Where the detector and the labels disagree, the audit sides with the detector on {sd['detector']} names and "
      f"with the labels on {sd['labels']}\n\n")
    w(f"{'against the audit':18} {'precision':>16} {'recall':>16} {'F1':>16}\n")
    for m, r in res["scores"].items():
        c = r["ci95"]
        w(f"{m:18} " + " ".join(f"{r[k]:.3f} [{c[k][0]:.2f},{c[k][1]:.2f}]" for k in ("precision", "recall", "f1"))
          + "\n")
    w("\n" + json.dumps({m: {k: r[k] for k in ("precision", "recall", "f1")} for m, r in res["scores"].items()})
      + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
