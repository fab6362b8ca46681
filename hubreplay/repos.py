"""The replay hub's repository endpoints, with SYNTHETIC git histories (no public dump of Hub histories is small
enough to ship).

Routes (docs/hub-api.md section 7): ``GET /api/models/{id}/refs``, ``GET /api/models/{id}/commits/{rev}``
(``limit`` 1-1000, default 50; ``p`` 0-based; ``Link`` rel="next"; ``x-total-count``), ``GET /api/models/{id}``
(model info, with ``expand``; ``cardData`` carries ``base_model`` and ``new_version``). A deleted repository
answers 404 with ``X-Error-Code: RepoNotFound`` on all three.

Each repository's history is generated deterministically from its id, calibrated where figures exist:
- every history ends (oldest commit) with ``initial commit`` by ``system``; 3% have nothing else; most of the rest
  have one upload and nothing more, and the rest a long right tail of README/config commits (Pareto, capped);
- commits that change weight files: one upload, or, for 16,271 of 52,227 repositories (31%, Ajibode et al.'s LLM
  repositories with a weight file changed at least twice), a count drawn from their per-repository maximum of
  ``changed_frequency`` (../shared/data/versioning-ajibode-2024/model_weight_file_changed.csv.gz);
- tags (2%) and branches other than main (3%) are rare; 0.6% of repositories are deleted since the listing;
- the head of main is the listing's ``sha``, the newest commit's date its ``lastModified``, the oldest its
  ``createdAt``;
- ``base_model``: the ``base_model:`` tags of real listings where present, else 15% get a popular model of the same
  task; ``new_version``: models of one family (same owner, names equal once a trailing version is cut) point to the
  next member in name order, one time in ten.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import numpy as np
import orjson

from .cache import PageCache
from .paths import shared_dir

P_DELETED, P_ONLY_INITIAL, P_MORE, P_TAGS, P_BRANCHES, P_SYNTH_BASE, P_SUCCESSOR = (
    0.006, 0.03, 0.20, 0.02, 0.03, 0.15, 0.1)
P_WEIGHT_CHANGES = 16_271 / 52_227  # Ajibode et al.: repos with a weight file changed >= 2 times, of all studied
MAX_OTHER = 3000
DEFAULT_LIMIT, MAX_LIMIT = 50, 1000
OTHER_TITLES = ("Update README.md", "Upload config.json", "Upload tokenizer.json", "Update config.json",
                "Upload tokenizer_config.json", "Update generation_config.json", "Add evaluation results")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model-00001-of-00002.safetensors", "tf_model.h5")
EXTRA_BRANCHES = ("dev", "fp16", "onnx", "gguf", "v2")
_VERSION_TAIL = re.compile(r"[-_.]?v?\d+(?:[._]\d+)*$", re.IGNORECASE)


def weight_change_counts() -> np.ndarray:
    """Per repository of the Ajibode data: the most any weight file of it changed (>= 2 by construction)."""
    path = shared_dir() / "data" / "versioning-ajibode-2024" / "model_weight_file_changed.csv.gz"
    most: dict[tuple[str, str], int] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["owner"], row["model_name"])
            most[key] = max(most.get(key, 0), int(row["changed_frequency"]))
    return np.asarray(sorted(most.values()), dtype=np.int64)


def _seed(model_id: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.blake2b(f"{salt}:{model_id}".encode(), digest_size=8).digest(), "little")


def _commit_id(model_id: str, position: int) -> str:
    return hashlib.blake2b(f"{model_id}@{position}".encode(), digest_size=20, person=b"commit").hexdigest()


def _iso(ts: int) -> str:
    return np.datetime_as_string(np.datetime64(int(ts), "s"), unit="s") + ".000Z"


_SHARED: dict[int, RepoHistories] = {}
_UNSET = object()
_SUCCESSORS_LOCK = threading.Lock()


def histories_of(universe: Any) -> RepoHistories:
    """The histories of a universe, made once (for the listing's cardData; each hub core counts its own requests)."""
    if id(universe) not in _SHARED:
        _SHARED[id(universe)] = RepoHistories(universe)
    return _SHARED[id(universe)]


class RepoHistories:
    """Synthetic histories of every model of a replay universe, and the endpoints that serve them."""

    def __init__(self, universe: Any):
        self.u = universe
        self.weights = weight_change_counts()
        self._successors: dict[str, str] | None = None
        self._popular: dict[int, list[str]] = {}
        self._summaries: dict[str, dict[str, Any] | None] = {}  # the last few thousand, as each is asked 2-3 times
        self._cards: list[Any] = [_UNSET] * len(universe.ids)  # each model's cardData, made on first use
        self.requests: Counter = Counter()  # by (kind, id)
        # the refs and commits answers, by path and page: a repository asked again (the second contender of a
        # benchmark, a resumed crawl) costs a lookup, not a history made again under the GIL the other requests
        # wait for (0.18 ms a request made, 0.03 looked up)
        self.answers = PageCache()

    # ------------------------------------------------------------------------------------------------ what it holds

    def base_index(self, model_id: str) -> int | None:
        return self.u.index.get(model_id)

    def summary(self, model_id: str) -> dict[str, Any] | None:
        """The repository as its refs and first commits page say: None when deleted or unknown."""
        found = self._summaries.get(model_id, self)  # self: not there (None is a summary: deleted)
        if found is self:
            if len(self._summaries) > 4096:
                self._summaries.clear()
            found = self._summaries[model_id] = self._summary(model_id)
        return found

    def _summary(self, model_id: str) -> dict[str, Any] | None:
        b = self.base_index(model_id)
        if b is None:
            return None
        rng = np.random.default_rng(_seed(model_id))
        if rng.random() < P_DELETED:
            return None
        weight = int(rng.choice(self.weights)) if rng.random() < P_WEIGHT_CHANGES else 1
        other = int(min(MAX_OTHER, np.floor(rng.pareto(1.1) * 2) + 1)) if rng.random() < P_MORE else 0
        total = 1 if rng.random() < P_ONLY_INITIAL else 1 + weight + other
        tags = [f"v1.{i}" for i in range(int(rng.integers(1, 4)))] if rng.random() < P_TAGS else []
        branches = ["main"] + (list(rng.choice(EXTRA_BRANCHES, size=int(rng.integers(1, 3)), replace=False))
                               if rng.random() < P_BRANCHES else [])
        vals = self.u.values(np.asarray([b]))
        return {"id": model_id, "sha": self.u.sha_of(b), "branches": branches, "tags": tags, "commit_count": total,
                "weight_commits": min(weight, total - 1), "created": int(vals["createdAt"][0]),
                "modified": int(vals["lastModified"][0]), "last_commit_at": _iso(int(vals["lastModified"][0])),
                **self.lineage(model_id, b)}

    def commits(self, model_id: str, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Commits of main, newest first (positions start..stop), in the API's shape."""
        s = self.summary(model_id)
        assert s is not None
        total = s["commit_count"]
        stop = total if stop is None else min(stop, total)
        owner = model_id.partition("/")[0] if "/" in model_id else model_id
        rng = np.random.default_rng(_seed(model_id, "commits"))
        weight_at = set(rng.choice(max(1, total - 2), size=max(0, s["weight_commits"] - 1), replace=False).tolist())
        span = max(0, s["modified"] - s["created"])
        out = []
        for i in range(start, stop):
            oldest = i == total - 1
            if oldest:
                title, author = "initial commit", "system"
            elif i == total - 2 or i in weight_at:
                title, author = f"Upload {WEIGHT_FILES[_seed(model_id, str(i)) % 4]}", owner
            else:
                title, author = OTHER_TITLES[_seed(model_id, str(i)) % len(OTHER_TITLES)], owner
            date = s["modified"] - (span * i // max(1, total - 1))
            out.append({"id": s["sha"] if i == 0 else _commit_id(model_id, i), "title": title, "message": title + "\n",
                        "authors": [{"user": author, "avatar": f"https://cdn-avatars.example/{author}.png"}],
                        "date": _iso(date)})
        return out

    def lineage(self, model_id: str, b: int) -> dict[str, Any]:
        tags = self.u.tags[b]
        base = [t.rpartition(":")[2] for t in tags if t.startswith("base_model:")]
        base = list(dict.fromkeys(base))
        if not base and _seed(model_id, "base") % 1000 < P_SYNTH_BASE * 1000:
            popular = self.popular(int(self.u.task_of[b]))
            if popular:
                parent = popular[_seed(model_id, "parent") % len(popular)]
                base = [parent] if parent != model_id else []
        return {"base_model": base, "new_version": self.successors().get(model_id)}

    def popular(self, task: int) -> list[str]:
        if task not in self._popular:
            ids = self.u.task_lists[self.u.task_names[task]][:100].tolist() if task >= 0 else []
            self._popular[task] = [self.u.ids[i] for i in ids]
        return self._popular[task]

    def successors(self) -> dict[str, str]:
        """Families of ids (same owner, same name without its trailing version): each points to the next. Made once,
        under a lock: the server's threads asking at once would each make it."""
        with _SUCCESSORS_LOCK:
            return self._make_successors()

    def _make_successors(self) -> dict[str, str]:
        if self._successors is None:
            families: dict[tuple[str, str], list[str]] = {}
            for mid in self.u.ids:
                owner, _, name = mid.rpartition("/")
                stem = _VERSION_TAIL.sub("", name)
                if owner and stem and stem != name:
                    families.setdefault((owner, stem.lower()), []).append(mid)
            successors = {}
            for members in families.values():
                members.sort()
                for older, newer in zip(members, members[1:]):
                    if _seed(older, "successor") % 1000 < P_SUCCESSOR * 1000:
                        successors[older] = newer
            self._successors = successors  # whole: the server's other threads never see a part of it
        return self._successors

    def cards(self, bs: list[int]) -> list[dict[str, Any] | None]:
        """`card_data` of each base model of a listing page."""
        return [self.card_data(b) for b in bs]

    def card_data(self, b: int) -> dict[str, Any] | None:
        """The card's YAML as `cardData`: license, base_model, new_version (keys with a value only); made once per
        model (a listing asks it of every model it lists)."""
        card = self._cards[b]
        if card is _UNSET:
            card = self._cards[b] = self._card_data(b)
        return card

    def _card_data(self, b: int) -> dict[str, Any] | None:
        model_id = self.u.ids[b]
        lic = next((t[8:] for t in self.u.tags[b] if t.startswith("license:")), None)
        line = self.lineage(model_id, b)
        base = line["base_model"]
        card = {"license": lic, "base_model": base[0] if len(base) == 1 else (base or None),
                "new_version": line["new_version"]}
        card = {k: v for k, v in card.items() if v is not None}
        return card or None

    # ---------------------------------------------------------------------------------------------------- serving

    _ROUTES = (re.compile(r"/api/models/(?P<id>.+?)/(?P<kind>refs)/?"),
               re.compile(r"/api/models/(?P<id>.+?)/(?P<kind>commits)/(?P<rev>[^/]+)"),
               re.compile(r"/api/models/(?P<id>[^/]+(?:/[^/]+)?)(?P<kind>)"))

    def answer(self, path: str, params: dict[str, list[str]], base_url: str,
               model_info: Callable[[int, dict[str, list[str]]], tuple[int, bytes, list[tuple[str, str]]]],
               ) -> tuple[int, bytes, list[tuple[str, str]]] | None:
        """(status, body, headers) for a repository route; None for any other path. `model_info(base index,
        params)` answers GET /api/models/{id} (hubreplay.render_api.model_info: the listing's renderer, which
        itself reads the cards kept here)."""
        m = next((m for m in (r.fullmatch(path) for r in self._ROUTES) if m), None)
        if not m:
            return None
        model_id, kind = unquote(m.group("id")), m.group("kind") or "info"
        self.requests[(kind, model_id)] += 1
        if kind == "info":  # its answer depends on `expand`: rendered by model_info each time
            summary = self.summary(model_id)
            if summary is None:
                return 404, orjson.dumps({"error": "Repository not found"}), [("X-Error-Code", "RepoNotFound")]
            return model_info(self.base_index(model_id), params)
        key = (path, tuple(params.get("limit", ())), tuple(params.get("p", ())))
        found = self.answers.get(key)
        if found is None:
            found = self._answer(m, model_id, kind, params, base_url)
            self.answers.put(key, found, size=len(path) + len(found[1]) + 100)
        return found

    def _answer(self, m: re.Match, model_id: str, kind: str, params: dict[str, list[str]],
                base_url: str) -> tuple[int, bytes, list[tuple[str, str]]]:
        """The refs or commits answer, made from the history."""
        summary = self.summary(model_id)
        if summary is None:
            return 404, orjson.dumps({"error": "Repository not found"}), [("X-Error-Code", "RepoNotFound")]
        if kind == "refs":
            return 200, orjson.dumps(self.refs_body(summary)), []
        if unquote(m.group("rev")) not in ("main", "refs/heads/main", summary["sha"]):
            return 404, orjson.dumps({"error": "Invalid rev id"}), [("X-Error-Code", "RevisionNotFound")]
        return self.commits_page(model_id, summary, params, base_url)

    def refs_body(self, s: dict[str, Any]) -> dict[str, Any]:
        def ref(kind: str, name: str) -> dict[str, str]:
            target = s["sha"] if name == "main" else _commit_id(s["id"], 1 + _seed(name) % s["commit_count"])
            return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": target}
        return {"branches": [ref("heads", b) for b in s["branches"]], "converts": [],
                "tags": [ref("tags", t) for t in s["tags"]]}

    def commits_page(self, model_id: str, s: dict[str, Any], params: dict[str, list[str]],
                     base_url: str) -> tuple[int, bytes, list[tuple[str, str]]]:
        try:
            limit = int((params.get("limit") or [DEFAULT_LIMIT])[0])
            page = int((params.get("p") or [0])[0])
        except ValueError:
            return 400, orjson.dumps({"error": "limit and p must be integers"}), []
        if limit <= 0 or page < 0:
            return 400, orjson.dumps({"error": "limit must be positive, p non-negative"}), []
        limit = min(limit, MAX_LIMIT)
        start = page * limit
        headers = [("x-total-count", str(s["commit_count"]))]
        if start + limit < s["commit_count"]:
            url = f"{base_url}/api/models/{quote(model_id, safe='/')}/commits/main?limit={limit}&p={page + 1}"
            headers.append(("Link", f'<{url}>; rel="next"'))
        return 200, orjson.dumps(self.commits(model_id, start, start + limit)), headers

    def stats(self) -> dict[str, Any]:
        """Requests by kind, and the repositories asked more than once for the same kind (should be none)."""
        by_kind = Counter()
        for (kind, _), n in self.requests.items():
            by_kind[kind] += n
        repeated = sum(1 for (kind, _), n in self.requests.items() if n > 1 and kind != "commits")
        return {"by_kind": dict(by_kind), "repositories": len({mid for _, mid in self.requests}),
                "repeated": repeated, "answers_cache": self.answers.stats()}
