"""Pure functions: a Hub response body -> records. No Scrapy state, no I/O; tested on real bodies.

Every parser returns raw feed records (dicts with every key of the feed, in order); the cleaning pipeline normalises
them in place.
A body that cannot be what it should be raises `ParseError` (retryable: truncated or not JSON) or `LayoutError`
(not retryable: the Hub answered, but in a shape this parser does not know, so a result would be wrong).
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from operator import itemgetter
from typing import Any
from urllib.parse import urlsplit

import orjson
from parsel import Selector

from hfcrawl.items import FEED_FIELDS

#: A parsed record has every feed key, in the feed's order; those a listing does not give are None.
EMPTY_RECORD = dict.fromkeys(FEED_FIELDS)


class ParseError(ValueError):
    """The body is not what the Hub sends (truncated, not JSON): worth retrying."""


class LayoutError(ValueError):
    """The Hub answered in a shape we do not understand: retrying will not help, and guessing would be wrong."""


# ---------------------------------------------------------------------------------------------------------------- API


def _api_record(item: dict[str, Any]) -> dict[str, Any]:
    get = item.get
    card = get("cardData")
    card_get = card.get if card.__class__ is dict else {}.get
    # one dict literal in the feed's key order: this runs once per model of a crawl
    return {
        "id": get("id") or get("modelId"),
        "author": get("author"),
        "name": None,
        "pipeline_tag": get("pipeline_tag"),
        "crawl_tag": None,
        "crawl_author": None,
        "downloads": get("downloads"),
        "likes": get("likes"),
        "created_at": get("createdAt"),
        "last_modified": get("lastModified"),
        "library_name": get("library_name"),
        "tags": get("tags"),
        "source": None,
        "crawled_at": None,
        "sha": get("sha"),
        "base_model": card_get("base_model"),
        "new_version": card_get("new_version"),
    }


def parse_api_models(body: bytes) -> list[dict[str, Any]]:
    """Records of one /api/models page (a JSON array of model objects).

    Raises ParseError for a body that is not a JSON array, LayoutError for items without an id.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"body is not JSON ({len(body)} bytes): {exc}") from None
    if not isinstance(data, list):
        raise ParseError(f"expected a JSON array of models, got {type(data).__name__}")
    if data and set(map(type, data)) != {dict}:
        _missing_id(data)
    # the page's records in one comprehension (the body of `_api_record`: no call a model, as this runs once per
    # model of a crawl); an item without an id is found afterwards, in one C-speed pass
    records = [{
        "id": item.get("id") or item.get("modelId"), "author": item.get("author"), "name": None,
        "pipeline_tag": item.get("pipeline_tag"), "crawl_tag": None, "crawl_author": None,
        "downloads": item.get("downloads"), "likes": item.get("likes"), "created_at": item.get("createdAt"),
        "last_modified": item.get("lastModified"), "library_name": item.get("library_name"), "tags": item.get("tags"),
        "source": None, "crawled_at": None, "sha": item.get("sha"),
        "base_model": card.get("base_model") if (card := item.get("cardData")).__class__ is dict else None,
        "new_version": card.get("new_version") if card.__class__ is dict else None,
    } for item in data]
    if not all(map(_ID_OF, records)):
        _missing_id(data)
    return records


_ID_OF = itemgetter("id")


def _missing_id(data: list[Any]) -> None:
    """LayoutError naming the first item of the page that is not an object with an id."""
    for position, item in enumerate(data):
        if not isinstance(item, dict) or not (item.get("id") or item.get("modelId")):
            raise LayoutError(f"item {position} of the page has no 'id': {str(item)[:120]}")


_LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?([^",;]+)"?')


def next_link(link_header: str | bytes | None) -> str | None:
    """The URL of rel="next" in a `Link` header (GitHub style), as given; None on the last page."""
    if not link_header:
        return None
    if isinstance(link_header, bytes):
        link_header = link_header.decode("latin-1")
    for url, rel in _LINK_RE.findall(link_header):
        if "next" in rel.split():
            return url.strip()
    return None


def parse_pipeline_tags(body: bytes) -> list[str]:
    """Task ids from /api/models-tags-by-type (the `pipeline_tag` kind), in the Hub's order."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"tag list is not JSON: {exc}") from None
    entries = data.get("pipeline_tag") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LayoutError("tag list has no 'pipeline_tag' array")
    tags = []
    for entry in entries:
        tag = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(tag, str) and tag:
            tags.append(tag)
    if not tags:
        raise LayoutError("tag list holds no pipeline tag")
    return tags


# --------------------------------------------------------------------------------------------------------------- HTML

_MODELLIST_TAG_RE = re.compile(rb"<[a-zA-Z][^>]*?\bdata-target=\"ModelList\"[^>]*>")
_DATA_PROPS_RE = re.compile(rb"\bdata-props=\"([^\"]*)\"")


_KNOWN_ENTITIES = re.compile(rb"&(?:quot|amp|lt|gt|#39|#x27|#34);")


def _unescape_attribute(value: bytes) -> bytes | str:
    """HTML-unescape an attribute value. The listing's JSON only uses a handful of entities: replace those at C
    speed (html.unescape took most of a page's parsing time); anything else goes through html.unescape."""
    if b"&" in _KNOWN_ENTITIES.sub(b"", value):
        return html.unescape(value.decode("utf-8"))
    return (value.replace(b"&quot;", b'"').replace(b"&#34;", b'"').replace(b"&#39;", b"'").replace(b"&#x27;", b"'")
            .replace(b"&lt;", b"<").replace(b"&gt;", b">").replace(b"&amp;", b"&"))


def _find_key(value: Any, key: str) -> Iterator[Any]:
    """Every value stored under `key` anywhere in a JSON value (the nesting of data-props is not documented)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            else:
                yield from _find_key(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _find_key(v, key)


def _html_record(item: dict[str, Any]) -> dict[str, Any]:
    record = _api_record(item)
    record["tags"] = None  # the web listing does not give a model's tags
    return record


#: First path segments of the Hub's own pages, which a card link to a model never starts with.
HUB_SECTIONS = frozenset({
    "api", "blog", "chat", "collections", "datasets", "docs", "join", "learn", "login", "models", "new",
    "notifications", "organizations", "papers", "posts", "pricing", "search", "settings", "spaces", "tasks",
})
_CARD_PATH_RE = re.compile(r"/([A-Za-z0-9_][A-Za-z0-9._-]*)(?:/([A-Za-z0-9_][A-Za-z0-9._-]*))?")


def _card_id(href: str, base_url: str | None = None) -> str | None:
    """The model id a card's link names: `/owner/name` (or a legacy `/name`) on the listing's own origin; None for
    anything else (another host, `/spaces/...`, `javascript:`, `#`, a path of another shape)."""
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc:
        if base_url is None or parts.scheme not in ("http", "https") or \
                (parts.scheme, parts.netloc.lower()) != _scheme_host(base_url):
            return None
    match = _CARD_PATH_RE.fullmatch(parts.path)
    if not match or match.group(1).lower() in HUB_SECTIONS:
        return None
    return "/".join(g for g in match.groups() if g)


def _scheme_host(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def parse_html_listing(body: bytes, base_url: str | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """Records and the advertised total (`numTotalItems`) of one /models?... web listing page.

    The `data-props` JSON of the `ModelList` element is read first; the cards' `article a[href]` are the fallback
    (only links to model pages on `base_url`'s origin, or relative ones, count).
    Raises LayoutError when the page has neither (the Hub changed its layout, or this is not a listing).
    """
    if b"</html>" not in body[-4096:].lower():
        raise ParseError(f"the page is cut short ({len(body)} bytes, no closing </html>)")
    tag = _MODELLIST_TAG_RE.search(body)
    if tag:
        props = _DATA_PROPS_RE.search(tag.group(0))
        if props:
            try:
                data = orjson.loads(_unescape_attribute(props.group(1)))
            except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ParseError(f"ModelList data-props is not JSON: {exc}") from None
            # where the Hub puts them today; anywhere else in the JSON otherwise (the nesting is not documented)
            known = data.get("initialValues") if isinstance(data, dict) else None
            if isinstance(known, dict) and isinstance(known.get("models"), list):
                models = known["models"]
                totals = [known["numTotalItems"]] if isinstance(known.get("numTotalItems"), int) else []
            else:
                models = next((m for m in _find_key(data, "models") if isinstance(m, list)), None)
                totals = [t for t in _find_key(data, "numTotalItems") if isinstance(t, int)]
            if models is not None:
                records = []
                for position, item in enumerate(models):
                    if not isinstance(item, dict) or not item.get("id"):
                        raise LayoutError(f"ModelList item {position} has no 'id'")
                    records.append(_html_record(item))
                return records, (totals[0] if totals else None)
    selector = Selector(text=body.decode("utf-8", "replace"))
    hrefs = selector.css("article a[href]::attr(href)").getall()
    if not hrefs:
        if selector.css("article"):
            raise LayoutError("the page has cards but no model link in them")
        raise LayoutError("the page has neither a ModelList data-props nor model cards")
    records = []
    seen: set[str] = set()
    for href in hrefs:
        model_id = _card_id(href, base_url)
        if model_id and model_id not in seen:
            seen.add(model_id)
            record = EMPTY_RECORD.copy()
            record["id"] = model_id
            records.append(record)
    if not records:
        raise LayoutError(f"none of the page's {len(hrefs)} card links is a model page of this Hub")
    total_match = re.search(rb"&quot;numTotalItems&quot;:(\d+)|\"numTotalItems\":(\d+)", body)
    total = int(next(g for g in total_match.groups() if g)) if total_match else None
    return records, total


# -------------------------------------------------------------------------------------------------- repositories
# One model's git repository (docs/hub-api.md section 7): refs, a page of commits, the card's lineage fields.


def _json_body(body: bytes, what: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"{what} is not JSON ({len(body)} bytes): {exc}") from None


def _ref_names(entries: Any, kind: str) -> list[str]:
    if entries is None:
        return []
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("name"), str)
                                                for e in entries):
        raise LayoutError(f"refs: '{kind}' is not a list of named refs")
    return [e["name"] for e in entries]


def parse_refs(body: bytes) -> dict[str, Any]:
    """`branches` and `tags` (names, in the Hub's order) and `sha` (head of `main`, None without a main branch)
    of a `/api/models/{id}/refs` body."""
    data = _json_body(body, "refs")
    if not isinstance(data, dict) or "branches" not in data:
        raise LayoutError(f"refs: expected an object with 'branches', got {str(data)[:120]}")
    branches = _ref_names(data["branches"], "branches")
    main = next((e for e in data["branches"] if e["name"] == "main"), None)
    sha = main.get("targetCommit") if main else None
    return {"branches": branches, "tags": _ref_names(data.get("tags"), "tags"),
            "sha": sha if isinstance(sha, str) else None}


def _commit(item: Any, position: int) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise LayoutError(f"commit {position} of the page has no 'id': {str(item)[:120]}")
    authors = item.get("authors") if isinstance(item.get("authors"), list) else []
    names = [a.get("user") if isinstance(a, dict) else a for a in authors]
    return {"id": item["id"], "date": item.get("date"), "title": item.get("title"),
            "authors": [n for n in names if isinstance(n, str) and n]}


def parse_commits(body: bytes) -> list[dict[str, Any]]:
    """Commits of one `/api/models/{id}/commits/{rev}` page, newest first: `{id, date, title, authors}` each,
    authors as user names (the message and avatars are left out: the feed keeps what a versioning study reads)."""
    data = _json_body(body, "commits page")
    if not isinstance(data, list):
        raise LayoutError(f"commits: expected a JSON array, got {type(data).__name__}")
    return [_commit(item, position) for position, item in enumerate(data)]


def total_count(header: str | bytes | None) -> int | None:
    """The `x-total-count` header as an int (None when absent or not a count)."""
    if header is None:
        return None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    text = text.strip()
    return int(text) if text.isdigit() else None


def card_lineage(card_data: Any, tags: Any) -> dict[str, Any]:
    """`base_model` (ids from the card's `base_model` and the `base_model:[relation:]id` tags, card first, each
    once) and `new_version` (the card's successor id, or None) of one model."""
    card = card_data if isinstance(card_data, dict) else {}
    declared = card.get("base_model")
    ids = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, str) and tag.startswith("base_model:"):
            ids.append(tag.rpartition(":")[2])
    clean = [i.strip() for i in ids if isinstance(i, str) and i.strip()]
    successor = card.get("new_version")
    successor = successor.strip() if isinstance(successor, str) and successor.strip() else None
    return {"base_model": list(dict.fromkeys(clean)), "new_version": successor}


def parse_model_card(body: bytes) -> dict[str, Any]:
    """Lineage fields (see `card_lineage`) and `sha` of a `/api/models/{id}` body (model info)."""
    data = _json_body(body, "model info")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise LayoutError(f"model info: expected an object with an 'id', got {str(data)[:120]}")
    fields = card_lineage(data.get("cardData"), data.get("tags"))
    fields["sha"] = data.get("sha") if isinstance(data.get("sha"), str) else None
    return fields
