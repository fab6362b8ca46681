"""The replay hub's core: everything but the sockets. One request goes through named steps:

``classify`` (route and rate-limit bucket) -> ``_admit`` (count it; rate limits and 429s; which faults fire) ->
``_fault_reply`` (faults that replace the answer) -> ``_answer`` (the route's own answer) -> ``_apply_body_faults``
(faults that alter a good answer). Control routes (``/_replay/*``) bypass all of it and are not counted.
"""
from __future__ import annotations

import html
import os
import re
import threading
import time
from collections import Counter
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import numpy as np
import orjson

from .cache import PageCache
from .faults import Fault, FaultCounters, Faults
from .ratelimit import RateLimits
from .render_api import API_SORTS, EXPAND_KEYS, MAX_LIMIT, SORT_ALIASES, model_info, render_api, tags_by_type_payload
from .render_html import HTML_SORTS, PAGE_SIZE_HTML, PageRenderer
from .render_js import js_page
from .reply import ERROR_PAGE, HTML, BadRequest, Reply, json_error
from .repos import RepoHistories
from .universe import Universe
from .views import View, decode_cursor, encode_cursor

_NOT_FOUND_PAGE = (b"<!DOCTYPE html><html><body><h1>404</h1><p>Sorry, we can't find the page you are "
                   b"looking for.</p></body></html>")
_HOME_PAGE = (b"<!DOCTYPE html><html><head><title>Hugging Face replay</title></head><body>"
              b"<a href=\"/models\">Models</a></body></html>")


def classify(path: str) -> tuple[str, str]:
    """(route, rate-limit bucket) of a path: route is api, tags, repo (/api/models/{id}...), html, json, js or
    other."""
    if path.startswith("/api/"):
        route = "api" if path.rstrip("/") == "/api/models" else "tags"
        if route == "tags" and not path.startswith("/api/models-tags-by-type"):
            route = "repo" if path.startswith("/api/models/") else "other"
        return route, "api"
    if path in ("/models", "/models/"):
        return "html", "pages"
    if path == "/models-json":
        return "json", "pages"
    if path == "/models-js":
        return "js", "pages"
    return "other", "pages"


def query_params(query: str) -> dict[str, list[str]]:
    """``{name: [values]}`` of a query string, blank values kept."""
    params: dict[str, list[str]] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        params.setdefault(k, []).append(v)
    return params


def _one(params: dict, name: str) -> str | None:
    v = params.get(name)
    return v[0] if v else None


