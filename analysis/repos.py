"""Versioning in the repositories: what the repos feed (`scrapy crawl repos`) says about how models are versioned.

The study reads names only. Each model is a git repository on the Hub, and the repos feed records, per model, its
refs (branches, tags), the number of commits of `main`, and the card's `new_version`. This module reads that feed
(`read_repos`), joins it to the models feed on `id` for each model's task, and measures, per task and overall
(`repos_by_task`), with these exact definitions:

* `repos`: distinct ids of the repos feed whose model has a task in the models input;
* `found`: those with `status` ok (the others were deleted or made private since the listing: counted, left out of
  every share below, whose denominator is `found`);
* `updated_pct`: at least 3 commits on `main` (the Hub's initial commit, the upload, and at least one change);
* `tagged_pct`: at least one git tag; `semver_tag_pct`: a tag of the form `v?N`, `v?N.N` or `v?N.N.N`;
* `branched_pct`: a branch other than `main`; `successor_pct`: the card names a `new_version`;
* `median_commits`, `p90_commits`: of the found repositories' commit counts (linear interpolation, as numpy).

`repos_modes` puts each found repository in exactly one mode: `name_and_git` (the detector finds a version in the
name, and the repository has a tag or a branch other than `main`), `name_only` (a version in the name, no tag or
extra branch), `git_only` (a tag or extra branch, no version in the name), `in_place` (neither, but updated) and
`never_updated` (neither, fewer than 3 commits).
"""
from __future__ import annotations

import gzip
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from analysis.load import InputError

STATUSES = ("ok", "not_found")
SEMVER_TAG = r"^v?\d+(\.\d+){0,2}$"
UPDATED_MIN_COMMITS = 3
MODES = ("name_and_git", "name_only", "git_only", "in_place", "never_updated")
BY_TASK_COLUMNS = ["task", "repos", "found", "updated_pct", "tagged_pct", "semver_tag_pct", "branched_pct",
                   "successor_pct", "median_commits", "p90_commits"]
MAX_EXAMPLES = 10
#: Castaño et al., MSR 2024 / TOSEM: formal releases found for 202 of 100,000 models.
CASTANO_RELEASES = (202, 100_000)
_FIELDS = ("id", "status", "branches", "tags", "commit_count", "new_version", "crawled_at", "carried_over")


@dataclass
class Lines:
    """Lines of one kind: the count and the first few line numbers."""

    count: int = 0
    first: list[int] = field(default_factory=list)

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.first) < MAX_EXAMPLES:
            self.first.append(line)


@dataclass
class RepoFeed:
    """One row per id of the repos feed (the latest line of each), with the flags the measures need."""

    repos: pd.DataFrame  # id, status, found, commit_count, tagged, semver_tagged, branched, successor, carried_over
    provenance: dict[str, Any]


def _schema():
    import pyarrow as pa

    return pa.schema([("id", pa.string()), ("status", pa.string()), ("branches", pa.list_(pa.string())),
                      ("tags", pa.list_(pa.string())), ("commit_count", pa.int64()), ("new_version", pa.string()),
                      ("crawled_at", pa.string()), ("carried_over", pa.bool_())])


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open(path: Path):
    return gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")


def _scan_newlines(path: Path) -> tuple[int, bool]:
    """(newline count, whether the feed ends with a newline and has no blank line), read in chunks."""
    newlines, blank, prev = 0, False, b"\n"
    with _open(path) as fh:
        while chunk := fh.read(1 << 24):
            newlines += chunk.count(b"\n")
            blank = blank or b"\n\n" in chunk or (prev == b"\n" and chunk[:1] == b"\n")
            prev = chunk[-1:]
    return newlines, prev == b"\n" and not blank


