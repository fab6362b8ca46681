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

from analysis.inputs.load import DEFAULT_ORGS, seed_lists_dir

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
    from analysis.study.groups import pairwise_group_counts

    t = time.process_time()
    counts = pairwise_group_counts(sets)
    queue.put((time.process_time() - t, len(counts)))


def groups_only(inputs: list[str], budget: float) -> list[dict]:
    """2c counting alone, per studied scope: fast method vs the study's pairwise loop (CPU seconds)."""
    from analysis.inputs.load import load
    from analysis.study.groups import group_counts
    from analysis.study.organisations import org_models
    from analysis.study.pareto import pareto_tasks, selected_tasks
    from analysis.study.tokens import family_tokens
    from analysis.study.version_share import share_by_task

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


# ----------------------------------------------------------------------------------------------------------------
# The added sections ("Versions and their predecessors", "Versioning in the repositories"): --repos-scale N


def synthetic_repos_feed(ids: list[str], path: Path, seed: int = 0) -> Path:
    """Write (once) a SYNTHETIC repos feed, one line per id, for timing only. Calibrated on published figures: most
    repositories hold the Hub's initial commit and one upload (2 commits, 55%), a long right tail (Pareto, alpha
    1.2), 2% deleted since the listing, tags on 0.5% (Castano et al.: releases for 202 of 100,000), extra branches
    on 1.5%, a card naming a successor on 0.3%."""
    if path.exists():
        return path
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = len(ids)
    u = rng.random((5, n))
    commits = np.where(u[0] < 0.55, 2, 3 + np.floor(rng.pareto(1.2, n) * 2)).astype(np.int64)
    stamp = "2026-11-28T00:00:00Z"
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for start in range(0, n, 200_000):
            buf = []
            for i in range(start, min(n, start + 200_000)):
                if u[1, i] < 0.02:
                    rec = {"id": ids[i], "status": "not_found", "sha": None, "branches": None, "tags": None,
                           "commit_count": None, "last_commit_at": None, "commits": None, "base_model": None,
                           "new_version": None, "history": "count", "crawled_at": stamp}
                else:
                    tags = (["v1.0"] if u[2, i] < 0.003 else ["release"]) if u[2, i] < 0.005 else []
                    rec = {"id": ids[i], "status": "ok", "sha": f"{i:040x}",
                           "branches": ["main", "dev"] if u[3, i] < 0.015 else ["main"], "tags": tags,
                           "commit_count": int(commits[i]), "last_commit_at": stamp, "commits": None,
                           "base_model": [], "new_version": ids[i] + "-v2" if u[4, i] < 0.003 else None,
                           "history": "count", "crawled_at": stamp}
                buf.append(orjson.dumps(rec))
            out.write(b"\n".join(buf) + b"\n")
    tmp.replace(path)
    return path


def _rss_kb() -> int:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    return 0


def _measure(fn, *args):
    """(result, wall seconds, peak RSS above the RSS at the start in MB), RSS sampled every 20 ms."""
    base, peak, stop = _rss_kb(), [0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], _rss_kb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t = time.perf_counter()
    try:
        out = fn(*args)
    finally:
        wall = time.perf_counter() - t
        stop.set()
        sampler.join()
    return out, round(wall, 2), (max(peak[0], _rss_kb()) - base) / 1024


def _draw_job(job: tuple) -> None:
    fn, args = job
    fn(*args)


