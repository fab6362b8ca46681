"""A small hostile Hub (stdlib http.server on 127.0.0.1): each behaviour answers a few routes the way a broken or
malicious server would, so that a real `scrapy crawl` can be pointed at it.

`HostileHub(behaviour, **options)` is a context manager; `.url` is its base URL, `.requests` the (time, path) of
every request it got. Behaviours:

- `self_link`: every /api/models page holds the same two models and a `Link` next to the page just read;
- `retry_after`: the first /api/models request gets a 429 with `Retry-After: <value>`, the next ones one last page;
- `ratelimit_200`: a page with `RateLimit: "api";r=0;t=<t>` and a next page;
- `html_repeat`: every /models page holds the same 30 cards and advertises `numTotalItems` 1,000,000;
- `cards_no_total`: every /models page holds the same cards (no data-props, no total);
- `offsite_link`: the first page's `Link` next points to another host, the pages after it are normal.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TAGS = {"pipeline_tag": [{"id": "fill-mask"}, {"id": "graph-ml"}]}


def _models(prefix: str, n: int) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}/model-{i}", "pipeline_tag": "fill-mask", "downloads": i} for i in range(n)]


def _cards_page(ids: list[str], total: int | None) -> bytes:
    props = "" if total is None else (
        '<div data-target="ModelList" data-props="' + json.dumps(
            {"initialValues": {"models": [{"id": i} for i in ids], "numTotalItems": total}}).replace('"', "&quot;")
        + '"></div>')
    cards = "".join(f'<article><a href="/{i}">{i}</a></article>' for i in ids)
    return f"<!DOCTYPE html><html><body>{props}{cards}</body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    hub: HostileHub

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        hub = self.hub
        hub.requests.append((time.monotonic(), self.path))
        parts = urlsplit(self.path)
        if parts.path.startswith("/api/models-tags-by-type"):
            return self.reply(200, json.dumps(TAGS).encode())
        status, body, headers = getattr(self, "on_" + hub.behaviour)(parts.path, parse_qs(parts.query))
        self.reply(status, body, headers)

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        ctype = "text/html" if body.startswith(b"<!DOCTYPE") else "application/json"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def on_self_link(self, path: str, query: dict) -> tuple[int, bytes, dict]:
        return 200, json.dumps(_models("loop", 2)).encode(), {"Link": f'<{self.hub.url}{self.path}>; rel="next"'}

    def on_retry_after(self, path: str, query: dict) -> tuple[int, bytes, dict]:
        if sum(p.startswith("/api/models?") for _, p in self.hub.requests) == 1:
            return 429, b'{"error": "rate limited"}', {"Retry-After": self.hub.options["value"]}
        return 200, json.dumps(_models("after", 3)).encode(), {}

    def on_ratelimit_200(self, path: str, query: dict) -> tuple[int, bytes, dict]:
        headers = {"RateLimit": f'"api";r=0;t={self.hub.options["t"]}', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
        if "cursor" not in query:
            headers["Link"] = f'<{self.hub.url}/api/models?cursor=2>; rel="next"'
        return 200, json.dumps(_models("first" if "cursor" not in query else "second", 2)).encode(), headers

    def on_html_repeat(self, path: str, query: dict) -> tuple[int, bytes, dict]:
        return 200, _cards_page([f"same/model-{i}" for i in range(30)], 1_000_000), {}

    def on_cards_no_total(self, path: str, query: dict) -> tuple[int, bytes, dict]:
        return 200, _cards_page([f"same/model-{i}" for i in range(30)], None), {}

    def on_offsite_link(self, path: str, query: dict) -> tuple[int, bytes, dict]:
        if "cursor" in query:
            return 200, json.dumps(_models("second", 2)).encode(), {}
        target = self.hub.options.get("next", "http://elsewhere.invalid:9/api/models?cursor=2")
        return 200, json.dumps(_models("first", 2)).encode(), {"Link": f'<{target}>; rel="next"'}


class HostileHub:
    def __init__(self, behaviour: str, **options: Any):
        if not hasattr(_Handler, "on_" + behaviour):
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.behaviour = behaviour
        self.options = options
        self.requests: list[tuple[float, str]] = []
        handler = type("Handler", (_Handler,), {"hub": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HostileHub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
