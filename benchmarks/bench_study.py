"""Benchmark of the `study` command: the 2024 lists, and a synthetic feed 10 times larger, in one run.

    .venv/bin/python -m benchmarks.bench_study            # everything (about 10 minutes on 2 cores)
    .venv/bin/python -m benchmarks.bench_study --quick    # the 2024 data only

Prints, for each case: wall time, CPU time and peak memory of the whole command in a fresh process (the summed PSS of
the process and the workers it forks, sampled every 0.25 s; and the largest single RSS), and the
ratio against the study's pairwise 2c method (the same command with `--groups pairwise`, and the 2c counting alone
per task), where that method finishes within the time budget. On the 2024 lists both `--method study` and the
default command (`--method both`: the study plus the regex-vs-detector comparison and the naming taxonomy, which
run on a forked process alongside the study on 2 cores, up to 1 million models) are measured, on the 2024 lists and
on the 10x feed; the 20 s target is for each. Wall times on
these 2-core VMs vary by up to 30% from run to run: compare medians of a few runs.

The synthetic feed (written once to output/bench/, git-ignored) is the 2024 lists copied `factor` times as a crawl
feed. Copy 0 is the real data; in copy k >= 1 every owner becomes `<owner>-x<k>`, half of the families (chosen per
family and copy) are renamed `<family><k>` (new families with the same naming habits), and 15% of the names get one
version token replaced by a token drawn from the same task's token frequencies. So the feed has 10x the models,
about 5.5x the families, and many new distinct token sets, which is how the Hub grows (more models per family,
new families copying the naming of the old ones), without repeating the same sets only.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import subprocess
import sys
import threading
import time
import zlib
from collections import defaultdict
from pathlib import Path

import orjson

from analysis.load import DEFAULT_ORGS, seed_lists_dir

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "output" / "bench"
TARGETS = {"2024": 20.0, "x10_wall": 180.0, "x10_rss_mb": 4096.0}
_SPLIT = re.compile(r"([-.])")


# ----------------------------------------------------------------------------------------------------------------
# Synthetic feed


def synthetic_feed(factor: int = 10, seed: int = 0, path: Path | None = None) -> Path:
    """Write (once) the 2024 lists `factor` times over as a JSON Lines crawl feed; see the module docstring."""
    path = path or OUT / f"synthetic-x{factor}-s{seed}.jsonl"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    lists = seed_lists_dir()
    rng = random.Random(seed)
    entries: list[tuple[str, str | None, str | None]] = []  # (id, task, org)
    pool: dict[str, list[str]] = defaultdict(list)
    for f in sorted(lists.glob("*.txt")):
        is_org = f.stem in DEFAULT_ORGS
        for line in f.read_text(encoding="utf-8").split("\n"):
            mid = line.strip()
            if not mid:
                continue
            entries.append((mid, None if is_org else f.stem, f.stem if is_org else None))
            name = mid.split("/", 1)[-1]
            pool[f.stem].extend(t for t in re.split(r"[-.]", name)[1:] if len(t) > 1)
    stamp = "2026-11-27T12:00:00+00:00"
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for k in range(factor):
            buf = []
            for mid, task, org in entries:
                owner, _, name = mid.rpartition("/")
                if k:
                    parts = _SPLIT.split(name)
                    family = parts[0]
                    if zlib.crc32(f"{family}|{k}".encode()) % 2 == 0:
                        parts[0] = f"{family}{k}"
                    if len(parts) > 2 and rng.random() < 0.15:
                        tokens = pool[task or org]
                        parts[2 * rng.randrange(1, (len(parts) + 1) // 2)] = rng.choice(tokens) if tokens else "x"
                    name = "".join(parts)
                    owner = owner if org else f"{owner or 'legacy'}-x{k}"
                    if org:
                        name = f"{name}-r{k}"
                mid2 = f"{owner}/{name}" if owner else name
                buf.append(orjson.dumps({
                    "id": mid2, "author": owner or None, "name": name, "pipeline_tag": task, "crawl_tag": task,
                    "crawl_author": org, "downloads": None, "likes": None, "created_at": None,
                    "last_modified": None, "library_name": None, "tags": None, "source": "api",
                    "crawled_at": stamp}))
            out.write(b"\n".join(buf) + b"\n")
    tmp.replace(path)
    return path


# ----------------------------------------------------------------------------------------------------------------
# Measuring


def run_command(args: list[str], timeout: float | None = None) -> dict:
    """Run `python -m analysis study ...` in a fresh process: its wall time, its CPU time (with the figure workers),
    and its peak RSS (the largest of the process and of its workers)."""
    wrapper = ("import resource,sys,time,runpy;t=time.perf_counter();sys.argv=['analysis']+sys.argv[1:];"
               "rc=0\ntry:\n runpy.run_module('analysis',run_name='__main__')\nexcept SystemExit as e:\n rc=e.code or 0\n"
               "r=resource.getrusage(resource.RUSAGE_SELF);c=resource.getrusage(resource.RUSAGE_CHILDREN);"
               "print('BENCH',time.perf_counter()-t,r.ru_utime+r.ru_stime+c.ru_utime+c.ru_stime,"
               "max(r.ru_maxrss,c.ru_maxrss),rc,file=sys.stderr)")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = {"pss_kb": 0}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_tree_pss, args=(proc.pid, stop, peak), daemon=True)
    sampler.start()
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"finished": False, "wall_s": timeout}
    finally:
        stop.set()
        sampler.join()
    line = [x for x in err.splitlines() if x.startswith("BENCH")]
    if proc.returncode or not line:
        raise RuntimeError(f"study command failed ({proc.returncode}):\n{err[-2000:]}")
    _, wall, cpu, rss_kb, _rc = line[-1].split()
    return {"finished": True, "wall_s": round(float(wall), 2), "cpu_s": round(float(cpu), 2),
            "peak_rss_mb": round(int(rss_kb) / 1024, 1), "peak_tree_pss_mb": round(peak["pss_kb"] / 1024, 1),
            "outer_wall_s": round(time.perf_counter() - start, 2)}


def _tree_pids(root: int) -> list[int]:
    """`root` and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _sample_tree_pss(root: int, stop: threading.Event, peak: dict) -> None:
    """Peak of the summed PSS of a process and its descendants, sampled every 0.25 s.

    The study forks workers (figures, name reading, the comparison): the largest single RSS understates what the
    machine must hold, and summed RSS counts the pages they share several times. PSS splits shared pages among the
    processes that share them, so the sum is the memory the whole command uses."""
    while not stop.wait(0.25):
        total = 0
        for pid in _tree_pids(root):
            try:
                for row in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if row.startswith("Pss:"):
                        total += int(row.split()[1])
                        break
            except (OSError, ValueError):
                continue
        peak["pss_kb"] = max(peak["pss_kb"], total)


