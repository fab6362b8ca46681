"""Scrapy project that enumerates Hugging Face Hub models into a JSON Lines feed.

Imports nothing: `hfcrawl.provenance` is read by the analysis without Scrapy. The scrapy-splash shim
(`hfcrawl.compat`) runs from `hfcrawl.settings`, which Scrapy loads before any component of a crawl.
"""
