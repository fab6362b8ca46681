"""Reliability run: random kill-and-resume cycles of a real crawl against a faulty replay hub.

    .venv/bin/python -m benchmarks.reliability                    # 8 cycles, 10% 5xx, 429 bursts, drops, cut bodies
    .venv/bin/python -m benchmarks.reliability --cycles 20 --seed 3 --tags fill-mask,translation

Each cycle starts `scrapy crawl models -s JOBDIR=...` (the same command every time), lets it run a random while,
then stops it with SIGINT (graceful) or SIGKILL (hard), at random. A last run, same command, finishes the crawl.
Then the feed is compared with what the hub holds. Prints a table and one JSON line:
cycles, models expected, lost (must be 0), duplicates in the file and after the analysis loader (must be 0),
429s sent by the hub and honoured, requests sent before an announced reset (must be 0).
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from analysis.inputs.load import load
from hubreplay import Fault, ReplayHub
from tests.crawling import CrawlRunner

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_TAGS = "fill-mask,summarization,translation,audio-classification,tabular-classification"


def faults(error_rate: float) -> list[Fault]:
    return [
        Fault("error", p=error_rate, route="api"),
        Fault("burst429", every=40, burst=3, reset=1, route="api"),
        Fault("drop", p=0.01, route="api"),
        Fault("truncate", p=0.01, route="api"),
        Fault("nonjson", p=0.005, route="api"),
        Fault("slow", p=0.02, delay=0.5, route="api"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tags", default=DEFAULT_TAGS)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--error-rate", type=float, default=0.10)
    parser.add_argument("--max-run", type=float, default=4.0, help="longest a cycle runs before its stop (s)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    tags = [t for t in args.tags.split(",") if t]

    hub = ReplayHub(seed=args.seed, faults=faults(args.error_rate)).start_process()
    try:
        expected = {i for t in tags for i in hub.expected_ids(tag=t)}
        with tempfile.TemporaryDirectory(prefix="hfcrawl-reliability-") as tmp:
            work = Path(tmp)
            runner = CrawlRunner(hub.url, work)
            crawl_args = ("-a", f"tags={','.join(tags)}", "-a", f"page_size={args.page_size}",
                          "-s", f"JOBDIR={work / 'job'}", "-s", "DOWNLOAD_TIMEOUT=5")
            stops = []
            for cycle in range(args.cycles):
                sig = rng.choice([signal.SIGINT, signal.SIGKILL])
                proc = runner.start(*crawl_args)
                time.sleep(rng.uniform(0.5, args.max_run))
                if proc.poll() is None:
                    proc.send_signal(sig)
                code = proc.wait(120)
                stops.append({"cycle": cycle + 1, "signal": sig.name, "exit": code,
                              "feed_lines": _lines(runner.feed)})
                print(f"cycle {cycle + 1}: {sig.name} -> exit {code}, feed {stops[-1]['feed_lines']} lines",
                      flush=True)
            final = runner.run(*crawl_args, timeout=1800)
            lines = [json.loads(x) for x in runner.feed.read_text().splitlines() if x.strip()]
            ids = [x["id"] for x in lines]
            loaded = load([runner.feed]).models
            stats = hub.stats()
            result = {
                "cycles": args.cycles,
                "stops": {s: sum(x["signal"] == s for x in stops) for s in ("SIGINT", "SIGKILL")},
                "tags": tags,
                "models_expected": len(expected),
                "models_in_feed": len(set(ids)),
                "lost": len(expected - set(ids)),
                "unexpected": len(set(ids) - expected),
                "duplicates_in_file": len(ids) - len(set(ids)),
                "duplicates_after_loader": int(len(loaded) - loaded["id"].nunique()),
                "loader_models": int(len(loaded)),
                "final_exit": final.returncode,
                "final_report_complete": final.report.get("complete"),
                "hub_requests": stats["requests"],
                "hub_429_sent": stats["sent_429"],
                "requests_before_reset": stats["early_requests_after_grace"],
                "faults_fired": stats["faults_fired"],
            }
    finally:
        hub.stop()
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(result))
    ok = (result["lost"] == 0 and result["duplicates_after_loader"] == 0 and result["requests_before_reset"] == 0
          and result["final_exit"] == 0)
    return 0 if ok else 1


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


if __name__ == "__main__":
    sys.exit(main())
