"""A local replay of the Hugging Face Hub model listings, for tests, benchmarks and crawls by hand.

In the spirit of Scrapy's ``tests/mockserver.py``: a small HTTP server (stdlib ``ThreadingHTTPServer``, HTTP/1.1
keep-alive) that answers like the Hub (see ``../shared/docs/hub-api.md``) from the study's real lists
(``../shared/data/seed-2024-02/lists``), enriched with real values from ``../shared/data/hub-snapshots`` where a
model appears there and deterministic synthetic values otherwise.

Use it from a test (server thread in this process)::

    with ReplayHub(multiply=1, faults=Faults(Fault("error", p=0.1)), seed=0) as hub:
        requests.get(hub.url + "/api/models", params={"pipeline_tag": "fill-mask"})
        hub.expected_ids(tag="fill-mask"); hub.stats()

or in a child process (benchmarks; no GIL sharing)::

    hub = ReplayHub(multiply=13).start_process(); ...; hub.stop()

or by hand::

    python -m hubreplay --lists ../shared/data/seed-2024-02/lists --port 8000

Routes: ``GET /api/models``, ``GET /api/models/<id>``, ``GET /api/models-tags-by-type``, ``GET /models`` (HTML,
30 cards a page, ``p`` 0-based), ``GET /models-json`` (its JSON twin), ``GET /models-js`` (same parameters; the
page holds no model, an inline ES5 script fetches /models-json and builds the ModelList div and the cards: plain
HTTP sees no models, a browser such as Splash does), ``GET /api/models/<id>/refs`` and
``GET /api/models/<id>/commits/<rev>`` (SYNTHETIC histories, ``hubreplay.repos``), and control routes (not counted in the stats):
``GET /_replay/stats``, ``GET|POST /_replay/faults`` (body: Faults JSON), ``POST /_replay/reset`` (stats, fault
counters, rate-limit windows), ``GET /_replay/expected?pipeline_tag=|author=[&ids=1]``, ``GET /_replay/info``.

Stats keys (``hub.stats()``): requests, by_route {api, tags, html, json, js, other}, by_stream {"tag:T"|"author:A"},
statuses {"200": n, "429": n, "dropped": n}, sent_429, early_requests (arrived before the reset a 429 announced),
early_requests_after_grace (same, > 0.25 s after that 429: not merely in flight), authorization {header value: n},
user_agents, faults_fired {kind: n}, bytes_sent, items_sent, inflight, max_inflight, cursors_followed,
bad_requests, cpu_seconds and wall_seconds (of the hub's process since the last reset), vmrss_kb, vmhwm_kb, pid,
models, multiply, faults.

Faults: see ``Fault`` (kinds error, burst429, drop, truncate, nonjson, slow, layout, noid, offsite_link,
offsite_redirect, huge; filters route/tag/author/path/nth/p/after/times). Rate limits: ``RateLimit`` and
``RateLimit-Policy`` headers on every answer ("api" bucket for /api/*, "pages" for the rest); ``quota=N`` or
``{"api": N, "pages": M}`` enforces them (429 with r=0 once a 300 s window's quota is used).

Trending order: a task list's file order is the Hub's trending order of that task; the three organisation lists
(google, facebook, openai) were captured at another moment and their file order disagrees with the task files (the
two orders form cycles), so a request with ``author=<one of them>`` is ordered (and scored) by the organisation file,
every other request by a global order that keeps every task file's order (tasks interleaved by relative position).

Modules, one job each: ``paths`` (where the data is), ``synthetic`` (hashes, dates, synthetic values),
``snapshots`` (real values), ``cache`` (the parsed state on disk), ``universe`` (all models and their listings),
``views`` (orders and cursors), ``faults``, ``ratelimit``, ``render_api`` / ``render_html`` / ``render_js``
(the answers' bodies), ``core`` (one request, step by step), ``server`` (sockets and ``ReplayHub``), ``cli``.
"""
from .core import HubCore
from .faults import Fault, Faults
from .paths import default_lists_dir, shared_dir
from .server import ReplayHub
from .synthetic import copy_id
from .universe import Universe

__all__ = ["Fault", "Faults", "HubCore", "ReplayHub", "Universe", "copy_id", "default_lists_dir", "shared_dir"]
