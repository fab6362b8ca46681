"""Repository parsers and input reading of the repos crawl, on bodies shaped like docs/hub-api.md section 7."""
from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from hfcrawl.inputs import Entry, InputError, PreviousFeed, entries_of, feed_ids, sample, stable_hash, unique
from hfcrawl.parsing import (
    LayoutError,
    ParseError,
    card_lineage,
    parse_commits,
    parse_model_card,
    parse_refs,
    total_count,
)
from hfcrawl.repos_progress import eta_seconds

REFS = {"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": "e7da7f22" + "0" * 32},
                     {"name": "v1.1.a1", "ref": "refs/heads/v1.1.a1", "targetCommit": "1" * 40}],
        "converts": [{"name": "parquet", "ref": "refs/convert/parquet", "targetCommit": "2" * 40}],
        "tags": [{"name": "v1.0", "ref": "refs/tags/v1.0", "targetCommit": "c37a8cd1" + "0" * 32}]}
COMMITS = [{"id": "607a30d" + "0" * 33, "title": "Adds the tokenizer configuration file (#80)", "message": "...",
            "authors": [{"user": "lysandre", "avatar": "https://x/a.png"}], "date": "2024-02-19T10:57:45.000Z"},
           {"id": "1" * 40, "title": "initial commit", "message": "", "authors": [{"user": "system"}],
            "date": "2019-02-18T10:00:00.000Z"}]


def test_refs_give_branch_and_tag_names_and_the_head_of_main():
    refs = parse_refs(orjson.dumps(REFS))
    assert refs == {"branches": ["main", "v1.1.a1"], "tags": ["v1.0"], "sha": "e7da7f22" + "0" * 32}


def test_refs_without_main_have_no_sha_and_bad_refs_are_refused():
    assert parse_refs(b'{"branches": [{"name": "dev", "targetCommit": "x"}]}')["sha"] is None
    with pytest.raises(ParseError):
        parse_refs(b'{"branches": [')
    with pytest.raises(LayoutError):
        parse_refs(b'[{"name": "main"}]')
    with pytest.raises(LayoutError):
        parse_refs(b'{"branches": [{"ref": "refs/heads/main"}]}')


def test_commits_keep_id_date_title_and_author_names_newest_first():
    commits = parse_commits(orjson.dumps(COMMITS))
    assert [c["authors"] for c in commits] == [["lysandre"], ["system"]]
    assert commits[0] == {"id": COMMITS[0]["id"], "date": "2024-02-19T10:57:45.000Z",
                          "title": "Adds the tokenizer configuration file (#80)", "authors": ["lysandre"]}
    with pytest.raises(LayoutError):
        parse_commits(b'{"error": "x"}')
    with pytest.raises(LayoutError):
        parse_commits(b'[{"title": "no id"}]')


def test_total_count_reads_the_header_or_says_none():
    assert total_count(b"26") == 26
    assert total_count(None) is None
    assert total_count(b"many") is None


def test_lineage_joins_card_and_tags_once_each():
    tags = ["transformers", "base_model:meta-llama/Llama-2-7b", "base_model:finetune:meta-llama/Llama-2-7b",
            "base_model:adapter:org/other"]
    assert card_lineage({"base_model": "meta-llama/Llama-2-7b", "new_version": "org/m-v2"}, tags) == {
        "base_model": ["meta-llama/Llama-2-7b", "org/other"], "new_version": "org/m-v2"}
    assert card_lineage(None, None) == {"base_model": [], "new_version": None}
    assert card_lineage({"base_model": ["a/b", 3, " "], "new_version": ""}, []) == {
        "base_model": ["a/b"], "new_version": None}


def test_model_info_gives_lineage_and_sha():
    body = orjson.dumps({"_id": "x", "id": "org/m", "sha": "a" * 40, "tags": ["base_model:org/base"],
                         "cardData": {"new_version": "org/m-2"}})
    assert parse_model_card(body) == {"base_model": ["org/base"], "new_version": "org/m-2", "sha": "a" * 40}
    with pytest.raises(LayoutError):
        parse_model_card(b'{"error": "Repository not found"}')


# ------------------------------------------------------------------------------------------------------ inputs


def _feed(path: Path, lines: list[dict], gz: bool = False) -> Path:
    data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _ids(chunks) -> list[str]:
    return [e.id for chunk in chunks for e in chunk]