def _pairwise_child(sets, queue):  # pragma: no cover - runs in a child process
    from analysis.groups import pairwise_group_counts

    t = time.process_time()
    counts = pairwise_group_counts(sets)
    queue.put((time.process_time() - t, len(counts)))


def groups_only(inputs: list[str], budget: float) -> list[dict]:
    """2c counting alone, per studied scope: fast method vs the study's pairwise loop (CPU seconds)."""
    from analysis.groups import group_counts
    from analysis.load import load
    from analysis.organisations import org_models
    from analysis.pareto import pareto_tasks, selected_tasks
    from analysis.tokens import family_tokens
    from analysis.version_share import share_by_task

    models = load(inputs).models
    scopes = [(t, models.loc[models["task"] == t, "id"]) for t in selected_tasks(pareto_tasks(share_by_task(models)))]
    scopes += [(f"org:{o}", org_models(models, o)["id"]) for o in DEFAULT_ORGS]
    rows = []
    ctx = mp.get_context("fork")
    for scope, ids in scopes:
        sets = family_tokens(ids).tolist()
        t = time.process_time()
        fast = group_counts(sets)
        fast_s = time.process_time() - t
        q = ctx.Queue()
        p = ctx.Process(target=_pairwise_child, args=(sets, q))
        p.start()
        p.join(budget)
        if p.is_alive():
            p.kill()
            p.join()
            pair = None
        else:
            pair = q.get()[0]
        rows.append({"scope": scope, "families": len(sets), "groups": len(fast), "fast_cpu_s": round(fast_s, 3),
                     "pairwise_cpu_s": round(pair, 3) if pair is not None else None,
                     "ratio": round(pair / fast_s, 1) if pair is not None and fast_s > 0 else None})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the 2024 data only")
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds allowed to the pairwise method per run")
    args = ap.parse_args()
    lists = str(seed_lists_dir())
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}

    def show(label: str, r: dict, target: float | None = None) -> None:
        if not r.get("finished", True):
            print(f"{label:<52} did not finish in {r['wall_s']:.0f}s", flush=True)
            return
        tgt = f"  (target < {target:.0f}s: {'met' if r['wall_s'] < target else 'MISSED'})" if target else ""
        print(f"{label:<52} wall {r['wall_s']:7.2f}s  cpu {r['cpu_s']:7.2f}s  peak {r['peak_tree_pss_mb']:7.1f} MB"
              f" (largest process {r['peak_rss_mb']:.0f} MB){tgt}", flush=True)

    print("== study command on the 2024 lists (239,091 task ids + 3 organisation lists)")
    base = OUT / "study-2024"
    r = run_command(["study", lists, "--out", str(base), "--method", "study", "-q"])
    show("study --method study (regex, fast 2c, figures)", r, TARGETS["2024"])
    results["2024_study"] = r
    r = run_command(["study", lists, "--out", str(OUT / "study-2024-both"), "-q"])
    show("study, default --method both (+ comparison, taxonomy)", r, TARGETS["2024"])
    results["2024_both"] = r
    r2 = run_command(["study", lists, "--out", str(OUT / "study-2024-pairwise"), "--method", "study", "-q",
                      "--groups", "pairwise"], timeout=args.budget)
    show("study --groups pairwise (the study's 2c method)", r2)
    results["2024_pairwise"] = r2
    if r2.get("finished"):
        print(f"   whole command, pairwise / fast: {r2['wall_s'] / results['2024_study']['wall_s']:.2f}x wall")
    rows = groups_only([lists], args.budget)
    results["2024_groups_only"] = rows
    print("   2c counting alone (CPU s):  scope, families, groups, fast, pairwise, ratio")
    for row in rows:
        print(f"     {row['scope']:<24} {row['families']:>6} {row['groups']:>7} {row['fast_cpu_s']:>8.3f} "
              f"{row['pairwise_cpu_s'] if row['pairwise_cpu_s'] is not None else 'n/f':>9} "
              f"{row['ratio'] if row['ratio'] is not None else '-':>7}")

    if not args.quick:
        t = time.perf_counter()
        feed = synthetic_feed(args.factor)
        lines = sum(1 for _ in feed.open("rb"))
        print(f"\n== study command on a synthetic feed x{args.factor}: {lines:,} lines, "
              f"{feed.stat().st_size / 1e6:.0f} MB ({time.perf_counter() - t:.0f}s to make or find)")
        for key, label, extra in (("study", "study --method study (regex, fast 2c, figures)", ["--method", "study"]),
                                  ("both", "study, default --method both (+ comparison)", [])):
            r = run_command(["study", str(feed), "--out", str(OUT / f"study-x{args.factor}-{key}"), "-q", *extra])
            ok = r["wall_s"] < TARGETS["x10_wall"] and r["peak_tree_pss_mb"] < TARGETS["x10_rss_mb"]
            show(label, r)
            print(f"   targets < {TARGETS['x10_wall']:.0f}s and < {TARGETS['x10_rss_mb']:.0f} MB: "
                  f"{'met' if ok else 'MISSED'}")
            results[f"x{args.factor}_{key}"] = r
        rows = groups_only([str(feed)], args.budget)
        results[f"x{args.factor}_groups_only"] = rows
        print(f"   2c counting alone (CPU s, pairwise budget {args.budget:.0f}s per scope)")
        for row in rows:
            print(f"     {row['scope']:<24} {row['families']:>6} {row['groups']:>7} {row['fast_cpu_s']:>8.3f} "
                  f"{row['pairwise_cpu_s'] if row['pairwise_cpu_s'] is not None else 'n/f':>9} "
                  f"{row['ratio'] if row['ratio'] is not None else '-':>7}")
    results["machine"]["load_avg_at_end"] = os.getloadavg()
    (OUT / ("bench_study_quick.json" if args.quick else "bench_study.json")).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nload average (1/5/15 min) at start {results['machine']['load_avg_at_start']}, at end "
          f"{results['machine']['load_avg_at_end']}; results in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
