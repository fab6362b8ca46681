"""The cleaning pipeline on a hand-made page: what it trims, normalises and drops."""
from __future__ import annotations

from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from hfcrawl.items import FEED_FIELDS, ModelPage
from hfcrawl.parsing import EMPTY_RECORD
from hfcrawl.pipelines import CleanModelsPipeline


class _Crawler:
    def __init__(self):
        self.settings = Settings()
        self.stats = MemoryStatsCollector(self)


def _record(**values):
    record = EMPTY_RECORD.copy()
    record.update(values)
    return record


def test_cleaning_normalises_and_drops_invalid_ids():
    crawler = _Crawler()
    page = ModelPage(stream="author:google", page=0, url="http://hub/api/models?author=google", source="api",
                     crawled_at="2026-01-01T00:00:00Z", models=[
                         _record(id="google/bert-base", pipeline_tag=" fill-mask ", downloads="1,234", likes=-3,
                                 library_name="", tags=[" a", "b", ""], created_at="2022-03-02T23:29:04.000Z"),
                         _record(id="gpt2", downloads=True, likes=7),
                         _record(id="bad/../id"),
                         _record(id=None),
                         _record(id="a/b/c"),
                     ])
    cleaned = CleanModelsPipeline(crawler.stats).process_item(page)
    assert cleaned.listed == 5
    assert [m["id"] for m in cleaned.models] == ["google/bert-base", "gpt2"]
    first, second = cleaned.models
    assert list(first) == list(FEED_FIELDS)  # every key, in the feed's order
    assert first["author"] == "google" and first["name"] == "bert-base"
    assert first["pipeline_tag"] == "fill-mask" and first["library_name"] is None
    assert first["downloads"] == 1234 and first["likes"] is None
    assert first["tags"] == ["a", "b"]
    assert first["crawl_author"] == "google" and first["crawl_tag"] is None
    assert first["source"] == "api" and first["crawled_at"] == "2026-01-01T00:00:00Z"
    assert second["author"] is None and second["name"] == "gpt2"
    assert second["downloads"] is None and second["likes"] == 7
    assert crawler.stats.get_value("hfcrawl/invalid_models") == 3


def test_ids_with_a_final_newline_or_a_slash_at_an_end_are_dropped_not_rewritten():
    crawler = _Crawler()
    page = ModelPage(stream="tag:x", page=0, url="http://hub/api/models", models=[
        _record(id="owner/name\n"), _record(id="/gpt2"), _record(id="gpt2/"), _record(id=" a/b "), _record(id="gpt2")])
    cleaned = CleanModelsPipeline(crawler.stats).process_item(page)
    assert [m["id"] for m in cleaned.models] == ["gpt2"]
    assert crawler.stats.get_value("hfcrawl/invalid_models") == 4


def test_fields_of_the_wrong_type_or_shape_are_nulled_and_counted():
    crawler = _Crawler()
    page = ModelPage(stream="tag:x", page=0, url="http://hub/api/models", models=[
        _record(id="a/one", pipeline_tag=["x"], library_name={"k": 1}, created_at="yesterday",
                last_modified=1700000000),
        _record(id="a/two", pipeline_tag="fill-mask", library_name="transformers",
                created_at="2022-03-02T23:29:04.000Z", last_modified="2023-13-40T00:00:00Z"),
    ])
    one, two = CleanModelsPipeline(crawler.stats).process_item(page).models
    assert (one["pipeline_tag"], one["library_name"], one["created_at"], one["last_modified"]) == (None,) * 4
    assert (two["pipeline_tag"], two["library_name"]) == ("fill-mask", "transformers")
    assert two["created_at"] == "2022-03-02T23:29:04.000Z" and two["last_modified"] is None
    stats = crawler.stats.get_stats()
    assert {k: v for k, v in stats.items() if k.startswith("hfcrawl/invalid_fields/")} == {
        "hfcrawl/invalid_fields/pipeline_tag": 1, "hfcrawl/invalid_fields/library_name": 1,
        "hfcrawl/invalid_fields/created_at": 1, "hfcrawl/invalid_fields/last_modified": 2}
