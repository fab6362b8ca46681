"""A local replay of the Hugging Face Hub model listings, for tests and benchmarks.

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

    python -m tests.hubreplay --lists ../shared/data/seed-2024-02/lists --port 8000

Routes: ``GET /api/models``, ``GET /api/models/<id>``, ``GET /api/models-tags-by-type``, ``GET /models`` (HTML,
30 cards a page, ``p`` 0-based), ``GET /models-json`` (its JSON twin), ``GET /models-js`` (same parameters; the
page holds no model, an inline ES5 script fetches /models-json and builds the ModelList div and the cards: plain
HTTP sees no models, a browser such as Splash does), and control routes (not counted in the stats):
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
"""
from __future__ import annotations

import argparse
import base64
import bisect
import calendar
import csv
import gzip
import hashlib
import html
import http.client
import json
import os
import pickle
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import numpy as np
import orjson

from analysis import paths as analysis_paths
from tests.hubrepos import RepoHistories

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``<repo root>/../shared``, or ``$HFCRAWL_SHARED`` (resolved: it also keys the parsed-data cache)."""
    return analysis_paths.shared_dir().resolve()


def default_lists_dir() -> Path:
    return shared_dir() / "data" / "seed-2024-02" / "lists"


ORGS = ("google", "facebook", "openai")
PAGE_SIZE_HTML = 30
CACHE_VERSION = 1  # bump when the derived values change
MAX_LIMIT = 1000
OLD_CREATED = 1646263744  # 2022-03-02T23:29:04Z: createdAt of every repo older than March 2022
CUTOFF = 1706745600  # 2024-02-01T00:00:00Z
U64 = np.uint64
_M64 = (1 << 64) - 1

API_SORTS = ("trendingScore", "downloads", "likes", "createdAt", "lastModified", "id")
HTML_SORTS = {"trending": "trendingScore", "downloads": "downloads", "likes": "likes", "modified": "lastModified",
              "created": "createdAt", "likes30d": "likes"}
EXPAND_KEYS = ("author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
               "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
               "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
               "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
               "transformersInfo", "trendingScore", "usedStorage", "widgetData", "gitalyUid", "xetEnabled")
# order in which the server writes keys of an expanded item (as in the real captures)
EXPAND_ORDER = ("author", "gated", "inference", "lastModified", "likes", "trendingScore", "private", "sha", "config",
                "downloads", "downloadsAllTime", "tags", "pipeline_tag", "library_name", "mask_token", "siblings",
                "spaces", "createdAt", "usedStorage", "disabled", "cardData", "childrenModelCount",
                "inferenceProviderMapping", "gitalyUid", "xetEnabled", "baseModels", "evalResults", "gguf",
                "model-index", "resourceGroup", "safetensors", "transformersInfo", "widgetData")
DEFAULT_KEYS = ("likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name", "createdAt",
                "modelId")
FULL_KEYS = ("author", "gated", "lastModified", "likes", "trendingScore", "private", "sha", "downloads", "tags",
             "pipeline_tag", "library_name", "createdAt", "modelId", "siblings")

LIBS_BY_TASK = {
    "reinforcement-learning": ("stable-baselines3", "ml-agents", "sample-factory", "stable-baselines3"),
    "text-to-image": ("diffusers",), "unconditional-image-generation": ("diffusers",),
    "image-to-image": ("diffusers", "transformers"), "sentence-similarity": ("sentence-transformers",),
    "feature-extraction": ("transformers", "sentence-transformers"),
    "tabular-classification": ("sklearn", "keras", "sklearn"), "tabular-regression": ("sklearn",),
    "automatic-speech-recognition": ("transformers", "transformers", "nemo", "speechbrain"),
    "text-to-speech": ("transformers", "espnet", "coqui"), "audio-to-audio": ("asteroid", "speechbrain", "espnet"),
    "image-classification": ("transformers", "transformers", "timm", "keras"),
    "text-generation": ("transformers", "transformers", "peft", "gguf"), "robotics": ("lerobot",),
    "graph-ml": ("transformers",), "text-to-video": ("diffusers",), "image-to-video": ("diffusers",),
    "object-detection": ("transformers", "ultralytics"), "image-segmentation": ("transformers", "transformers"),
}
KNOWN_LIBS = ("transformers", "diffusers", "sentence-transformers", "stable-baselines3", "ml-agents",
              "sample-factory", "sklearn", "keras", "timm", "nemo", "speechbrain", "espnet", "coqui", "asteroid",
              "peft", "gguf", "lerobot", "ultralytics", "adapter-transformers", "fastai", "flair", "spacy",
              "pytorch", "tf-keras", "onnx", "allennlp", "fairseq", "open_clip", "span-marker", "setfit",
              "paddlenlp", "pyannote-audio", "transformers.js", "mlx", "tensorflowtts", "flax")
LICENSES = ("license:apache-2.0", "license:mit", "license:cc-by-4.0", "license:openrail", "license:cc-by-nc-4.0",
            "license:other", None, None)


# ------------------------------------------------------------------------------------------------ small helpers
def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = np.asarray(x, dtype=U64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> U64(27))) * U64(0x94D049BB133111EB)
        return x ^ (x >> U64(31))


def _unit(h: np.ndarray) -> np.ndarray:
    return (h >> U64(11)).astype(np.float64) / float(1 << 53)


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(ts)))


def _parse_iso(s: str) -> int:
    """'2023-09-06T14:49:15.000Z' / '2023-09-06 14:49:15+00:00' (UTC) -> epoch seconds."""
    s = s.strip()
    try:
        return calendar.timegm((int(s[0:4]), int(s[5:7]), int(s[8:10]), int(s[11:13] or 0), int(s[14:16] or 0),
                                int(s[17:19] or 0), 0, 0, 0))
    except (ValueError, IndexError):
        raise ValueError(f"bad date {s!r}") from None


MAX_NAME = 96  # a repo name (each part of an id) has at most 96 characters on the Hub


def copy_id(model_id: str, k: int) -> str:
    """The id of copy k (>0) of a model in a multiplied hub: ``owner/name-k3``, still a valid Hub id (a name too
    long for the suffix is cut and given a short hash of the whole name, so copies stay distinct)."""
    suf = f"-k{k}"
    owner, sep, name = model_id.rpartition("/")
    if len(name) + len(suf) > MAX_NAME:
        name = name[:MAX_NAME - len(suf) - 7].rstrip("-._") + f"-{zlib.crc32(name.encode()) & 0xFFFFFF:06x}"
    return f"{owner}{sep}{name}{suf}"


def _oids(id1: np.ndarray, id2: np.ndarray) -> list[bytes]:
    """24-hex _id strings (as ASCII bytes) for arrays of (high 64 bits, low 32 bits), vectorised."""
    buf = np.empty((len(id1), 12), dtype=np.uint8)
    buf[:, :8] = id1.astype(">u8").view(np.uint8).reshape(-1, 8)
    buf[:, 8:] = id2.astype(">u4").view(np.uint8).reshape(-1, 4)
    hx = buf.tobytes().hex().encode()
    return [hx[i:i + 24] for i in range(0, len(hx), 24)]


def _isos(ts: np.ndarray) -> list[bytes]:
    """ISO-8601 '...000Z' strings (as ASCII bytes), vectorised."""
    return [x.encode() + b".000Z" for x in np.datetime_as_string(np.asarray(ts).astype("datetime64[s]")).tolist()]


def _human(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    return str(n)


def _hash_id(s: str) -> int:
    e = s.encode()
    return (zlib.crc32(e) << 32) | zlib.crc32(e[::-1], 0x5BD1E995)


_MODELID_RE = re.compile(rb'\{"modelId": ?"([^"]+)"')


def _load_pipeline_tags() -> list[dict]:
    p = shared_dir() / "data" / "pipeline-tags" / "pipeline_tags_2024-01-26_e67d451.json"
    try:
        return json.loads(p.read_text())
    except OSError:
        return []


# ------------------------------------------------------------------------------------------------ the data
class Universe:
    """All models of the replay hub. Base models live in arrays; copies (``multiply=K``) are computed lazily.

    A model is addressed by a virtual index ``v = k * N + b`` (b = base index, k = copy number, 0 = the real id).
    """

    def __init__(self, lists_dir: str | os.PathLike | None = None, multiply: int = 1, enrich: bool = True):
        t0 = time.perf_counter()
        self.lists_dir = Path(lists_dir or default_lists_dir())
        if not self.lists_dir.is_dir():
            raise FileNotFoundError(f"lists directory not found: {self.lists_dir}")
        if multiply < 1:
            raise ValueError("multiply must be >= 1")
        self.K = int(multiply)
        self.cache_hit = False
        state = self._load_cache(enrich)
        if state is None:
            self._build(enrich)
            self._save_cache(enrich)
        else:
            self.__dict__.update(state)
            self.cache_hit = True
        self.libs_used = sorted({x for x in self.lib_names if x})
        self.task_of_l: list[int] = self.task_of.tolist()
        self.lib_idx_l: list[int] = self.lib_idx.tolist()
        self._plan_copies()
        self._author_arrays: dict[str, np.ndarray] = {}
        self._tag_masks: OrderedDict = OrderedDict()
        self._search_masks: OrderedDict = OrderedDict()
        self._views: OrderedDict = OrderedDict()
        self._lock = threading.RLock()
        self.startup_seconds = time.perf_counter() - t0

    # -- base state, cached on disk (outside the repository) because parsing the snapshots takes seconds
    _CACHED = ("task_meta", "org_names", "task_names", "task_index", "task_lists", "org_lists", "ids", "index", "N",
               "task_of", "global_order", "grank", "orank", "_by_author", "H", "downloads", "likes", "created",
               "modified", "tags", "lib_names", "_lib_code", "lib_idx", "sha", "siblings", "sources")

    def _cache_path(self, enrich: bool) -> Path | None:
        if os.environ.get("HUBREPLAY_CACHE", "1") in ("0", "", "off"):
            return None
        h = hashlib.sha1(f"{CACHE_VERSION}:{enrich}:{self.lists_dir.resolve()}".encode())
        snap = shared_dir() / "data" / "hub-snapshots"
        pts = shared_dir() / "data" / "pipeline-tags"
        for f in sorted(self.lists_dir.glob("*.txt")) + sorted(snap.glob("*")) + sorted(pts.glob("*.json")):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
        base = Path(os.environ.get("HUBREPLAY_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or
                                                                  Path.home() / ".cache") / "hfcrawl-hubreplay")
        return base / f"universe-{h.hexdigest()[:16]}.pickle"

    def _load_cache(self, enrich: bool) -> dict | None:
        try:
            p = self._cache_path(enrich)
            if p is None or not p.exists():
                return None
            with open(p, "rb") as fh:
                state = pickle.load(fh)
            return state if set(state) == set(self._CACHED) else None
        except Exception:  # a broken cache is rebuilt
            return None

    def _save_cache(self, enrich: bool):
        try:
            p = self._cache_path(enrich)
            if p is None:
                return
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump({k: getattr(self, k) for k in self._CACHED}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, p)
        except OSError:
            pass

    def _build(self, enrich: bool):
        files = {}
        for f in sorted(self.lists_dir.glob("*.txt")):
            files[f.stem] = [line.strip() for line in f.read_text().splitlines() if line.strip()]
        pt = _load_pipeline_tags()
        self.task_meta = {d["id"]: d for d in pt}
        self.org_names = [o for o in files if o in ORGS]
        task_files = [t for t in files if t not in ORGS]
        order = [d["id"] for d in pt if d["id"] in files]
        self.task_names: list[str] = order + [t for t in task_files if t not in order]
        self.task_index = {t: i for i, t in enumerate(self.task_names)}

        ids: list[str] = []
        index: dict[str, int] = {}
        task_of: list[int] = []
        relpos: list[float] = []

        def positions(lst: list[str], task: int) -> np.ndarray:
            """Universe positions of a list's ids; ids seen for the first time join with this task (-1: none)."""
            idx = []
            n = len(lst)
            for i, mid in enumerate(lst):
                j = index.get(mid)
                if j is None:
                    j = index[mid] = len(ids)
                    ids.append(mid)
                    task_of.append(task)
                    relpos.append((i + 0.5) / n)
                idx.append(j)
            return np.asarray(idx, dtype=np.int64)

        self.task_lists: dict[str, np.ndarray] = {t: positions(files[t], self.task_index[t]) for t in self.task_names}
        self.org_lists: dict[str, np.ndarray] = {o: positions(files[o], -1) for o in self.org_names}
        self.ids = ids
        self.index = index
        self.N = N = len(ids)
        self.task_of = np.asarray(task_of, dtype=np.int16)
        # global trending order: every task file's order kept, tasks interleaved by relative position
        self.global_order = np.lexsort((np.arange(N), np.asarray(relpos)))
        self.grank = np.empty(N, dtype=np.int64)
        self.grank[self.global_order] = np.arange(N)
        self.orank: dict[str, np.ndarray] = {}
        for o, arr in self.org_lists.items():
            r = np.full(N, -1, dtype=np.int64)
            r[arr] = np.arange(len(arr))
            self.orank[o] = r
        # authors
        by_author: dict[str, list[int]] = {}
        for b in self.global_order.tolist():
            mid = ids[b]
            if "/" in mid:
                by_author.setdefault(mid.split("/", 1)[0], []).append(b)
        self._by_author = by_author
        # hashes and synthetic values
        self.H = _mix(np.fromiter(map(_hash_id, ids), dtype=U64, count=N))
        self._synth()
        self.sources = Counter()
        if enrich:
            self._enrich()

    # -- synthetic values (deterministic from the id's hash)
    def _synth(self):
        N, H = self.N, self.H
        u1, u2, u3, u4, u5 = (_unit(_mix(H ^ U64(c))) for c in (1, 2, 3, 4, 5))
        self.downloads = (np.floor(np.exp(14.0 * u1 ** 3)) - 1).astype(np.int64)
        self.likes = np.floor((self.downloads ** 0.5) * u2 * 0.3).astype(np.int64)
        created = (OLD_CREATED + u3 * (CUTOFF - 1 - OLD_CREATED)).astype(np.int64)
        created[u4 < 0.25] = OLD_CREATED
        self.created = created
        self.modified = (created + u5 * (CUTOFF - 1 - created)).astype(np.int64)
        hl = _mix(H ^ U64(6))
        # library (per task distribution, 8% none) and licence, vectorised; tags shared per combination
        T = len(self.task_names)
        lib_names: list[str | None] = [None]
        lib_code = {None: 0}
        choice = np.zeros((T + 1, 12), dtype=np.int16)  # per task (last row: no task): 12 slots of lib codes
        for ti in range(T + 1):
            t = self.task_names[ti] if ti < T else None
            libs = LIBS_BY_TASK.get(t, ("transformers",))
            for j in range(12):
                lib = libs[j % len(libs)]
                if lib not in lib_code:
                    lib_code[lib] = len(lib_names)
                    lib_names.append(lib)
                choice[ti, j] = lib_code[lib]
        trow = np.where(self.task_of >= 0, self.task_of, T).astype(np.int64)
        lib_idx = choice[trow, ((hl >> U64(8)) % U64(12)).astype(np.int64)]
        lib_idx[(hl % U64(100)) < U64(8)] = 0
        lic = ((hl >> U64(16)) % U64(len(LICENSES))).astype(np.int64)
        combo = (trow * 64 + lib_idx.astype(np.int64)) * 16 + lic
        uniq, inv = np.unique(combo, return_inverse=True)
        tuples = []
        for c in uniq.tolist():
            ti, li, lc = c // 1024, (c // 16) % 64, c % 16
            t = self.task_names[ti] if ti < T else None
            lib, licence = lib_names[li], LICENSES[lc]
            tg = []
            if lib:
                tg.append(lib)
                if lib == "transformers":
                    tg += ["pytorch", "safetensors"]
            if t:
                tg.append(t)
            if licence:
                tg.append(licence)
            if lib == "transformers":
                tg += ["autotrain_compatible", "endpoints_compatible"]
            tg.append("region:us")
            tuples.append(tuple(tg))
        self.tags = [tuples[i] for i in inv.tolist()]
        self.lib_names = lib_names
        self._lib_code = lib_code
        self.lib_idx = lib_idx.astype(np.int16)
        self.sha: dict[int, str] = {}
        self.siblings: dict[int, tuple] = {}

    def _set_lib(self, b: int, lib: str | None):
        c = self._lib_code.get(lib)
        if c is None:
            c = self._lib_code[lib] = len(self.lib_names)
            self.lib_names.append(lib)
        self.lib_idx[b] = c

    def _real_tags(self, b: int, tags: Iterable[str]):
        tg = [t for t in tags if isinstance(t, str)]
        ti = int(self.task_of[b])
        if ti >= 0 and self.task_names[ti] not in tg:
            tg.append(self.task_names[ti])
        if "region:us" not in tg:
            tg.append("region:us")
        self.tags[b] = tuple(tg)

    def _enrich(self):
        snap = shared_dir() / "data" / "hub-snapshots"
        index = self.index
        done_dl, done_likes, done_created, done_mod, done_tags, done_lib = (set() for _ in range(6))

        def lib_from_tags(tags):
            for t in tags:
                if t in KNOWN_LIBS:
                    return t
            return None

        # 1. top downloads, Sept 2024 (closest to 2024-02 for downloads/tags/sha/lastModified)
        p = snap / "top-downloads-2024-09.csv.gz"
        if p.exists():
            with gzip.open(p, "rt", newline="") as fh:
                for row in csv.DictReader(fh):
                    b = index.get(row["modelId"])
                    if b is None:
                        continue
                    self.sources["top-downloads-2024-09"] += 1
                    try:
                        self.downloads[b] = int(float(row["downloads"]))
                        done_dl.add(b)
                    except ValueError:
                        pass
                    try:
                        self.modified[b] = _parse_iso(row["lastModified"])
                        done_mod.add(b)
                    except (ValueError, KeyError):
                        pass
                    tags = re.findall(r"'([^']*)'", row.get("tags") or "")
                    if tags:
                        self._real_tags(b, tags)
                        done_tags.add(b)
                        lib = lib_from_tags(tags)
                        if lib:
                            self._set_lib(b, lib)
                            done_lib.add(b)
                    if row.get("sha"):
                        self.sha[b] = row["sha"]
        # 2. full API items, Feb 2022
        p = snap / "api-full-2022-02.jsonl.gz"
        if p.exists():
            with gzip.open(p, "rb") as fh:
                for line in fh:
                    m = _MODELID_RE.match(line)
                    if m is None or m.group(1).decode() not in index:
                        continue
                    d = orjson.loads(line)
                    b = index.get(d.get("modelId"))
                    if b is None:
                        continue
                    self.sources["api-full-2022-02"] += 1
                    if b not in done_dl and isinstance(d.get("downloads"), int):
                        self.downloads[b] = d["downloads"]
                        done_dl.add(b)
                    if isinstance(d.get("likes"), int):
                        self.likes[b] = d["likes"]
                        done_likes.add(b)
                    if b not in done_mod and d.get("lastModified"):
                        try:
                            self.modified[b] = _parse_iso(d["lastModified"])
                            done_mod.add(b)
                        except ValueError:
                            pass
                    if b not in done_tags and d.get("tags"):
                        self._real_tags(b, d["tags"])
                        done_tags.add(b)
                    if b not in done_lib:
                        lib = d.get("library_name") or lib_from_tags(d.get("tags") or ())
                        if lib:
                            self._set_lib(b, lib)
                            done_lib.add(b)
                    if b not in self.sha and d.get("sha"):
                        self.sha[b] = d["sha"]
                    sib = d.get("siblings")
                    if sib:
                        self.siblings[b] = tuple(s.get("rfilename") for s in sib if isinstance(s, dict))
        # 3. model cards census, Oct 2022 (creation time, downloads)
        p = snap / "models-2022-10.csv.gz"
        if p.exists():
            with gzip.open(p, "rt", newline="") as fh:
                rd = csv.reader(fh)
                head = next(rd)
                c_id, c_ct, c_dl = head.index("modelId"), head.index("creation_time"), head.index("downloads")
                for row in rd:
                    b = index.get(row[c_id])
                    if b is None:
                        continue
                    self.sources["models-2022-10"] += 1
                    if row[c_ct]:
                        try:
                            self.created[b] = max(OLD_CREATED, _parse_iso(row[c_ct]))
                            done_created.add(b)
                        except ValueError:
                            pass
                    if b not in done_dl and row[c_dl]:
                        try:
                            self.downloads[b] = int(float(row[c_dl]))
                            done_dl.add(b)
                        except ValueError:
                            pass
        # 4. recent census, Aug 2026 (only fills what is still missing)
        p = snap / "recent-2026-08.jsonl.gz"
        if p.exists():
            with gzip.open(p, "rb") as fh:
                for line in fh:
                    d = orjson.loads(line)
                    b = index.get(d.get("id"))
                    if b is None:
                        continue
                    self.sources["recent-2026-08"] += 1
                    if b not in done_created and d.get("created_at"):
                        self.created[b] = max(OLD_CREATED, _parse_iso(d["created_at"]))
                        done_created.add(b)
                    if b not in done_mod and d.get("updated_at"):
                        self.modified[b] = _parse_iso(d["updated_at"])
                        done_mod.add(b)
                    if b not in done_dl and isinstance(d.get("downloads_30d"), int):
                        self.downloads[b] = d["downloads_30d"]
                        done_dl.add(b)
                    if b not in done_likes and isinstance(d.get("likes"), int):
                        self.likes[b] = d["likes"]
                    if b not in done_tags and d.get("tags"):
                        self._real_tags(b, d["tags"])
                    if b not in done_lib and d.get("library"):
                        self._set_lib(b, d["library"])
        self.sources["enriched_models"] = len(done_dl | done_likes | done_created | done_mod | done_tags)

    # -- per-virtual-index values (vectorised)
    def split(self, V: np.ndarray):
        V = np.asarray(V, dtype=np.int64)
        return V % self.N, V // self.N

    def hashes(self, V: np.ndarray) -> np.ndarray:
        b, k = self.split(V)
        h = self.H[b]
        if self.K > 1:
            with np.errstate(over="ignore"):
                hk = _mix(h ^ (k.astype(U64) * U64(0x9E3779B97F4A7C15)))
            h = np.where(k == 0, h, hk)
        return h

    def values(self, V: np.ndarray) -> dict[str, np.ndarray]:
        """downloads, likes, created, modified, h (hash) for virtual indices."""
        b, k = self.split(V)
        h = self.hashes(V)
        d = self.downloads[b]
        li = self.likes[b]
        c = self.created[b]
        m = self.modified[b]
        if self.K > 1 and k.any():
            cp = k > 0
            f1 = (h & U64(1023)).astype(np.int64)
            f2 = ((h >> U64(10)) & U64(1023)).astype(np.int64)
            off = ((h >> U64(20)) % U64(90 * 86400)).astype(np.int64)
            d = np.where(cp, (d * f1) >> 10, d)
            li = np.where(cp, (li * f2) >> 10, li)
            cc = np.maximum(np.minimum(c + off, CUTOFF - 1), OLD_CREATED)
            c = np.where(cp, cc, c)
            m = np.where(cp, np.maximum(cc, m), m)
        return {"downloads": d, "likes": li, "createdAt": c, "lastModified": m, "h": h, "b": b, "k": k}

    def id_keys(self, V: np.ndarray, created: np.ndarray | None = None, h: np.ndarray | None = None):
        """The _id as two sortable integers: (timestamp << 32 | high half of hash, low half of hash)."""
        if created is None or h is None:
            vals = self.values(V)
            created, h = vals["createdAt"], vals["h"]
        id1 = (created.astype(U64) << U64(32)) | (h >> U64(32))
        id2 = h & U64(0xFFFFFFFF)
        return id1, id2

    def model_id(self, v: int) -> str:
        return self.model_ids((v,))[0]

    def model_ids(self, V: Iterable[int]) -> list[str]:
        N, ids, special = self.N, self.ids, self.special_copies
        return [ids[v] if v < N else (self._copy_id(v % N, v // N) if v % N in special else f"{ids[v % N]}-k{v // N}")
                for v in V]

    def _copy_id(self, b: int, k: int) -> str:
        return self.copy_alt.get((b, k)) or copy_id(self.ids[b], k)

    def _plan_copies(self):
        """Copies' ids must be valid and distinct from every real id: names too long are cut (copy_id), and the
        few copies that would equal a real id ("x-k1" is also a real model) get another suffix."""
        self.copy_alt: dict[tuple[int, int], str] = {}
        long = {b for b, mid in enumerate(self.ids)
                if len(mid.rpartition("/")[2]) + 2 + len(str(self.K - 1)) > MAX_NAME} if self.K > 1 else set()
        index = self.index
        for mid in self.ids:
            m = re.search(r"-k(\d+)$", mid)
            if m and 0 < int(m.group(1)) < self.K:
                b = index.get(mid[:m.start()])
                k = int(m.group(1))
                if b is not None and copy_id(self.ids[b], k) == mid:
                    for cand in (f"-copy{k}", f"-copy{k}-{zlib.crc32(mid.encode()) & 0xFFFFFF:06x}"):
                        alt = copy_id(self.ids[b], k)[:-len(f"-k{k}")] + cand
                        if alt not in index and len(alt.rpartition("/")[2]) <= MAX_NAME:
                            self.copy_alt[(b, k)] = alt
                            break
        self.special_copies = long | {b for b, _ in self.copy_alt}

    def sha_of(self, v: int) -> str:
        if v < self.N and v in self.sha:
            return self.sha[v]
        return hashlib.blake2b(self.model_id(v).encode(), digest_size=20, person=b"sha").hexdigest()

    def siblings_of(self, v: int) -> list[dict]:
        b = v % self.N
        names = self.siblings.get(b)
        if names is None:
            lib = self.lib_names[self.lib_idx[b]]
            names = (".gitattributes", "README.md") + (
                ("config.json", "model.safetensors") if lib in (None, "transformers") else ("model.bin",))
        return [{"rfilename": n} for n in names]

    # -- queries
    def author_array(self, author: str) -> np.ndarray:
        a = self._author_arrays.get(author)
        if a is None:
            a = np.asarray(self._by_author.get(author, ()), dtype=np.int64)
            self._author_arrays[author] = a
        return a

    def _tag_mask(self, tag: str) -> np.ndarray:
        m = self._tag_masks.get(tag)
        if m is None:
            m = np.fromiter((tag in t for t in self.tags), dtype=bool, count=self.N)
            self._tag_masks[tag] = m
            while len(self._tag_masks) > 64:
                self._tag_masks.popitem(last=False)
        return m

    def _search_mask(self, q: str, k: int) -> np.ndarray:
        key = (q, k)
        m = self._search_masks.get(key)
        if m is None:
            if k == 0:
                m = np.fromiter((q in s.lower() for s in self.ids), dtype=bool, count=self.N)
            else:
                m = np.fromiter((q in self._copy_id(b, k).lower() for b in range(self.N)), dtype=bool, count=self.N)
            self._search_masks[key] = m
            while len(self._search_masks) > 64:
                self._search_masks.popitem(last=False)
        return m

    def context(self, author: str | None) -> tuple[str, np.ndarray, int]:
        if author in self.org_lists:
            return author, self.orank[author], len(self.org_lists[author])
        return "", self.grank, self.N

    def view(self, pipeline_tag: str | None = None, author: str | None = None, search: Iterable[str] = (),
             filters: Iterable[str] = (), sort: str = "trendingScore") -> "View":
        search = tuple(s.lower() for s in search if s)
        filters = tuple(f for f in filters if f)
        key = (pipeline_tag, author, search, filters, sort)
        with self._lock:
            v = self._views.get(key)
            if v is not None:
                self._views.move_to_end(key)
                return v
            v = self._make_view(pipeline_tag, author, search, filters, sort)
            self._views[key] = v
            while len(self._views) > 32:
                self._views.popitem(last=False)
            return v

    def _make_view(self, pipeline_tag, author, search, filters, sort) -> "View":
        ctx_name, R, M = self.context(author)
        if ctx_name:
            B = self.org_lists[ctx_name]
        elif author is not None:
            B = self.author_array(author)
        elif pipeline_tag is not None:
            B = self.task_lists.get(pipeline_tag, np.zeros(0, dtype=np.int64))
        else:
            B = self.global_order
        if pipeline_tag is not None and (ctx_name or author is not None):
            ti = self.task_index.get(pipeline_tag, -999)
            B = B[self.task_of[B] == ti]
        for f in filters:
            B = B[self._tag_mask(f)[B]]
        segs = []
        for k in range(self.K):
            Bk = B
            for q in search:
                # a copy's id is "<id>-k<k>": it matches when the base id does, or across the suffix
                if k == 0 or (q[-1:] not in "-k0123456789" and not self.special_copies):
                    Bk = Bk[self._search_mask(q, 0)[Bk]]
                else:
                    Bk = Bk[self._search_mask(q, k)[Bk]]
            segs.append(Bk)
        trending = TrendingView(self, segs, R, M, ctx_name)
        if sort == "trendingScore":
            return trending
        return SortedView(self, trending, sort)

    def expected_ids(self, tag: str | None = None, author: str | None = None, search: str | Iterable[str] = (),
                     filters: Iterable[str] = (), sort: str = "trendingScore") -> list[str]:
        """The ids /api/models lists for these parameters, in its order."""
        v = self.view(pipeline_tag=tag, author=author, search=(search,) if isinstance(search, str) else search,
                      filters=filters, sort=sort)
        return self.model_ids(v.take(0, v.n).tolist())


class View:
    n: int
    sort: str

    def take(self, a: int, b: int) -> np.ndarray:
        raise NotImplementedError

    def cursor_value(self, pos: int, v: int, vals: dict):
        raise NotImplementedError

    def resume(self, value: Any, oid: str) -> int:
        raise NotImplementedError


class TrendingView(View):
    """Ordered by trending score: copy-major (all real ids first, then copy 1 ...), rank order inside. Lazy."""
    sort = "trendingScore"

    def __init__(self, u: Universe, segs: list[np.ndarray], R: np.ndarray, M: int, ctx: str):
        self.u, self.segs, self.R, self.M, self.ctx = u, segs, R, M, ctx
        self.offsets = np.cumsum([0] + [len(s) for s in segs])
        self.n = int(self.offsets[-1])
        self._ranks: dict[int, np.ndarray] = {}

    def take(self, a: int, b: int) -> np.ndarray:
        a, b = max(0, a), min(b, self.n)
        out = []
        N = self.u.N
        for k, s in enumerate(self.segs):
            lo, hi = int(self.offsets[k]), int(self.offsets[k + 1])
            if hi <= a or lo >= b or lo == hi:
                continue
            out.append(s[max(a, lo) - lo:min(b, hi) - lo] + k * N)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def scores(self, V: np.ndarray) -> np.ndarray:
        b, k = self.u.split(V)
        return (self.u.K - 1 - k) * self.M + (self.M - 1 - self.R[b])

    def cursor_value(self, pos, v, vals):
        return int(self.scores(np.asarray([v]))[0])

    def resume(self, value, oid):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("trendingScore must be an integer")
        K, M = self.u.K, self.M
        k = K - 1 - value // M
        r = M - 1 - value % M
        if not 0 <= k < K:
            raise ValueError("cursor out of range")
        ranks = self._ranks.get(k)
        if ranks is None:
            ranks = self._ranks[k] = self.R[self.segs[k]]
        return int(self.offsets[k]) + int(np.searchsorted(ranks, r, side="right"))


class SortedView(View):
    """Any other sort: materialised (descending key, then ascending _id)."""

    def __init__(self, u: Universe, base: TrendingView, sort: str):
        self.u, self.sort, self.trending = u, sort, base
        V = base.take(0, base.n)
        self.n = len(V)
        if sort == "id":
            names = u.model_ids(V.tolist())
            order = sorted(range(len(V)), key=names.__getitem__, reverse=True)
            self.V = V[np.asarray(order, dtype=np.int64)] if order else V
            self.asc = sorted(names)
            return
        vals = u.values(V)
        if sort == "trendingScore":
            key = base.scores(V)
        else:
            key = vals[sort]
        id1, id2 = u.id_keys(V, vals["createdAt"], vals["h"])
        order = np.lexsort((id2, id1, -key))
        self.V, self.neg, self.id1, self.id2 = V[order], -key[order], id1[order], id2[order]

    def take(self, a, b):
        return self.V[max(0, a):min(b, self.n)]

    def cursor_value(self, pos, v, vals):
        if self.sort == "id":
            return self.u.model_id(v)
        x = int(-self.neg[pos])
        return _iso(x) if self.sort in ("createdAt", "lastModified") else x

    def resume(self, value, oid):
        if self.sort == "id":
            if not isinstance(value, str):
                raise ValueError("id must be a string")
            return self.n - bisect.bisect_left(self.asc, value)
        if self.sort in ("createdAt", "lastModified"):
            if not isinstance(value, str):
                raise ValueError("date expected")
            value = _parse_iso(value)
        elif not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("integer expected")
        x1, x2 = int(oid[:16], 16), int(oid[16:], 16)
        lo = int(np.searchsorted(self.neg, -value, "left"))
        hi = int(np.searchsorted(self.neg, -value, "right"))
        id1 = self.id1[lo:hi]
        l1 = int(np.searchsorted(id1, U64(x1), "left"))
        r1 = int(np.searchsorted(id1, U64(x1), "right"))
        l2 = int(np.searchsorted(self.id2[lo + l1:lo + r1], U64(x2), "right"))
        return lo + l1 + l2


# ------------------------------------------------------------------------------------------------ faults
FAULT_KINDS = ("error", "burst429", "drop", "truncate", "nonjson", "slow", "layout", "noid", "offsite_link",
               "offsite_redirect", "huge")


@dataclass
class Fault:
    """One fault rule. It applies to requests that match its filters; among those (counted 1, 2, 3 ... per rule),
    it fires on the ``nth`` ones if given, else with probability ``p`` (deterministic from the seed and the count).

    kinds: ``error`` (status from ``status``, int or list), ``burst429`` (``burst`` consecutive 429s every ``every``
    matching requests, RateLimit r=0;t=``reset``, ``retry_after`` adds a Retry-After header), ``drop`` (close the
    socket, no answer), ``truncate`` (JSON cut at ``fraction``; ``dataloss=True`` announces the full Content-Length
    then closes), ``nonjson`` (HTML error page with status 200), ``slow`` (``delay`` seconds), ``layout`` (HTML page
    with neither ModelList data-props nor cards), ``noid`` (API items without ``id``/``modelId``), ``offsite_link``
    (Link next on ``base_url``), ``offsite_redirect`` (302 to ``base_url`` + path), ``huge`` (``size_mb`` of padding).
    filters: ``route`` ("api", "html", "json", "js", "tags" or None = any non-control route), ``tag``
    (pipeline_tag, str or list), ``author`` (str or list), ``path`` (path prefix), ``after`` (skip the first n),
    ``times`` (fire at most n times).
    """
    kind: str
    p: float = 1.0
    nth: list[int] | None = None
    route: str | list[str] | None = None
    tag: str | list[str] | None = None
    author: str | list[str] | None = None
    path: str | None = None
    after: int = 0
    times: int | None = None
    status: int | list[int] = field(default_factory=lambda: [500, 502, 503])
    every: int = 100
    burst: int = 1
    reset: float = 1.0
    retry_after: bool = False
    fraction: float = 0.5
    dataloss: bool = False
    delay: float = 1.0
    base_url: str = "http://offsite.invalid:9"
    size_mb: float = 5.0

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")
        for name in ("route", "tag", "author"):
            v = getattr(self, name)
            if isinstance(v, str):
                setattr(self, name, [v])
        if self.nth is not None and isinstance(self.nth, int):
            self.nth = [self.nth]


class Faults:
    """A set of fault rules plus a seed. ``Faults(Fault("error", p=.1), Fault("slow", tag="fill-mask"), seed=1)``.

    ``Faults.parse(x)`` accepts a Faults, a list of rules (Fault or dict), a dict ``{"seed":..,"rules":[..]}``, or
    the same as a JSON string.
    """

    def __init__(self, *rules: Fault | dict, seed: int = 0):
        self.rules: list[Fault] = [r if isinstance(r, Fault) else Fault(**r) for r in rules]
        self.seed = seed

    @classmethod
    def parse(cls, spec: Any) -> "Faults":
        if spec is None:
            return cls()
        if isinstance(spec, Faults):
            return spec
        if isinstance(spec, (str, bytes)):
            spec = json.loads(spec) if spec.strip() else []
        if isinstance(spec, Fault):
            return cls(spec)
        if isinstance(spec, dict):
            if "kind" in spec:
                return cls(spec)
            return cls(*spec.get("rules", ()), seed=spec.get("seed", 0))
        return cls(*spec)

    def to_json(self) -> dict:
        return {"seed": self.seed, "rules": [asdict(r) for r in self.rules]}

    def __repr__(self):
        return f"Faults({', '.join(map(repr, self.rules))}, seed={self.seed})"


# ------------------------------------------------------------------------------------------------ the server core
class _Reply:
    __slots__ = ("status", "headers", "body", "action", "delay", "content_length")

    def __init__(self, status=200, body=b"", ctype="application/json; charset=utf-8", headers=None):
        self.status = status
        self.headers = [("Content-Type", ctype)] + list(headers or ())
        self.body = body
        self.action = None  # None | "drop" | "dataloss"
        self.delay = 0.0
        self.content_length = None


def _json_error(status: int, msg: str) -> _Reply:
    return _Reply(status, orjson.dumps({"error": msg}))


ERROR_PAGE = (b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Hugging Face - We're having trouble"
              b"</title></head><body><main><h1>Something went wrong</h1><p>We're working on it. Please retry in a "
              b"few minutes.</p><a href=\"https://status.huggingface.co/\">status.huggingface.co</a></main></body>"
              b"</html>\n")

_SAFE_ID = re.compile(r"[A-Za-z0-9_.\-/]+")
_MONTHS = [b""] + [m.encode() for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()]
# a model card of the listing: JSON (after the author part) and the <article>, as byte templates
_CARD_JSON = (b'"downloads":%d,"gated":false,"id":"%b","availableInferenceProviders":[],"lastModified":"%b",'
              b'"likes":%d%b,"private":false,"repoType":"model","isLikedByUser":false,"widgetOutputUrls":[]}')
_CARD_JSON_ESC = html.escape(_CARD_JSON.decode(), quote=True).encode()
_CARD_TASK = (b'<span class="inline-flex items-center" title="%b"><svg class="mr-1 w-3" width="1em" height="1em" '
              b'viewBox="0 0 32 32"><path d="M2 2h28v28H2z" fill="currentColor"></path></svg>'
              b'<span class="hidden md:inline">%b</span></span><span class="px-1.5 text-gray-300">\xe2\x80\xa2 </span>')
_CARD_HTML = (b'<article class="overview-card-wrapper group/repo  from-gray-50-to-white from-gray-50 to-white '
              b'dark:from-gray-900 dark:to-gray-950 border-gray-100 hover:shadow-inner"><a class="block p-2" '
              b'href="/%b"><div class="w-full truncate"><header class="flex items-center mb-1" title="%b">'
              b'<img alt="" class="w-3 h-3 flex-none rounded-sm mr-1.5" src="%b" />'
              b'<h4 class="text-md truncate font-mono text-black dark:group-hover/repo:text-yellow-500 '
              b'group-hover/repo:text-indigo-600 text-smd">%b</h4></header>'
              b'<div class="mr-1 flex items-center overflow-hidden whitespace-nowrap text-sm leading-tight '
              b'text-gray-400">%b<span class="truncate">Updated <time datetime="%b" title="%b">%b</time></span>'
              b'<span class="px-1.5 text-gray-300">\xe2\x80\xa2 </span><svg class="flex-none w-3 text-gray-400 mr-0.5" '
              b'viewBox="0 0 32 32"><path d="M26 24v4H6v-4H4v4a2 2 0 0 0 2 2h20a2 2 0 0 0 2-2v-4z" '
              b'fill="currentColor"></path></svg>%b'
              b'<span class="px-1.5 text-gray-300">\xe2\x80\xa2 </span><svg class="flex-none w-3 text-gray-400 mr-1" '
              b'viewBox="0 0 32 32" fill="currentColor"><path d="M22.5 4c-2 0-3.9.8-5.3 2.2L16 7.4l-1.2-1.2"'
              b'></path></svg>%b</div></div></a></article>')


class HubCore:
    """Everything but the sockets: routing, rendering, faults, rate limits, stats."""

    def __init__(self, universe: Universe, faults: Faults | None = None, seed: int = 0,
                 quota: int | dict | None = None, window: int = 300, base_url: str = ""):
        self.u = universe
        self.seed = seed
        self.base_url = base_url
        self.window = window
        q = quota if isinstance(quota, dict) else {"api": quota, "pages": quota}
        self.enforce = {b: q.get(b) is not None for b in ("api", "pages")}
        self.quota = {b: int(q.get(b) or 1_000_000_000) for b in ("api", "pages")}
        self.lock = threading.Lock()
        self.t0 = time.time()
        self.repos = RepoHistories(universe)  # /api/models/{id}/refs, /commits, model info (tests/hubrepos.py)
        self.set_faults(faults if faults is not None else Faults(seed=seed))
        self.reset_stats()
        self._tags_payload = None
        self._authors: dict[str, dict] = {}
        self._shells: dict = {}
        self._author_frag: dict = {}
        self._labels = {t: html.escape(self.u.task_meta.get(t, {}).get("name", t)).encode() for t in self.u.task_names}

    # -- state
    def set_faults(self, faults: Any):
        f = Faults.parse(faults)
        with self.lock:
            self.faults = f
            self._fault_count = [0] * len(f.rules)
            self._fault_fired = [0] * len(f.rules)

    def reset_stats(self):
        with getattr(self, "lock", threading.Lock()):
            self._stats = {
                "requests": 0, "by_route": Counter(), "by_stream": Counter(), "statuses": Counter(),
                "sent_429": 0, "early_requests": 0, "early_requests_after_grace": 0, "authorization": Counter(),
                "user_agents": Counter(), "faults_fired": Counter(), "bytes_sent": 0, "items_sent": 0,
                "inflight": 0, "max_inflight": 0, "cursors_followed": 0, "bad_requests": 0,
            }
            self._blocked_until = {"api": 0.0, "pages": 0.0}
            self._last_429_at = {"api": 0.0, "pages": 0.0}
            self._retry_after = {"api": False, "pages": False}
            self._window_used = {"api": 0, "pages": 0}
            self._window_start = time.time()
            self._cpu0 = time.process_time()
            self._wall0 = time.time()
            if hasattr(self, "repos"):
                self.repos.requests.clear()
            if hasattr(self, "faults"):
                self._fault_count = [0] * len(self.faults.rules)
                self._fault_fired = [0] * len(self.faults.rules)

    def stats(self) -> dict:
        with self.lock:
            s = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self._stats.items()}
        s["cpu_seconds"] = round(time.process_time() - self._cpu0, 4)
        s["wall_seconds"] = round(time.time() - self._wall0, 4)
        s["faults"] = self.faults.to_json()
        s["repos"] = self.repos.stats()
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

    # -- rate limits
    def _rate(self, bucket: str, now: float) -> tuple[int, int, bool]:
        """Count the request in its window; returns (remaining, seconds to reset, exceeded)."""
        w = self.window
        if now - self._window_start >= w:
            self._window_start += w * int((now - self._window_start) // w)
            self._window_used = {"api": 0, "pages": 0}
        self._window_used[bucket] += 1
        used = self._window_used[bucket]
        t = max(1, int(self._window_start + w - now + 0.999))
        q = self.quota[bucket]
        return max(0, q - used), t, self.enforce[bucket] and used > q

    def _ratelimit_headers(self, bucket, r, t):
        q = self.quota[bucket]
        return [("RateLimit", f'"{bucket}";r={r};t={t}'), ("RateLimit-Policy", f'"fixed window";"{bucket}";q={q};w={self.window}')]

    # -- faults
    def _firing(self, route: str, path: str, params: dict) -> list[Fault]:
        fired = []
        tags = params.get("pipeline_tag", [])
        authors = params.get("author", [])
        for i, r in enumerate(self.faults.rules):
            if r.route is None:
                if route in ("control", "other"):
                    continue
            elif route not in r.route:
                continue
            if r.tag is not None and not set(r.tag) & set(tags):
                continue
            if r.author is not None and not set(r.author) & set(authors):
                continue
            if r.path is not None and not path.startswith(r.path):
                continue
            self._fault_count[i] += 1
            n = self._fault_count[i]
            if n <= r.after:
                continue
            if r.times is not None and self._fault_fired[i] >= r.times:
                continue
            if r.kind == "burst429":
                m = (n - 1 - r.after) % max(1, r.every)
                hit = m >= max(1, r.every) - r.burst
            elif r.nth is not None:
                hit = n in r.nth
            elif r.p >= 1:
                hit = True
            elif r.p <= 0:
                hit = False
            else:
                hit = random.Random(f"{self.faults.seed}:{i}:{n}").random() < r.p
            if hit:
                self._fault_fired[i] += 1
                fired.append(r)
        return fired

    # -- entry point
    def handle(self, method: str, target: str, headers=None, body: bytes = b"") -> _Reply:
        """Answer one request. `headers`: any mapping with a case-insensitive .get (or a dict)."""
        if headers is None:
            headers = {}
        now = time.time()
        parts = urlsplit(target)
        path, query = parts.path, parts.query
        pairs = parse_qsl(query, keep_blank_values=True)
        params: dict[str, list[str]] = {}
        for k, v in pairs:
            params.setdefault(k, []).append(v)
        if path.startswith("/_replay/"):
            rep = self._control(method, path, params, body)
            rep.action = "control"  # not counted in the stats
            return rep
        if path.startswith("/api/"):
            route, bucket = ("api" if path.rstrip("/") == "/api/models" else "tags"), "api"
            if route == "tags" and not path.startswith("/api/models-tags-by-type"):
                route = "repo" if path.startswith("/api/models/") else "other"
        elif path in ("/models", "/models/"):
            route, bucket = "html", "pages"
        elif path == "/models-json":
            route, bucket = "json", "pages"
        elif path == "/models-js":
            route, bucket = "js", "pages"
        else:
            route, bucket = "other", "pages"
        stream = None
        if params.get("pipeline_tag"):
            stream = "tag:" + params["pipeline_tag"][0]
        elif params.get("author"):
            stream = "author:" + params["author"][0]
        with self.lock:
            st = self._stats
            st["requests"] += 1
            st["by_route"][route] += 1
            if stream:
                st["by_stream"][stream] += 1
            if "cursor" in params:
                st["cursors_followed"] += 1
            auth = headers.get("Authorization")
            if auth:
                st["authorization"][auth] += 1
            st["user_agents"][(headers.get("User-Agent") or "")[:80]] += 1
            early = now < self._blocked_until[bucket]
            if early:
                st["early_requests"] += 1
                if now - self._last_429_at[bucket] > 0.25:
                    st["early_requests_after_grace"] += 1
            r_left, t_reset, exceeded = self._rate(bucket, now)
            # a request that arrives before the announced reset gets 429 again and does not count for faults
            fired = [] if early else self._firing(route, path, params)
            for f in fired:
                st["faults_fired"][f.kind] += 1
            burst = next((f for f in fired if f.kind == "burst429"), None)
            if early or exceeded or burst:
                if burst:
                    t = max(1, int(burst.reset + 0.999)) if burst.reset >= 1 else 1
                    wait = burst.reset
                elif early:
                    wait = self._blocked_until[bucket] - now
                    t = max(1, int(wait + 0.999))
                else:
                    wait = t = t_reset
                self._blocked_until[bucket] = max(self._blocked_until[bucket], now + wait)
                self._last_429_at[bucket] = now
                st["sent_429"] += 1
                rep = _json_error(429, "You have been rate-limited; you can retry this action in about "
                                       f"{t} seconds. If you're a new user, your limits will raise progressively "
                                       "over time.")
                rep.headers += self._ratelimit_headers(bucket, 0, t)
                if burst is not None:
                    self._retry_after[bucket] = burst.retry_after
                if (burst is not None or early) and self._retry_after[bucket]:
                    rep.headers.append(("Retry-After", str(t)))
                return rep
        rlh = self._ratelimit_headers(bucket, r_left, t_reset)
        kinds = {f.kind: f for f in fired}
        if "drop" in kinds:
            rep = _Reply()
            rep.action = "drop"
            return rep
        if "error" in kinds:
            f = kinds["error"]
            sts = f.status if isinstance(f.status, list) else [f.status]
            code = sts[self._fault_fired[self.faults.rules.index(f)] % len(sts)]
            if route == "api":
                rep = _json_error(code, "Internal Error - We're working hard to fix this as soon as possible!")
            else:
                rep = _Reply(code, ERROR_PAGE, "text/html; charset=utf-8")
            rep.headers += rlh
            return rep
        if "offsite_redirect" in kinds:
            rep = _Reply(302, b"Found. Redirecting to " + kinds["offsite_redirect"].base_url.encode(), "text/plain")
            rep.headers.append(("Location", kinds["offsite_redirect"].base_url.rstrip("/") + target))
            rep.headers += rlh
            return rep
        if "nonjson" in kinds:
            rep = _Reply(200, ERROR_PAGE, "text/html; charset=utf-8")
            rep.headers += rlh
            return rep
        try:
            rep = self._route(route, method, path, query, params, kinds)
        except _BadRequest as e:
            with self.lock:
                self._stats["bad_requests"] += 1
            rep = _json_error(400, str(e)) if route in ("api", "tags", "json") else _Reply(
                400, f"<!DOCTYPE html><html><body><h1>400</h1><p>{html.escape(str(e))}</p></body></html>".encode(),
                "text/html; charset=utf-8")
        rep.headers += rlh
        if "huge" in kinds and rep.status == 200:
            pad = int(kinds["huge"].size_mb * 1024 * 1024)
            rep.body = rep.body + (b" " * pad if route != "html" else b"<!--" + b"x" * pad + b"-->")
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

    def note_sent(self, rep: _Reply):
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
    def _control(self, method, path, params, body: bytes) -> _Reply:
        if path == "/_replay/stats":
            return _Reply(200, orjson.dumps(self.stats()))
        if path == "/_replay/reset" and method == "POST":
            self.reset_stats()
            return _Reply(200, b'{"ok":true}')
        if path == "/_replay/faults":
            if method == "POST":
                try:
                    self.set_faults(body or b"[]")
                except (ValueError, TypeError) as e:
                    return _json_error(400, f"bad faults: {e}")
            return _Reply(200, orjson.dumps(self.faults.to_json()))
        if path == "/_replay/expected":
            v = self._view_from(params, api=True)
            body = {"count": v.n}
            if params.get("ids", ["0"])[0] in ("1", "true"):
                body["ids"] = self.u.model_ids(v.take(0, v.n).tolist())
            return _Reply(200, orjson.dumps(body))
        if path == "/_replay/info":
            return _Reply(200, orjson.dumps({"models": self.u.N * self.u.K, "base_models": self.u.N,
                                             "multiply": self.u.K, "tags": self.u.task_names,
                                             "orgs": self.u.org_names, "url": self.base_url,
                                             "startup_seconds": self.u.startup_seconds,
                                             "sources": dict(self.u.sources)}))
        return _json_error(404, "unknown control route")

    # -- routes
    def _route(self, route, method, path, query, params, kinds) -> _Reply:
        if method not in ("GET", "HEAD"):
            return _json_error(405, "method not allowed")
        if route == "api":
            return self._api_models(query, params, kinds)
        if route == "tags":
            return self._tags_by_type(params)
        if route in ("html", "json", "js"):
            return self._pages(route, params, kinds)
        if path in ("/", "/api/whoami-v2"):
            if path == "/":
                return _Reply(200, b"<!DOCTYPE html><html><head><title>Hugging Face replay</title></head><body>"
                                   b"<a href=\"/models\">Models</a></body></html>", "text/html; charset=utf-8")
            return _json_error(401, "Invalid credentials in Authorization header")
        found = self.repos.answer(path, params, self.base_url, self._model_info)
        if found is not None:
            return _Reply(found[0], found[1], headers=found[2])
        m = re.fullmatch(r"/api/models/(.+)", path)
        if m:
            b = self.u.index.get(unquote(m.group(1)))
            if b is None:
                return _json_error(404, "Repository not found")
            return _Reply(200, self._render_api(np.asarray([b]), self.u.view(), None, True, False)[1:-1])
        return _Reply(404, b"<!DOCTYPE html><html><body><h1>404</h1><p>Sorry, we can't find the page you are "
                           b"looking for.</p></body></html>", "text/html; charset=utf-8")

    def _model_info(self, b: int, params) -> tuple[int, bytes, list]:
        expand = params.get("expand", []) + params.get("expand[]", [])
        bad = [e for e in expand if e not in EXPAND_KEYS]
        if bad:
            return 400, orjson.dumps({"error": f"Invalid expand value: {bad[0]!r}"}), []
        body = self._render_api(np.asarray([b]), self.u.view(), expand or None, not expand, False)[1:-1]
        if not expand:  # model info carries the card, unlike a listing item without expand
            item = orjson.loads(body)
            item["cardData"] = self.repos.card_data(b)
            body = orjson.dumps(item)
        return 200, body, []

    def _view_from(self, params, api: bool, sort_param: str | None = None) -> View:
        def one(name):
            v = params.get(name)
            return v[0] if v else None
        sort = sort_param or "trendingScore"
        filters = list(params.get("filter", []))
        if not api:
            for name in ("library", "language", "other", "license"):
                filters += [x for v in params.get(name, []) for x in v.split(",") if x]
        return self.u.view(pipeline_tag=one("pipeline_tag") or None, author=one("author") or None,
                           search=params.get("search", []), filters=filters, sort=sort)

    def _api_models(self, query, params, kinds) -> _Reply:
        sort = (params.get("sort") or ["trendingScore"])[0] or "trendingScore"
        aliases = {"last_modified": "lastModified", "created_at": "createdAt", "trending_score": "trendingScore",
                   "modified": "lastModified", "created": "createdAt"}
        sort = aliases.get(sort, sort)
        if sort not in API_SORTS:
            raise _BadRequest(f"Invalid sort parameter: {sort!r}; expected one of {', '.join(API_SORTS)}")
        lim = params.get("limit")
        if lim is None:
            limit = MAX_LIMIT
        else:
            try:
                limit = int(lim[0])
            except ValueError:
                raise _BadRequest(f"\"limit\" must be an integer, got {lim[0]!r}") from None
            if limit <= 0:
                raise _BadRequest("\"limit\" must be a positive integer")
            limit = min(limit, MAX_LIMIT)
        expand = params.get("expand", []) + params.get("expand[]", [])
        for e in expand:
            if e not in EXPAND_KEYS:
                raise _BadRequest(f"Invalid expand value: \"{e}\". Expected one of {', '.join(EXPAND_KEYS)}")
        full = (params.get("full") or ["false"])[0].lower() in ("true", "1")
        view = self._view_from(params, api=True, sort_param=sort)
        start = 0
        if params.get("cursor"):
            start = self._decode_cursor(params["cursor"][-1], view, sort)
        V = view.take(start, start + limit)
        body = self._render_api(V, view, expand or None, full, "noid" in kinds)
        with self.lock:
            self._stats["items_sent"] += len(V)
        rep = _Reply(200, body)
        end = start + len(V)
        if end < view.n and len(V):
            last = int(V[-1])
            cur = self._encode_cursor(view, end - 1, last, sort, params)
            q = "&".join(p for p in query.split("&") if p and not p.startswith("cursor="))
            if not params.get("sort"):
                q += ("&" if q else "") + "sort=trendingScore"
            base = kinds["offsite_link"].base_url.rstrip("/") if "offsite_link" in kinds else self.base_url
            rep.headers.append(("Link", f"<{base}/api/models?{q}{'&' if q else ''}cursor={cur}>; rel=\"next\""))
        return rep

    def _encode_cursor(self, view: View, pos: int, v: int, sort: str, params) -> str:
        vals = self.u.values(np.asarray([v]))
        id1, id2 = self.u.id_keys(np.asarray([v]), vals["createdAt"], vals["h"])
        oid = f"{int(id1[0]):016x}{int(id2[0]):08x}"
        x = view.cursor_value(pos, v, vals)
        pred = {"$or": [{sort: x, "_id": {"$gt": oid}}, {sort: {"$lt": x}}, {sort: None}]}
        if params.get("search"):
            pred["searchSequenceToken"] = base64.b64encode(
                hashlib.blake2b(repr(params["search"]).encode(), digest_size=36).digest()).decode()
        raw = base64.b64encode(orjson.dumps(pred)).decode()
        return quote(raw, safe="")

    def _decode_cursor(self, cursor: str, view: View, sort: str) -> int:
        try:
            pred = orjson.loads(base64.b64decode(cursor, validate=True))
            first = pred["$or"][0]
            oid = first["_id"]["$gt"]
            value = first[sort]
            if not re.fullmatch(r"[0-9a-f]{24}", oid):
                raise ValueError("bad _id")
            pos = view.resume(value, oid)
        except (ValueError, KeyError, TypeError, IndexError, orjson.JSONDecodeError) as e:
            raise _BadRequest(f"Invalid cursor: {e}") from None
        return pos

    def _render_api(self, V: np.ndarray, view: View, expand, full: bool, noid: bool) -> bytes:
        u = self.u
        if not len(V):
            return b"[]"
        vals = u.values(V)
        id1, id2 = u.id_keys(V, vals["createdAt"], vals["h"])
        trend = view.scores(V) if isinstance(view, TrendingView) else view.trending.scores(V)
        Vl = V.tolist()
        names = u.model_ids(Vl)
        bl = vals["b"].tolist()
        dl, ll = vals["downloads"].tolist(), vals["likes"].tolist()
        cl, ml = vals["createdAt"].tolist(), vals["lastModified"].tolist()
        i1, i2, tl = id1.tolist(), id2.tolist(), trend.tolist()
        task_of, task_names, lib_idx, lib_names, tags = u.task_of_l, u.task_names, u.lib_idx_l, u.lib_names, u.tags
        # column-wise values, then one dict per item with the keys that have a value, one orjson call per page
        if expand is None:
            keys = FULL_KEYS if full else DEFAULT_KEYS
        else:
            keys = [k for k in EXPAND_ORDER if k in expand]
        n = len(Vl)
        oids = [x.decode() for x in _oids(id1, id2)]
        pts = [task_names[task_of[b]] if task_of[b] >= 0 else None for b in bl]
        libs = [lib_names[lib_idx[b]] for b in bl]
        cols = []
        for key in keys:
            if key == "author":
                col = [m.split("/", 1)[0] if "/" in m else None for m in names]
            elif key == "pipeline_tag":
                col = pts
            elif key == "library_name":
                col = libs
            elif key == "downloads":
                col = dl
            elif key == "likes":
                col = ll
            elif key == "trendingScore":
                col = tl
            elif key in ("createdAt", "lastModified"):
                col = [x.decode() for x in _isos(vals[key])]
            elif key == "tags":
                col = [tags[b] for b in bl]
            elif key == "modelId":
                col = names
            elif key in ("private", "gated", "disabled", "xetEnabled"):
                col = [False] * n
            else:
                col = [self._field(key, v, b, names[j], pts[j], libs[j], dl[j], ll[j], 0, 0, tl[j], tags[b])
                       for j, (v, b) in enumerate(zip(Vl, bl))]
            cols.append((key, col))
        out = []
        for j in range(n):
            d = {"_id": oids[j]} if noid else {"_id": oids[j], "id": names[j]}
            for key, col in cols:
                x = col[j]
                if x is not None:
                    d[key] = x
            out.append(d)
        if noid:
            for d in out:
                d.pop("modelId", None)
        return orjson.dumps(out)

    def _field(self, key, v, b, mid, pt, lib, dl, li, cr, mo, tr, tags):
        if key == "author":
            return mid.split("/", 1)[0] if "/" in mid else None
        if key in ("gated", "disabled", "private", "gitalyUid", "xetEnabled"):
            return False if key != "gitalyUid" else None
        if key == "lastModified":
            return _iso(mo)
        if key == "createdAt":
            return _iso(cr)
        if key == "likes":
            return li
        if key == "downloads":
            return dl
        if key == "downloadsAllTime":
            return dl * 7 + li
        if key == "trendingScore":
            return tr
        if key == "tags":
            return tags
        if key == "pipeline_tag":
            return pt
        if key == "library_name":
            return lib
        if key == "modelId":
            return mid
        if key == "sha":
            return self.u.sha_of(v)
        if key == "siblings":
            return self.u.siblings_of(v)
        if key == "spaces":
            return []
        if key == "childrenModelCount":
            return 0
        if key == "inferenceProviderMapping":
            return []
        if key == "usedStorage":
            return int(self.u.H[b] % 2_000_000_000)
        if key == "mask_token":
            return "[MASK]" if pt == "fill-mask" else None
        if key == "cardData":
            return self.repos.card_data(b)
        return None

    def _tags_by_type(self, params) -> _Reply:
        if self._tags_payload is None:
            pts = []
            for t in self.u.task_names:
                meta = self.u.task_meta.get(t, {})
                pts.append({"id": t, "label": meta.get("name", t), "type": "pipeline_tag",
                            "subType": meta.get("modality", "other")})
            libs = [{"id": lib, "label": lib, "type": "library"} for lib in self.u.libs_used]
            lics = [{"id": x, "label": x.split(":", 1)[1], "type": "license"} for x in LICENSES if x]
            self._tags_payload = {"pipeline_tag": pts, "library": libs, "license": lics, "language": [],
                                  "dataset": [], "region": [{"id": "region:us", "label": "🇺🇸 Region: US",
                                                              "type": "region"}], "other": []}
        typ = params.get("type")
        if typ:
            if typ[0] not in self._tags_payload:
                raise _BadRequest(f"Invalid type: {typ[0]!r}")
            return _Reply(200, orjson.dumps({typ[0]: self._tags_payload[typ[0]]}))
        return _Reply(200, orjson.dumps(self._tags_payload))

    # -- HTML pages
    def _author_data(self, author: str) -> dict:
        d = self._authors.get(author)
        if d is None:
            h = _hash_id("author:" + author)
            d = {"_id": f"{0x621ffdc0 + h % 60_000_000:08x}{h:016x}",
                 "avatarUrl": f"https://cdn-avatars.huggingface.co/v1/production/uploads/{h:x}/{author}.png",
                 "fullname": author, "name": author,
                 "type": "org" if author in ORGS or h % 5 == 0 else "user", "isPro": h % 13 == 0,
                 "isHf": False, "isHfAdmin": False, "isMod": False, "followerCount": int(h % 5000)}
            if d["type"] == "org":
                d["isEnterprise"] = author in ORGS
            self._authors[author] = d
        return d

    def _pages(self, route, params, kinds) -> _Reply:
        ps = params.get("p", ["0"])[0] or "0"
        try:
            page = int(ps)
        except ValueError:
            raise _BadRequest(f"Invalid page {ps!r}") from None
        if page < 0:
            raise _BadRequest("Invalid page")
        sort = HTML_SORTS.get((params.get("sort") or ["trending"])[0], "trendingScore")
        view = self._view_from(params, api=False, sort_param=sort)
        if route == "js":
            return self._js_page(params)
        V = view.take(page * PAGE_SIZE_HTML, (page + 1) * PAGE_SIZE_HTML)
        frags = self._card_frags(V)
        with self.lock:
            self._stats["items_sent"] += len(V)
        if route == "json":
            tail = b',"numTotalItems":%d' % view.n if (params.get("withCount") or ["false"])[0].lower() in (
                "true", "1") else b""
            return _Reply(200, b'{"models":[%b],"numItemsPerPage":%d%b,"pageIndex":%d}' % (
                b",".join(f[0] for f in frags), PAGE_SIZE_HTML, tail, page))
        if "layout" in kinds:
            return _Reply(200, self._layout_changed_page([orjson.loads(f[0]) for f in frags], params),
                          "text/html; charset=utf-8")
        return _Reply(200, self._html_page(frags, view.n, page, params), "text/html; charset=utf-8")

    def _card_frags(self, V) -> list[tuple[bytes, bytes, bytes]]:
        """Per model on the page: (card JSON, the same HTML-escaped, the card's <article>), from byte templates."""
        u = self.u
        if not len(V):
            return []
        Vl = V.tolist()
        vals = u.values(V)
        names = u.model_ids(Vl)
        bl, dl, ll = (vals[x].tolist() for x in ("b", "downloads", "likes"))
        lms = _isos(vals["lastModified"])
        out = []
        for j in range(len(Vl)):
            mid = names[j]
            ti = u.task_of_l[bl[j]]
            pt = u.task_names[ti] if ti >= 0 else None
            if not _SAFE_ID.fullmatch(mid):  # never in the study's lists; kept correct anyway
                out.append(self._card_frag_slow(mid, pt, dl[j], ll[j], lms[j].decode()))
                continue
            mb = mid.encode()
            if "/" in mid:
                a = self._author_bytes(mid.split("/", 1)[0])
                head, head_esc, avatar = a
            else:
                head = head_esc = b""
                avatar = b"/front/assets/avatar.svg"
            lm = lms[j]
            ptj = b',"pipeline_tag":"%b"' % pt.encode() if pt else b""
            args = (dl[j], mb, lm, ll[j], ptj)
            raw = b"{" + head + _CARD_JSON % args
            esc = b"{" + head_esc + (_CARD_JSON_ESC % (dl[j], mb, lm, ll[j], ptj.replace(b'"', b"&quot;")))
            label = self._labels.get(pt, b"")
            task = _CARD_TASK % (label, label) if pt else b""
            y, mo, d = lm[:4], int(lm[5:7]), int(lm[8:10])
            shown = b"%b %d, %b" % (_MONTHS[mo], d, y)
            card = _CARD_HTML % (mb, mb, avatar, mb, task, lm[:19], lm, shown, _human(dl[j]).encode(),
                                 _human(ll[j]).encode())
            out.append((raw, esc, card))
        return out

    def _author_bytes(self, author: str) -> tuple[bytes, bytes, bytes]:
        """('"author":..,"authorData":{..},' raw, the same escaped, avatar URL) for an owner, cached."""
        x = self._author_frag.get(author)
        if x is None:
            d = self._author_data(author)
            raw = b'"author":%b,"authorData":%b,' % (orjson.dumps(author), orjson.dumps(d))
            x = (raw, html.escape(raw.decode(), quote=True).encode(), html.escape(d["avatarUrl"]).encode())
            self._author_frag[author] = x
        return x

    def _card_frag_slow(self, mid, pt, downloads, likes, lm) -> tuple[bytes, bytes, bytes]:
        d = {}
        if "/" in mid:
            d["author"] = mid.split("/", 1)[0]
            d["authorData"] = self._author_data(d["author"])
        d.update({"downloads": downloads, "gated": False, "id": mid, "availableInferenceProviders": [],
                  "lastModified": lm, "likes": likes})
        if pt:
            d["pipeline_tag"] = pt
        d.update({"private": False, "repoType": "model", "isLikedByUser": False, "widgetOutputUrls": []})
        raw = orjson.dumps(d)
        e = html.escape(mid).encode()
        label = self._labels.get(pt, b"")
        avatar = html.escape(d["authorData"]["avatarUrl"]).encode() if "authorData" in d else b"/front/assets/avatar.svg"
        card = _CARD_HTML % (e, e, avatar, e, _CARD_TASK % (label, label) if pt else b"", lm[:19].encode(),
                             lm.encode(), lm[:10].encode(), _human(downloads).encode(), _human(likes).encode())
        return raw, html.escape(raw.decode(), quote=True).encode(), card

    def _chrome(self, params, inner: bytes | str, title="Models - Hugging Face", scripts="") -> bytes:
        active = (params.get("pipeline_tag") or [""])[0]
        if isinstance(inner, str):
            inner = inner.encode()
        key = (active if active in self.u.task_index else "", title, scripts)
        shell = self._shells.get(key)
        if shell is None:
            shell = self._shells[key] = self._make_chrome(key[0], title, scripts).split(b"\x00", 1)
        return shell[0] + inner + shell[1]

    def _make_chrome(self, active: str, title: str, scripts: str) -> bytes:
        inner = "\x00"
        side = []
        groups: dict[str, list[str]] = {}
        for t in self.u.task_names:
            groups.setdefault(self.u.task_meta.get(t, {}).get("modality", "other"), []).append(t)
        labels = {"cv": "Computer Vision", "nlp": "Natural Language Processing", "audio": "Audio",
                  "tabular": "Tabular", "multimodal": "Multimodal", "rl": "Reinforcement Learning", "other": "Other"}
        for g in ("multimodal", "cv", "nlp", "audio", "tabular", "rl", "other"):
            if g not in groups:
                continue
            side.append(f'<div class="mb-3"><div class="mb-3 text-sm text-gray-500">{labels[g]}</div>'
                        '<div class="flex flex-wrap">')
            for t in groups[g]:
                lab = html.escape(self.u.task_meta.get(t, {}).get("name", t))
                cls = "tag tag-white" + (" tag-active" if t == active else "")
                side.append(f'<a class="{cls}" href="/models?pipeline_tag={t}" data-pipeline-tag="{t}">'
                            f'<div class="tag-ico tag-ico-blue"><svg class="" width="1em" height="1em"'
                            f' viewBox="0 0 32 32"><path d="M4 4h24v24H4z" fill="currentColor"></path></svg></div>'
                            f'<span>{lab}</span></a>')
            side.append("</div></div>")
        return ("<!doctype html>\n<html class=\"\">\n<head>\n<meta charset=\"utf-8\" />\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0, user-scalable=no\" />\n"
                "<meta name=\"description\" content=\"We’re on a journey to advance and democratize artificial "
                "intelligence through open source and open science.\" />\n<meta property=\"og:title\" content=\""
                "Models - Hugging Face\" />\n<link rel=\"stylesheet\" href=\"/front/build/kube-1/style.css\" />\n"
                f"<title>{html.escape(title)}</title>\n</head>\n"
                "<body class=\"flex flex-col min-h-dvh bg-white dark:bg-gray-950 text-black ModelsListPage\">\n"
                "<div class=\"flex min-h-dvh flex-col\">\n<header class=\"border-b border-gray-100\"><div class="
                "\"w-full px-4 container flex h-16 items-center\"><div class=\"flex flex-1 items-center\">"
                "<a class=\"mr-5 flex flex-none items-center lg:mr-6\" href=\"/\"><img alt=\"Hugging Face's logo\""
                " class=\"w-7 md:mr-2\" src=\"/front/assets/huggingface_logo-noborder.svg\" /><span class=\"hidden"
                " whitespace-nowrap text-lg font-bold md:block\">Hugging Face</span></a></div><nav aria-label=\""
                "Main\" class=\"ml-auto hidden lg:block\"><ul class=\"flex items-center space-x-1.5 2xl:space-x-2\">"
                "<li><a class=\"group flex items-center px-2 py-0.5\" href=\"/models\">Models</a></li><li><a class="
                "\"group flex items-center px-2 py-0.5\" href=\"/datasets\">Datasets</a></li><li><a class=\"group "
                "flex items-center px-2 py-0.5\" href=\"/spaces\">Spaces</a></li><li><a class=\"group flex "
                "items-center px-2 py-0.5\" href=\"/docs\">Docs</a></li><li><a class=\"group flex items-center "
                "px-2 py-0.5\" href=\"/pricing\">Pricing</a></li><li><a class=\"whitespace-nowrap\" href=\"/login\">"
                "Log In</a></li></ul></nav></div></header>\n<main class=\"flex flex-1 flex-col\">\n"
                "<div class=\"container relative flex flex-col lg:grid lg:space-y-0 w-full lg:grid-cols-10 "
                "md:flex-1 md:grid-rows-full space-y-4 md:gap-6\">\n<section class=\"pt-8 border-gray-100 "
                "col-span-full lg:col-span-3 lg:border-r lg:pr-6 lg:pb-12\"><div class=\"mb-4 text-sm font-semibold"
                "\">Tasks</div>" + "".join(side) + "</section>\n<section class=\"pt-8 border-gray-100 col-span-full "
                "lg:col-span-7 lg:pb-24\">" + inner + "</section>\n</div>\n</main>\n<footer class=\"b-12 mb-2 flex"
                " border-t border-gray-100 md:h-14\"><nav class=\"container flex items-center justify-between\">"
                "<a href=\"/terms-of-service\">TOS</a><a href=\"/privacy\">Privacy</a><a href=\"/huggingface\">"
                "About</a><a href=\"https://apply.workable.com/huggingface/\">Jobs</a></nav></footer>\n</div>\n"
                + scripts + "</body>\n</html>\n").encode()

    def _html_page(self, frags, total: int, page: int, params) -> bytes:
        esc = (html.escape('{"initialValues":{"models":[', quote=True).encode() + b",".join(f[1] for f in frags)
               + html.escape('],"numItemsPerPage":%d,"numTotalItems":%d,"pageIndex":%d}}' % (
                   PAGE_SIZE_HTML, total, page), quote=True).encode())
        cards = b"\n".join(f[2] for f in frags)
        last = max(0, (total - 1) // PAGE_SIZE_HTML)
        q = "&".join(f"{k}={quote(v[0])}" for k, v in params.items() if k != "p")

        def plink(p, text):
            return (f'<li><a class="flex items-center rounded-lg px-2.5 py-1 hover:bg-gray-50" href="?{q}&p={p}">'
                    f'{text}</a></li>')
        nav = ['<ul class="flex select-none items-center justify-between space-x-2 text-gray-700 sm:justify-center">']
        if page > 0:
            nav.append(plink(page - 1, "Previous"))
        for p in sorted({0, 1, 2, page, page + 1, last}):
            if 0 <= p <= last:
                nav.append(plink(p, str(p + 1)))
        if page < last:
            nav.append(plink(page + 1, "Next"))
        nav.append("</ul>")
        inner = (b'<div class="SVELTE_HYDRATER contents" data-target="ModelList" data-props="' + esc + b'">'
                 b'<div class="mb-4 items-center space-y-3 md:flex md:space-y-0 lg:mb-6"><div class="flex items-center'
                 b' text-lg"><h1>Models</h1><div class="ml-3 w-16 font-mono text-md font-normal text-gray-400">'
                 + f'{total:,}'.encode() + b'</div></div></div><div class="relative"><div class="grid grid-cols-1 '
                 b'gap-5 2xl:grid-cols-2">\n' + cards + b'\n</div></div><div class="mt-8 flex justify-center">'
                 + "".join(nav).encode() + b'</div></div>')
        return self._chrome(params, inner)

    def _layout_changed_page(self, models, params) -> bytes:
        rows = "".join(f'<li class="repo-row" data-repo-ref="{i}"><span class="repo-name">'
                       f'{html.escape(m["id"].replace("/", " / "))}</span></li>' for i, m in enumerate(models))
        inner = ('<div class="SVELTE_HYDRATER contents" data-target="RepoListV2" data-state="{}">'
                 f'<h1>Models</h1><ul class="repo-list">{rows}</ul></div>')
        return self._chrome(params, inner)

    def _js_page(self, params) -> bytes:
        inner = ('<div id="model-list-root"><div class="mb-4 text-gray-400">Loading models…</div></div>'
                 '<noscript>This page needs JavaScript.</noscript>')
        script = "<script>\n" + JS_RENDERER + "\n</script>\n"
        return _Reply(200, self._chrome(params, inner, scripts=script), "text/html; charset=utf-8")


class _BadRequest(Exception):
    pass


# ES5 only (old QtWebKit in Splash): var, function expressions, XMLHttpRequest; no arrow functions, fetch, promises.
JS_RENDERER = r"""
(function () {
  var root = document.getElementById('model-list-root');
  // names split so that the served HTML itself holds no card, no list marker and no props attribute
  var ARTICLE = 'arti' + 'cle', LIST = 'Model' + 'List', PROPS = 'data-' + 'props';
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  function human(n) {
    if (n >= 1000000) { return (Math.round(n / 100000) / 10) + 'M'; }
    if (n >= 1000) { return (Math.round(n / 100) / 10) + 'k'; }
    return String(n);
  }
  function card(m) {
    var t = m.lastModified ? m.lastModified.substring(0, 19) : '';
    var task = m.pipeline_tag ? '<span class="hidden md:inline">' + esc(m.pipeline_tag) + '</span>' +
      '<span class="px-1.5 text-gray-300">\u2022 </span>' : '';
    return '<' + ARTICLE + ' class="overview-card-wrapper group/repo  from-gray-50-to-white from-gray-50 to-white">' +
      '<a class="block p-2" href="/' + esc(m.id) + '"><div class="w-full truncate">' +
      '<header class="flex items-center mb-1" title="' + esc(m.id) + '"><h4 class="text-md truncate font-mono">' +
      esc(m.id) + '</h4></header><div class="mr-1 flex items-center overflow-hidden whitespace-nowrap text-sm ' +
      'leading-tight text-gray-400">' + task + '<span class="truncate">Updated <time datetime="' + esc(t) + '">' +
      esc(t.substring(0, 10)) + '</time></span><span class="px-1.5 text-gray-300">\u2022 </span>' +
      human(m.downloads || 0) + '<span class="px-1.5 text-gray-300">\u2022 </span>' + human(m.likes || 0) +
      '</div></div></a></' + ARTICLE + '>';
  }
  function render(data) {
    var div = document.createElement('div');
    div.className = 'SVELTE_HYDRATER contents';
    div.setAttribute('data-target', LIST);
    div.setAttribute(PROPS, JSON.stringify({initialValues: data}));
    var parts = [];
    var i;
    for (i = 0; i < data.models.length; i++) { parts.push(card(data.models[i])); }
    div.innerHTML = '<div class="mb-4 flex items-center text-lg"><h1>Models</h1><div class="ml-3 text-gray-400">' +
      data.numTotalItems + '</div></div><div class="relative"><div class="grid grid-cols-1 gap-5 2xl:grid-cols-2">' +
      parts.join('\n') + '</div></div>';
    root.innerHTML = '';
    root.appendChild(div);
    root.setAttribute('data-rendered', 'true');
  }
  var qs = window.location.search || '';
  var xhr = new XMLHttpRequest();
  xhr.open('GET', '/models-json' + qs + (qs ? '&' : '?') + 'withCount=true', true);
  xhr.onreadystatechange = function () {
    if (xhr.readyState !== 4) { return; }
    if (xhr.status !== 200) {
      root.innerHTML = '<div class="error">Error ' + xhr.status + '</div>';
      return;
    }
    render(JSON.parse(xhr.responseText));
  };
  xhr.send(null);
})();
"""


# ------------------------------------------------------------------------------------------------ HTTP plumbing
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubreplay/1.0"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet
        if getattr(self.server, "verbose", False):
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    def _serve(self, method):
        core: HubCore = self.server.core
        core.enter()
        try:
            body = b""
            if method == "POST":
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
            try:
                rep = core.handle(method, self.path, self.headers, body)
            except Exception as e:  # a bug in the replay: answer 500 (visible in stats) rather than hang
                import traceback
                traceback.print_exc()
                rep = _json_error(500, f"replay error: {e!r}")
            if rep.action == "drop":
                core.note_sent(rep)
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if rep.delay:
                time.sleep(rep.delay)
            body = rep.body if method != "HEAD" else b""
            reason = http.client.responses.get(rep.status, "")
            lines = [f"HTTP/1.1 {rep.status} {reason}"]
            lines += [f"{k}: {v}" for k, v in rep.headers]
            clen = rep.content_length if rep.content_length is not None else len(rep.body)
            lines.append(f"Content-Length: {clen}")
            if self.close_connection:
                lines.append("Connection: close")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
            core.note_sent(rep)
            try:
                self.wfile.write(head + body)
            except OSError:
                self.close_connection = True
                return
            if rep.action == "dataloss":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        finally:
            core.leave()

    def do_GET(self):
        self._serve("GET")

    def do_HEAD(self):
        self._serve("HEAD")

    def do_POST(self):
        self._serve("POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


_UNIVERSES: dict = {}
_UNIVERSES_LOCK = threading.Lock()


class ReplayHub:
    """The replay hub. ``with ReplayHub(...) as hub`` serves from a thread of this process;
    ``ReplayHub(...).start_process()`` runs the same server in a child process (``stop()`` ends it)."""

    def __init__(self, lists_dir: str | os.PathLike | None = None, multiply: int = 1, faults: Any = None,
                 seed: int = 0, host: str = "127.0.0.1", port: int = 0, quota: int | dict | None = None,
                 window: int = 300, enrich: bool = True, verbose: bool = False):
        self.lists_dir = Path(lists_dir or default_lists_dir())
        self.multiply, self.seed, self.host, self.port = multiply, seed, host, port
        self.quota, self.window, self.enrich, self.verbose = quota, window, enrich, verbose
        self._faults = Faults.parse(faults) if faults is not None else Faults(seed=seed)
        if faults is None or (not isinstance(faults, Faults) and isinstance(faults, (list, tuple))):
            self._faults.seed = seed
        self._universe: Universe | None = None
        self.core: HubCore | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None
        self.url: str | None = None

    # -- lifecycle
    @property
    def universe(self) -> Universe:
        """The hub's models; shared by the hubs of one process that serve the same lists (it is read-only)."""
        if self._universe is None:
            key = (str(self.lists_dir.resolve()), self.multiply, self.enrich)
            with _UNIVERSES_LOCK:
                u = _UNIVERSES.get(key)
                if u is None:
                    u = _UNIVERSES[key] = Universe(self.lists_dir, self.multiply, enrich=self.enrich)
            self._universe = u
        return self._universe

    def start(self) -> "ReplayHub":
        srv = _Server((self.host, self.port), _Handler)
        srv.verbose = self.verbose
        self.port = srv.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        srv.core = self.core = HubCore(self.universe, self._faults, self.seed, self.quota, self.window, self.url)
        self._server = srv
        self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="hubreplay", daemon=True)
        self._thread.start()
        return self

    def start_process(self, timeout: float = 120.0) -> "ReplayHub":
        cmd = [sys.executable, "-m", "tests.hubreplay", "--lists", str(self.lists_dir), "--host", self.host,
               "--port", str(self.port), "--multiply", str(self.multiply), "--seed", str(self.seed),
               "--window", str(self.window), "--faults", json.dumps(self._faults.to_json())]
        if self.quota is not None:
            cmd += ["--quota", json.dumps(self.quota)]
        if not self.enrich:
            cmd.append("--no-enrich")
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self._proc = subprocess.Popen(cmd, cwd=str(REPO_ROOT), stdout=subprocess.PIPE, env=env, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self._proc.stdout.readline()
            if not line:
                raise RuntimeError(f"hub process exited with {self._proc.wait()}")
            m = re.search(r"(http://\S+)", line)
            if m:
                self.url = m.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                threading.Thread(target=self._proc.stdout.read, daemon=True).start()  # drain
                return self
        self.stop()
        raise RuntimeError("hub process did not start in time")

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> "ReplayHub":
        return self.start() if self._proc is None and self._server is None else self

    def __exit__(self, *exc):
        self.stop()

    # -- control (works for both modes)
    def _control(self, method: str, route: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, route, body=data, headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            payload = r.read()
            if r.status != 200:
                raise RuntimeError(f"{route}: {r.status} {payload[:200]!r}")
            return json.loads(payload)
        finally:
            conn.close()

    def stats(self) -> dict:
        """Requests per route/stream, statuses, 429s sent, early requests, Authorization values, faults fired ..."""
        if self.core is not None:
            return self.core.stats()
        return self._control("GET", "/_replay/stats")

    def reset_stats(self):
        if self.core is not None:
            self.core.reset_stats()
        else:
            self._control("POST", "/_replay/reset")

    def set_faults(self, faults: Any = None, *rules: Fault | dict, seed: int | None = None):
        """``set_faults(Faults(...))``, ``set_faults(Fault(...), Fault(...))`` or ``set_faults([{...}])``."""
        f = Faults.parse(faults if not rules else [faults, *rules])
        if seed is not None:
            f.seed = seed
        self._faults = f
        if self.core is not None:
            self.core.set_faults(f)
        elif self._proc is not None:
            self._control("POST", "/_replay/faults", f.to_json())

    # -- what the hub holds (computed in this process for both modes; deterministic)
    def expected_ids(self, tag: str | None = None, author: str | None = None, search: str | None = None,
                     filters: Iterable[str] = (), sort: str = "trendingScore") -> list[str]:
        return self.universe.expected_ids(tag=tag, author=author, search=(search,) if search else (),
                                          filters=filters, sort=sort)

    def expected_count(self, tag: str | None = None, author: str | None = None) -> int:
        return self.universe.view(pipeline_tag=tag, author=author).n

    def tags(self) -> list[str]:
        return list(self.universe.task_names)

    def orgs(self) -> list[str]:
        return list(self.universe.org_names)


# ------------------------------------------------------------------------------------------------ CLI
def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.hubreplay", description=__doc__.split("\n\n")[0])
    ap.add_argument("--lists", default=str(default_lists_dir()), help="folder of <tag>.txt / <org>.txt lists")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000, help="0 = a free port")
    ap.add_argument("--multiply", type=int, default=1, help="synthetic hub K times larger (lazy)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--faults", default=None, help='JSON: [{"kind":"error","p":0.05}, ...] or {"seed":..,"rules":[..]}')
    ap.add_argument("--error-rate", type=float, default=0, help="shortcut: 500/502/503 with this probability")
    ap.add_argument("--drop-rate", type=float, default=0, help="shortcut: dropped connections with this probability")
    ap.add_argument("--burst", default=None, help="shortcut: EVERY,K,RESET[,retry-after] 429 bursts")
    ap.add_argument("--slow", type=float, default=0, help="shortcut: delay every answer by this many seconds")
    ap.add_argument("--quota", default=None, help="enforce a quota per window: N, or JSON {\"api\":N,\"pages\":M}")
    ap.add_argument("--window", type=int, default=300)
    ap.add_argument("--no-enrich", action="store_true", help="synthetic values only (faster start)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    faults = Faults.parse(a.faults) if a.faults else Faults(seed=a.seed)
    if a.error_rate:
        faults.rules.append(Fault("error", p=a.error_rate))
    if a.drop_rate:
        faults.rules.append(Fault("drop", p=a.drop_rate))
    if a.burst:
        x = a.burst.split(",")
        faults.rules.append(Fault("burst429", every=int(x[0]), burst=int(x[1]), reset=float(x[2]),
                                  retry_after=len(x) > 3 and x[3].lower() in ("1", "true", "retry-after")))
    if a.slow:
        faults.rules.append(Fault("slow", delay=a.slow))
    quota = None
    if a.quota:
        quota = json.loads(a.quota)
    hub = ReplayHub(a.lists, multiply=a.multiply, faults=faults, seed=a.seed, host=a.host, port=a.port,
                    quota=quota, window=a.window, enrich=not a.no_enrich, verbose=a.verbose)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell: still stoppable
        signal.signal(signal.SIGINT, _raise_interrupt)
    hub.start()
    u = hub.universe
    print(f"hubreplay: {u.N * u.K:,} models ({u.N:,} x {u.K}), {len(u.task_names)} tasks, started in "
          f"{u.startup_seconds:.2f}s; serving on {hub.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