def _read_fast(path: Path):
    """The whole feed through Arrow's JSON reader, or None when a line is not clean (the line reader says which)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    try:
        newlines, clean_ends = _scan_newlines(path)
    except EOFError:  # a gzip feed cut short: the line reader reports where
        return None
    if not clean_ends or not newlines:
        return None
    try:
        source = pa.input_stream(str(path), compression="gzip" if _is_gzip(path) else None)
        table = pj.read_json(source, parse_options=pj.ParseOptions(explicit_schema=_schema(),
                                                                   unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, EOFError):
        return None
    if table.num_rows != newlines:
        return None
    if table.column("status").null_count == table.num_rows:
        raise _not_a_repos_feed(path)
    ok = pc.equal(table.column("status"), "ok")
    clean = (table.column("id").null_count == 0
             and pc.all(pc.is_in(table.column("status"), value_set=pa.array(STATUSES))).as_py()
             and not pc.any(pc.and_(ok, pc.is_null(table.column("commit_count")))).as_py()
             and not pc.any(pc.less(table.column("commit_count"), 0)).as_py())
    return table if clean else None


def _not_a_repos_feed(path: Path) -> InputError:
    return InputError(f"{path} is not a repos feed: no line has a `status` (a models feed? give models feeds as "
                      "inputs, and the feed `scrapy crawl repos` writes as --repos)")


def _valid_line(obj: Any) -> bool:
    """A repos-feed line the measures can use: an id, a known status, and for `ok` the count and refs' types."""
    if type(obj) is not dict or type(obj.get("id")) is not str or not obj["id"].strip():
        return False
    if obj.get("status") not in STATUSES:
        return False
    if obj["status"] == "not_found":
        return True
    count = obj.get("commit_count")
    refs_ok = all(v is None or (type(v) is list and all(type(x) is str for x in v))
                  for v in (obj.get("branches"), obj.get("tags")))
    return (type(count) is int and count >= 0 and refs_ok
            and (obj.get("new_version") is None or type(obj.get("new_version")) is str))


def _read_lines(path: Path, malformed: Lines, truncated: Lines):
    """The line-by-line reader for a feed with bad lines: each bad line counted with its number, never fatal."""
    import pyarrow as pa

    cols: dict[str, list] = {k: [] for k in _FIELDS}
    lines: list[int] = []
    with_status = 0
    i, raw = 0, b"\n"
    fh = _open(path)
    try:
        for i, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                obj = None
            with_status += type(obj) is dict and "status" in obj
            if not _valid_line(obj):
                (malformed if raw.endswith(b"\n") else truncated).add(i)
                continue
            for k in _FIELDS:
                v = obj.get(k)
                cols[k].append(v if k != "carried_over" else v is True)
            lines.append(i)
    except EOFError:  # a gzip feed cut short: the lines before the cut are kept, the cut is a truncated line
        if raw.endswith(b"\n"):
            truncated.add(i + 1)
    finally:
        fh.close()
    if not with_status:
        raise _not_a_repos_feed(path)
    table = pa.Table.from_pydict(cols, schema=_schema())
    return table, np.asarray(lines, dtype=np.int64)


def _flags(table) -> pd.DataFrame:
    """Per line: the booleans the measures count, computed on the Arrow lists (no loop over rows)."""
    import pyarrow.compute as pc

    n = table.num_rows

    def any_in_list(column: str, test) -> np.ndarray:
        lists = table.column(column).combine_chunks()
        values = pc.list_flatten(lists)
        parents = pc.list_parent_indices(lists).to_numpy()
        hit = test(values).to_numpy(zero_copy_only=False).astype(bool)
        return np.bincount(parents[hit], minlength=n) > 0

    status = table.column("status").to_pandas()
    new_version = table.column("new_version").to_pandas()
    count = table.column("commit_count").to_pandas()
    return pd.DataFrame({
        "id": table.column("id").to_pandas().str.strip(), "status": status, "found": (status == "ok").to_numpy(),
        "commit_count": count.astype("Int64"),
        "tagged": any_in_list("tags", lambda v: pc.is_valid(v)),
        "semver_tagged": any_in_list("tags", lambda v: pc.match_substring_regex(v, SEMVER_TAG)),
        "branched": any_in_list("branches", lambda v: pc.not_equal(v, "main")),
        "successor": (new_version.notna() & (new_version.fillna("").str.strip() != "")).to_numpy(),
        "carried_over": table.column("carried_over").to_pandas().fillna(False).astype(bool).to_numpy(),
        "crawled_at": table.column("crawled_at").to_pandas()})


