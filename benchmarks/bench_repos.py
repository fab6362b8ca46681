"""Repos crawl benchmark, on the replay hub's synthetic repository histories (hub in a child process).

    .venv/bin/python benchmarks/bench_repos.py                  # 10,000 repositories in count mode, all parts
    .venv/bin/python benchmarks/bench_repos.py --repos 2000 --skip memory

Parts, each its own process (peak memory = its VmHWM; CPU = its user + system time; requests counted by the hub,
whose own CPU is given too: both share the machine's cores):
  auto     scrapy crawl repos -a input=<models feed>              card fields from the listing: 2 calls a repository
  auto-2k  the same over the first --compare repositories (2,000), the base of the two comparisons below
  info     scrapy crawl repos -a input=<first 2,000> -a card=info  model info per repository: 3 calls
  hfhub    huggingface_hub as a user would: HfApi.list_repo_refs + list_repo_commits per id, 8 threads (2,000)
  aiohttp  the floor of an asyncio client: aiohttp alone, 8 connections, the crawl's 2 calls (2,000): what a crawl
           could reach without Scrapy's engine on its path, and whether the hub is what limits either side
  scrapy   the floor of Scrapy's engine: a bare spider making the crawl's 2 calls with no middleware, extension or
           pipeline, same transport and concurrency (2,000; benchmarks/bare_scrapy.py): what any crawl on Scrapy's
           engine could reach at best
  halves   auto-2k as two crawls side by side, each over half of the 2,000 at 4 requests at a time: whether a
           second process would pay on this machine
  quota    `auto` on a hub enforcing a quota scaled down from 1,000 calls / 300 s to --quota / --window (the
           whole benchmark must stay within ~5 minutes): wall time against the floor the quota allows
  memory   scrapy crawl repos over a text input of 3,000,000 ids, stopped after 500 repositories: peak memory
The models feed comes from `scrapy crawl models` on the same hub (listing with expand=sha,cardData). Before the
timed parts, one untimed run of `auto-2k` and of `hfhub` fills the hub's answer cache with both sides' pages, so
that neither pays for histories the other made (--no-warm: off). --repeat N runs auto-2k, hfhub, scrapy and halves
N times in turn and keeps each one's median run by wall time (every wall time is in the JSON line).
Prints a table and one JSON line.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a peer's process (--peer) imports only what its client needs
    from hubreplay import ReplayHub

ROOT = Path(__file__).resolve().parents[1]

TAGS = "text-classification,token-classification,fill-mask"
SCRAPY = [sys.executable, "-m", "scrapy", "crawl"]


def peer_hfhub(endpoint: str, ids_path: Path, workers: int) -> dict:
    """`HfApi.list_repo_refs` + `list_repo_commits` for each id, in a thread pool; counts commits per repository."""
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    api = HfApi(endpoint=endpoint)

    def one(model_id: str) -> int | None:
        try:
            api.list_repo_refs(model_id)
            return len(api.list_repo_commits(model_id))
        except RepositoryNotFoundError:
            return None

    ids = ids_path.read_text().split()
    with ThreadPoolExecutor(workers) as pool:
        counts = list(pool.map(one, ids))
    return {"repos": len(ids), "not_found": sum(c is None for c in counts),
            "commits": sum(c for c in counts if c is not None)}


def peer_aiohttp(endpoint: str, ids_path: Path, workers: int) -> dict:
    """The floor of an asyncio client at this concurrency: aiohttp alone, `workers` connections, the crawl's own two
    calls a repository (refs, then a one-commit page unless deleted), no retry, no rate limit, no feed."""
    import asyncio

    import aiohttp

    ids = ids_path.read_text().split()

    async def crawl_all() -> int:
        pending, found = iter(ids), 0
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers)) as session:
            async def worker() -> None:
                nonlocal found
                for model_id in pending:
                    async with session.get(f"{endpoint}/api/models/{model_id}/refs") as refs:
                        await refs.read()
                    if refs.status == 200:
                        found += 1
                        async with session.get(f"{endpoint}/api/models/{model_id}/commits/main?limit=1") as page:
                            await page.read()
            await asyncio.gather(*(worker() for _ in range(workers)))
        return found

    found = asyncio.run(crawl_all())
    return {"repos": len(ids), "not_found": len(ids) - found}


def peer_scrapy(endpoint: str, ids_path: Path, workers: int) -> dict:
    from benchmarks.bare_scrapy import peer_scrapy as bare

    return bare(endpoint, ids_path, workers)


PEERS = {"hfhub": peer_hfhub, "aiohttp": peer_aiohttp, "scrapy": peer_scrapy}


def run_measured(cmd: list[str], env: dict, cwd: Path, log: Path, timeout: float) -> dict:
    """Run `cmd`: wall time, exit code, CPU (user + system of the children reaped meanwhile: this one) and the
    process's own peak RSS (VmHWM polled from /proc: ru_maxrss would report this benchmark's own size, which a
    child keeps from before its exec)."""
    return run_together([cmd], env, cwd, [log], timeout)


def run_together(cmds: list[list[str]], env: dict, cwd: Path, logs: list[Path], timeout: float) -> dict:
    """Run `cmds` side by side: wall time until the last ends, the worst exit code, their CPU together and the
    largest peak RSS of any one of them."""
    peak = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    handles = [open(log, "wb") for log in logs]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
             for cmd, fh in zip(cmds, handles)]
    while any(p.poll() is None for p in procs) and time.perf_counter() - t0 < timeout:
        peak = max([peak] + [_vm_hwm_kb(p.pid) for p in procs if p.poll() is None])
        time.sleep(0.05)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    wall = time.perf_counter() - t0
    for fh in handles:
        fh.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    returncode = max((p.returncode for p in procs), key=abs)
    return {"returncode": returncode, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak / 1024}


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return max([0] + [int(line.split()[1]) for line in status if line.startswith("VmHWM")])
    except (OSError, ValueError):
        return 0


def crawl_command(work: Path, name: str, *args: str) -> tuple[list[str], Path, Path]:
    """`scrapy crawl <args>` writing <name>.jsonl and its report <name>-report.json in `work`."""
    feed, report = work / f"{name}.jsonl", work / f"{name}-report.json"
    return [*SCRAPY, *args, "-O", str(feed), "-s", f"HFCRAWL_REPORT={report}", "-s", "LOG_LEVEL=INFO"], feed, report


def _report(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def crawl(endpoint: str, work: Path, name: str, *args: str, timeout: float = 600) -> dict:
    cmd, feed, report = crawl_command(work, name, *args)
    out = run_measured(cmd, crawl_env(endpoint), ROOT, work / f"{name}.log", timeout)
    out["feed"] = feed
    out["report"] = _report(report)
    return out


def crawl_halves(endpoint: str, work: Path, feed: Path, timeout: float = 600) -> dict:
    """Two repos crawls side by side, each over half of `feed` at half the concurrency (4 requests at a time each,
    8 in all): what a second process would give on this machine."""
    lines = feed.read_text().splitlines(keepends=True)
    cmds, reports = [], []
    for i, half in enumerate((lines[:len(lines) // 2], lines[len(lines) // 2:])):
        part = work / f"input-half{i}.jsonl"
        part.write_text("".join(half))
        cmd, _, report = crawl_command(work, f"half{i}", "repos", "-a", f"input={part}", "-s", "CONCURRENT_REQUESTS=4")
        cmds.append(cmd)
        reports.append(report)
    out = run_together(cmds, crawl_env(endpoint), ROOT, [work / "half0.log", work / "half1.log"], timeout)
    written = [_report(r).get("models_written", 0) for r in reports]
    out["report"] = {"models_written": sum(written)}
    return out


def models_input(hub: ReplayHub, work: Path, size: int) -> tuple[Path, Path, dict]:
    """The first `size` lines of a models crawl of TAGS, and their ids; listing bytes with and without cardData."""
    result = crawl(hub.url, work, "models", "models", "-a", f"tags={TAGS}")
    assert result["returncode"] == 0, (work / "models.log").read_text()[-2000:]
    lines = result["feed"].read_text().splitlines()[:size]
    assert len(lines) == size, f"the tags hold only {len(lines)} models"
    feed, ids = work / "input.jsonl", work / "ids.txt"
    feed.write_text("\n".join(lines) + "\n")
    ids.write_text("\n".join(json.loads(line)["id"] for line in lines) + "\n")
    import requests

    base = f"{hub.url}/api/models?pipeline_tag=fill-mask&limit=1000&expand=sha&expand=tags"
    listing = {"page_bytes_without_card": len(requests.get(base, timeout=60).content),
               "page_bytes_with_card": len(requests.get(base + "&expand=cardData", timeout=60).content)}
    return feed, ids, listing


def measured(hub: ReplayHub, run) -> dict:
    hub.reset_stats()
    out = run()
    stats = hub.stats()
    out["requests"] = stats["requests"]
    out["repeated"] = stats["repos"]["repeated"]
    out["hub_cpu_s"] = stats["cpu_seconds"]
    out["sent_429"] = stats["sent_429"]
    return out


def summarise(name: str, out: dict, repos: int) -> dict:
    row = {"part": name, "repos": repos, "wall_s": round(out["wall_s"], 2),
           "repos_per_s": round(repos / out["wall_s"], 1), "requests": out.get("requests"),
           "calls_per_repo": round(out["requests"] / repos, 3) if out.get("requests") is not None else None,
           "peak_rss_mb": round(out["peak_rss_mb"], 1), "returncode": out["returncode"]}
    if out.get("requests"):
        row["cpu_ms_per_request"] = round(out["cpu_s"] * 1000 / out["requests"], 3)
        row["hub_cpu_ms_per_request"] = round(out["hub_cpu_s"] * 1000 / out["requests"], 3)
    if out.get("walls"):
        row["wall_s_runs"] = [round(w, 2) for w in out["walls"]]
    if out.get("report"):
        row["lines"] = out["report"].get("models_written")
    return row


def _head(path: Path, out: Path, lines: int) -> Path:
    out.write_text("\n".join(path.read_text().splitlines()[:lines]) + "\n")
    return out


def quota_part(args: argparse.Namespace, work: Path, feed: Path, unthrottled_rate: float) -> dict:
    """`auto` over the first --quota-repos lines on a hub allowing --quota calls per --window seconds."""
    small = work / "input-quota.jsonl"
    small.write_text("\n".join(feed.read_text().splitlines()[:args.quota_repos]) + "\n")
    from hubreplay import ReplayHub

    with ReplayHub(quota={"api": args.quota}, window=args.window).start_process() as hub:
        hub.reset_stats()  # the hub's windows start here, as does the wall clock
        out = measured(hub, lambda: crawl(hub.url, work, "quota", "repos", "-a", f"input={small}",
                                          "-s", "HFCRAWL_PROGRESS_INTERVAL=5"))
    calls = out["requests"] - out["sent_429"]  # a call refused with a 429 is not one of the quota's
    windows = math.ceil(calls / args.quota)
    last = calls - (windows - 1) * args.quota
    floor = (windows - 1) * args.window + last / unthrottled_rate
    row = summarise("quota", out, args.quota_repos)
    row.update(quota=f"{args.quota}/{args.window}s", http_429=out["sent_429"],
               calls_over_quota_s=round(calls * args.window / args.quota, 1),
               fixed_window_floor_s=round(floor, 1), wall_over_floor=round(out["wall_s"] / floor, 3))
    return row


def memory_part(hub: ReplayHub, work: Path, ids: Path, count: int) -> dict:
    """A text input of `count` ids (those of the input, then made-up ones the hub answers 404), stopped after 500."""
    path = work / "ids-3m.txt"
    real = ids.read_text().split()
    with open(path, "w") as fh:
        for i in range(count):
            fh.write(f"{real[i]}\n" if i < len(real) else f"synthetic-org{i % 997}/model-{i}\n")
    out = measured(hub, lambda: crawl(hub.url, work, "memory", "repos", "-a", f"input={path}",
                                      "-s", "CLOSESPIDER_ITEMCOUNT=500"))
    row = summarise("memory", out, 500)
    row["input_ids"] = count
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repos", type=int, default=10_000)
    ap.add_argument("--compare", type=int, default=2000, help="repositories of the info/hfhub comparison")
    ap.add_argument("--quota", type=int, default=500, help="calls per window in the quota part")
    ap.add_argument("--window", type=int, default=10, help="seconds (the Hub's is 300)")
    ap.add_argument("--quota-repos", type=int, default=1000)
    ap.add_argument("--memory-ids", type=int, default=3_000_000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--skip", default="", help="comma list of parts to skip")
    ap.add_argument("--repeat", type=int, default=1, help="runs of auto-2k and hfhub, in turn; the median kept")
    ap.add_argument("--no-warm", dest="warm", action="store_false",
                    help="no untimed run of auto-2k and hfhub before the timed ones")
    ap.add_argument("--record", action="store_true", help="write the figures into docs/benchmarks.md")
    ap.add_argument("--peer", nargs=3, metavar=("ENDPOINT", "IDS", "WORKERS"), help=argparse.SUPPRESS)
    ap.add_argument("--peer-kind", default="hfhub", choices=tuple(PEERS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        print(json.dumps(PEERS[args.peer_kind](args.peer[0], Path(args.peer[1]), int(args.peer[2]))))
        return
    skip = set(filter(None, args.skip.split(",")))
    rows, extra = run_parts(args, skip)
    print(f"{'part':8} {'repos':>7} {'wall s':>8} {'repos/s':>8} {'requests':>9} {'calls/repo':>10} {'peak MB':>8} "
          f"{'CPU ms/req':>10} {'hub ms/req':>10}")
    for r in rows:
        print(f"{r['part']:8} {r['repos']:>7} {r['wall_s']:>8} {r['repos_per_s']:>8} {r['requests']!s:>9} "
              f"{r['calls_per_repo']!s:>10} {r['peak_rss_mb']:>8} {r.get('cpu_ms_per_request')!s:>10} "
              f"{r.get('hub_cpu_ms_per_request')!s:>10}")
    print(json.dumps({"rows": rows, **extra}))
    if args.record:
        from benchmarks.record import record_section

        notes = ("Histories are synthetic (hubreplay/repos.py). Concurrency: the crawl 8 requests at a time "
                 "(CONCURRENT_REQUESTS=8, all to the one host), huggingface_hub "
                 f"{args.workers} threads; {args.repeat} run(s) of each in turn, the median kept"
                 + (", after an untimed one of each (the hub caches both sides' answers)" if args.warm else "") + ". "
                 "CPU: of the contender's process, and of the hub's, per request. `quota`: scaled-down quota of "
                 f"{args.quota} calls per {args.window} s. Ratios: " + json.dumps(
                     {k: v for k, v in extra.items() if k.startswith("ratio")}))
        record_section("Repository crawl (scrapy crawl repos) vs huggingface_hub", rows, notes=notes)


# (name, numerator part, denominator part, the field compared): "auto" in a name is auto-2k
RATIOS = (
    ("ratio_repos_per_s_auto_vs_hfhub", "auto-2k", "hfhub", "repos_per_s"),
    ("ratio_calls_hfhub_vs_auto", "hfhub", "auto-2k", "requests"),
    ("ratio_cpu_per_request_hfhub_vs_auto", "hfhub", "auto-2k", "cpu_ms_per_request"),
    ("ratio_repos_per_s_aiohttp_vs_hfhub", "aiohttp", "hfhub", "repos_per_s"),
    ("ratio_repos_per_s_scrapy_vs_hfhub", "scrapy", "hfhub", "repos_per_s"),
    ("ratio_repos_per_s_auto_vs_scrapy", "auto-2k", "scrapy", "repos_per_s"),
    ("ratio_repos_per_s_halves_vs_hfhub", "halves", "hfhub", "repos_per_s"),
)


def ratios(rows: list[dict]) -> dict[str, float]:
    """The ratios of RATIOS whose two parts were run."""
    by_part = {r["part"]: r for r in rows}
    return {name: round(by_part[a][field] / by_part[b][field], 2) for name, a, b, field in RATIOS
            if a in by_part and b in by_part}


def crawl_env(endpoint: str) -> dict[str, str]:
    """This environment for a contender, pointed at the hub, without a token."""
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    env.update(HF_ENDPOINT=endpoint)
    return env


def run_parts(args: argparse.Namespace, skip: set[str]) -> tuple[list[dict], dict]:
    from hubreplay import ReplayHub

    rows: list[dict] = []
    extra: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-repos-") as tmp, ReplayHub().start_process() as hub:
        work = Path(tmp)
        feed, ids, extra["listing"] = models_input(hub, work, args.repos)
        if "auto" not in skip:
            out = measured(hub, lambda: crawl(hub.url, work, "auto", "repos", "-a", f"input={feed}"))
            rows.append(summarise("auto", out, args.repos))
        rows += compare_parts(args, hub, work, feed, ids, skip)
        if "memory" not in skip:
            rows.append(memory_part(hub, work, ids, args.memory_ids))
        base = next((r for r in rows if r["part"] == "auto"), None)
        if "quota" not in skip and base:
            rows.append(quota_part(args, work, feed, base["requests"] / base["wall_s"]))
        extra.update(ratios(rows))
    extra["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    extra["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip()
    return rows, extra


REPEATED = ("auto-2k", "hfhub", "scrapy", "halves")  # the ratios' terms; the others once


def compare_parts(args: argparse.Namespace, hub: ReplayHub, work: Path, feed: Path, ids: Path,
                  skip: set[str]) -> list[dict]:
    """auto-2k, info, hfhub, aiohttp, scrapy and halves over the first --compare repositories, after an untimed run
    of auto-2k, hfhub, aiohttp and scrapy (the hub's answer cache then holds every side's pages); those of REPEATED
    --repeat times in turn, the median run of each kept."""
    small, small_ids = _head(feed, work / "input-2k.jsonl", args.compare), _head(ids, work / "ids-2k.txt",
                                                                                  args.compare)
    env = crawl_env(hub.url)
    peer = [sys.executable, "-m", "benchmarks.bench_repos", "--peer", hub.url, str(small_ids), str(args.workers)]
    runs = {"auto-2k": lambda: crawl(hub.url, work, "auto-2k", "repos", "-a", f"input={small}", "-a", "card=auto"),
            "info": lambda: crawl(hub.url, work, "info", "repos", "-a", f"input={small}", "-a", "card=info"),
            "hfhub": lambda: run_measured(peer, env, ROOT, work / "hfhub.log", 900),
            "aiohttp": lambda: run_measured([*peer, "--peer-kind", "aiohttp"], env, ROOT, work / "aiohttp.log", 900),
            "scrapy": lambda: run_measured([*peer, "--peer-kind", "scrapy"], env, ROOT, work / "scrapy.log", 900),
            "halves": lambda: crawl_halves(hub.url, work, small)}
    wanted = [name for name in runs if name not in skip]
    if args.warm:
        for name in ("auto-2k", "hfhub", "aiohttp", "scrapy"):
            if name in wanted:
                runs[name]()
    results: dict[str, list[dict]] = {name: [] for name in wanted}
    for i in range(max(1, args.repeat)):
        for name in wanted:
            if name in REPEATED or i == 0:
                results[name].append(measured(hub, runs[name]))
    rows = []
    for name in wanted:
        runs_of = results[name]
        out = sorted(runs_of, key=lambda o: o["wall_s"])[(len(runs_of) - 1) // 2]
        out["walls"] = [o["wall_s"] for o in runs_of] if len(runs_of) > 1 else None
        rows.append(summarise(name, out, args.compare))
    return rows


if __name__ == "__main__":
    main()