class HubCore:
    """Everything but the sockets: routing, rendering, faults, rate limits, stats."""

    def __init__(self, universe: Universe, faults: Faults | None = None, seed: int = 0,
                 quota: int | dict | None = None, window: int = 300, base_url: str = ""):
        self.u = universe
        self.seed = seed
        self.base_url = base_url
        self.limits = RateLimits(quota, window)
        self.lock = threading.Lock()
        self.repos = RepoHistories(universe)  # /api/models/{id}/refs, /commits/{rev}, model info (hubreplay.repos)
        self.set_faults(faults if faults is not None else Faults(seed=seed))
        self.reset_stats()
        self._tags_payload: dict | None = None
        self.pages = PageRenderer(universe)
        self.page_cache = PageCache()  # rendered /api/models pages (hubreplay.cache)

    # -- state
    def set_faults(self, faults: Any):
        """Replace the fault rules (a Faults, rules, or their JSON); their counters start at zero."""
        f = Faults.parse(faults)
        with self.lock:
            self.faults = f
            self.counters = FaultCounters(f)

    def reset_stats(self):
        """Zero the stats, the fault counters and the rate-limit windows."""
        with self.lock:
            self._stats = {
                "requests": 0, "by_route": Counter(), "by_stream": Counter(), "statuses": Counter(),
                "sent_429": 0, "early_requests": 0, "early_requests_after_grace": 0, "authorization": Counter(),
                "user_agents": Counter(), "faults_fired": Counter(), "bytes_sent": 0, "items_sent": 0,
                "inflight": 0, "max_inflight": 0, "cursors_followed": 0, "bad_requests": 0,
            }
            self.limits.reset()
            if hasattr(self, "repos"):
                self.repos.requests.clear()
            self._cpu0 = time.process_time()
            self._wall0 = time.time()
            if hasattr(self, "faults"):
                self.counters = FaultCounters(self.faults)

    def stats(self) -> dict:
        """The counters since the last reset, plus the process's CPU, wall time and memory (see the package doc)."""
        with self.lock:
            s = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self._stats.items()}
        s["cpu_seconds"] = round(time.process_time() - self._cpu0, 4)
        s["wall_seconds"] = round(time.time() - self._wall0, 4)
        s["faults"] = self.faults.to_json()
        s["repos"] = self.repos.stats()
        s["page_cache"] = self.page_cache.stats()
        s["models"] = self.u.N * self.u.K
        s["multiply"] = self.u.K
        s["pid"] = os.getpid()
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith(("VmRSS", "VmHWM")):
                        s[line.split(":")[0].lower() + "_kb"] = int(line.split()[1])
        except OSError:
            pass
        return s

    # -- one request
    def handle(self, method: str, target: str, headers=None, body: bytes = b"") -> Reply:
        """Answer one request. `headers`: any mapping with a case-insensitive .get (or a dict)."""
        if headers is None:
            headers = {}
        now = time.time()
        parts = urlsplit(target)
        path, query = parts.path, parts.query
        params = query_params(query)
        if path.startswith("/_replay/"):
            rep = self._control(method, path, params, body)
            rep.action = "control"  # not counted in the stats
            return rep
        route, bucket = classify(path)
        refused, fired, r_left, t_reset = self._admit(route, bucket, path, params, headers, now)
        if refused is not None:
            return refused
        rlh = self.limits.headers(bucket, r_left, t_reset)
        kinds = {f.kind: f for f in fired}
        rep = self._fault_reply(route, target, kinds)
        if rep is not None:
            if rep.action != "drop":
                rep.headers += rlh
            return rep
        rep = self._answer(route, method, path, query, params, kinds)
        rep.headers += rlh
        return _apply_body_faults(rep, route, kinds)

    def _admit(self, route, bucket, path, params, headers, now) -> tuple[Reply | None, list[Fault], int, int]:
        """Count the request; returns (a 429 or None, the faults that fire, rate-limit remaining, reset)."""
        with self.lock:
            st = self._stats
            self._count_request(st, route, params, headers)
            early = self.limits.is_early(bucket, now)
            if early:
                st["early_requests"] += 1
                if self.limits.after_grace(bucket, now):
                    st["early_requests_after_grace"] += 1
            r_left, t_reset, exceeded = self.limits.count(bucket, now)
            # a request that arrives before the announced reset gets 429 again and does not count for faults
            fired = [] if early else self.counters.firing(route, path, params)
            for f in fired:
                st["faults_fired"][f.kind] += 1
            burst = next((f for f in fired if f.kind == "burst429"), None)
            if early or exceeded or burst:
                st["sent_429"] += 1
                return self.limits.refuse(bucket, now, burst, early, t_reset), fired, r_left, t_reset
        return None, fired, r_left, t_reset

    @staticmethod
    def _count_request(st: dict, route: str, params: dict, headers) -> None:
        st["requests"] += 1
        st["by_route"][route] += 1
        if params.get("pipeline_tag"):
            st["by_stream"]["tag:" + params["pipeline_tag"][0]] += 1
        elif params.get("author"):
            st["by_stream"]["author:" + params["author"][0]] += 1
        if "cursor" in params:
            st["cursors_followed"] += 1
        auth = headers.get("Authorization")
        if auth:
            st["authorization"][auth] += 1
        st["user_agents"][(headers.get("User-Agent") or "")[:80]] += 1

    def _fault_reply(self, route: str, target: str, kinds: dict[str, Fault]) -> Reply | None:
        """The answer of a fault that replaces the route's answer (drop, error, offsite redirect, non-JSON)."""
        if "drop" in kinds:
            rep = Reply()
            rep.action = "drop"
            return rep
        if "error" in kinds:
            f = kinds["error"]
            sts = f.status if isinstance(f.status, list) else [f.status]
            code = sts[self.counters.times_fired(f) % len(sts)]
            if route == "api":
                return json_error(code, "Internal Error - We're working hard to fix this as soon as possible!")
            return Reply(code, ERROR_PAGE, HTML)
        if "offsite_redirect" in kinds:
            base = kinds["offsite_redirect"].base_url
            rep = Reply(302, b"Found. Redirecting to " + base.encode(), "text/plain")
            rep.headers.append(("Location", base.rstrip("/") + target))
            return rep
        if "nonjson" in kinds:
            return Reply(200, ERROR_PAGE, HTML)
        return None

    def _answer(self, route, method, path, query, params, kinds) -> Reply:
        """The route's answer; a BadRequest becomes a 400 (JSON or HTML, as the route speaks)."""
        try:
            return self._route(route, method, path, query, params, kinds)
        except BadRequest as e:
            with self.lock:
                self._stats["bad_requests"] += 1
            if route in ("api", "tags", "json"):
                return json_error(400, str(e))
            return Reply(400, f"<!DOCTYPE html><html><body><h1>400</h1><p>{html.escape(str(e))}</p></body></html>"
                         .encode(), HTML)

    # -- socket-side accounting
    def note_sent(self, rep: Reply):
        if rep.action == "control":
            return
        with self.lock:
            st = self._stats
            if rep.action == "drop":
                st["statuses"]["dropped"] += 1
            else:
                st["statuses"][str(rep.status)] += 1
                st["bytes_sent"] += len(rep.body)

    def enter(self):
        with self.lock:
            self._stats["inflight"] += 1
            self._stats["max_inflight"] = max(self._stats["max_inflight"], self._stats["inflight"])

    def leave(self):
        with self.lock:
            self._stats["inflight"] -= 1

    # -- control routes
    def _control(self, method, path, params, body: bytes) -> Reply:
        if path == "/_replay/stats":
            return Reply(200, orjson.dumps(self.stats()))
        if path == "/_replay/reset" and method == "POST":
            self.reset_stats()
            return Reply(200, b'{"ok":true}')
        if path == "/_replay/faults":
            if method == "POST":
                try:
                    self.set_faults(body or b"[]")
                except (ValueError, TypeError) as e:
                    return json_error(400, f"bad faults: {e}")
            return Reply(200, orjson.dumps(self.faults.to_json()))
        if path == "/_replay/expected":
            v = self._view_from(params, api=True)
            out = {"count": v.n}
            if params.get("ids", ["0"])[0] in ("1", "true"):
                out["ids"] = self.u.model_ids(v.take(0, v.n).tolist())
            return Reply(200, orjson.dumps(out))
        if path == "/_replay/info":
            return Reply(200, orjson.dumps({"models": self.u.N * self.u.K, "base_models": self.u.N,
                                            "multiply": self.u.K, "tags": self.u.task_names,
                                            "orgs": self.u.org_names, "url": self.base_url,
                                            "startup_seconds": self.u.startup_seconds,
                                            "sources": dict(self.u.sources)}))
        return json_error(404, "unknown control route")

    # -- routes
    def _route(self, route, method, path, query, params, kinds) -> Reply:
        if method not in ("GET", "HEAD"):
            return json_error(405, "method not allowed")
        if route == "api":
            return self._api_models(query, params, kinds)
        if route == "tags":
            return self._tags_by_type(params)
        if route in ("html", "json", "js"):
            return self._pages(route, params, kinds)
        if path == "/":
            return Reply(200, _HOME_PAGE, HTML)
        if path == "/api/whoami-v2":
            return json_error(401, "Invalid credentials in Authorization header")
        found = self.repos.answer(path, params, self.base_url, partial(model_info, self.u, self.repos))
        if found is not None:
            return Reply(found[0], found[1], headers=found[2])
        m = re.fullmatch(r"/api/models/(.+)", path)
        if m:
            return self._api_model(unquote(m.group(1)))
        return Reply(404, _NOT_FOUND_PAGE, HTML)

    def _view_from(self, params, api: bool, sort_param: str | None = None) -> View:
        """The view a listing request asks for (the HTML listing also takes library/language/... filters)."""
        sort = sort_param or "trendingScore"
        filters = list(params.get("filter", []))
        if not api:
            for name in ("library", "language", "other", "license"):
                filters += [x for v in params.get(name, []) for x in v.split(",") if x]
        return self.u.view(pipeline_tag=_one(params, "pipeline_tag") or None, author=_one(params, "author") or None,
                           search=params.get("search", []), filters=filters, sort=sort)

    def _api_model(self, model_id: str) -> Reply:
        """GET /api/models/<id>: one item with the ``full`` keys, or 404."""
        b = self.u.index.get(model_id)
        if b is None:
            return json_error(404, "Repository not found")
        return Reply(200, render_api(self.u, np.asarray([b]), self.u.view(), None, True, False)[1:-1])

    def _api_models(self, query, params, kinds) -> Reply:
        """GET /api/models: one page of a listing, and a Link header to the next one."""
        sort, limit, expand, full = _api_options(params)
        view = self._view_from(params, api=True, sort_param=sort)
        start = decode_cursor(params["cursor"][-1], view, sort) if params.get("cursor") else 0
        V = view.take(start, start + limit)
        key = (_view_key(params, sort), start, limit, tuple(sorted(set(expand))) if expand else None, full,
               "noid" in kinds)
        body = self.page_cache.get(key)
        if body is None:
            body = render_api(self.u, V, view, expand or None, full, "noid" in kinds)
            self.page_cache.put(key, body)
        rep = Reply(200, body)
        with self.lock:
            self._stats["items_sent"] += len(V)
        end = start + len(V)
        if end < view.n and len(V):
            cur = encode_cursor(self.u, view, end - 1, int(V[-1]), sort, params)
            q = "&".join(p for p in query.split("&") if p and not p.startswith("cursor="))
            if not params.get("sort"):
                q += ("&" if q else "") + "sort=trendingScore"
            base = kinds["offsite_link"].base_url.rstrip("/") if "offsite_link" in kinds else self.base_url
            rep.headers.append(("Link", f"<{base}/api/models?{q}{'&' if q else ''}cursor={cur}>; rel=\"next\""))
        return rep

    def _tags_by_type(self, params) -> Reply:
        if self._tags_payload is None:
            self._tags_payload = tags_by_type_payload(self.u)
        typ = params.get("type")
        if typ:
            if typ[0] not in self._tags_payload:
                raise BadRequest(f"Invalid type: {typ[0]!r}")
            return Reply(200, orjson.dumps({typ[0]: self._tags_payload[typ[0]]}))
        return Reply(200, orjson.dumps(self._tags_payload))

    def _pages(self, route, params, kinds) -> Reply:
        """/models (HTML), /models-json and /models-js: page ``p`` (0-based) of 30 cards."""
        ps = params.get("p", ["0"])[0] or "0"
        try:
            page = int(ps)
        except ValueError:
            raise BadRequest(f"Invalid page {ps!r}") from None
        if page < 0:
            raise BadRequest("Invalid page")
        if route == "js":
            return Reply(200, js_page(self.pages, params), HTML)
        sort = HTML_SORTS.get((params.get("sort") or ["trending"])[0], "trendingScore")
        view = self._view_from(params, api=False, sort_param=sort)
        V = view.take(page * PAGE_SIZE_HTML, (page + 1) * PAGE_SIZE_HTML)
        frags = self.pages.card_frags(V)
        with self.lock:
            self._stats["items_sent"] += len(V)
        if route == "json":
            with_count = (params.get("withCount") or ["false"])[0].lower() in ("true", "1")
            return Reply(200, self.pages.json_page(frags, view.n, page, with_count))
        if "layout" in kinds:
            return Reply(200, self.pages.layout_changed_page([orjson.loads(f[0]) for f in frags], params), HTML)
        return Reply(200, self.pages.html_page(frags, view.n, page, params), HTML)


