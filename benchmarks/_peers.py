"""The peers the crawler is measured against; each runs as its own process (see bench_crawl.py).

    python -m benchmarks._peers hfhub --endpoint URL --tags a,b --out ids.tsv
    python -m benchmarks._peers bs4   --endpoint URL --tags a,b --out ids.tsv

Each writes ``tag<TAB>id`` lines to --out and prints one JSON line: models, requests (as the peer counts them),
per-tag counts.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

NUM_TOTAL_RE = re.compile(r"&quot;numTotalItems&quot;:(\d+)")


def peer_hfhub(endpoint: str, tags: list[str], out) -> dict:
    """huggingface_hub's own way: `HfApi().list_models(pipeline_tag=T, expand=...)` for each tag (cursor
    pagination), asking the fields the crawler's feed holds (`hfcrawl.hub.API_EXPAND`: sha and cardData among them),
    so that both make the hub do the same work."""
    from hfcrawl.hub import API_EXPAND

    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ["HF_ENDPOINT"] = endpoint
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint)
    per_tag = {}
    for tag in tags:
        n = 0
        for m in api.list_models(pipeline_tag=tag, expand=list(API_EXPAND)):
            out.write(f"{tag}\t{m.id}\n")
            n += 1
        per_tag[tag] = n
    return {"per_tag": per_tag}


def peer_bs4(endpoint: str, tags: list[str], out, parser: str = "html.parser") -> dict:
    """The study's way: sequential `requests.get` of /models?pipeline_tag=T&sort=trending&p=N, BeautifulSoup over
    the cards, reading each card's id, until numTotalItems ids were read (or a page has no cards)."""
    import requests
    from bs4 import BeautifulSoup

    per_tag, requests_made = {}, 0
    for tag in tags:
        ids, total, p = [], None, 0
        while total is None or len(ids) < total:
            r = requests.get(f"{endpoint}/models", params={"pipeline_tag": tag, "sort": "trending", "p": p},
                             timeout=60)
            requests_made += 1
            r.raise_for_status()
            if total is None:
                m = NUM_TOTAL_RE.search(r.text)
                total = int(m.group(1)) if m else 0
            soup = BeautifulSoup(r.text, parser)
            cards = soup.find_all("article", class_="overview-card-wrapper")
            if not cards:
                break
            for card in cards:
                h4 = card.find("h4")
                ids.append(h4.get_text(strip=True) if h4 else card.find("a")["href"].strip("/"))
            p += 1
        for i in ids:
            out.write(f"{tag}\t{i}\n")
        per_tag[tag] = len(ids)
    return {"per_tag": per_tag, "requests": requests_made}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("peer", choices=("hfhub", "bs4"))
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--tags", required=True, help="comma-separated task tags")
    ap.add_argument("--out", required=True)
    ap.add_argument("--bs4-parser", default="html.parser")
    a = ap.parse_args(argv)
    tags = [t for t in a.tags.split(",") if t]
    t0 = time.perf_counter()
    with open(a.out, "w", encoding="utf-8") as out:
        if a.peer == "hfhub":
            res = peer_hfhub(a.endpoint, tags, out)
        else:
            res = peer_bs4(a.endpoint, tags, out, a.bs4_parser)
    res["models"] = sum(res["per_tag"].values())
    res["seconds"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