def _repos_child(scale: int) -> None:  # pragma: no cover - runs in a fresh process
    """Models: the 2024 lists, their owners copied (`<owner>-x<k>`) until `scale` ids carry a task; a synthetic
    repos feed of `scale` lines; the two added sections timed on them, as `analysis.study` runs them."""
    import pandas as pd

    from analysis.common.parallel import fork_map
    from analysis.common.progress import Progress
    from analysis.inputs.load import load
    from analysis.repos import practices as repos
    from analysis.repos import predecessors

    base = load([seed_lists_dir()]).models
    copies, k = [base], 1
    while sum(int(c["task"].notna().sum()) for c in copies) < scale:
        c = base.copy()
        c["author"] = c["author"].fillna("legacy") + f"-x{k}"
        c["id"] = c["author"] + "/" + c["name"]
        copies.append(c)
        k += 1
    models = pd.concat(copies, ignore_index=True)
    ids = models.loc[models["task"].notna(), "id"].head(scale).tolist()
    feed = synthetic_repos_feed(ids, OUT / f"repos-synthetic-{scale}.jsonl")
    tasks = ["text-classification", "text-generation", "text2text-generation", "token-classification",
             "text-to-image", "fill-mask"]
    cfg = argparse.Namespace(out=OUT / f"repos-section-{scale}", repos=feed, make_figures=True)
    reading, names_s, names_mb = _measure(predecessors.read_names, models)
    (_, _, jobs), table_s, _ = _measure(predecessors.names_section, models, tasks, cfg, reading)
    prepared, read_s, read_mb = _measure(repos.prepare, cfg, models)
    (_, _, more), section_s, section_mb = _measure(repos.repos_section, prepared, reading.versioned, cfg,
                                                   Progress(quiet=True))
    _, figures_s, figures_mb = _measure(fork_map, _draw_job, jobs + more)
    print("REPOS", json.dumps({
        "models": len(models), "repos_lines": len(ids), "feed_mb": round(feed.stat().st_size / 1e6, 1),
        "names_reading_s": names_s, "names_reading_peak_mb": round(names_mb, 1),
        "names_tables_s": table_s, "repos_read_join_s": read_s, "repos_read_join_peak_mb": round(read_mb, 1),
        "repos_tables_s": section_s, "repos_tables_peak_mb": round(section_mb, 1), "figures_s": figures_s,
        "figures_peak_mb": round(figures_mb, 1)}), flush=True)


def bench_repos_sections(scales: list[int]) -> list[dict]:
    """The added sections at each scale, each in a fresh process (so that memory figures do not mix)."""
    rows = []
    for scale in scales:
        proc = subprocess.run([sys.executable, "-c", f"from benchmarks.bench_study import _repos_child; "
                                                     f"_repos_child({scale})"],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        line = [x for x in proc.stdout.splitlines() if x.startswith("REPOS")]
        if proc.returncode or not line:
            raise RuntimeError(f"repos benchmark failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        row = json.loads(line[-1][len("REPOS "):])
        rows.append(row)
        print(f"{row['repos_lines']:>10,} repos lines, {row['models']:>10,} models: names read (forked in the "
              f"study) {row['names_reading_s']:6.2f}s (+{row['names_reading_peak_mb']:.0f} MB), names tables "
              f"{row['names_tables_s']:5.2f}s; repos read+join {row['repos_read_join_s']:6.2f}s "
              f"(+{row['repos_read_join_peak_mb']:.0f} MB), repos tables {row['repos_tables_s']:5.2f}s "
              f"(+{row['repos_tables_peak_mb']:.0f} MB); figures {row['figures_s']:5.2f}s", flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the 2024 data only")
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds allowed to the pairwise method per run")
    ap.add_argument("--record", action="store_true", help="write the figures into docs/benchmarks.md")
    ap.add_argument("--repos-scale", type=int, default=0, metavar="N",
                    help="only the added versioning sections: on the 2024 lists (one synthetic repos line per model) "
                         "and on a synthetic repos feed of N lines (e.g. 3000000)")
    args = ap.parse_args()
    if args.repos_scale:
        print("== the added sections (names only; --repos with a SYNTHETIC repos feed), each in a fresh process")
        rows = bench_repos_sections([239_091, args.repos_scale])
        (OUT / "bench_repos_sections.json").write_text(json.dumps(rows, indent=2) + "\n")
        if args.record:
            from benchmarks.record import record_section

            record_section("Versioning sections of the study (names only, and --repos)", rows,
                           notes="The repos feed is SYNTHETIC (one line per model), for timing only; `+MB` columns "
                                 "are peaks above the start. Target: the added sections under 5 s on the 2024 data, "
                                 "linear in the repos feed.")
        return 0
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
    if args.record:
        from benchmarks.record import record_bench_study
        record_bench_study(results, TARGETS, args.factor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
