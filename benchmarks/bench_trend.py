"""Benchmark of the `trend` command at the scale of three full crawls: three feeds of 2.4 million lines each.

    .venv/bin/python -m benchmarks.bench_trend            # three 2.4-million-line feeds (a few minutes on 2 cores)
    .venv/bin/python -m benchmarks.bench_trend --quick    # the real snapshots of ../shared/data/hub-snapshots only

Prints wall time, CPU time and peak memory of the whole command in a fresh process (the summed PSS of the process
tree, sampled every 0.25 s, and the largest single RSS), measured as `benchmarks.bench_study` measures the study.
Target: under 5 minutes and 4 GB for the three feeds.

The feeds are synthetic, written once to output/bench/ (git-ignored): the study benchmark's 10x feed (the 2024
lists ten times over, `benchmarks.bench_study.synthetic_feed`) with a creation time on every line, three times.
Crawl k (0, 1, 2) keeps the 10x feed's ids except a share 0.2*k of them, replaced by new ids (`<owner>-n<k>/...`:
models that appeared by a later crawl), so the three overlap as successive crawls do and the cohorts deduplicate
across them. Creation times are drawn per id (the same in every feed it is in), calibrated on the real snapshots:
3% carry the Hub's placeholder 2022-03-02T23:29:04Z (repositories older than March 2022; more than the 0.9% the
2022-02 snapshot's 29,432 models make of the 3.1 million repositories a 2026 census counted, which changes the
placeholder row, not the work), the rest spread from
2022-03 to 2026-08 with monthly creations growing 5% a month (the 2022-10 snapshot's creations grew about
6% a month from 2022-04 to 2022-09).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from analysis.common.paths import shared_dir
from benchmarks.bench_study import OUT, run_command, synthetic_feed

TARGETS = {"wall_s": 300.0, "tree_pss_mb": 4096.0}
PLACEHOLDER = "2022-03-02T23:29:04.000Z"
START = datetime(2022, 3, 1, tzinfo=UTC)
MONTHS, GROWTH, PLACEHOLDER_SHARE = 54, 1.05, 0.03


def _created_at(model_id: str) -> str:
    """A deterministic creation time for an id: the placeholder for 3%, else a month weighted by Hub growth."""
    h = zlib.crc32(model_id.encode())
    u = (h & 0xFFFFFF) / float(1 << 24)
    if u < PLACEHOLDER_SHARE:
        return PLACEHOLDER
    u = (u - PLACEHOLDER_SHARE) / (1 - PLACEHOLDER_SHARE)
    month = min(MONTHS - 1, int(math.log1p(u * (GROWTH ** MONTHS - 1)) / math.log(GROWTH)))  # inverse CDF
    day = (h >> 24) % 28
    when = START + timedelta(days=30.4 * month + day, seconds=(h >> 8) % 86_400)
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def dated_feed(crawl: int) -> Path:
    """Write (once) crawl `crawl`'s feed: the 10x feed with creation times and a share of new ids (docstring)."""
    path = OUT / f"trend-x10-crawl{crawl}.jsonl"
    if path.exists():
        return path
    base = synthetic_feed(10)
    tmp = path.with_suffix(".tmp")
    renamed = 0.2 * crawl
    with base.open("rb") as src, tmp.open("wb") as out:
        buf = []
        for raw in src:
            obj = orjson.loads(raw)
            mid = obj["id"]
            if renamed and (zlib.crc32(mid.encode()) % 1000) < renamed * 1000:
                owner, _, name = mid.rpartition("/")
                mid = f"{owner or 'legacy'}-n{crawl}/{name}"
                obj["id"], obj["author"] = mid, mid.split("/")[0]
            obj["created_at"] = _created_at(mid)
            buf.append(orjson.dumps(obj))
            if len(buf) >= 100_000:
                out.write(b"\n".join(buf) + b"\n")
                buf = []
        if buf:
            out.write(b"\n".join(buf) + b"\n")
    tmp.replace(path)
    return path


def real_snapshots() -> list[str]:
    """The command's inputs on the real data (the 2024 lists and the four Hub snapshots)."""
    d = shared_dir() / "data"
    s = d / "hub-snapshots"
    return [f"2022-02={s / 'api-full-2022-02.jsonl.gz'}", f"2022-10={s / 'models-2022-10.csv.gz'}",
            f"2024-02={d / 'seed-2024-02' / 'lists'}", f"2024-09={s / 'top-downloads-2024-09.csv.gz'}",
            f"2026-08={s / 'recent-2026-08.jsonl.gz'}"]


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the real snapshots only")
    ap.add_argument("--record", action="store_true", help="write the figures into docs/benchmarks.md")
    args = ap.parse_args()
    cases = [("real snapshots (5 inputs)", real_snapshots())]
    if not args.quick:
        feeds = [dated_feed(k) for k in range(3)]
        sizes = ", ".join(f"{_lines(f):,}" for f in feeds)
        cases.append((f"3 synthetic feeds of {sizes} lines", [f"crawl{k}={f}" for k, f in enumerate(feeds)]))
    results = {}
    for name, inputs in cases:
        out = OUT / "trend-out"
        r = run_command(["trend", *inputs, "--out", str(out), "-q"], timeout=900)
        r["cohort_models"] = int(sum(int(line.split(",")[1]) for line in
                                     (out / "tables" / "cohorts.csv").read_text().splitlines()[1:]))
        results[name] = r
        met = r.get("wall_s", 1e9) < TARGETS["wall_s"] and r.get("peak_tree_pss_mb", 1e9) < TARGETS["tree_pss_mb"]
        print(f"{name}: wall {r['wall_s']} s, CPU {r.get('cpu_s')} s, peak tree PSS {r.get('peak_tree_pss_mb')} MB, "
              f"largest RSS {r.get('peak_rss_mb')} MB, {r['cohort_models']:,} models in the cohorts"
              + (f" (target < {TARGETS['wall_s']:.0f} s and {TARGETS['tree_pss_mb']:.0f} MB: "
                 f"{'met' if met else 'NOT met'})" if "synthetic" in name else ""))
    print(json.dumps(results, indent=2))
    if args.record:
        from benchmarks.record import record_section

        rows = [{"case": name, "wall s": r.get("wall_s"), "CPU s": r.get("cpu_s"),
                 "peak tree PSS MB": r.get("peak_tree_pss_mb"), "models in cohorts": r["cohort_models"]}
                for name, r in results.items()]
        record_section("Trend command (python -m analysis trend)", rows,
                       notes=f"Target for the 3-feed case: under {TARGETS['wall_s']:.0f} s and "
                             f"{TARGETS['tree_pss_mb']:.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
