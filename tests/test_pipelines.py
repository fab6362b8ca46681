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
                         _record(id=" google/bert-base ", pipeline_tag=" fill-mask ", downloads="1,234", likes=-3,
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
