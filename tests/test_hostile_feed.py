"""The feed writer, the feed check and the checkpoint loader on real files, without a crawl: what a failing or
resumed run may and may not do to a feed."""
from __future__ import annotations

import json

import pytest
from scrapy.settings import Settings

from hfcrawl.feed import (
    APPEND,
    NEW,
    OVERWRITE,
    FeedError,
    FeedPosition,
    FeedTarget,
    FeedWriter,
    check_feed,
    feed_target,
)
from hfcrawl.ledger import CheckpointMismatch, Ledger
from hfcrawl.spiders.models import argument_error

OLD = b'{"id":"kept/a"}\n{"id":"kept/b"}\n'


def _lines(*ids: str) -> list[bytes]:
    return [json.dumps({"id": i}).encode() + b"\n" for i in ids]


def test_the_feed_is_not_opened_before_the_first_page(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(OLD)
    writer = FeedWriter(FeedTarget(path, OVERWRITE))
    writer.close()  # a run that stopped before any page
    assert path.read_bytes() == OLD
    position = FeedWriter(FeedTarget(path, OVERWRITE)).write_page(_lines("new/x"), "new/x")
    assert path.read_bytes() == b'{"id": "new/x"}\n' and position == FeedPosition(1, 16, "new/x")


def test_appending_counts_from_the_end_of_what_was_there(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(OLD + b'{"id":"half')  # a truncated last line is dropped first
    writer = FeedWriter(FeedTarget(path, APPEND))
    position = writer.write_page(_lines("new/x"), "new/x")
    writer.close()
    assert position.lines == 3 and position.bytes == path.stat().st_size and writer.truncated_bytes_dropped == 11


def test_without_O_or_o_an_existing_feed_is_refused_but_an_empty_one_is_not(tmp_path):
    path = tmp_path / "feed.jsonl"
    check_feed(FeedTarget(path, NEW), None)  # no file yet
    path.write_bytes(b"")
    check_feed(FeedTarget(path, NEW), None)
    path.write_bytes(OLD)
    with pytest.raises(FeedError, match=f"-O {path}.*-o {path}"):
        check_feed(FeedTarget(path, NEW), None)
    check_feed(FeedTarget(path, OVERWRITE), None)
    check_feed(FeedTarget(path, APPEND), None)


def test_a_resume_accepts_its_feed_with_later_lines_and_refuses_any_other(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(OLD)
    position = FeedPosition(2, len(OLD), "kept/b")
    path.write_bytes(OLD + b'{"id":"after/the-checkpoint"}\n')  # a page written just before a SIGKILL
    check_feed(FeedTarget(path, NEW), position)
    for other in (OLD[:16], b'{"id":"kept/a"}\n{"id":"kept/c"}\n', b""):
        path.write_bytes(other)
        with pytest.raises(FeedError, match="does not match the checkpoint"):
            check_feed(FeedTarget(path, OVERWRITE), position)


@pytest.mark.parametrize("feeds,words", [({"x.csv": {"format": "csv"}}, "format 'csv'"),
                                         ({"s3://b/x.jsonl": {"format": "jsonlines"}}, "only local files"),
                                         ({"a.jsonl": {}, "b.jsonl": {}}, "exactly one")])
def test_feeds_other_than_one_local_json_lines_file_are_refused(feeds, words):
    with pytest.raises(FeedError, match=words):
        feed_target(Settings({"FEEDS": feeds}))


def test_the_default_feed_is_never_overwritten_and_O_overwrites():
    assert feed_target(Settings({"HFCRAWL_FEED": "out/m.jsonl"})).mode == NEW
    assert feed_target(Settings({"FEEDS": {"m.jsonl": {"format": "jsonlines", "overwrite": True}}})).mode == OVERWRITE
    assert feed_target(Settings({"FEEDS": {"m.jsonl": {"format": "jsonlines"}}})).mode == APPEND


@pytest.mark.parametrize("content", ["[]", "{", '{"version": 1, "source": 3, "endpoint": "", "asked": {}, '
                                     '"streams": {}}', '{"version": 1, "source": "api", "endpoint": "", "asked": {}, '
                                     '"streams": {"tag:a": {"kind": "tag", "value": "b"}}}'])
def test_an_unreadable_checkpoint_is_a_problem_to_report_not_an_exception(tmp_path, content):
    (tmp_path / "hfcrawl-checkpoint.json").write_text(content)
    ledger = Ledger(path=tmp_path / "hfcrawl-checkpoint.json")
    with pytest.raises(CheckpointMismatch, match="unreadable.*to start over"):
        ledger._load()


def test_the_same_tags_in_another_order_are_the_same_crawl(tmp_path):
    first = Ledger(path=tmp_path / "hfcrawl-checkpoint.json")
    first.bind("api", "http://hub", {"tags": ["b", "a"], "authors": None})
    first.add_stream("tag", "a", "http://hub/1")
    first.save()
    again = Ledger(path=tmp_path / "hfcrawl-checkpoint.json")
    again._load()
    again.bind("api", "http://hub", {"tags": ["a", "b"], "authors": None})
    with pytest.raises(CheckpointMismatch, match="did not ask for: tag:a"):
        again.bind("api", "http://hub", {"tags": ["a", "b"], "authors": None}, accepts=lambda s: s != "tag:a")


@pytest.mark.parametrize("tags,authors,page_size,words", [
    ([], None, 1000, "tags= names nothing"), (None, [], 1000, "authors= names nothing"),
    (None, None, "abc", "not a whole number"), (None, None, 0, "1 to 1000"), (["../x"], None, 1000, "not a tag"),
])
def test_spider_arguments_that_cannot_make_a_crawl_say_why(tags, authors, page_size, words):
    assert words in argument_error(tags, authors, "api", page_size)
    assert argument_error(["fill-mask"], None, "api", "500") is None
