"""Write a benchmark's figures into docs/benchmarks.md, one named section per measurement.

Why: the figures the docs quote must come from a run, with the date, the machine and the commit they were measured
on, never be typed by hand. Each benchmark script calls this behind `--record`; a section is replaced whole by the
next recorded run (the history lives in git, not in the text), other sections are left as they are.

    from benchmarks.record import record_section
    record_section("Study command: 2024 lists", rows, command="python -m benchmarks.bench_study --quick --record")
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.report.markdown import table

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"
PREAMBLE = """# Benchmarks

Every section below is written by a benchmark script run with `--record` (`benchmarks/record.py`): the table, the
date, the machine and the commit it was measured on. A new recorded run replaces its section; earlier figures are in
this file's git history. Wall times on shared 2-core VMs vary from run to run: compare runs made on the same machine.
"""


def git_commit(root: Path = ROOT) -> str:
    """The short hash of HEAD, with "+dirty" when tracked files other than the figures' own pages differ from it
    ("unknown" outside a git tree): a record written into docs/benchmarks.md, or the README quoting it, does not
    make the next benchmark's run dirty, a change to the code does."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode:
            return "unknown"
        changed = git("status", "--porcelain", "--untracked-files=no").stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = any(not _is_figures_page(line[3:].split(" -> ")[-1]) for line in changed)
    return head.stdout.strip() + ("+dirty" if dirty else "")


def _is_figures_page(path: str) -> bool:
    return path == "README.md" or (path.startswith("docs/") and path.endswith(".md"))


def machine() -> str:
    """Cores, memory and Python of this machine, as one line."""
    mem = ""
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
        mem = f", {kb / 1024 ** 2:.1f} GB memory"
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores{mem}, Python {platform.python_version()} ({platform.system()} {platform.machine()})"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):  # three significant digits or more: 18.1, 2.36, 0.0123, 1,234.5
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"
    return str(value)  # escaped by the table writer


def markdown_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """A markdown table of `rows` (the keys of the first row are the columns, in order); numbers right-aligned.
    The cells are formatted here, the table is written by the report's one writer (`analysis.report.markdown.table`)."""
    if not rows:
        return "_(no rows)_"
    cols = list(rows[0])
    numeric = [all(r.get(c) is None or (isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool))
                   for r in rows) for c in cols]
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    return table(cells, columns=cols, align=["r" if n else "l" for n in numeric])


def render_section(name: str, table: str, command: str, notes: str = "", when: dt.datetime | None = None,
                   commit: str | None = None) -> str:
    """The markdown of one section: heading, provenance line, table, notes."""
    when = when or dt.datetime.now(dt.UTC)
    head = (f"## {name}\n\nRecorded {when:%Y-%m-%d %H:%M} UTC, commit `{commit or git_commit()}`, on {machine()}, by\n"
            f"`{command}`\n\n{table.strip()}\n")
    return head + (f"\n{notes.strip()}\n" if notes.strip() else "")


def replace_section(text: str, name: str, section: str) -> str:
    """`text` with its `## name` section (up to the next `## ` heading) replaced by `section`, or `section` appended."""
    match = re.search(rf"^## {re.escape(name)}[ \t]*\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if match:
        return text[:match.start()] + section.rstrip("\n") + "\n" + ("\n" if match.end() < len(text) else "") \
            + text[match.end():]
    return text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"


def record_section(name: str, rows: Sequence[Mapping[str, Any]] | str, command: str | None = None,
                   notes: str = "", path: Path = BENCHMARKS_MD) -> Path:
    """Replace (or append) the section `name` of `path` with `rows` as a table; the file is replaced atomically, so
    a failed write leaves the previous file whole."""
    command = command or "python " + " ".join([_script_name(), *sys.argv[1:]])
    table = rows if isinstance(rows, str) else markdown_table(rows)
    old = path.read_text(encoding="utf-8") if path.exists() else PREAMBLE
    text = replace_section(old, name, render_section(name, table, command, notes))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    print(f"recorded section {name!r} in {path}", flush=True)
    return path


def _script_name() -> str:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        return f"-m {spec.name}"
    return os.path.relpath(sys.argv[0], ROOT) if sys.argv and sys.argv[0] else "python"


# ----------------------------------------------------------------------------------------------------------------
# The tables of each benchmark script (called at the end of its main when --record is given)


def _run_row(label: str, r: Mapping[str, Any] | None, target: str = "") -> dict[str, Any]:
    r = r or {}
    if not r.get("finished", True):
        return {"command": label, "wall s": f"did not finish in {r.get('wall_s', 0):.0f} s", "CPU s": None,
                "peak memory MB (all processes, PSS)": None, "largest process MB": None, "target": target}
    return {"command": label, "wall s": r.get("wall_s"), "CPU s": r.get("cpu_s"),
            "peak memory MB (all processes, PSS)": r.get("peak_tree_pss_mb"),
            "largest process MB": r.get("peak_rss_mb"), "target": target}


def _groups_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"scope": r["scope"], "families": r["families"], "groups": r["groups"], "fast CPU s": r["fast_cpu_s"],
             "pairwise CPU s": r["pairwise_cpu_s"], "pairwise / fast": r["ratio"]} for r in rows]


def _verdict(ok: bool, target: str) -> str:
    return f"{target}: {'met' if ok else 'MISSED'}"


