"""Where a feed came from: the record of its crawl, kept beside it, and the kind of hub that answered.

The one home of the contract between the crawler, the replay hub and the analysis:
- a crawl writes its record (the crawl report) to `record_path(feed)`, beside the feed it wrote, and only when it
  wrote that feed; a run that writes no feed leaves every record untouched;
- the replay hub names itself on every response with `REPLAY_HEADER`, so a feed it served is known as synthetic;
- the analysis finds the record of each input it reads with `find_record`, whatever the feed's file name.

Imports nothing of Scrapy: the analysis reads records without the crawler.
"""
from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The response header the replay hub sends on every answer (its value: `hubreplay/<version>`).
REPLAY_HEADER = "X-Replay-Hub"

#: A feed `output/models.jsonl` (or `.jsonl.gz`) has its record in `output/models.crawl.json`.
RECORD_SUFFIX = ".crawl.json"

#: Hosts of the real Hub.
HUB_HOSTS = ("huggingface.co", "hf.co")

#: The kinds of origin a record can name; only `hub` is real Hub data, `replay-hub` is synthetic.
ORIGIN_KINDS = ("hub", "replay-hub", "loopback", "other")


def record_path(feed: Path) -> Path:
    """The record of `feed`: `models.jsonl`, `models.jsonl.gz`, `models.json` -> `models.crawl.json`."""
    name = feed.name
    for suffix in (".gz", ".jsonl", ".json", ".jl"):
        name = name.removesuffix(suffix)
    return feed.with_name(name + RECORD_SUFFIX)


def origin(endpoint: str, replay_server: str | None = None) -> dict[str, Any]:
    """What answered a crawl: `replay-hub` when it sent REPLAY_HEADER (its value is `replay_server`), `hub` for the
    real Hub's hosts, `loopback` for any other server on this machine (not the replay hub: unknown data), `other`
    for anything else (a mirror, a proxy). `synthetic` is true only for the replay hub."""
    host = (urlsplit(endpoint).hostname or "").lower()
    if replay_server:
        kind = "replay-hub"
    elif host in HUB_HOSTS or host.endswith(tuple("." + h for h in HUB_HOSTS)):
        kind = "hub"
    elif _is_loopback(host):
        kind = "loopback"
    else:
        kind = "other"
    return {"kind": kind, "endpoint": endpoint, "server": replay_server, "synthetic": kind == "replay-hub"}


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: A crawl record is a few kilobytes; a larger JSON file beside a feed is something else and is not read.
MAX_RECORD_BYTES = 4 << 20


def _read(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            return None
        record = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _names_feed(record: dict[str, Any], feed: Path) -> bool:
    named = record.get("feed")
    if not isinstance(named, str) or not named:
        return False
    named_path = Path(named)
    if named_path.is_absolute():
        try:
            return named_path.resolve() in (feed.resolve(), feed.resolve().with_name(feed.name.removesuffix(".gz")))
        except OSError:
            return False
    return named_path.name in (feed.name, feed.name.removesuffix(".gz"))


def find_record(feed: Path) -> tuple[Path, dict[str, Any]] | None:
    """(path, record) of the crawl that wrote `feed`: `record_path(feed)` first, then any other JSON file beside the
    feed whose `feed` field names it (records written under another name, `-s HFCRAWL_REPORT=...`); None when no
    record names this feed."""
    own = record_path(feed)
    if (record := _read(own)) is not None and _names_feed(record, feed):
        return own, record
    try:
        others = sorted(p for p in feed.parent.glob("*.json") if p != own)
    except OSError:
        return None
    for path in others:
        if (record := _read(path)) is not None and _names_feed(record, feed):
            return path, record
    return None
