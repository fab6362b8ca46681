"""Keeps scrapy-splash importable on current Scrapy.

scrapy-splash 0.11.1 (its latest release) imports `canonicalize_url` from `scrapy.utils.url`, a deprecated
re-export of w3lib's function that Scrapy 2.16 removed (scrapy-plugins/scrapy-splash#332, open). Until
scrapy-splash is fixed, put w3lib's function back under that name, and only if it is missing.
"""
from __future__ import annotations

import scrapy.utils.url
import w3lib.url


def restore_scrapy_url_reexports() -> None:
    if not hasattr(scrapy.utils.url, "canonicalize_url"):
        scrapy.utils.url.canonicalize_url = w3lib.url.canonicalize_url  # type: ignore[attr-defined]