def record_bench_study(results: Mapping[str, Any], targets: Mapping[str, float], factor: int,
                       path: Path = BENCHMARKS_MD) -> None:
    """The sections of benchmarks/bench_study.py: the 2024 lists, the synthetic feed (full run only), 2c alone."""
    t24 = targets["2024"]

    def row24(label: str, key: str, with_target: bool = True) -> dict[str, Any]:
        r = results.get(key) or {}
        target = _verdict(r.get("finished", True) and r.get("wall_s", 1e9) < t24, f"< {t24:.0f} s") if with_target \
            else ""
        return _run_row(label, r, target)
    load = results.get("machine", {})
    notes = (f"Load average at start {_loads(load.get('load_avg_at_start'))}, at end "
             f"{_loads(load.get('load_avg_at_end'))}. Memory is the peak of the summed PSS of the command and the "
             "workers it forks, sampled every 0.25 s.")
    record_section("Study command: 2024 lists", [
        row24("study --method study", "2024_study"),
        row24("study (default --method both: + comparison, taxonomy)", "2024_both"),
        row24("study --method study --groups pairwise (the study's 2c loop)", "2024_pairwise", False)],
        notes=notes, path=path)
    record_section("2c counting alone: 2024 lists", _groups_rows(results.get("2024_groups_only", [])), path=path)
    if f"x{factor}_study" not in results:
        return
    wall, mem = targets["x10_wall"], targets["x10_rss_mb"]
    rows = []
    for key, label in (("study", "study --method study"), ("both", "study (default --method both)")):
        r = results[f"x{factor}_{key}"]
        ok = r.get("wall_s", 1e9) < wall and r.get("peak_tree_pss_mb", 1e9) < mem
        rows.append(_run_row(label, r, _verdict(ok, f"< {wall:.0f} s and < {mem:.0f} MB")))
    record_section(f"Study command: synthetic feed x{factor}", rows, notes=notes + (
        f" The feed is the 2024 lists copied {factor} times with renamed owners and families "
        "(synthetic; see benchmarks/bench_study.py)."), path=path)
    record_section(f"2c counting alone: synthetic feed x{factor}",
                   _groups_rows(results.get(f"x{factor}_groups_only", [])), path=path)


def _loads(values: Sequence[float] | None) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "-"


def _pages(result: Mapping[str, Any]) -> int:
    """Listing pages read: the hub's 200 answers (a browser also asks for assets the hub does not serve)."""
    return int(result.get("http_statuses", {}).get("200", 0))


def record_bench_crawl(out: Mapping[str, Any], path: Path = BENCHMARKS_MD) -> None:
    """The section of benchmarks/bench_crawl.py: one row per contender, ratios to this crawler's API source."""
    rows = [{"contender": r["label"], "all models, checked": r["ok"], "wall s": r["wall_s"], "requests": r["requests"],
             "pages": _pages(r), "wall s / page": round(r["wall_s"] / _pages(r), 3) if _pages(r) else None,
             "models": r["models"], "models/s": r["models_per_s"], "peak memory MB": r["peak_rss_mb"],
             "client CPU s": r.get("client_cpu_s"), "hub CPU s": r.get("server_cpu_s"),
             "wall / this crawler (API)": r.get("wall_x"), "client CPU / this crawler (API)": r.get("cpu_x"),
             "hub CPU / client CPU": r.get("hub_cpu_share")}
            for r in out["results"]]
    if out.get("repeat", 1) > 1:
        for row, r in zip(rows, out["results"]):
            row["wall s"] = f"{r['wall_s']} ({r['wall_min']}-{r['wall_max']})"
            row["client CPU s"] = f"{r['client_cpu_s']} ({r['cpu_min']}-{r['cpu_max']})"
    name = (f"Crawl: {out['tags']} tags" + (f", synthetic hub x{out['multiply']}" if out["multiply"] > 1 else "")
            + ", " + " ".join(r["name"] for r in out["results"]))
    problems = [f"{r['label']}: {'; '.join(r['problems'])}" for r in out["results"] if r["problems"]]
    notes = (f"{out['expected_models']:,} models expected. Each contender runs as its own process against the same "
             "replay hub; requests are counted by the hub; peak memory is the contender's own `ru_maxrss`. The hub "
             "and the contender share the machine's 2 cores, so the hub's CPU (`hub CPU s`) weighs on every wall "
             "time. " + (f"Before the first contender, an untimed walk of every listing ({out['warm_up_s']} s) warmed "
                         "the hub's caches (`sha` and `cardData`, rendered once per model, and each rendered page), so "
                         "no contender pays for them." if out.get("warm_up_s") is not None else
                         "The hub's caches were cold (`--no-warm-up`): the first contender pays for rendering `sha` "
                         "and `cardData` once per model."))
    if any(r["name"] == "splash" for r in out["results"]):
        notes += (" Through Splash each page also waits `HFCRAWL_SPLASH_WAIT` (default 1 s) in the browser, several"
                  " pages rendering at a time (`CONCURRENT_REQUESTS_PER_DOMAIN`); the browser's requests for assets"
                  " the hub does not serve are counted in `requests`, not in `pages`.")
    if out.get("repeat", 1) > 1:
        rounds = "; ".join(f"{name}: wall {v['wall']}, client CPU {v['cpu']}"
                           for name, v in out.get("per_round_ratios", {}).items())
        notes += (f" Each contender ran {out['repeat']} times, in turn; a row gives the median run, with the range"
                  f" (min-max) of its wall and CPU times. Ratios to this crawler (API) round by round: {rounds}.")
    if out.get("load_avg_start"):
        notes += (f" Load average at start {_loads(out['load_avg_start'])}, at end {_loads(out['load_avg_end'])} "
                  f"(other developers' tests share the machine).")
    if out["multiply"] > 1:
        notes += f" The hub is synthetic: each model of the study copied {out['multiply']} times under new ids."
    record_section(name, rows, notes=notes + ("\n\nProblems: " + " · ".join(problems) if problems else ""),
                   path=path)
