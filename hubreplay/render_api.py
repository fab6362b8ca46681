"""Rendering of the JSON API: the items of ``/api/models`` (default, ``full`` or ``expand`` keys) and the
payload of ``/api/models-tags-by-type``. Values are computed column-wise, then one orjson call a page."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import orjson

from .repos import RepoHistories, histories_of
from .synthetic import LICENSES, iso, isos, oids
from .views import TrendingView, View

if TYPE_CHECKING:
    from .universe import Universe

API_SORTS = ("trendingScore", "downloads", "likes", "createdAt", "lastModified", "id")
SORT_ALIASES = {"last_modified": "lastModified", "created_at": "createdAt", "trending_score": "trendingScore",
                "modified": "lastModified", "created": "createdAt"}
MAX_LIMIT = 1000
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


def render_api(u: Universe, V: np.ndarray, view: View, expand, full: bool, noid: bool) -> bytes:
    """The JSON list of the models ``V`` (virtual indices) as /api/models sends them."""
    if not len(V):
        return b"[]"
    vals = u.values(V)
    id1, id2 = u.id_keys(V, vals["createdAt"], vals["h"])
    if expand is None:
        keys = FULL_KEYS if full else DEFAULT_KEYS
    else:
        keys = [k for k in EXPAND_ORDER if k in expand]
    names = u.model_ids(V.tolist())
    cols = _columns(u, V, view, vals, names, keys)
    out = []
    for j, oid in enumerate(x.decode() for x in oids(id1, id2)):
        d = {"_id": oid} if noid else {"_id": oid, "id": names[j]}
        for key, col in cols:
            x = col[j]
            if x is not None:
                d[key] = x
        out.append(d)
    if noid:
        for d in out:
            d.pop("modelId", None)
    return orjson.dumps(out)


def _columns(u: Universe, V: np.ndarray, view: View, vals: dict, names: list[str], keys) -> list[tuple[str, list]]:
    """(key, one value per model) for every key of the items; None where the item omits the key."""
    trend = view.scores(V) if isinstance(view, TrendingView) else view.trending.scores(V)
    Vl = V.tolist()
    bl = vals["b"].tolist()
    dl, ll, tl = vals["downloads"].tolist(), vals["likes"].tolist(), trend.tolist()
    task_of, task_names, lib_idx, lib_names, tags = u.task_of_l, u.task_names, u.lib_idx_l, u.lib_names, u.tags
    n = len(Vl)
    pts = [task_names[task_of[b]] if task_of[b] >= 0 else None for b in bl]
    libs = [lib_names[lib_idx[b]] for b in bl]
    simple = {"author": lambda: [m.split("/", 1)[0] if "/" in m else None for m in names],
              "pipeline_tag": lambda: pts, "library_name": lambda: libs, "downloads": lambda: dl,
              "likes": lambda: ll, "trendingScore": lambda: tl, "modelId": lambda: names,
              "createdAt": lambda: [x.decode() for x in isos(vals["createdAt"])],
              "lastModified": lambda: [x.decode() for x in isos(vals["lastModified"])],
              "tags": lambda: [tags[b] for b in bl], "sha": lambda: [u.sha_of(v) for v in Vl],
              "cardData": lambda: histories_of(u).cards(bl)}
    cols = []
    for key in keys:
        if key in simple:
            col = simple[key]()
        elif key in ("private", "gated", "disabled", "xetEnabled"):
            col = [False] * n
        else:
            col = [field_value(u, key, v, b, names[j], pts[j], libs[j], dl[j], ll[j], 0, 0, tl[j], tags[b])
                   for j, (v, b) in enumerate(zip(Vl, bl))]
        cols.append((key, col))
    return cols


def field_value(u: Universe, key, v, b, mid, pt, lib, dl, li, cr, mo, tr, tags):
    """The value of one key of one item (the keys that are not plain columns); None: the key is omitted."""
    if key == "author":
        return mid.split("/", 1)[0] if "/" in mid else None
    if key in ("gated", "disabled", "private", "gitalyUid", "xetEnabled"):
        return False if key != "gitalyUid" else None
    if key in ("lastModified", "createdAt"):
        return iso(mo if key == "lastModified" else cr)
    plain = {"likes": li, "downloads": dl, "trendingScore": tr, "tags": tags, "pipeline_tag": pt,
             "library_name": lib, "modelId": mid, "spaces": [], "childrenModelCount": 0,
             "inferenceProviderMapping": []}
    if key in plain:
        return plain[key]
    if key == "downloadsAllTime":
        return dl * 7 + li
    if key == "sha":
        return u.sha_of(v)
    if key == "siblings":
        return u.siblings_of(v)
    if key == "usedStorage":
        return int(u.H[b] % 2_000_000_000)
    if key == "mask_token":
        return "[MASK]" if pt == "fill-mask" else None
    if key == "cardData":  # license, and the synthetic lineage (base_model, new_version) of hubreplay.repos
        return histories_of(u).card_data(b)
    return None


def tags_by_type_payload(u: Universe) -> dict:
    """The body of /api/models-tags-by-type: tasks (with label and modality), libraries, licences, region."""
    pts = []
    for t in u.task_names:
        meta = u.task_meta.get(t, {})
        pts.append({"id": t, "label": meta.get("name", t), "type": "pipeline_tag",
                    "subType": meta.get("modality", "other")})
    libs = [{"id": lib, "label": lib, "type": "library"} for lib in u.libs_used]
    lics = [{"id": x, "label": x.split(":", 1)[1], "type": "license"} for x in LICENSES if x]
    return {"pipeline_tag": pts, "library": libs, "license": lics, "language": [],
            "dataset": [], "region": [{"id": "region:us", "label": "🇺🇸 Region: US", "type": "region"}], "other": []}


def model_info(u: Universe, repos: RepoHistories, b: int, params: dict[str, list[str]]
               ) -> tuple[int, bytes, list[tuple[str, str]]]:
    """GET /api/models/{id}: the listing's item with every key (and the card of `repos`), or only `expand`'s
    keys."""
    expand = params.get("expand", []) + params.get("expand[]", [])
    bad = [e for e in expand if e not in EXPAND_KEYS]
    if bad:
        return 400, orjson.dumps({"error": f"Invalid expand value: {bad[0]!r}"}), []
    body = render_api(u, np.asarray([b]), u.view(), expand or None, not expand, False)[1:-1]
    if not expand:  # model info carries the card, unlike a listing item without expand
        item = orjson.loads(body)
        item["cardData"] = repos.card_data(b)
        body = orjson.dumps(item)
    return 200, body, []
