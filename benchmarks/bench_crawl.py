"""Crawl benchmark: this crawler against its peers, on the replay hub (hubreplay/) in a child process.

    .venv/bin/python -m benchmarks.bench_crawl                      # 42 tags, all four contenders
    .venv/bin/python -m benchmarks.bench_crawl --tags fill-mask,robotics --skip bs4
    .venv/bin/python -m benchmarks.bench_crawl --multiply 13        # ~3.1M models, API crawler only (memory)
    .venv/bin/python -m benchmarks.bench_crawl --only api,hfhub --set TWISTED_REACTOR_ENABLED=False   # -s for the crawler

Contenders, each its own process (peak memory = ru_maxrss of that process, from os.wait4):
  api    this crawler, API source:   scrapy crawl models -a source=api  -O <tmp>/api.jsonl  -s LOG_LEVEL=INFO
  html   this crawler, HTML source:  scrapy crawl models -a source=html -O <tmp>/html.jsonl -s LOG_LEVEL=INFO
  hfhub  huggingface_hub: HfApi().list_models(pipeline_tag=T) for each tag (benchmarks/_peers.py)
  bs4    the study's way: sequential requests + BeautifulSoup over /models?pipeline_tag=T&sort=trending&p=N
  splash this crawler, HTML source rendered by Splash (only with --only splash; --splash-url or $SPLASH_URL)
Requests are counted by the hub (its stats are reset between contenders); each contender's models are checked
against what the hub holds (count per tag, no duplicate; ids too when --multiply is 1).
Prints a table and one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
import requests

from hfcrawl.hub import api_listing_url
from hubreplay import ReplayHub

ROOT = Path(__file__).resolve().parents[1]

CONTENDERS = {
    "api": "this crawler (API)",
    "html": "this crawler (HTML)",
    "hfhub": "huggingface_hub list_models",
    "bs4": "requests+BS4 (study)",
    "splash": "this crawler (HTML via Splash)",
}
CRAWLERS = {"api": "api", "html": "html", "splash": "html"}  # contender -> the spider's source
BASELINE = "api"


def run_measured(cmd: list[str], env: dict, cwd: Path, log: Path, timeout: float) -> dict:
    """Run `cmd`; wall time, exit code and the process's own peak RSS (ru_maxrss via os.wait4)."""
    with open(log, "wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            proc.kill()
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime, "timed_out": timed_out.is_set()}


def warm_up(session: requests.Session, url: str, tags: list[str]) -> float:
    """Walk every tag's API listing once, untimed, with the fields the contenders ask: the hub renders `sha` and
    `cardData` once per model and keeps them, so without this the first contender alone pays for that rendering
    (in the hub's CPU, on the cores the contender shares). Returns the seconds it took."""
    start = time.perf_counter()
    for tag in tags:
        page: str | None = api_listing_url(url, tag=tag)
        while page:
            answer = session.get(page, timeout=600)
            answer.raise_for_status()
            page = answer.links.get("next", {}).get("url")
    return time.perf_counter() - start


