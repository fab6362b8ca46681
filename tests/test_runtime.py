"""GcTuning: the collector's thresholds during a crawl, and the interpreter's own back after it."""
from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from hfcrawl.runtime import GcTuning


def test_the_crawl_collects_young_objects_less_often_and_restores_the_thresholds():
    before = gc.get_threshold()
    ext = GcTuning.from_crawler(get_crawler(settings_dict={"HFCRAWL_GC_THRESHOLD": 12345}))
    ext.spider_opened()
    try:
        assert gc.get_threshold()[0] == 12345 and gc.get_freeze_count() > 0
    finally:
        ext.spider_closed()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_threshold_of_zero_keeps_the_interpreter_defaults():
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(settings_dict={"HFCRAWL_GC_THRESHOLD": 0}))
