"""Scrapy project that enumerates Hugging Face Hub models into a JSON Lines feed."""
from hfcrawl.compat import restore_scrapy_url_reexports

restore_scrapy_url_reexports()