def read_feed(path: Path) -> tuple[Counter, int, dict[str, list[str]]]:
    """(models per crawl_tag, duplicate (tag, id) pairs, ids per tag) of a crawler feed."""
    per_tag: Counter = Counter()
    ids: dict[str, list[str]] = {}
    if not path.exists():
        return per_tag, 0, ids
    with open(path, "rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            d = orjson.loads(line)
            tag = d.get("crawl_tag") or f"author:{d.get('crawl_author')}"
            per_tag[tag] += 1
            ids.setdefault(tag, []).append(d.get("id"))
    dups = sum(len(v) - len(set(v)) for v in ids.values())
    return per_tag, dups, ids


def read_tsv(path: Path) -> tuple[Counter, int, dict[str, list[str]]]:
    per_tag: Counter = Counter()
    ids: dict[str, list[str]] = {}
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                tag, _, mid = line.rstrip("\n").partition("\t")
                per_tag[tag] += 1
                ids.setdefault(tag, []).append(mid)
    dups = sum(len(v) - len(set(v)) for v in ids.values())
    return per_tag, dups, ids


class Expected:
    """What the hub holds for the asked tags: counts per tag, and the ids (None when not checked)."""

    def __init__(self, tags: list[str], counts: dict[str, int], ids: dict[str, set] | None):
        self.tags, self.counts, self.ids = tags, counts, ids

    def problems(self, per_tag: Counter, dups: int, got_ids: dict[str, list[str]]) -> list[str]:
        wrong = [t for t in self.tags if per_tag[t] != self.counts[t]]
        out = []
        if wrong:
            out.append(f"{len(wrong)} tag(s) with a wrong count, e.g. {wrong[0]}: "
                       f"{per_tag[wrong[0]]:,} != {self.counts[wrong[0]]:,}")
        if dups:
            out.append(f"{dups:,} duplicates")
        if self.ids is not None and not wrong:
            off = [t for t in self.tags if set(got_ids.get(t, ())) != self.ids[t]]
            if off:
                out.append(f"{len(off)} tag(s) with other ids, e.g. {off[0]}")
        return out


def contender_command(name: str, feed: Path, work: Path, tags: list[str], a: argparse.Namespace) -> list[str]:
    if name in CRAWLERS:
        tag_arg = ["-a", "tags=" + ",".join(tags)] if a.tags else []
        settings = [arg for setting in a.set for arg in ("-s", setting)]
        return [sys.executable, "-m", "scrapy", "crawl", "models", "-a", f"source={CRAWLERS[name]}", "-O", str(feed),
                "-s", "LOG_LEVEL=INFO", "-s", f"HFCRAWL_REPORT={work / f'{name}-report.json'}", *tag_arg, *settings]
    return [sys.executable, "-m", "benchmarks._peers", name, "--endpoint", "$HF_ENDPOINT", "--tags", ",".join(tags),
            "--out", str(feed), "--bs4-parser", a.bs4_parser]


def run_contender(name: str, hub: ReplayHub, work: Path, env: dict, a: argparse.Namespace, check: Expected,
                  round_: int) -> dict:
    """One measured run of one contender: its process's wall, CPU and peak memory, the hub's requests and CPU
    during it, and whether its models are exactly the hub's."""
    hub.reset_stats()
    log = work / f"{name}-{round_}.log"
    feed = work / (f"{name}.jsonl" if name in CRAWLERS else f"{name}.tsv")
    if feed.exists():
        feed.unlink()
    cmd = [hub.url if c == "$HF_ENDPOINT" else c for c in contender_command(name, feed, work, check.tags, a)]
    if round_ == 0:
        print(f"[{name}] {CONTENDERS[name]}: {' '.join(cmd[1:])}", flush=True)
    run_env = dict(env, SPLASH_URL=env["BENCH_SPLASH_URL"]) if name == "splash" else env
    m = run_measured(cmd, run_env, ROOT, log, a.timeout)
    st = hub.stats()
    per_tag, dups, got_ids = read_feed(feed) if name in CRAWLERS else read_tsv(feed)
    models = sum(per_tag[t] for t in check.tags)
    problems = [f"exit code {m['returncode']}" + (" (timed out)" if m["timed_out"] else "")] \
        if m["returncode"] != 0 else []
    problems += check.problems(per_tag, dups, got_ids)
    if m["returncode"] != 0:
        print("    " + "\n    ".join(log.read_text(errors="replace").splitlines()[-15:]), flush=True)
    return {"name": name, "label": CONTENDERS[name], "ok": not problems, "problems": problems,
            "wall_s": round(m["wall_s"], 3), "requests": st["requests"], "models": models,
            "expected": sum(check.counts.values()),
            "models_per_s": round(models / m["wall_s"], 1) if m["wall_s"] else None,
            "peak_rss_mb": round(m["peak_rss_mb"], 1), "client_cpu_s": round(m["cpu_s"], 2),
            "server_cpu_s": st["cpu_seconds"], "http_statuses": st["statuses"], "sent_429": st["sent_429"],
            "bytes_received": st["bytes_sent"], "hub_peak_rss_mb": round(st.get("vmhwm_kb", 0) / 1024, 1)}


def summarise_runs(runs: list[dict]) -> dict:
    """One row per contender: the run of median wall time, with the spread of wall and CPU over all runs."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    r = dict(ordered[(len(ordered) - 1) // 2])
    walls, cpus = [x["wall_s"] for x in runs], [x["client_cpu_s"] for x in runs]
    r.update(runs=len(runs), ok=all(x["ok"] for x in runs),
             problems=sorted({p for x in runs for p in x["problems"]}),
             wall_s=round(statistics.median(walls), 3), wall_min=min(walls), wall_max=max(walls),
             client_cpu_s=round(statistics.median(cpus), 2), cpu_min=min(cpus), cpu_max=max(cpus),
             server_cpu_s=round(statistics.median(x["server_cpu_s"] for x in runs), 3))
    r["models_per_s"] = round(r["models"] / r["wall_s"], 1) if r["wall_s"] else None
    return r



def per_round_ratios(runs: dict[str, list[dict]]) -> dict[str, dict[str, list[float]]]:
    """Each other contender's wall and client CPU over this crawler's (API), round by round (both ran in it)."""
    base = runs.get(BASELINE) or []
    out = {}
    for name, rs in runs.items():
        if name == BASELINE or not base:
            continue
        pairs = [(r, b) for r, b in zip(rs, base) if r["ok"] and b["ok"] and b["wall_s"] and b["client_cpu_s"]]
        out[name] = {"wall": [round(r["wall_s"] / b["wall_s"], 2) for r, b in pairs],
                     "cpu": [round(r["client_cpu_s"] / b["client_cpu_s"], 2) for r, b in pairs]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--multiply", type=int, default=1, help="synthetic hub K times larger (13: ~3.1M models)")
    ap.add_argument("--tags", default=None, help="comma-separated subset of task tags (default: all 42)")
    ap.add_argument("--skip", default="", help=f"contenders to skip: {','.join(CONTENDERS)}")
    ap.add_argument("--only", default=None, help="run only these contenders")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per contender")
    ap.add_argument("--bs4-parser", default="html.parser")
    ap.add_argument("--splash-url", default=os.environ.get("SPLASH_URL"), help="Splash for the splash contender")
    ap.add_argument("--workdir", default=None, help="keep feeds and logs here (default: a temp dir, removed)")
    ap.add_argument("--json-out", default=None, help="also write the JSON result to this file")
    ap.add_argument("--no-warm-up", action="store_true",
                    help="skip the untimed walk that warms the hub's caches before the first contender")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each contender, in turn (the table gives the median and the spread)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a Scrapy setting for this crawler's runs (-s), e.g. TWISTED_REACTOR_ENABLED=False; repeatable")
    ap.add_argument("--record", action="store_true", help="write the table into docs/benchmarks.md (if all ok)")
    a = ap.parse_args(argv)

    if a.only:
        names = [n for n in a.only.split(",") if n]
    elif a.multiply > 1:
        names = ["api"]  # the big synthetic hub: the API crawler's memory is the question
    else:
        names = [n for n in CONTENDERS if n != "splash"]  # Splash takes about a second a page: asked by name only
    skip = {n for n in a.skip.split(",") if n}
    names = [n for n in names if n not in skip]
    bad = [n for n in names + list(skip) if n not in CONTENDERS]
    if bad:
        ap.error(f"unknown contender(s) {bad}; use {list(CONTENDERS)}")
    if "splash" in names and not a.splash_url:
        ap.error("the splash contender needs a running Splash: --splash-url URL or SPLASH_URL")

    work = Path(a.workdir) if a.workdir else Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"starting the replay hub (multiply={a.multiply}) in a child process ...", flush=True)
    load_start = os.getloadavg()
    hub = ReplayHub(multiply=a.multiply, seed=0).start_process()
    results: list[dict] = []
    runs: dict[str, list[dict]] = {}
    try:
        s = requests.Session()
        info = s.get(hub.url + "/_replay/info").json()
        tags = [t for t in a.tags.split(",") if t] if a.tags else info["tags"]
        unknown = [t for t in tags if t not in info["tags"]]
        if unknown:
            ap.error(f"unknown tags {unknown}")
        check_ids = a.multiply == 1
        expected: dict[str, int] = {}
        expected_ids: dict[str, set] = {}
        for t in tags:
            e = s.get(hub.url + "/_replay/expected", params={"pipeline_tag": t, "ids": int(check_ids)}).json()
            expected[t] = e["count"]
            if check_ids:
                expected_ids[t] = set(e["ids"])
        total = sum(expected.values())
        print(f"hub {hub.url}: {info['models']:,} models, {len(tags)} tags asked, {total:,} expected; "
              f"workdir {work}", flush=True)

        warmed = None if a.no_warm_up else round(warm_up(s, hub.url, tags), 1)
        if warmed is not None:
            print(f"warmed the hub's caches (every listing once, untimed): {warmed} s", flush=True)
        env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "SPLASH_URL")}
        env.update({"HF_ENDPOINT": hub.url, "HF_HUB_DISABLE_TELEMETRY": "1"})
        if a.splash_url:
            env["BENCH_SPLASH_URL"] = a.splash_url
        check = Expected(tags, expected, expected_ids if check_ids else None)
        runs = {n: [] for n in names}
        for round_ in range(a.repeat):  # contenders in turn, round after round: the machine's load hits all alike
            for name in names:
                r = run_contender(name, hub, work, env, a, check, round_)
                runs[name].append(r)
                status = "ok" if r["ok"] else "FAILED: " + "; ".join(r["problems"])
                print(f"[{name}] run {round_ + 1}/{a.repeat} {status}; {r['wall_s']:.1f}s wall, "
                      f"{r['client_cpu_s']:.2f}s client CPU, {r['server_cpu_s']:.2f}s hub CPU, "
                      f"{r['requests']:,} requests, {r['models']:,} models, {r['peak_rss_mb']:.0f} MB", flush=True)
        results = [summarise_runs(runs[n]) for n in names]
        load_end = os.getloadavg()
    finally:
        hub.stop()
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)

    base = next((r for r in results if r["name"] == BASELINE and r["ok"]), None)
    for r in results:
        if base and r["wall_s"] and r["requests"]:
            r["wall_x"] = round(r["wall_s"] / base["wall_s"], 2)
            r["requests_x"] = round(r["requests"] / base["requests"], 2)
            r["rss_x"] = round(r["peak_rss_mb"] / base["peak_rss_mb"], 2)
            r["speed_x"] = round(r["models_per_s"] / base["models_per_s"], 3) if base["models_per_s"] else None
            r["cpu_x"] = round(r["client_cpu_s"] / base["client_cpu_s"], 2) if base["client_cpu_s"] else None
            r["hub_cpu_share"] = round(r["server_cpu_s"] / r["client_cpu_s"], 3) if r["client_cpu_s"] else None
    per_round = per_round_ratios(runs)

    head = (f"{'contender':<30} {'ok':>3} {'wall s':>8} {'requests':>9} {'models':>10} {'models/s':>10} "
            f"{'peak MB':>8} {'srv CPU':>8} {'wall x':>7} {'req x':>7} {'RSS x':>6}")
    print("\n" + head + "\n" + "-" * len(head))
    for r in results:
        x = lambda k, r=r: f"{r[k]:.2f}" if r.get(k) is not None else "-"  # noqa: E731
        print(f"{r['label']:<30} {'yes' if r['ok'] else 'NO':>3} {r['wall_s']:>8.1f} {r['requests']:>9,} "
              f"{r['models']:>10,} {r['models_per_s'] or 0:>10,.0f} {r['peak_rss_mb']:>8.0f} "
              f"{r['server_cpu_s']:>8.2f} {x('wall_x'):>7} {x('requests_x'):>7} {x('rss_x'):>6}")
    print("(x = ratio to this crawler (API): wall time, requests, peak RSS; srv CPU = the hub's CPU seconds)")
    out = {"bench": "crawl", "multiply": a.multiply, "tags": len(tags), "expected_models": total, "settings": a.set,
           "warm_up_s": warmed, "results": results, "repeat": a.repeat, "per_round_ratios": per_round,
           "load_avg_start": [round(x, 2) for x in load_start], "load_avg_end": [round(x, 2) for x in load_end]}
    for name, ratios in per_round.items():
        print(f"{CONTENDERS[name]} / this crawler (API), per round: wall {ratios['wall']}, client CPU "
              f"{ratios['cpu']}")
    print(f"load average at start {load_start}, at end {load_end}")
    line = json.dumps(out)
    print(line)
    if a.json_out:
        Path(a.json_out).write_text(line + "\n")
    if a.multiply > 1 and base:
        print(f"peak memory of the API crawler on {total:,} models: {base['peak_rss_mb']:.0f} MB "
              f"(target < 400 MB): {'met' if base['peak_rss_mb'] < 400 else 'NOT met'}")
    if a.record and a.set:
        print("not recorded in docs/benchmarks.md: --set changes what the crawler runs", flush=True)
    elif a.record and all(r["ok"] for r in results):
        from benchmarks.record import record_bench_crawl
        record_bench_crawl(out)
    elif a.record:
        print("not recorded in docs/benchmarks.md: a contender failed", flush=True)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
