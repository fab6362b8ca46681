"""Scrapy project that enumerates Hugging Face Hub models into a JSON Lines feed."""
