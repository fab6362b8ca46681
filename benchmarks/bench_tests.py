"""How long the test loops take: the quick loop (`pytest -m "not e2e"`, target under a minute) and, with --full,
`make test`'s script (ruff, Chromium, a real Splash, every test).

    .venv/bin/python -m benchmarks.bench_tests         # the quick loop, 3 runs
    .venv/bin/python -m benchmarks.bench_tests --full  # and the whole suite once (about 10 minutes more)

Each run is a fresh process; the figures are its wall time, the CPU time of the process tree (user + system, from
`resource.getrusage(RUSAGE_CHILDREN)`) and pytest's own count line. Why a benchmark and not a timed test: a timed
test fails on a loaded machine for no fault of the code; this prints the figures, and `--record` writes them into
docs/benchmarks.md with the date, the machine and the commit. A run whose tests fail makes this command fail.
"""
from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK = [sys.executable, "-m", "pytest", "-m", "not e2e", "-q", "-p", "no:cacheprovider"]
FULL = ["bash", "scripts/run-tests.sh"]
TARGET_QUICK_S = 60.0
_COUNTS = re.compile(r"^=*\s*(\d+ passed.*?) in [\d.]+s", re.M)


def run_loop(command: list[str]) -> dict:
    """One run of `command` from the project's root: wall s, CPU s of the process tree, pytest's count line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    counts = _COUNTS.findall(done.stdout)
    if done.returncode != 0 or not counts:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SystemExit(f"error: {' '.join(command)} exited {done.returncode}:\n{tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "tests": counts[-1]}


def measure(runs: int, full_runs: int) -> list[dict]:
    """Rows of the table: each quick run, then each run of the whole suite."""
    rows = []
    loops = [("pytest -m \"not e2e\" (quick loop)", QUICK, f"{TARGET_QUICK_S:.0f} s", runs),
             ("make test (bash scripts/run-tests.sh)", FULL, "", full_runs)]
    for label, command, target, times in loops:
        for k in range(times):
            r = run_loop(command)
            print(f"{label}, run {k + 1}: {r['wall_s']} s wall, {r['cpu_s']} s CPU; {r['tests']}", flush=True)
            rows.append({"loop": label, "run": k + 1, "wall s": r["wall_s"], "CPU s (process tree)": r["cpu_s"],
                         "tests": r["tests"], "target": target})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of the quick loop (default 3)")
    ap.add_argument("--full", action="store_true", help="also time make test's script once (ruff, Splash, every test)")
    ap.add_argument("--record", action="store_true", help="write the table into docs/benchmarks.md")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    rows = measure(args.runs, 1 if args.full else 0)
    quick = [r["wall s"] for r in rows if r["target"]]
    verdict = "met" if max(quick) < TARGET_QUICK_S else "NOT met"
    print(f"quick loop: worst of {len(quick)} runs {max(quick)} s (target {TARGET_QUICK_S:.0f} s: {verdict})")
    if args.record:
        from benchmarks.record import record_section

        record_section("Test loops", rows, notes=f"Quick loop, worst of {len(quick)} runs: {max(quick)} s "
                                                 f"(target {TARGET_QUICK_S:.0f} s: {verdict}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