def _view_key(params: dict, sort: str) -> tuple:
    """What the view of an API listing depends on (see `HubCore._view_from`)."""
    return (_one(params, "pipeline_tag") or None, _one(params, "author") or None,
            tuple(s.lower() for s in params.get("search", []) if s), tuple(f for f in params.get("filter", []) if f),
            sort)


def _api_options(params) -> tuple[str, int, list[str], bool]:
    """(sort, limit, expand keys, full) of an /api/models request; BadRequest for values the Hub refuses."""
    sort = (params.get("sort") or ["trendingScore"])[0] or "trendingScore"
    sort = SORT_ALIASES.get(sort, sort)
    if sort not in API_SORTS:
        raise BadRequest(f"Invalid sort parameter: {sort!r}; expected one of {', '.join(API_SORTS)}")
    lim = params.get("limit")
    if lim is None:
        limit = MAX_LIMIT
    else:
        try:
            limit = int(lim[0])
        except ValueError:
            raise BadRequest(f"\"limit\" must be an integer, got {lim[0]!r}") from None
        if limit <= 0:
            raise BadRequest("\"limit\" must be a positive integer")
        limit = min(limit, MAX_LIMIT)
    expand = params.get("expand", []) + params.get("expand[]", [])
    for e in expand:
        if e not in EXPAND_KEYS:
            raise BadRequest(f"Invalid expand value: \"{e}\". Expected one of {', '.join(EXPAND_KEYS)}")
    full = (params.get("full") or ["false"])[0].lower() in ("true", "1")
    return sort, limit, expand, full


def _apply_body_faults(rep: Reply, route: str, kinds: dict[str, Fault]) -> Reply:
    """Faults that alter a good answer: padding (huge), a repository's JSON in another shape (layout: wrapped in
    an object, as an API that moved its answers under a key), a cut body (truncate), a delay (slow)."""
    if "huge" in kinds and rep.status == 200:
        pad = int(kinds["huge"].size_mb * 1024 * 1024)
        rep.body = rep.body + (b" " * pad if route != "html" else b"<!--" + b"x" * pad + b"-->")
    if "layout" in kinds and route == "repo" and rep.status == 200:
        rep.body = b'{"data":' + rep.body + b"}"
    if "truncate" in kinds and rep.status == 200:
        f = kinds["truncate"]
        cut = max(1, int(len(rep.body) * f.fraction))
        if f.dataloss:
            rep.content_length = len(rep.body)
            rep.action = "dataloss"
        rep.body = rep.body[:cut]
    if "slow" in kinds:
        rep.delay = kinds["slow"].delay
    return rep