def test_models_feed_gz_text_ids_and_command_line_ids_are_read_in_order_each_once(tmp_path):
    feed = _feed(tmp_path / "models.jsonl.gz", [
        {"id": "a/one", "sha": "1" * 40, "crawl_tag": "fill-mask", "source": "api", "tags": ["base_model:x/y"],
         "base_model": None, "new_version": "a/two"},
        {"id": "a/two", "sha": None, "pipeline_tag": "text-generation", "source": "html"}], gz=True)
    ids = tmp_path / "ids.txt"
    ids.write_text("b/three\n\na/one\n")
    entries = list(entries_of([feed, ids], ["c/four", "b/three"]))
    assert entries[0] == Entry("a/one", "1" * 40, "fill-mask", {"base_model": ["x/y"], "new_version": "a/two"})
    assert entries[1] == Entry("a/two", None, "text-generation", None)  # html feed: no card fields
    assert _ids(unique(entries_of([feed, ids], ["c/four", "b/three"]))) == ["a/one", "a/two", "b/three", "c/four"]


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "empty"),
    (b"\n\n", "empty"),
    (b'{"id": "a/b"}\n{"name": "x"}\n', "line 2: not a feed line"),
    (b'{"id": "a/b"}\nnot json at all\n', "line 2: not JSON"),
    (b"a/b\nnot an id!\n", "line 2: 'not an id!' is not a model id"),
    (b"id,downloads\na/b,3\n", "line 1: 'id,downloads' is not a model id"),
    (b'{"id": "../etc/passwd"}\n', "is not a model id"),
])
def test_bad_inputs_raise_one_line_errors_naming_the_input(tmp_path, content, message):
    path = tmp_path / "input.jsonl"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as err:
        list(entries_of([path], None))
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_cut_last_feed_line_is_skipped_not_fatal(tmp_path):
    path = tmp_path / "models.jsonl"
    path.write_bytes(b'{"id": "a/b"}\n{"id": "a/c", "sh')
    assert [e.id for e in entries_of([path], None)] == ["a/b"]


def test_sample_is_reproducible_uniform_and_independent_of_input_order():
    entries = [Entry(f"org/m{i}", task=f"t{i % 3}") for i in range(3000)]
    first = [e.id for e in sample([entries[:1500], entries[1500:]], 100, 7, None)]
    again = [e.id for e in sample([entries[::-1]], 100, 7, None)]
    other = [e.id for e in sample([entries], 100, 8, None)]
    assert first == again and len(set(first)) == 100
    assert len(set(first) & set(other)) < 30  # another seed, another sample (expected overlap ~3)
    per_task = sample([entries], None, 7, 5)
    assert sorted(e.task for e in per_task) == ["t0"] * 5 + ["t1"] * 5 + ["t2"] * 5
    # uniform: over many seeds, every id is drawn about as often (100 of 3000 a seed)
    counts = {}
    for seed in range(60):
        for e in sample([entries[:300]], 30, seed, None):
            counts[e.id] = counts.get(e.id, 0) + 1
    assert len(counts) > 280 and max(counts.values()) < 20


def test_previous_feed_carries_over_an_unchanged_repository_only(tmp_path):
    lines = [{"id": "a/b", "status": "ok", "sha": "1" * 40, "commit_count": 2, "history": "count"},
             {"id": "a/c", "status": "not_found", "sha": None, "commit_count": None, "history": "count"},
             {"id": "a/d", "status": "ok", "sha": "3" * 40, "commit_count": 9, "history": "full"}]
    previous = PreviousFeed(_feed(tmp_path / "repos.jsonl", lines))
    assert previous.unchanged(Entry("a/b", "1" * 40), "count") == {**lines[0], "carried_over": True}
    assert previous.unchanged(Entry("a/b", "2" * 40), "count") is None  # changed since
    assert previous.unchanged(Entry("a/b", None), "count") is None  # no sha in the input
    assert previous.unchanged(Entry("a/c", "4" * 40), "count") is None  # was gone: ask again
    assert previous.unchanged(Entry("a/d", "3" * 40), "count") is None  # another history mode
    assert previous.unchanged(Entry("x/y", "1" * 40), "count") is None


def test_previous_feed_of_another_kind_is_refused(tmp_path):
    models = _feed(tmp_path / "models.jsonl", [{"id": "a/b", "sha": "1" * 40, "crawl_tag": "fill-mask"}])
    with pytest.raises(InputError, match="not a repos feed line"):
        PreviousFeed(models)


def test_feed_ids_are_the_complete_lines_ids(tmp_path):
    path = tmp_path / "repos.jsonl"
    path.write_bytes(b'{"id": "a/b"}\n{"id": "a/c"}\n{"id": "a/d"')
    done = feed_ids(path)
    assert len(done) == 2
    assert done.add_new([stable_hash("a/b"), stable_hash("a/d")]).tolist() == [False, True]


def test_eta_is_bound_by_the_quota_when_the_quota_is_slower():
    assert eta_seconds(1000, 100, 10.0, 300, None) == pytest.approx(100.0)
    # 3 calls a repository, 1000 calls per 300 s: 3000 calls left take 900 s whatever the pace so far
    assert eta_seconds(1000, 100, 10.0, 300, {"quota": 1000, "window": 300}) == pytest.approx(900.0)
    assert eta_seconds(0, 100, 10.0, 300, None) == 0.0