def _latest_per_id(df: pd.DataFrame, duplicates: Lines) -> pd.DataFrame:
    """One row per id: the latest `crawled_at` (missing = oldest), then the last in file order."""
    codes, distinct = pd.factorize(df["crawled_at"])
    parsed = pd.to_datetime(pd.Series(distinct), utc=True, errors="coerce", format="ISO8601")
    ts = np.append(parsed.array.asi8, np.iinfo(np.int64).min)[codes]
    order = np.lexsort((np.arange(len(df)), ts))
    ordered = df.iloc[order]
    dup = ordered["id"].duplicated(keep="last").to_numpy()
    if dup.any():
        duplicates.count += int(dup.sum())
        duplicates.first = sorted(ordered.loc[dup, "line"].tolist())[:MAX_EXAMPLES]
    return ordered[~dup].sort_values("line", kind="stable").reset_index(drop=True)


def read_repos(path: Path) -> RepoFeed:
    """Read a repos feed: bad and truncated lines are counted (with line numbers), duplicates keep the latest line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--repos {path}: no such file")
    malformed, truncated, duplicates = Lines(), Lines(), Lines()
    try:
        table = _read_fast(path)
        if table is not None:
            lines = np.arange(1, table.num_rows + 1)
        else:
            table, lines = _read_lines(path, malformed, truncated)
    except OSError as exc:
        raise InputError(f"cannot read --repos {path}: {exc.strerror or exc}") from exc
    if not table.num_rows:
        raise InputError(f"--repos {path}: no valid repository line ({malformed.count} malformed)")
    df = _flags(table)
    df["line"] = lines
    df = _latest_per_id(df, duplicates)
    prov = {"path": str(path.resolve()), "lines_valid": int(table.num_rows), "repos": int(len(df)),
            "malformed_lines": vars(malformed), "truncated_lines": vars(truncated),
            "duplicate_ids": vars(duplicates), "carried_over": int(df["carried_over"].sum())}
    for kind, d in (("malformed", malformed), ("truncated", truncated)):
        if d.count:
            print(f"warning: --repos {path}: {d.count:,} {kind} line(s) skipped (first: {d.first}); counted in "
                  "the report", file=sys.stderr)
    return RepoFeed(repos=df.drop(columns=["crawled_at"]), provenance=prov)


# ----------------------------------------------------------------------------------------------------------------
# Measures


def join_tasks(feed: RepoFeed, models: pd.DataFrame) -> pd.DataFrame:
    """The repos with their model's `task` and row (`model_row`, a position in `models`), from the models input.

    Ids absent from the models input, and models without a task, are counted in the provenance and left out; a feed
    none of whose ids is in the models input is an error (a repos feed of another crawl)."""
    repos = feed.repos
    index = pd.Index(models["id"])
    pos = index.get_indexer(repos["id"])
    absent = pos < 0
    prov = feed.provenance
    prov["absent_from_models"] = {"count": int(absent.sum()),
                                  "first": repos.loc[absent, "id"].head(MAX_EXAMPLES).tolist()}
    if absent.all():
        raise InputError(f"--repos {prov['path']}: none of its {len(repos):,} ids is in the models input (first: "
                         f"{', '.join(repos['id'].head(3))}): a repos feed crawled from another models feed?")
    if absent.any():
        print(f"warning: --repos {prov['path']}: {int(absent.sum()):,} ids are not in the models input (first: "
              f"{', '.join(prov['absent_from_models']['first'][:3])}); left out, counted in the report",
              file=sys.stderr)
    joined = repos[~absent].copy()
    joined["task"] = models["task"].to_numpy(dtype=object)[pos[~absent]]
    joined["model_row"] = pos[~absent]
    prov["without_task"] = int(joined["task"].isna().sum())
    prov["models_in_input"] = int(models["task"].notna().sum())
    joined = joined[joined["task"].notna()]
    prov["studied"] = int(len(joined))
    return joined.reset_index(drop=True)


def repos_by_task(repos: pd.DataFrame) -> pd.DataFrame:
    """repos_by_task.csv: the row `all` first, then one row per task (most repositories first)."""
    scoped = pd.concat([repos.assign(task="all"), repos], ignore_index=True)
    found = scoped[scoped["found"]]
    g = found.groupby("task", sort=False)
    counts = found["commit_count"].astype("float64")
    out = pd.DataFrame({"repos": scoped.groupby("task", sort=False).size()})
    out["found"] = g.size().reindex(out.index).fillna(0).astype(int)
    for name, column in (("updated_pct", None), ("tagged_pct", "tagged"), ("semver_tag_pct", "semver_tagged"),
                         ("branched_pct", "branched"), ("successor_pct", "successor")):
        hits = (counts >= UPDATED_MIN_COMMITS) if column is None else found[column]
        out[name] = (100.0 * hits.groupby(found["task"], sort=False).sum().reindex(out.index)
                     / out["found"].replace(0, np.nan)).round(4)
    quant = counts.groupby(found["task"], sort=False).quantile([0.5, 0.9]).unstack()
    out["median_commits"] = quant[0.5].reindex(out.index) if len(quant) else np.nan
    out["p90_commits"] = quant[0.9].reindex(out.index) if len(quant) else np.nan
    out = out.rename_axis("task").reset_index()
    rest = out[out["task"] != "all"].sort_values(["repos", "task"], ascending=[False, True], kind="stable")
    return pd.concat([out[out["task"] == "all"], rest], ignore_index=True)[BY_TASK_COLUMNS]


def repo_modes(repos: pd.DataFrame) -> pd.Series:
    """Each found repository's mode (see the module docstring), same index."""
    found = repos[repos["found"]]
    git = (found["tagged"] | found["branched"]).to_numpy(dtype=bool)
    named = found["versioned"].to_numpy(dtype=bool)
    updated = (found["commit_count"].astype("float64") >= UPDATED_MIN_COMMITS).to_numpy(dtype=bool)
    mode = np.select([named & git, named, git, updated], list(MODES[:4]), MODES[4])
    return pd.Series(mode, index=found.index, name="mode")


