"""Where the Hub is and how to talk to it: base URL, token, URLs of the listings.

As in huggingface_hub, the base URL comes from `HF_ENDPOINT` and the token from `HF_TOKEN`. The token is read from
the environment only when a request is about to leave (see `middlewares.HubAuthMiddleware`), never stored in
settings, so Scrapy's settings dump, stats, JOBDIR and feed never see it.
"""
from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

DEFAULT_ENDPOINT = "https://huggingface.co"

#: Fields asked of /api/models with `expand`; with expand, the Hub returns only `_id`, `id` and these.
API_EXPAND = (
    "author",
    "pipeline_tag",
    "downloads",
    "likes",
    "createdAt",
    "lastModified",
    "library_name",
    "tags",
    "sha",  # lets `scrapy crawl repos -a since=...` skip repositories that did not change
    "cardData",  # base_model / new_version: saves the repos crawl one model-info call per repository
)

#: Cards per page of the web listing (the Hub's `numItemsPerPage`).
HTML_PAGE_SIZE = 30

# A tag or an author only ever goes into a query string, but we still refuse anything that does not look like one:
# a value from the command line or from the Hub must not smuggle in query syntax or path pieces.
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")


def endpoint_from_env(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The Hub's base URL, without a trailing slash; ValueError (one line, never echoing a password) for anything
    that is not http(s)://host[:port]."""
    env = os.environ if environ is None else environ
    url = (env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).strip().rstrip("/")
    shown = redact(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"HF_ENDPOINT={shown!r} is not a base URL like https://huggingface.co")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"HF_ENDPOINT={shown!r} holds credentials: give the base URL alone, and the token in HF_TOKEN")
    try:
        _ = parts.port  # raises on a port that is not a number from 1 to 65535
    except ValueError:
        raise ValueError(f"HF_ENDPOINT={shown!r} has a port that is not a number from 1 to 65535") from None
    if parts.query or parts.fragment:
        raise ValueError(f"HF_ENDPOINT={shown!r} has a query or fragment: give the base URL alone")
    return url


def redact(url: str) -> str:
    """The URL with any `user:password@` replaced by `***@`: what may be shown in a message or a log."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*@", lambda m: f"{m.group(1) or ''}//***@", url)


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL: what must match for a request to count as going to the Hub."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme, (parts.hostname or "").lower(), port)


def is_valid_name(value: str) -> bool:
    """True for a plausible task tag or author name."""
    return bool(_TAG_RE.fullmatch(value))


def api_listing_url(endpoint: str, *, tag: str | None = None, author: str | None = None, limit: int = 1000) -> str:
    """First page of /api/models for a tag or an author; later pages come from the `Link` header as given."""
    params: list[tuple[str, str | int]] = []
    if tag is not None:
        params.append(("pipeline_tag", tag))
    if author is not None:
        params.append(("author", author))
    params.append(("limit", limit))
    params.extend(("expand", field) for field in API_EXPAND)
    return f"{endpoint}/api/models?{urlencode(params)}"


def html_listing_url(endpoint: str, page: int, *, tag: str | None = None, author: str | None = None,
                     path: str = "/models") -> str:
    """Page `page` (0-based, as on the Hub) of the web listing, sorted by trending as the study did."""
    params: list[tuple[str, str | int]] = []
    if tag is not None:
        params.append(("pipeline_tag", tag))
    if author is not None:
        params.append(("author", author))
    params.append(("sort", "trending"))
    if page:
        params.append(("p", page))
    return f"{endpoint}{path}?{urlencode(params)}"


def tags_url(endpoint: str) -> str:
    return f"{endpoint}/api/models-tags-by-type?type=pipeline_tag"


def splash_url(settings: Any) -> str | None:
    """The Splash server that renders the HTML listing: SPLASH_URL from the settings or the environment, or None."""
    url = settings.get("SPLASH_URL") or os.environ.get("SPLASH_URL") or None
    return url.rstrip("/") if url else None
