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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.common.intervals import format_share, with_wilson_pct
from analysis.inputs.load import InputError, input_provenance, is_synthetic, json_line
from analysis.report import labels
from analysis.repos import sampling

STATUSES = ("ok", "not_found")
SEMVER_TAG = r"^v?\d+(\.\d+){0,2}$"
UPDATED_MIN_COMMITS = 3
MODES = ("name_and_git", "name_only", "git_only", "in_place", "never_updated")
BY_TASK_COLUMNS = ["task", "repos", "found", "updated_pct", "tagged_pct", "semver_tag_pct", "branched_pct",
                   "successor_pct", "median_commits", "p90_commits"]
#: The measures of repos_by_task: each `{m}_pct` of `found`, with `{m}_repos` (successes) and its 95% interval.
MEASURES = ("updated", "tagged", "semver_tag", "branched", "successor")
CI_COLUMNS = [c for m in MEASURES for c in (f"{m}_repos", f"{m}_ci_low_pct", f"{m}_ci_high_pct")]
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


def _clean(table) -> bool:
    """Every line of this batch is usable: an id, a known status, and for `ok` a non-negative commit count."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.equal(table.column("status"), "ok")
    return (table.column("id").null_count == 0
            and pc.all(pc.is_in(table.column("status"), value_set=pa.array(STATUSES))).as_py()
            and not pc.any(pc.and_(ok, pc.is_null(table.column("commit_count")))).as_py()
            and not pc.any(pc.less(table.column("commit_count"), 0)).as_py())


def _read_fast(path: Path) -> pd.DataFrame | None:
    """The feed's per-line flags, parsed by Arrow's streaming JSON reader one block at a time (only the flags are
    kept: memory does not hold the whole parsed feed), or None when a line is not clean (the line reader says
    which)."""
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        newlines, clean_ends = _scan_newlines(path)
    except EOFError:  # a gzip feed cut short: the line reader reports where
        return None
    if not clean_ends or not newlines:
        return None
    parts = []
    try:
        source = pa.input_stream(str(path), compression="gzip" if _is_gzip(path) else None)
        reader = pj.open_json(source, read_options=pj.ReadOptions(block_size=1 << 24),
                              parse_options=pj.ParseOptions(explicit_schema=_schema(),
                                                            unexpected_field_behavior="ignore"))
        for batch in reader:
            table = pa.Table.from_batches([batch])
            if not parts and table.column("status").null_count == table.num_rows:
                raise _not_a_repos_feed(path)
            if not _clean(table):
                return None
            parts.append(_flags(table))
    except (pa.ArrowInvalid, pa.ArrowTypeError, EOFError):
        return None
    if sum(len(p) for p in parts) != newlines:
        return None
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


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
            obj = json_line(raw)
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
    """Per line: the booleans the measures count, computed by Arrow on the whole columns (no loop over rows)."""
    import pyarrow.compute as pc

    n = table.num_rows

    def any_in_list(column: str, test) -> np.ndarray:
        lists = table.column(column).combine_chunks()
        values = pc.list_flatten(lists)
        parents = pc.list_parent_indices(lists).to_numpy()
        hit = pc.fill_null(test(values), False).to_numpy(zero_copy_only=False)
        return np.bincount(parents[hit], minlength=n) > 0

    def array(column: str, fill) -> np.ndarray:
        return pc.fill_null(table.column(column), fill).to_numpy(zero_copy_only=False)

    new_version = pc.utf8_trim_whitespace(pc.fill_null(table.column("new_version"), ""))
    ids = pc.utf8_trim_whitespace(table.column("id")).combine_chunks()
    return pd.DataFrame({
        "id": pd.Series(pd.array(ids, dtype="str")), "found": array("status", "") == "ok",
        "commit_count": array("commit_count", -1),  # -1 only where not found: never read there
        "tagged": any_in_list("tags", pc.is_valid),
        "semver_tagged": any_in_list("tags", lambda v: pc.match_substring_regex(v, SEMVER_TAG)),
        "branched": any_in_list("branches", lambda v: pc.not_equal(v, "main")),
        "successor": pc.not_equal(new_version, "").to_numpy(zero_copy_only=False),
        "carried_over": array("carried_over", False).astype(bool),
        "crawled_at": pd.Series(pd.array(pc.fill_null(table.column("crawled_at"), "").combine_chunks(),
                                         dtype="str"))})


def _arrow(strings: pd.Series):
    """A text column as one Arrow string array (pandas' str columns are Arrow-backed: no copy through Python)."""
    import pyarrow as pa

    arr = pa.array(strings.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _latest_per_id(df: pd.DataFrame, duplicates: Lines) -> pd.DataFrame:
    """One row per id: the latest `crawled_at` (missing = oldest), then the last in file order."""
    import pyarrow.compute as pc

    stamps = pc.dictionary_encode(_arrow(df["crawled_at"]))  # one stamp per crawled page: few distinct ones
    parsed = pd.to_datetime(pd.Series(stamps.dictionary.to_pylist(), dtype=object), utc=True, errors="coerce",
                            format="ISO8601")
    ts = parsed.array.asi8[stamps.indices.to_numpy(zero_copy_only=False)]  # NaT (missing) is the smallest
    ids = pc.dictionary_encode(_arrow(df["id"])).indices.to_numpy(zero_copy_only=False)
    order = np.lexsort((np.arange(len(df)), ts))
    _, first_from_end = np.unique(ids[order][::-1], return_index=True)
    keep = np.sort(order[len(order) - 1 - first_from_end])
    if len(keep) < len(df):
        dropped = np.setdiff1d(np.arange(len(df)), keep)
        duplicates.count += len(dropped)
        duplicates.first = df["line"].to_numpy()[dropped[:MAX_EXAMPLES]].tolist()
    return df.take(keep).drop(columns=["crawled_at"]).reset_index(drop=True)


def read_repos(path: Path) -> RepoFeed:
    """Read a repos feed: bad and truncated lines are counted (with line numbers), duplicates keep the latest line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--repos {path}: no such file")
    malformed, truncated, duplicates = Lines(), Lines(), Lines()
    try:
        df = _read_fast(path)
        if df is None:
            table, lines = _read_lines(path, malformed, truncated)
            df = _flags(table)
        else:
            lines = np.arange(1, len(df) + 1)
    except OSError as exc:
        raise InputError(f"cannot read --repos {path}: {exc.strerror or exc}") from exc
    if not len(df):
        raise InputError(f"--repos {path}: no valid repository line ({malformed.count} malformed)")
    valid = len(df)
    df["line"] = lines
    df = _latest_per_id(df, duplicates)
    prov = {"path": str(path.resolve()), "lines_valid": valid, "repos": len(df),
            "malformed_lines": vars(malformed), "truncated_lines": vars(truncated),
            "duplicate_ids": vars(duplicates), "carried_over": int(df["carried_over"].sum()),
            **input_provenance(path, "feed")}
    for kind, d in (("malformed", malformed), ("truncated", truncated)):
        if d.count:
            print(f"warning: --repos {path}: {d.count:,} {kind} line(s) skipped (first: {d.first}); counted in "
                  "the report", file=sys.stderr)
    return RepoFeed(repos=df, provenance=prov)


# ----------------------------------------------------------------------------------------------------------------
# Measures


def join_tasks(feed: RepoFeed, models: pd.DataFrame) -> pd.DataFrame:
    """The repos with their model's `task` and row (`model_row`, a position in `models`), from the models input.

    Ids absent from the models input, and models without a task, are counted in the provenance and left out; a feed
    none of whose ids is in the models input is an error (a repos feed of another crawl)."""
    import pyarrow.compute as pc

    repos = feed.repos
    pos = pc.fill_null(pc.index_in(_arrow(repos["id"]), value_set=_arrow(models["id"])), -1)
    pos = pos.to_numpy(zero_copy_only=False)
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
    joined = repos[~absent]
    joined = joined.assign(task=models["task"].array.take(pos[~absent]), model_row=pos[~absent])
    has_task = joined["task"].notna().to_numpy()
    prov["without_task"] = int((~has_task).sum())
    prov["models_in_input"] = int(models["task"].notna().sum())
    joined = joined[has_task]
    prov["studied"] = len(joined)
    return joined.reset_index(drop=True)


def _task_codes(repos: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    codes, tasks = pd.factorize(repos["task"])
    return codes, [str(t) for t in tasks]


def repos_by_task(repos: pd.DataFrame) -> pd.DataFrame:
    """repos_by_task.csv: the row `all` first, then one row per task (most repositories first)."""
    codes, tasks = _task_codes(repos)
    k = len(tasks)
    found = repos["found"].to_numpy(dtype=bool)
    counts = repos["commit_count"].to_numpy(dtype="float64")

    def per_task(mask: np.ndarray) -> np.ndarray:
        n = np.bincount(codes[mask], minlength=k)
        return np.append(n, n.sum())  # the last entry is `all`

    n_found = per_task(found)
    out = pd.DataFrame({"task": tasks + ["all"], "repos": per_task(np.ones(len(repos), dtype=bool)),
                        "found": n_found})
    hits = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, hit in (("updated", counts >= UPDATED_MIN_COMMITS), ("tagged", repos["tagged"]),
                          ("semver_tag", repos["semver_tagged"]), ("branched", repos["branched"]),
                          ("successor", repos["successor"])):
            hits[name] = per_task(found & np.asarray(hit, dtype=bool))
            out[f"{name}_pct"] = np.round(100.0 * hits[name] / n_found, 4)
    # quantiles per task on the found repositories sorted by (task, commits): one slice per task, no loop over rows
    order = np.lexsort((counts[found], codes[found]))
    sorted_counts, bounds = counts[found][order], np.concatenate([[0], np.cumsum(n_found[:-1])])
    quant = [np.percentile(sorted_counts[bounds[i]:bounds[i + 1]], [50, 90]) if n_found[i] else [np.nan] * 2
             for i in range(k)]
    quant.append(np.percentile(sorted_counts, [50, 90]) if len(sorted_counts) else [np.nan] * 2)
    out["median_commits"], out["p90_commits"] = [q[0] for q in quant], [q[1] for q in quant]
    for name, hit in hits.items():  # each share's n is `found`; its successes and 95% Wilson interval after it
        out[f"{name}_repos"] = hit
        out = with_wilson_pct(out, f"{name}_repos", "found", prefix=f"{name}_")
    rest = out.iloc[:k].sort_values(["repos", "task"], ascending=[False, True], kind="stable")
    return pd.concat([out.iloc[k:], rest], ignore_index=True)[BY_TASK_COLUMNS + CI_COLUMNS]


def repo_modes(repos: pd.DataFrame) -> np.ndarray:
    """Each repository's mode as an index into MODES (-1 where not found; see the module docstring)."""
    git = (repos["tagged"] | repos["branched"]).to_numpy(dtype=bool)
    named = repos["versioned"].to_numpy(dtype=bool)
    updated = repos["commit_count"].to_numpy(dtype="float64") >= UPDATED_MIN_COMMITS
    mode = np.select([named & git, named, git, updated], [0, 1, 2, 3], 4)
    return np.where(repos["found"].to_numpy(dtype=bool), mode, -1)


def modes_table(repos: pd.DataFrame, modes: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(repos_modes.csv: mode, repos, pct over every found repository; the same per task: task, mode, repos, pct)."""
    codes, tasks = _task_codes(repos)
    found = modes >= 0
    grid = np.bincount(codes[found] * len(MODES) + modes[found], minlength=len(tasks) * len(MODES))
    grid = grid.reshape(len(tasks), len(MODES))
    total = grid.sum(axis=0)
    overall = pd.DataFrame({"mode": list(MODES), "repos": total})
    overall["pct"] = (100.0 * overall["repos"] / max(int(total.sum()), 1)).round(4)
    overall = with_wilson_pct(overall.assign(found=int(total.sum())), "repos", "found")
    order = np.lexsort((np.array(tasks, dtype=object).astype(str), -grid.sum(axis=1)))
    long = pd.DataFrame({"task": np.repeat(np.array(tasks, dtype=object)[order], len(MODES)),
                         "mode": np.tile(list(MODES), len(tasks)), "repos": grid[order].ravel()})
    sums = np.repeat(np.maximum(grid[order].sum(axis=1), 1), len(MODES))
    long["pct"] = (100.0 * long["repos"] / sums).round(4)
    long = with_wilson_pct(long.assign(found=grid[order].sum(axis=1).repeat(len(MODES))), "repos", "found")
    return overall, long


# ----------------------------------------------------------------------------------------------------------------
# The report's sections


def _provenance_lines(prov: dict[str, Any]) -> list[str]:
    def where(d: dict) -> str:
        return f" (first lines: {', '.join(map(str, d['first']))})" if d["count"] else ""

    from analysis.report.labels import describe_origin

    absent = prov["absent_from_models"]
    record = f"`{Path(prov['record']).name}`" if prov.get("record") else "not recorded"
    return [
        (f"- repos feed `{prov['path']}`: {prov['lines_valid']:,} valid lines, {prov['repos']:,} repositories "
        f"({prov['carried_over']:,} carried over from a previous crawl); crawl record: {record}; origin: "
        f"{describe_origin(prov.get('origin') or {})}"),
        (f"- malformed lines skipped: {prov['malformed_lines']['count']:,}{where(prov['malformed_lines'])}; "
        f"truncated last lines: {prov['truncated_lines']['count']:,}{where(prov['truncated_lines'])}; duplicate "
        f"ids (the latest line kept): {prov['duplicate_ids']['count']:,}{where(prov['duplicate_ids'])}"),
        f"- ids not in the models input (left out): {absent['count']:,}"
        + (f" (first: {', '.join(f'`{i}`' for i in absent['first'][:5])})" if absent["count"] else ""),
        (f"- models without a task (left out): {prov['without_task']:,}; repositories studied: {prov['studied']:,} "
        f"of the {prov['models_in_input']:,} models listed under a task")]


def _est(est: pd.DataFrame, measure: str) -> str:
    """A population estimate as the report quotes it: `2.6% [2.1, 3.2]`."""
    r = est.set_index("measure").loc[measure]
    if pd.isna(r["share_pct"]):
        return "n/a"
    return f"{r['share_pct']:.2f}% [{r['ci_low_pct']:.2f}, {r['ci_high_pct']:.2f}]"


def shares_table(by_task: pd.DataFrame) -> pd.DataFrame:
    """The report's view of repos_by_task: each share with its 95% interval, beside its n (`found`)."""
    view = by_task[["task", "repos", "found"]].copy()
    for m in MEASURES:
        cell = by_task[f"{m}_pct"].map("{:.1f}".format) + " [" + by_task[f"{m}_ci_low_pct"].map("{:.1f}".format) \
            + ", " + by_task[f"{m}_ci_high_pct"].map("{:.1f}".format) + "]"
        view[f"{m} % [95% CI]"] = cell.where(by_task["found"] > 0, "n/a")
    return view.assign(median_commits=by_task["median_commits"], p90_commits=by_task["p90_commits"])


def population_estimates(by_task: pd.DataFrame, prov: dict[str, Any]) -> pd.DataFrame:
    """repos_estimates.csv: each measure's share for the population the repositories were drawn from (the repos
    crawl record's `sample`; analysis.repos.sampling)."""
    counts = by_task.iloc[1:].rename(columns={f"{m}_repos": m for m in MEASURES})
    return sampling.estimates(counts, list(MEASURES), sampling.design(prov.get("sample")))


def repos_markdown(by_task: pd.DataFrame, modes: pd.DataFrame, prov: dict[str, Any],
                   est: pd.DataFrame | None = None, synthetic: bool = False) -> str:
    """The section's text: the definitions, the input's provenance and sampling design, the shares with their
    intervals; the published figures beside them only on data that is not synthetic."""
    from analysis.repos.predecessors import md_table

    est = population_estimates(by_task, prov) if est is None else est

    a = by_task.iloc[0]
    mode = modes.set_index("mode")
    released, of = CASTANO_RELEASES
    md = ["From the repos feed (`scrapy crawl repos`), joined to the models input on `id` for each model's task.",
          "", *_provenance_lines(prov), "", sampling.describe(sampling.design(prov.get("sample")), int(a["found"])),
          "",
          (f"Of **{int(a['repos']):,}** repositories, **{int(a['found']):,}** were found and "
          f"**{int(a['repos'] - a['found']):,}** were not (deleted or made private since the listing: counted, left "
          "out of the shares). Of those found (95% intervals for the population above): "
          f"**{_est(est, 'updated')}** were updated (at least {UPDATED_MIN_COMMITS} commits on `main`: the Hub's "
          f"initial commit, the upload, and at least one change), **{_est(est, 'tagged')}** carry a git tag, "
          f"**{_est(est, 'semver_tag')}** a tag `v?N`, `v?N.N` or `v?N.N.N`, **{_est(est, 'branched')}** a branch "
          f"other than `main`, and **{_est(est, 'successor')}** name a successor (`new_version` on the card). "
          f"Median commits {a['median_commits']:g}, 90th percentile {a['p90_commits']:g}."), ""]
    if synthetic:
        md += [f"_{labels.NOTE}_", ""]
    else:
        md += [(f"Castaño et al. (MSR 2024, TOSEM; 380k models' commit histories) found formal releases for only "
                f"**{released} of {of:,}** models ({100 * released / of:.2f}%); here {_est(est, 'semver_tag')} of "
                "the found repositories carry a version-like git tag."), ""]
    in_place = mode.loc["in_place"]
    md += [md_table(shares_table(by_task), 50), "",
           ("**Modes** (each found repository in exactly one): `name_and_git` a version in the name (detector) and a "
            "tag or a branch other than `main`; `name_only` a version in the name only; `git_only` a tag or extra "
            "branch only; `in_place` neither, but updated; `never_updated` neither, fewer than "
            f"{UPDATED_MIN_COMMITS} commits. **{format_share(int(in_place['repos']), int(in_place['found']))}** of "
            "the found repositories were updated in place with no version in their name and no tag or branch."
            + ("" if synthetic else " Ajibode et al. report that 40.87% of weight-file changes are reflected "
               "neither in the version name nor in the documentation: a different measure (changes of weight "
               "files, cards read too), set beside this one, not equal to it.")), "", md_table(modes)]
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


def repos_section(prepared: tuple[RepoFeed, pd.DataFrame], versioned: np.ndarray, cfg: Any, progress: Any):
    """Write the repositories' tables; return (Section, summary dict, figure jobs). On replay-hub data (the repos
    feed's or the models input's) heading, tables and figure titles say synthetic."""
    from analysis.report import figures, output
    from analysis.report.section import Section

    out = Path(cfg.out)
    feed, repos = prepared
    synthetic = bool(getattr(cfg, "synthetic", False)) or is_synthetic([feed.provenance])
    with progress.step("versioning in the repositories (--repos)"):
        repos = repos.assign(versioned=np.asarray(versioned, dtype=bool)[repos["model_row"].to_numpy()])
        by_task = repos_by_task(repos)
        overall, per_task = modes_table(repos, repo_modes(repos))
        est = population_estimates(by_task, feed.provenance)
        tables = [output.write_table(df, out, name, synthetic=synthetic)
                  for df, name in ((by_task, "repos_by_task"), (overall, "repos_modes"),
                                   (per_task, "repos_modes_by_task"), (est, "repos_estimates"))]
        figs = [Path("figures/repos_modes.png"), Path("figures/repos_commit_counts.png")]
        commits = repos["commit_count"].to_numpy(dtype="float64")[repos["found"].to_numpy(dtype=bool)]
        jobs = output.figure_jobs([(figures.repos_modes_stacked, (per_task, out / figs[0])),
                                   (figures.commit_count_histogram, (commits, out / figs[1], UPDATED_MIN_COMMITS))],
                                  synthetic)
    section = Section(title="Versioning in the repositories",
                      markdown=repos_markdown(by_task, overall, feed.provenance, est, synthetic),
                      figures=figs if cfg.make_figures else [], tables=tables, key="repos")
    if synthetic:
        section = labels.mark_section(section)
    return section, {"provenance": feed.provenance, "synthetic": synthetic, "all": by_task.iloc[0].to_dict(),
                     "estimates": est.to_dict(orient="records"), "modes": overall.to_dict(orient="records")}, jobs


@dataclass
class Started:
    """The versioning sections once started: the repos feed read and joined, the names read on a forked process."""

    prepared: tuple[RepoFeed, pd.DataFrame] | None
    names: Any  # analysis.common.parallel.Forked of read_names_and_real


def read_names_and_real(models: pd.DataFrame) -> Any:
    """The names-only reading (`predecessors.read_names`) with the real data of ../shared beside it
    (`real_data.read`, input-independent): both on the same forked process, alongside the study."""
    from analysis.repos import predecessors, real_data

    return replace(predecessors.read_names(models), real=real_data.read())


def start(cfg: Any, models: pd.DataFrame) -> Started:
    """The hook at the start of the study: a bad --repos stops the run here, before any output; the names-only
    reading (the detector over every distinct name) starts on a forked process, alongside the study (for enough
    names to be worth it, `analysis.common.parallel.worth_forking`)."""
    from analysis.common.parallel import Forked, worth_forking

    prepared = prepare(cfg, models)
    return Started(prepared, Forked(read_names_and_real, models, parallel=worth_forking(len(models))))


def study_sections(models: pd.DataFrame, tasks: list[str], cfg: Any, progress: Any, started: Started):
    """The hook before the study's figures: the names-only section (every input) and, with --repos, the
    repositories'. Returns (sections, summary dict, figure jobs `(function, args)` for the study's figure pool)."""
    from analysis.repos import predecessors, real_data

    wait = " (waiting for its process)" if started.names.forked else ""
    with progress.step(f"versions and predecessors in names{wait}"):
        reading = started.names.result()
        section, summary, jobs = predecessors.names_section(models, tasks, cfg, reading)
        real, summary["real"], real_jobs = real_data.sections(cfg, reading.real)  # real data, beside the input
    sections = [section, *real]
    jobs = jobs + real_jobs
    if started.prepared is not None:
        repo_section, summary["repos"], more = repos_section(started.prepared, reading.versioned, cfg, progress)
        sections.append(repo_section)
        jobs += more
    return sections, summary, jobs if cfg.make_figures else []
