"""The data universe: every model of the replay hub, its values, and the views that list them.

Base models come from the study's real lists; their values are real where a snapshot holds them
(``snapshots.py``) and deterministic synthetic values otherwise (``synthetic.py``). A hub ``multiply=K`` times
larger adds K-1 copies of each model, computed lazily, never materialised.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import zlib
from collections import Counter, OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import cache
from .paths import default_lists_dir, pipeline_tags_file, snapshots_dir
from .snapshots import enrich as enrich_from_snapshots
from .synthetic import CUTOFF, MAX_NAME, OLD_CREATED, U64, copy_id, hash_id, mix, synthetic_values
from .views import SortedView, TrendingView, View

ORGS = ("google", "facebook", "openai")


def load_pipeline_tags() -> list[dict]:
    """The Hub's task list (id, name, modality ...), or [] when the file is absent."""
    try:
        return json.loads(pipeline_tags_file().read_text())
    except OSError:
        return []


def read_lists(lists_dir: Path) -> dict[str, list[str]]:
    """``{list name: ids}`` from the ``*.txt`` files of a folder, one id a line."""
    files = {}
    for f in sorted(lists_dir.glob("*.txt")):
        files[f.stem] = [line.strip() for line in f.read_text().splitlines() if line.strip()]
    return files


class Universe:
    """All models of the replay hub. Base models live in arrays; copies (``multiply=K``) are computed lazily.

    A model is addressed by a virtual index ``v = k * N + b`` (b = base index, k = copy number, 0 = the real id).
    """

    # the base state, cached on disk (cache.py)
    _CACHED = ("task_meta", "org_names", "task_names", "task_index", "task_lists", "org_lists", "ids", "index", "N",
               "task_of", "global_order", "grank", "orank", "_by_author", "H", "downloads", "likes", "created",
               "modified", "tags", "lib_names", "_lib_code", "lib_idx", "sha", "siblings", "sources")

    def __init__(self, lists_dir: str | os.PathLike | None = None, multiply: int = 1, enrich: bool = True):
        t0 = time.perf_counter()
        self.lists_dir = Path(lists_dir or default_lists_dir())
        if not self.lists_dir.is_dir():
            raise FileNotFoundError(f"lists directory not found: {self.lists_dir}")
        if multiply < 1:
            raise ValueError("multiply must be >= 1")
        self.K = int(multiply)
        self.cache_hit = False
        state = cache.load_state(self.lists_dir, enrich, self._CACHED)
        if state is None:
            self._build(enrich)
            cache.save_state(self.lists_dir, enrich, {k: getattr(self, k) for k in self._CACHED})
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

    # -- building the base state
    def _build(self, enrich: bool):
        files = read_lists(self.lists_dir)
        pt = load_pipeline_tags()
        self.task_meta = {d["id"]: d for d in pt}
        self.org_names = [o for o in files if o in ORGS]
        task_files = [t for t in files if t not in ORGS]
        order = [d["id"] for d in pt if d["id"] in files]
        self.task_names: list[str] = order + [t for t in task_files if t not in order]
        self.task_index = {t: i for i, t in enumerate(self.task_names)}
        relpos = self._index_lists(files)
        self._rank(relpos)
        self._by_author = self._group_by_author()
        self.H = mix(np.fromiter(map(hash_id, self.ids), dtype=U64, count=self.N))
        self.__dict__.update(synthetic_values(self.H, self.task_of, self.task_names))
        self.sources = Counter()
        if enrich:
            enrich_from_snapshots(self, snapshots_dir())

    def _index_lists(self, files: dict[str, list[str]]) -> np.ndarray:
        """Number every id once (task files first); returns each id's relative position in its first list."""
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
        self.N = len(ids)
        self.task_of = np.asarray(task_of, dtype=np.int16)
        return np.asarray(relpos)

    def _rank(self, relpos: np.ndarray):
        """The global trending order keeps every task file's order, tasks interleaved by relative position;
        each organisation keeps its own file's order."""
        N = self.N
        self.global_order = np.lexsort((np.arange(N), relpos))
        self.grank = np.empty(N, dtype=np.int64)
        self.grank[self.global_order] = np.arange(N)
        self.orank: dict[str, np.ndarray] = {}
        for o, arr in self.org_lists.items():
            r = np.full(N, -1, dtype=np.int64)
            r[arr] = np.arange(len(arr))
            self.orank[o] = r

    def _group_by_author(self) -> dict[str, list[int]]:
        by_author: dict[str, list[int]] = {}
        for b in self.global_order.tolist():
            mid = self.ids[b]
            if "/" in mid:
                by_author.setdefault(mid.split("/", 1)[0], []).append(b)
        return by_author

    def set_lib(self, b: int, lib: str | None):
        """Give base model ``b`` a (real) library."""
        c = self._lib_code.get(lib)
        if c is None:
            c = self._lib_code[lib] = len(self.lib_names)
            self.lib_names.append(lib)
        self.lib_idx[b] = c

    def set_real_tags(self, b: int, tags: Iterable[str]):
        """Give base model ``b`` its real tags, plus its task and region:us as every listed model has them."""
        tg = [t for t in tags if isinstance(t, str)]
        ti = int(self.task_of[b])
        if ti >= 0 and self.task_names[ti] not in tg:
            tg.append(self.task_names[ti])
        if "region:us" not in tg:
            tg.append("region:us")
        self.tags[b] = tuple(tg)

    # -- per-virtual-index values (vectorised)
    def split(self, V: np.ndarray):
        V = np.asarray(V, dtype=np.int64)
        return V % self.N, V // self.N

    def hashes(self, V: np.ndarray) -> np.ndarray:
        b, k = self.split(V)
        h = self.H[b]
        if self.K > 1:
            with np.errstate(over="ignore"):
                hk = mix(h ^ (k.astype(U64) * U64(0x9E3779B97F4A7C15)))
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
        """(organisation whose own order applies or "", trending ranks, number of ranks)."""
        if author in self.org_lists:
            return author, self.orank[author], len(self.org_lists[author])
        return "", self.grank, self.N

    def view(self, pipeline_tag: str | None = None, author: str | None = None, search: Iterable[str] = (),
             filters: Iterable[str] = (), sort: str = "trendingScore") -> View:
        """The models a listing with these parameters shows, in its order (a few recent views are kept)."""
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

    def _base_selection(self, pipeline_tag, author, ctx_name) -> np.ndarray:
        """Base indices of the listing before filters and search, in trending order."""
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
        return B

    def _make_view(self, pipeline_tag, author, search, filters, sort) -> View:
        ctx_name, R, M = self.context(author)
        B = self._base_selection(pipeline_tag, author, ctx_name)
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