def modes_table(repos: pd.DataFrame, modes: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(repos_modes.csv: mode, repos, pct over every found repository; the same per task: task, mode, repos, pct)."""
    tasks = repos.loc[modes.index, "task"]
    counts = pd.crosstab(tasks, pd.Categorical(modes, categories=list(MODES))).reindex(columns=list(MODES),
                                                                                       fill_value=0)
    total = counts.sum()
    overall = pd.DataFrame({"mode": list(MODES), "repos": total.to_numpy(dtype=int)})
    overall["pct"] = (100.0 * overall["repos"] / max(int(total.sum()), 1)).round(4)
    order = counts.sum(axis=1).sort_values(ascending=False, kind="stable").index
    long = counts.loc[order].stack().rename("repos").reset_index()
    long.columns = ["task", "mode", "repos"]
    long["pct"] = (100.0 * long["repos"] / long.groupby("task")["repos"].transform("sum")).round(4)
    return overall, long


# ----------------------------------------------------------------------------------------------------------------
# The report's sections


def _provenance_lines(prov: dict[str, Any]) -> list[str]:
    def where(d: dict) -> str:
        return f" (first lines: {', '.join(map(str, d['first']))})" if d["count"] else ""

    absent = prov["absent_from_models"]
    return [
        f"- repos feed `{prov['path']}`: {prov['lines_valid']:,} valid lines, {prov['repos']:,} repositories "
        f"({prov['carried_over']:,} carried over from a previous crawl)",
        f"- malformed lines skipped: {prov['malformed_lines']['count']:,}{where(prov['malformed_lines'])}; "
        f"truncated last lines: {prov['truncated_lines']['count']:,}{where(prov['truncated_lines'])}; duplicate "
        f"ids (the latest line kept): {prov['duplicate_ids']['count']:,}{where(prov['duplicate_ids'])}",
        f"- ids not in the models input (left out): {absent['count']:,}"
        + (f" (first: {', '.join(f'`{i}`' for i in absent['first'][:5])})" if absent["count"] else ""),
        f"- models without a task (left out): {prov['without_task']:,}; repositories studied: {prov['studied']:,} "
        f"of the {prov['models_in_input']:,} models listed under a task"]


def repos_markdown(by_task: pd.DataFrame, modes: pd.DataFrame, prov: dict[str, Any]) -> str:
    """The section's text: the definitions, the input's provenance, the figures next to the published ones."""
    from analysis.predecessors import md_table

    a = by_task.iloc[0]
    mode = modes.set_index("mode")
    released, of = CASTANO_RELEASES
    md = ["From the repos feed (`scrapy crawl repos`), joined to the models input on `id` for each model's task.",
          "", *_provenance_lines(prov), "",
          f"Of **{int(a['repos']):,}** repositories, **{int(a['found']):,}** were found (the others were deleted or "
          "made private since the listing: counted, left out of the shares). Of those found: "
          f"**{a['updated_pct']:.1f}%** were updated (at least {UPDATED_MIN_COMMITS} commits on `main`: the Hub's "
          f"initial commit, the upload, and at least one change), **{a['tagged_pct']:.2f}%** carry a git tag, "
          f"**{a['semver_tag_pct']:.2f}%** a tag `v?N`, `v?N.N` or `v?N.N.N`, **{a['branched_pct']:.2f}%** a branch "
          f"other than `main`, and **{a['successor_pct']:.2f}%** name a successor (`new_version` on the card). "
          f"Median commits {a['median_commits']:g}, 90th percentile {a['p90_commits']:g}.", "",
          f"Castaño et al. (MSR 2024, TOSEM; 380k models' commit histories) found formal releases for only "
          f"**{released} of {of:,}** models ({100 * released / of:.2f}%); here {a['semver_tag_pct']:.2f}% of the "
          "found repositories carry a version-like git tag.", "", md_table(by_task, 50), "",
          "**Modes** (each found repository in exactly one): `name_and_git` a version in the name (detector) and a "
          "tag or a branch other than `main`; `name_only` a version in the name only; `git_only` a tag or extra "
          "branch only; `in_place` neither, but updated; `never_updated` neither, fewer than "
          f"{UPDATED_MIN_COMMITS} commits. **{mode.loc['in_place', 'pct']:.1f}%** of the found repositories were "
          "updated in place with no version in their name and no tag or branch. Ajibode et al. report that "
          "40.87% of weight-file changes are reflected neither in the version name nor in the documentation: a "
          "different measure (changes of weight files, cards read too), set beside this one, not equal to it.", "",
          md_table(modes)]
    return "\n".join(md)


def prepare(cfg: Any, models: pd.DataFrame) -> tuple[RepoFeed, pd.DataFrame] | None:
    """Read and join --repos right after loading, so that a bad repos feed stops the run before anything is
    written (None without --repos)."""
    if not getattr(cfg, "repos", None):
        return None
    feed = read_repos(Path(cfg.repos))
    repos = join_tasks(feed, models)
    if not len(repos):
        raise InputError(f"--repos {cfg.repos}: none of its repositories belongs to a model with a task")
    return feed, repos


def repos_section(prepared: tuple[RepoFeed, pd.DataFrame], versioned: pd.Series, cfg: Any, progress: Any):
    """Write the repositories' tables and figures; return (Section, summary dict)."""
    from analysis import figures
    from analysis.section import Section

    out = Path(cfg.out)
    feed, repos = prepared
    with progress.step("versioning in the repositories (--repos)"):
        repos = repos.assign(versioned=versioned.to_numpy(dtype=bool)[repos["model_row"].to_numpy()])
        by_task = repos_by_task(repos)
        modes = repo_modes(repos)
        overall, per_task = modes_table(repos, modes)
        tables = []
        for df, rel in ((by_task, "tables/repos_by_task.csv"), (overall, "tables/repos_modes.csv"),
                        (per_task, "tables/repos_modes_by_task.csv")):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            df.to_csv(out / rel, index=False)
            tables.append(Path(rel))
        figs = [Path("figures/repos_modes.png"), Path("figures/repos_commit_counts.png")]
        if cfg.make_figures:
            figures.repos_modes_stacked(per_task, out / figs[0])
            found = repos[repos["found"]]
            figures.commit_count_histogram(found["commit_count"].astype("float64").to_numpy(), out / figs[1],
                                           UPDATED_MIN_COMMITS)
    section = Section(title="Versioning in the repositories", markdown=repos_markdown(by_task, overall,
                                                                                      feed.provenance),
                      figures=figs if cfg.make_figures else [], tables=tables, key="repos")
    return section, {"provenance": feed.provenance, "all": by_task.iloc[0].to_dict(),
                     "modes": overall.to_dict(orient="records")}


def study_sections(models: pd.DataFrame, tasks: list[str], cfg: Any, progress: Any,
                   prepared: tuple[RepoFeed, pd.DataFrame] | None):
    """The hook of `analysis.study`: the names-only section (every input) and, with --repos (read by `prepare`),
    the repositories'. Returns (sections, summary dict)."""
    from analysis import predecessors

    section, summary, versioned = predecessors.names_section(models, tasks, cfg, progress)
    sections = [section]
    if prepared is not None:
        repo_section, summary["repos"] = repos_section(prepared, versioned, cfg, progress)
        sections.append(repo_section)
    return sections, summary
