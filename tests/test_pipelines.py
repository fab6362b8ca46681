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


# Values each field takes on random pages: (as the Hub sends them, what cleaning changes, nulls or drops).
_VALUES = {
    "id": (["google/bert-base", "gpt2", "a/b.c_d-e", "_x/y", "o/" + "x" * 96, "a-/b_"],
           ["o/" + "x" * 97, "a/b/c", "-a/b", "a./b", "a/.b", "a..b", "a//b", "/a", "a/", "é/x", "a b", "a\nb", "",
            None, 7]),
    "pipeline_tag": (["fill-mask", "text generation", None], [" fill-mask", "fill-mask\t", "", ["x"], 3]),
    "library_name": (["transformers", None], ["", " x", {"k": 1}]),
    "created_at": (["2022-03-02T23:29:04.000Z", "2024-12-31T00:59:59.999Z", "2022-03-02", "2022-03-02T23:29:04Z",
                    None],
                   ["2022-13-02T23:29:04.000Z", "2022-03-32T23:29:04.000Z", "2022-03-02T24:29:04.000Z",
                    "2022-03-02T23:60:04.000Z", "2022-03-02X23:29:04.000Z", "2022-03-02T23:29:04.000z",
                    "2O22-03-02T23:29:04.000Z", "2022-03-02T23:29:04.0000",
                    "\u0662\u0660\u0662\u0662-03-02T23:29:04.000Z", "yesterday", "", 1700000000]),
    "last_modified": (["2023-01-01T00:00:00.000Z", None], ["2023-00-01T00:00:00.000Z", "2023-01-01T00:00:00.000Z "]),
    "downloads": ([0, 12, None], [-1, True, "1,234", 2.5]),
    "likes": ([3, None], [-3, False]),
    "tags": ([["a", "b"], [], None, ["x y", "z"]], [[" a"], ["a", ""], ["a\r"], ["a", 3], "x", ["quantization "]]),
    "sha": (["0123456789abcdef0123456789abcdef01234567", None],
            ["0123456789ABCDEF0123456789abcdef01234567", "0123456789abcdef", "", 5,
             "g123456789abcdef0123456789abcdef01234567"]),
}


def _random_page(rng, size, clean_share):
    """A page whose records take each field's value from the Hub's kind with probability `clean_share`."""
    models = [_record(**{key: rng.choice(good if rng.random() < clean_share else good + other)
                         for key, (good, other) in _VALUES.items()}) for _ in range(size)]
    return ModelPage(stream=rng.choice(["tag:fill-mask", "author:google"]), page=0, url="http://hub/api/models",
                     source="api", crawled_at="2026-01-01T00:00:00Z", models=models)


def test_the_bulk_check_of_a_page_cleans_exactly_as_one_model_at_a_time():
    """A page the column checks pass is only filled in; one they doubt is cleaned model by model: on random pages
    (mostly as the Hub sends them, or not) both give the same records, in the same key order, and the same counts."""
    import copy
    import random

    from hfcrawl.pipelines import _columns_clean

    rng = random.Random(7)
    pages = [_random_page(rng, rng.choice([1, 2, 5, 30]), rng.choice([1.0, 0.999, 0.97, 0.5])) for _ in range(400)]
    for key, (_, other) in _VALUES.items():  # and each value cleaning changes, alone on a page as the Hub sends
        for value in other:
            for page in (_random_page(rng, 4, 1.0), _random_page(rng, 4, 1.0)):
                if len(pages) % 2:  # every record as most of the Hub's are
                    page.models = [_record(**{k: good[0] for k, (good, _) in _VALUES.items()}) for _ in range(4)]
                page.models[rng.randrange(4)][key] = value
                pages.append(page)
    bulk_pages = 0
    for page in pages:
        bulk, each = _Crawler(), _Crawler()
        expected = copy.deepcopy(page)
        constants = {"crawl_tag": "fill-mask" if page.stream.startswith("tag:") else None,
                     "crawl_author": "google" if page.stream.startswith("author:") else None,
                     "source": "api", "crawled_at": "2026-01-01T00:00:00Z"}
        expected.models = CleanModelsPipeline(each.stats).clean_each(expected, constants)
        bulk_pages += _columns_clean(page.models)
        got = CleanModelsPipeline(bulk.stats).process_item(page)
        assert got.models == expected.models
        assert [list(m) for m in got.models] == [list(m) for m in expected.models]
        assert bulk.stats.get_stats() == each.stats.get_stats()
    assert 100 < bulk_pages < 350  # both paths were taken, many times
