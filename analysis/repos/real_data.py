"""The report's sections on real versioning data beside the input: Ajibode et al.'s own population
(`analysis.repos.ajibode`) and real weight-change histories (`analysis.repos.weight_history`).

Both read only `../shared/data` (real data; never the replay hub's synthetic histories) and not the input, so they
are computed on the names-only section's forked process (`RealReading`, from `read`) and written by `sections`.
Missing shared data leaves the sections out with one warning line; the rest of the study goes on.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class RealReading:
    ajibode: pd.DataFrame | None = None  # ajibode.table()
    shares: pd.DataFrame | None = None  # weight_history.shares_table()
    intervals: pd.DataFrame | None = None  # weight_history.intervals_table()
    changes: pd.DataFrame | None = None  # weight_history.s2e_changes(), for the figure
    dropped: int = 0
    errors: tuple[str, ...] = ()


def read() -> RealReading:
    """Both experiments on the shared data; an unreadable source is named in `errors`, the other still runs.
    Read once per process and shared folder: the data do not depend on the input, and a session running several
    studies (tests, a notebook) would otherwise redo the same 1-2 s each time. Callers only write the tables out."""
    from analysis.common.paths import shared_dir

    return _read(shared_dir())


@lru_cache(maxsize=2)
def _read(shared: Path) -> RealReading:
    """`read` for the shared folder `shared` (each source finds its files there through analysis.common.paths)."""
    from analysis.repos import ajibode, weight_history

    out, errors = RealReading(), []
    try:
        out.ajibode = ajibode.table()
    except (OSError, ValueError, KeyError) as exc:
        errors.append(f"Ajibode et al.'s population: {exc}")
    try:
        commits, out.dropped = weight_history.read_s2e()
        out.changes = weight_history.s2e_changes(commits)
        try:
            repos = weight_history.ajibode_repositories()
        except (OSError, ValueError, KeyError) as exc:
            repos = None
            errors.append(f"Ajibode et al.'s weight-file changes: {exc}")
        out.shares = weight_history.shares_table(commits, out.changes, repos)
        out.intervals = weight_history.intervals_table(out.changes)
    except (OSError, ValueError, KeyError) as exc:
        errors.append(f"s2e weight commits: {exc}")
    out.errors = tuple(errors)
    return out


def sections(cfg: Any, real: RealReading | None) -> tuple[list, dict, list]:
    """Write ajibode_predecessors.csv, weight_changes_real.csv, weight_intervals_real.csv (and the figure job);
    return (sections, summary, figure jobs)."""
    from analysis.report import output
    from analysis.report.section import Section
    from analysis.repos import ajibode, weight_history

    real = real or RealReading(errors=("not computed",))
    for e in real.errors:
        print(f"warning: real-data section left out: {e}", file=sys.stderr)
    out, found, summary, jobs = Path(cfg.out), [], {}, []
    if real.ajibode is not None:  # real data of ../shared, whatever the input: never labelled synthetic
        table = output.write_table(real.ajibode, out, "ajibode_predecessors")
        found.append(Section(title="Ajibode et al. on their own population (real data)",
                             markdown=ajibode.markdown(real.ajibode), tables=[table], key="ajibode"))
        summary["ajibode_predecessors"] = real.ajibode.to_dict(orient="records")
    if real.shares is not None:
        tables = [output.write_table(real.shares, out, "weight_changes_real"),
                  output.write_table(real.intervals, out, "weight_intervals_real")]
        fig = Path("figures/weight_intervals_real.png")
        jobs.append((weight_history.figure, (real.changes, out / fig)))
        found.append(Section(title="Weight changes in real repositories (real data)",
                             markdown=weight_history.markdown(real.shares, real.intervals, real.dropped),
                             figures=[fig] if cfg.make_figures else [],
                             tables=tables,
                             key="weights_real"))
        summary["weight_changes_real"] = real.shares.to_dict(orient="records")
        summary["weight_intervals_real"] = real.intervals.to_dict(orient="records")
    return found, summary, jobs if cfg.make_figures else []
