"""The feed's schema, in one place.

A feed line is one model: a JSON object with the keys of `FEED_FIELDS`, in that order. Models travel through
Scrapy in bulk, one `ModelPage` item per listing page, so that Scrapy's per-item cost is paid once per page
instead of once per model (see README, "Why pages").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Columns of a feed line, in the order they are written.
FEED_FIELDS: tuple[str, ...] = (
    "id",  # "owner/name", or a legacy one-part id
    "author",  # owner part of the id (None for legacy ids)
    "name",  # part after the "/"
    "pipeline_tag",  # the model's own task, as the Hub reports it (None when it has none)
    "crawl_tag",  # the task tag the model was listed under (None for an author stream)
    "crawl_author",  # the organisation the model was listed under (None for a tag stream)
    "downloads",  # downloads in the last 30 days (int or None)
    "likes",  # int or None
    "created_at",  # ISO-8601 string or None
    "last_modified",  # ISO-8601 string or None
    "library_name",  # str or None
    "tags",  # list of str, or None where the source does not give them (HTML)
    "source",  # "api" or "html"
    "crawled_at",  # ISO-8601 UTC time the page was fetched
    "sha",  # head commit of the repository's main branch (API: `expand=sha`; None from HTML)
    "base_model",  # the card's `base_model` as written (an id, a list of ids, or None; API: `expand=cardData`)
    "new_version",  # the card's successor id, or None (API: `expand=cardData`)
)


@dataclass
class ModelPage:
    """One listing page of one stream: the models it held, as feed records.

    `stream` names the stream ("tag:text-generation" or "author:google"); `page` is its 0-based page number;
    `next_page` is what the stream fetches next (cursor URL, page number) or None when the stream is done.
    """

    stream: str
    page: int
    url: str
    models: list[dict[str, Any]] = field(default_factory=list)
    next_page: str | int | None = None
    advertised_total: int | None = None
    source: str = "api"
    crawled_at: str = ""
    listed: int = 0  # models the page listed, before cleaning and dedup (set by the cleaning pipeline)
