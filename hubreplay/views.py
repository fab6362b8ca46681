"""Views (the ordered models of one listing) and cursors (where the next page of a view starts).

A cursor is the Hub's: base64 of a MongoDB-like predicate ``{"$or": [{sort: x, "_id": {"$gt": oid}}, {sort:
{"$lt": x}}, {sort: None}]}`` naming the last item sent; resuming finds the position right after it.
"""
from __future__ import annotations

import base64
import bisect
import hashlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import orjson

from .reply import BadRequest
from .synthetic import U64, iso, parse_iso

if TYPE_CHECKING:
    from .universe import Universe


class View:
    """``n`` models in the listing's order: ``take(a, b)`` gives the virtual indices of positions a..b."""
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
        return iso(x) if self.sort in ("createdAt", "lastModified") else x

    def resume(self, value, oid):
        if self.sort == "id":
            if not isinstance(value, str):
                raise ValueError("id must be a string")
            return self.n - bisect.bisect_left(self.asc, value)
        if self.sort in ("createdAt", "lastModified"):
            if not isinstance(value, str):
                raise ValueError("date expected")
            value = parse_iso(value)
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


# ------------------------------------------------------------------------------------------------ cursors
def encode_cursor(u: Universe, view: View, pos: int, v: int, sort: str, params: dict) -> str:
    """The URL-encoded cursor of the page that starts after model ``v`` (at position ``pos`` of ``view``)."""
    vals = u.values(np.asarray([v]))
    id1, id2 = u.id_keys(np.asarray([v]), vals["createdAt"], vals["h"])
    oid = f"{int(id1[0]):016x}{int(id2[0]):08x}"
    x = view.cursor_value(pos, v, vals)
    pred = {"$or": [{sort: x, "_id": {"$gt": oid}}, {sort: {"$lt": x}}, {sort: None}]}
    if params.get("search"):
        pred["searchSequenceToken"] = base64.b64encode(
            hashlib.blake2b(repr(params["search"]).encode(), digest_size=36).digest()).decode()
    raw = base64.b64encode(orjson.dumps(pred)).decode()
    return quote(raw, safe="")


def decode_cursor(cursor: str, view: View, sort: str) -> int:
    """The position in ``view`` where a cursor's page starts; BadRequest for a cursor that names nothing."""
    try:
        pred = orjson.loads(base64.b64decode(cursor, validate=True))
        first = pred["$or"][0]
        oid = first["_id"]["$gt"]
        value = first[sort]
        if not re.fullmatch(r"[0-9a-f]{24}", oid):
            raise ValueError("bad _id")
        pos = view.resume(value, oid)
    except (ValueError, KeyError, TypeError, IndexError, orjson.JSONDecodeError) as e:
        raise BadRequest(f"Invalid cursor: {e}") from None
    return pos
