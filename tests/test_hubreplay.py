"""The replay hub answers like the Hub (../shared/docs/hub-api.md): real HTTP against a running server."""
from __future__ import annotations

import base64
import html
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from hubreplay import Fault, Faults, HubCore, ReplayHub, default_lists_dir, shared_dir

LISTS = default_lists_dir()
RESPONSES = shared_dir() / "data" / "hub-responses"
LINK_RE = re.compile(r'<(https?:[/][/][^>]+)>;\s+rel="([^"]+)"')  # huggingface.js parseLinkHeader
PROPS_RE = re.compile(r'data-target="ModelList"\s+data-props="([^"]*)"')


def _list(name: str) -> list[str]:
    return [x.strip() for x in (LISTS / f"{name}.txt").read_text().splitlines() if x.strip()]


def _walk(session: requests.Session, url: str, params: dict | None = None) -> tuple[list[dict], list[requests.Response]]:
    items, responses = [], []
    r = session.get(url, params=params)
    while True:
        assert r.status_code == 200, r.text[:300]
        responses.append(r)
        items += r.json()
        nxt = r.links.get("next", {}).get("url")
        if not nxt:
            return items, responses
        r = session.get(nxt)


def _props(text: str) -> dict:
    m = PROPS_RE.search(text)
    assert m, "no ModelList data-props"
    return json.loads(html.unescape(m.group(1)))["initialValues"]


@pytest.fixture(scope="module")
def rhub():
    """A hub of this module (others' tests share the session `hub`; faults here must not leak there)."""
    with ReplayHub(seed=0) as h:
        yield h


@pytest.fixture
def fresh(rhub):
    rhub.set_faults(None)
    rhub.reset_stats()
    yield rhub
    rhub.set_faults(None)


@pytest.fixture(scope="module")
def s():
    with requests.Session() as session:
        yield session


# ---------------------------------------------------------------------------------------------- /api/models
@pytest.mark.parametrize("tag,limit", [("fill-mask", None), ("robotics", 5), ("image-to-3d", 1000),
                                       ("zero-shot-object-detection", 3), ("depth-estimation", 7)])
def test_pagination_walks_every_model_of_a_tag_once_in_file_order(fresh, s, tag, limit):
    params = {"pipeline_tag": tag} | ({"limit": limit} if limit else {})
    items, responses = _walk(s, fresh.url + "/api/models", params)
    expected = _list(tag)
    assert [x["id"] for x in items] == expected
    assert fresh.expected_ids(tag=tag) == expected
    assert len(responses) == math.ceil(len(expected) / (limit or 1000))
    assert all(x["pipeline_tag"] == tag for x in items)
    assert "Link" not in responses[-1].headers
    assert fresh.stats()["requests"] == len(responses)


@pytest.mark.parametrize("org,limit", [("google", 100), ("openai", 7), ("facebook", None)])
def test_author_listing_is_exactly_the_company_list(fresh, s, org, limit):
    params = {"author": org} | ({"limit": limit} if limit else {})
    items, _ = _walk(s, fresh.url + "/api/models", params)
    assert [x["id"] for x in items] == _list(org)
    # ids of the company list that are in no task file have no pipeline_tag key at all
    tasks = {t for f in LISTS.glob("*.txt") if f.stem not in ("google", "facebook", "openai") for t in _list(f.stem)}
    for x in items:
        assert ("pipeline_tag" in x) == (x["id"] in tasks)


def test_other_sorts_are_descending_stable_and_exact(fresh, s):
    expected = set(_list("text-to-video"))
    for sort in ("downloads", "likes", "createdAt", "lastModified", "id"):
        items, responses = _walk(s, fresh.url + "/api/models",
                                 {"pipeline_tag": "text-to-video", "sort": sort, "limit": 7, "expand": [
                                     "downloads", "likes", "createdAt", "lastModified"]})
        ids = [x["id"] for x in items]
        assert len(ids) == len(set(ids)) and set(ids) == expected, sort
        keys = [(x["id"] if sort == "id" else x[sort]) for x in items]
        assert keys == sorted(keys, reverse=True), sort
        if sort != "id":  # ties broken by ascending _id
            for a, b in zip(items, items[1:]):
                if a[sort] == b[sort]:
                    assert a["_id"] < b["_id"]
        cursor = dict(parse_qsl(urlsplit(responses[0].links["next"]["url"]).query))["cursor"]
        pred = json.loads(base64.b64decode(cursor))
        assert list(pred["$or"][0]) == [sort, "_id"] and pred["$or"][1] == {sort: {"$lt": pred["$or"][0][sort]}}


def test_search_and_filter(fresh, s):
    items, _ = _walk(s, fresh.url + "/api/models", {"search": "BERT", "pipeline_tag": "fill-mask", "limit": 500})
    ids = [x["id"] for x in items]
    assert ids == [i for i in _list("fill-mask") if "bert" in i.lower()] and ids
    items, _ = _walk(s, fresh.url + "/api/models", {"filter": ["fill-mask", "region:us"], "author": "google"})
    assert [x["id"] for x in items] == [i for i in _list("google") if i in set(_list("fill-mask"))]
    assert all("fill-mask" in x["tags"] and "region:us" in x["tags"] for x in items)


def test_limit_default_clamp_and_errors(fresh, s):
    u = fresh.url + "/api/models"
    assert len(s.get(u, params={"pipeline_tag": "fill-mask"}).json()) == 1000
    assert len(s.get(u, params={"pipeline_tag": "fill-mask", "limit": 5000}).json()) == 1000
    assert len(s.get(u, params={"pipeline_tag": "fill-mask", "limit": 3}).json()) == 3
    for bad in ("0", "-5", "abc", "1.5", ""):
        r = s.get(u, params={"pipeline_tag": "fill-mask", "limit": bad})
        assert r.status_code == 400 and "error" in r.json(), bad


def test_default_item_has_the_real_shape(fresh, s):
    real = json.loads((RESPONSES / "api_models_default_2025-11_burncloud.json").read_text())
    items = s.get(fresh.url + "/api/models", params={"pipeline_tag": "text-generation", "limit": 50}).json()
    assert [list(x) for x in items] == [list(real[0])] * 50
    x = items[0]
    assert re.fullmatch(r"[0-9a-f]{24}", x["_id"]) and x["modelId"] == x["id"]
    assert x["private"] is False and isinstance(x["downloads"], int) and isinstance(x["trendingScore"], int)
    assert "text-generation" in x["tags"] and "region:us" in x["tags"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", x["createdAt"])
    # enriched from the snapshots where the model is known
    bert = s.get(fresh.url + "/api/models", params={"pipeline_tag": "fill-mask", "limit": 1}).json()[0]
    assert bert["id"] == "bert-base-uncased" and bert["downloads"] > 1_000_000
    assert bert["createdAt"] == "2022-03-02T23:29:04.000Z"  # the Hub's date for every repo older than March 2022
    # synthetic values are created before the study's crawl
    assert all(x["createdAt"] < "2024-02-01" for x in items)
    # deterministic: same answer twice
    assert s.get(fresh.url + "/api/models", params={"pipeline_tag": "text-generation", "limit": 50}).json() == items


def test_expand_returns_only_id_and_the_requested_keys(fresh, s):
    real = json.loads((RESPONSES / "api_models_expand_siblings_2026-09_unattributed.json").read_text())
    wanted = [k for k in real[0] if k not in ("_id", "id")]
    for spelling in ("expand", "expand[]"):
        r = s.get(fresh.url + "/api/models", params={"author": "openai", spelling: wanted, "limit": 40})
        items = r.json()
        with_task = [x for x in items if "pipeline_tag" in x]
        without = [x for x in items if "pipeline_tag" not in x]
        assert with_task and without  # openai has models in no task list
        assert list(with_task[0]) == list(real[0])
        assert list(without[0]) == list(real[1])  # the real response omits the key too
        assert all("modelId" not in x for x in items)
        assert all(isinstance(x["siblings"], list) and x["siblings"][0] == {"rfilename": ".gitattributes"}
                   for x in items)
    one = s.get(fresh.url + "/api/models", params={"pipeline_tag": "fill-mask", "expand": "author", "limit": 2}).json()
    assert [list(x) for x in one] == [["_id", "id"], ["_id", "id"]]  # legacy ids have no author
    r = s.get(fresh.url + "/api/models", params={"pipeline_tag": "fill-mask", "expand": ["likes", "bogus"]})
    assert r.status_code == 400 and "bogus" in r.json()["error"]


def test_link_header_format_and_cursor(fresh, s):
    r = s.get(fresh.url + "/api/models", params={"pipeline_tag": "fill-mask", "limit": 10})
    raw = r.headers["Link"]
    (url, rel), = LINK_RE.findall(raw)
    assert rel == "next" and raw == f'<{url}>; rel="next"'
    assert url == r.links["next"]["url"]
    assert url.startswith(fresh.url + "/api/models?pipeline_tag=fill-mask&limit=10&sort=trendingScore&cursor=")
    cursor = url.split("cursor=")[1]
    assert "%3D" in cursor or "=" not in cursor  # URL-encoded base64
    pred = json.loads(base64.b64decode(unquote(cursor)))
    last = r.json()[-1]
    assert pred["$or"][0] == {"trendingScore": last["trendingScore"], "_id": {"$gt": last["_id"]}}
    assert pred["$or"][1] == {"trendingScore": {"$lt": last["trendingScore"]}}
    # requesting the next link as-is continues right after the last item
    nxt = s.get(url).json()
    assert [x["id"] for x in nxt] == _list("fill-mask")[10:20]
    # the next link of a page with an explicit sort does not repeat it
    r2 = s.get(url)
    assert r2.links["next"]["url"].count("sort=") == 1
    for bad in ("abc", base64.b64encode(b'{"x":1}').decode(), base64.b64encode(b"[1,2]").decode(),
                base64.b64encode(b'{"$or":[{"likes":3,"_id":{"$gt":"621ffdc0484b475fb334b96d"}}]}').decode()):
        r = s.get(fresh.url + "/api/models", params={"pipeline_tag": "fill-mask", "cursor": bad})
        assert r.status_code == 400 and "cursor" in r.json()["error"].lower(), bad


def test_rate_limit_headers_on_every_response(fresh, s):
    r = s.get(fresh.url + "/api/models", params={"pipeline_tag": "robotics"})
    assert re.fullmatch(r'"api";r=\d+;t=\d+', r.headers["RateLimit"])
    assert re.fullmatch(r'"fixed window";"api";q=\d+;w=300', r.headers["RateLimit-Policy"])
    r2 = s.get(fresh.url + "/api/models", params={"pipeline_tag": "robotics"})
    r_of = lambda resp: int(re.search(r"r=(\d+)", resp.headers["RateLimit"]).group(1))  # noqa: E731
    assert r_of(r2) == r_of(r) - 1
    p = s.get(fresh.url + "/models", params={"pipeline_tag": "robotics"})
    assert p.headers["RateLimit"].startswith('"pages";') and '"pages";q=' in p.headers["RateLimit-Policy"]


@pytest.mark.e2e
def test_quota_enforced_when_configured():
    with ReplayHub(quota={"api": 3}, window=300) as h, requests.Session() as s:
        codes = [s.get(h.url + "/api/models", params={"pipeline_tag": "robotics"}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = s.get(h.url + "/api/models", params={"pipeline_tag": "robotics"})
        assert re.fullmatch(r'"api";r=0;t=\d+', r.headers["RateLimit"])
        assert s.get(h.url + "/models", params={"pipeline_tag": "robotics"}).status_code == 200  # other bucket
        st = h.stats()
        assert st["sent_429"] == 3 and st["early_requests"] == 2  # the two after the first 429


def test_tags_by_type(fresh, s):
    tasks = sorted(f.stem for f in LISTS.glob("*.txt") if f.stem not in ("google", "facebook", "openai"))
    body = s.get(fresh.url + "/api/models-tags-by-type").json()
    assert {"pipeline_tag", "library", "license"} <= set(body)
    assert sorted(t["id"] for t in body["pipeline_tag"]) == tasks == sorted(fresh.tags())
    fm = next(t for t in body["pipeline_tag"] if t["id"] == "fill-mask")
    assert fm == {"id": "fill-mask", "label": "Fill-Mask", "type": "pipeline_tag", "subType": "nlp"}
    only = s.get(fresh.url + "/api/models-tags-by-type", params={"type": "pipeline_tag"}).json()
    assert list(only) == ["pipeline_tag"] and only["pipeline_tag"] == body["pipeline_tag"]


def test_huggingface_hub_list_models_sees_exactly_the_list(fresh, monkeypatch):
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    from huggingface_hub import HfApi

    models = list(HfApi(endpoint=fresh.url, token="hf_replaytest").list_models(pipeline_tag="fill-mask"))
    assert [m.id for m in models] == _list("fill-mask")
    assert models[0].downloads and models[0].pipeline_tag == "fill-mask" and models[0].created_at
    st = fresh.stats()
    assert st["requests"] == math.ceil(len(models) / 1000)
    assert st["authorization"] == {"Bearer hf_replaytest": st["requests"]}
    few = list(HfApi(endpoint=fresh.url).list_models(author="openai", limit=5, expand=["downloads", "sha"]))
    assert [m.id for m in few] == _list("openai")[:5] and all(m.sha for m in few)


# ---------------------------------------------------------------------------------------------- HTML pages
def test_html_pages_hold_data_props_and_30_cards_0_based(fresh, s):
    tag = "depth-estimation"
    expected = _list(tag)
    ids, p = [], 0
    while True:
        r = s.get(fresh.url + "/models", params={"pipeline_tag": tag, "p": p, "sort": "trending"})
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        props = _props(r.text)
        assert props["numTotalItems"] == len(expected) and props["numItemsPerPage"] == 30 and props["pageIndex"] == p
        soup = BeautifulSoup(r.text, "html.parser")
        cards = soup.select("article.overview-card-wrapper")
        card_ids = [c.select_one("a.block.p-2")["href"].lstrip("/") for c in cards]
        assert card_ids == [c.select_one("header")["title"] for c in cards] == [c.h4.get_text() for c in cards]
        assert card_ids == [m["id"] for m in props["models"]]
        assert all(c.select_one("time[datetime]") for c in cards)
        ids += card_ids
        if (p + 1) * 30 >= props["numTotalItems"]:
            assert len(card_ids) == len(expected) - 30 * p
            break
        assert len(card_ids) == 30
        p += 1
    assert ids == expected
    m = props["models"][0]
    assert {"id", "author", "authorData", "downloads", "likes", "lastModified", "pipeline_tag", "private", "gated",
            "repoType"} <= set(m) and m["repoType"] == "model"
    # beyond the end: an empty list, same total
    r = s.get(fresh.url + "/models", params={"pipeline_tag": tag, "p": p + 5})
    assert _props(r.text)["models"] == [] and "<article" not in r.text
    assert _props(r.text)["numTotalItems"] == len(expected)
    # the sidebar lists the tasks (the study read them there)
    side = {a["href"].split("=", 1)[1] for a in BeautifulSoup(r.text, "html.parser").select(
        'a[href^="/models?pipeline_tag="]')}
    assert side == set(fresh.tags())


def test_html_author_pages_and_json_twin(fresh, s):
    r = s.get(fresh.url + "/models", params={"author": "google", "p": 1})
    props = _props(r.text)
    assert [m["id"] for m in props["models"]] == _list("google")[30:60] and props["numTotalItems"] == 617
    j = s.get(fresh.url + "/models-json", params={"author": "google", "p": 1, "withCount": "true"}).json()
    assert j == {"models": props["models"], "numItemsPerPage": 30, "numTotalItems": 617, "pageIndex": 1}
    legacy = s.get(fresh.url + "/models-json", params={"pipeline_tag": "fill-mask"}).json()["models"][0]
    assert legacy["id"] == "bert-base-uncased" and "author" not in legacy


def test_js_variant_has_no_models_without_a_browser(fresh, s):
    r = s.get(fresh.url + "/models-js", params={"pipeline_tag": "fill-mask", "p": 2})
    assert r.status_code == 200
    assert "data-props" not in r.text and "<article" not in r.text and "bert-base-uncased" not in r.text
    script = BeautifulSoup(r.text, "html.parser").find_all("script")[-1].string
    assert "XMLHttpRequest" in script and "/models-json" in script and "'Model' + 'List'" in script
    assert not PROPS_RE.search(r.text) and "ModelList" not in r.text
    for es6 in ("=>", "fetch(", "Promise", "let ", "const ", "`"):
        assert es6 not in script, es6


# ---------------------------------------------------------------------------------------------- multiply
@pytest.mark.e2e
def test_multiply_is_lazy_and_exact():
    with ReplayHub(multiply=13) as h, requests.Session() as s:
        u = h.universe
        assert u.N * u.K > 3_100_000
        base = _list("robotics")
        items, _ = _walk(s, h.url + "/api/models", {"pipeline_tag": "robotics", "limit": 50})
        ids = [x["id"] for x in items]
        assert len(ids) == 13 * len(base) == len(set(ids))
        assert ids[:len(base)] == base and ids[len(base)] == base[0] + "-k1" and ids[-1] == base[-1] + "-k12"
        assert ids == h.expected_ids(tag="robotics")
        # a deep page of the biggest tag: cursor arithmetic, nothing materialised
        r = s.get(h.url + "/api/models", params={"pipeline_tag": "text-classification", "limit": 1000})
        for _ in range(3):
            r = s.get(r.links["next"]["url"])
        assert [x["id"] for x in r.json()][:2] == _list("text-classification")[3000:3002]
        v = u.view(pipeline_tag="text-classification")
        assert v.n == 13 * 44617 and not hasattr(v, "V")
        last = u.model_ids(v.take(v.n - 1, v.n).tolist())
        assert last == [_list("text-classification")[-1] + "-k12"]
        assert h.expected_count(author="google") == 13 * 617
        # copies stay valid, distinct Hub ids: long names are cut, and "x-k1" (a real id) is not a copy's id
        special = [u.model_id(k * u.N + b) for b in u.special_copies for k in range(1, 13)]
        assert len(special) >= 12 * 300 and len(set(special)) == len(special) and not set(special) & set(u.index)
        assert all(re.fullmatch(r"[\w.-]{1,96}", part) for i in special for part in i.split("/"))
        assert "DrishtiSharma/StableDiffusion-Prompt-Generator-GPT-Neo-125M-k1" in u.index
        page = _props(s.get(h.url + "/models", params={"pipeline_tag": "robotics", "p": 1}).text)
        assert page["numTotalItems"] == 13 * len(base)


# ---------------------------------------------------------------------------------------------- faults
def test_error_fault_targets_the_nth_request_of_a_tag(fresh, s):
    fresh.set_faults(Fault("error", nth=[2], status=503, tag="robotics"))
    codes = [s.get(fresh.url + "/api/models", params={"pipeline_tag": t}).status_code
             for t in ("robotics", "fill-mask", "robotics", "robotics")]
    assert codes == [200, 200, 503, 200]
    r = s.get(fresh.url + "/models", params={"pipeline_tag": "robotics"})  # 4th robotics request: fine
    assert r.status_code == 200
    st = fresh.stats()
    assert st["faults_fired"] == {"error": 1} and st["statuses"] == {"200": 4, "503": 1}


def test_probabilistic_errors_are_deterministic_by_seed(fresh, s):
    def run(seed):
        fresh.set_faults(Faults(Fault("error", p=0.3), seed=seed))
        return [s.get(fresh.url + "/api/models", params={"pipeline_tag": "robotics", "limit": 1}).status_code
                for _ in range(40)]
    a, b, c = run(1), run(1), run(2)
    assert a == b and a != c
    assert set(a) <= {200, 500, 502, 503} and 4 <= sum(x != 200 for x in a) <= 25


def test_429_bursts_and_early_requests_are_counted(fresh, s):
    fresh.set_faults(Fault("burst429", every=4, burst=2, reset=0.5, retry_after=True, route="api"))
    u, p = fresh.url + "/api/models", {"pipeline_tag": "robotics", "limit": 1}
    codes = [s.get(u, params=p).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = s.get(u, params=p)  # does not wait: early, and 429 again
    assert r.status_code == 429 and r.headers["RateLimit"] == '"api";r=0;t=1' and r.headers["Retry-After"] == "1"
    time.sleep(0.6)
    assert s.get(u, params=p).status_code == 429  # waited: the 2nd 429 of the burst
    time.sleep(0.6)
    assert s.get(u, params=p).status_code == 200
    st = fresh.stats()
    assert st["sent_429"] == 3 and st["early_requests"] == 1 and st["faults_fired"]["burst429"] == 2


def test_dropped_connection(fresh, s):
    fresh.set_faults(Fault("drop", nth=[1]))
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(fresh.url + "/api/models", params={"pipeline_tag": "robotics"})
    assert requests.get(fresh.url + "/api/models", params={"pipeline_tag": "robotics"}).status_code == 200
    assert fresh.stats()["statuses"] == {"dropped": 1, "200": 1}


def test_truncated_and_non_json_bodies(fresh, s):
    u, p = fresh.url + "/api/models", {"pipeline_tag": "robotics"}
    fresh.set_faults(Fault("truncate", nth=[1]))
    r = s.get(u, params=p)
    assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(r.content)
    with pytest.raises(ValueError):
        r.json()
    fresh.set_faults(Fault("truncate", nth=[1], dataloss=True))
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(u, params=p)
    fresh.set_faults(Fault("nonjson", tag="robotics"))
    r = s.get(u, params=p)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html") and r.text.startswith("<!DOCTYPE")
    assert s.get(u, params={"pipeline_tag": "graph-ml"}).json()[0]["id"] == _list("graph-ml")[0]


def test_slow_huge_and_noid(fresh, s):
    u = fresh.url + "/api/models"
    fresh.set_faults(Fault("slow", delay=0.4, tag="robotics"), Fault("noid", tag="graph-ml"),
                     Fault("huge", size_mb=3, tag="image-to-3d"))
    t = time.perf_counter()
    assert s.get(u, params={"pipeline_tag": "robotics"}).status_code == 200
    assert time.perf_counter() - t >= 0.4
    s.get(u, params={"pipeline_tag": "fill-mask", "limit": 1})
    assert fresh.stats()["faults_fired"] == {"slow": 1}  # only the robotics request was delayed
    items = s.get(u, params={"pipeline_tag": "graph-ml"}).json()
    assert items and all("id" not in x and "modelId" not in x and "_id" in x for x in items)
    r = s.get(u, params={"pipeline_tag": "image-to-3d"})
    assert len(r.content) >= 3 * 1024 * 1024 and [x["id"] for x in r.json()] == _list("image-to-3d")


def test_layout_changed_pages(fresh, s):
    fresh.set_faults(Fault("layout", tag="robotics", route="html"))
    r = s.get(fresh.url + "/models", params={"pipeline_tag": "robotics"})
    assert r.status_code == 200 and "data-props" not in r.text and "<article" not in r.text
    assert not PROPS_RE.search(r.text)
    ok = s.get(fresh.url + "/models", params={"pipeline_tag": "graph-ml"})
    assert _props(ok.text)["models"]


def test_offsite_link_and_redirect(fresh, s):
    fresh.set_faults(Fault("offsite_link", base_url="http://evil.example:8080", tag="fill-mask"))
    r = s.get(fresh.url + "/api/models", params={"pipeline_tag": "fill-mask", "limit": 5})
    assert r.links["next"]["url"].startswith("http://evil.example:8080/api/models?pipeline_tag=fill-mask&limit=5&")
    fresh.set_faults(Fault("offsite_redirect", base_url="http://evil.example:8080", route="api"))
    r = s.get(fresh.url + "/api/models", params={"pipeline_tag": "fill-mask"}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "http://evil.example:8080/api/models?pipeline_tag=fill-mask"


@pytest.mark.e2e
def test_faults_from_json_and_process_mode_control_routes():
    spec = {"seed": 3, "rules": [{"kind": "error", "nth": [1], "status": 502, "route": "api"}]}
    hub = ReplayHub(faults=Faults.parse(json.dumps(spec))).start_process()
    try:
        with requests.Session() as s:
            u = hub.url + "/api/models"
            assert s.get(u, params={"pipeline_tag": "robotics"}).status_code == 502
            assert s.get(u, params={"pipeline_tag": "robotics"}).status_code == 200
            st = hub.stats()
            assert st["pid"] != os.getpid() and st["requests"] == 2 and st["statuses"] == {"502": 1, "200": 1}
            hub.set_faults(Fault("error", status=500, tag="graph-ml"))
            assert s.get(u, params={"pipeline_tag": "graph-ml"}).status_code == 500
            assert s.get(hub.url + "/_replay/faults").json()["rules"][0]["kind"] == "error"
            r = s.post(hub.url + "/_replay/faults", data=json.dumps([{"kind": "nonsense"}]))
            assert r.status_code == 400
            hub.reset_stats()
            assert hub.stats()["requests"] == 0
            assert s.get(hub.url + "/_replay/expected", params={"pipeline_tag": "robotics", "ids": 1}).json()[
                "ids"] == _list("robotics")
    finally:
        hub.stop()


# ---------------------------------------------------------------------------------------------- a real browser
def test_js_variant_renders_the_listing_in_splash(splash_url, rhub):
    """QtWebKit (Splash) runs the page's ES5 script: the DOM then holds the same ModelList props and cards."""
    target = rhub.url + "/models-js?pipeline_tag=fill-mask&p=2"
    r = requests.get(splash_url + "/render.html", params={"url": target, "wait": 0.5}, timeout=90)
    assert r.status_code == 200, r.text[:300]
    props = _props(r.text)
    plain = _props(requests.get(rhub.url + "/models", params={"pipeline_tag": "fill-mask", "p": 2}).text)
    assert props == plain and len(props["models"]) == 30
    cards = BeautifulSoup(r.text, "html.parser").select("article.overview-card-wrapper a.block.p-2")
    assert [a["href"].lstrip("/") for a in cards] == _list("fill-mask")[60:90]


# ---------------------------------------------------------------------------------------------- without a socket
@pytest.fixture(scope="module")
def core():
    """The hub's core on the shared universe, called directly: no server, no thread (quick tests)."""
    return HubCore(ReplayHub(seed=0).universe)


def _ids(rep) -> list[str]:
    return [x["id"] for x in json.loads(rep.body)]


def test_core_answers_a_listing_and_its_next_page_without_a_server(core):
    core.set_faults(None)
    first = core.handle("GET", "/api/models?pipeline_tag=robotics&limit=5")
    assert first.status == 200 and _ids(first) == _list("robotics")[:5]
    (url, rel), = LINK_RE.findall(dict(first.headers)["Link"].replace("<", "<http://x"))
    nxt = core.handle("GET", url[len("http://x"):])
    assert _ids(nxt) == _list("robotics")[5:10]


def test_fault_rule_skips_after_and_stops_after_times(core):
    core.set_faults(Fault("error", status=503, after=1, times=2, tag="robotics"))
    codes = [core.handle("GET", "/api/models?pipeline_tag=robotics&limit=1").status for _ in range(5)]
    assert codes == [200, 503, 503, 200, 200]
    other = core.handle("GET", "/api/models?pipeline_tag=graph-ml&limit=1")
    assert other.status == 200  # the rule watches robotics only
    core.set_faults(None)


def test_layout_fault_on_the_repo_routes_wraps_the_json_in_another_shape(core):
    core.set_faults(Fault("layout", route="repo", path="/api/models/bert-base-uncased/"))
    for path in ("/api/models/bert-base-uncased/refs", "/api/models/bert-base-uncased/commits/main?limit=1"):
        rep = core.handle("GET", path)
        assert rep.status == 200 and list(json.loads(rep.body)) == ["data"]
    assert "branches" in json.loads(core.handle("GET", "/api/models/bert-base-chinese/refs").body)
    assert _ids(core.handle("GET", "/api/models?pipeline_tag=robotics&limit=1")) == _list("robotics")[:1]
    core.set_faults(None)


def test_error_statuses_are_used_in_turn(core):
    core.set_faults(Fault("error", status=[500, 502, 503], route="api"))
    codes = [core.handle("GET", "/api/models?pipeline_tag=robotics&limit=1").status for _ in range(4)]
    assert codes == [502, 503, 500, 502]
    core.set_faults(None)


def test_faults_parse_every_documented_form():
    rule = {"kind": "error", "p": 0.5, "tag": "fill-mask"}
    forms = [Faults(Fault(**rule), seed=4), {"seed": 4, "rules": [rule]}, json.dumps({"seed": 4, "rules": [rule]})]
    parsed = [Faults.parse(f).to_json() for f in forms]
    assert parsed[0] == parsed[1] == parsed[2] and parsed[0]["rules"][0]["tag"] == ["fill-mask"]
    assert Faults.parse([rule]).rules == Faults.parse(rule).rules == [Fault(**rule)]
    assert Faults.parse(None).rules == Faults.parse("").rules == []
    with pytest.raises(ValueError, match="unknown fault kind"):
        Faults.parse([{"kind": "meltdown"}])


def test_shared_data_folder_follows_hfcrawl_shared(monkeypatch, tmp_path):
    monkeypatch.setenv("HFCRAWL_SHARED", str(tmp_path))
    assert shared_dir() == tmp_path.resolve()
    assert default_lists_dir() == tmp_path.resolve() / "data" / "seed-2024-02" / "lists"
    with pytest.raises(FileNotFoundError, match="lists directory not found"):
        ReplayHub().universe  # noqa: B018 - building it is the point
    monkeypatch.delenv("HFCRAWL_SHARED")
    assert shared_dir() == (Path(__file__).resolve().parents[2] / "shared").resolve()


@pytest.mark.e2e
def test_python_m_hubreplay_runs_without_the_analysis_package():
    code = ("import sys, hubreplay.cli; hubreplay.cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('analysis', 'hfcrawl', 'tests', 'scrapy')))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    # only the contract it shares with the crawler (REPLAY_HEADER), which imports nothing but the standard library
    assert p.stdout.strip() == "['hfcrawl', 'hfcrawl.provenance']"
    h = subprocess.run([sys.executable, "-m", "hubreplay", "--help"], capture_output=True, text=True, timeout=60)
    assert h.returncode == 0 and "--multiply" in h.stdout and "--faults" in h.stdout


def test_every_answer_names_the_replay_hub(fresh, s):
    """REPLAY_HEADER on the API, HTML, JS pages, repository routes, errors, 429s, faults and control routes: a feed
    it served is known as synthetic whichever response a crawler read first."""
    from hfcrawl.provenance import REPLAY_HEADER
    from hubreplay.reply import SERVER

    model = "bert-base-uncased"
    urls = ["/api/models?pipeline_tag=robotics&limit=2", "/api/models-tags-by-type", "/models?pipeline_tag=robotics",
            "/models-json?pipeline_tag=robotics", "/models-js?pipeline_tag=robotics", f"/api/models/{model}",
            f"/api/models/{model}/refs", f"/api/models/{model}/commits/main?limit=1", "/api/models/no-such/repo/refs",
            "/api/models?sort=nonsense", "/no/such/route", "/_replay/info"]
    answers = {url: s.get(fresh.url + url) for url in urls}
    fresh.set_faults(Fault("burst429", every=1, burst=1, reset=0.1, route="api"), Fault("error", status=503,
                                                                                          route="html"))
    answers["429"] = s.get(fresh.url + "/api/models?pipeline_tag=robotics")
    answers["503"] = s.get(fresh.url + "/models?pipeline_tag=robotics")
    assert {url: r.headers.get(REPLAY_HEADER) for url, r in answers.items()} == dict.fromkeys(answers, SERVER)
    statuses = {r.status_code for r in answers.values()}
    assert {200, 400, 404, 429, 503} <= statuses, statuses
    assert SERVER == "hubreplay/0.1"


def test_a_cached_page_is_the_page_rendered_afresh_and_the_cache_is_bounded():
    """The second contender of a benchmark gets its pages from the cache: the same bytes as a rendering, whatever
    the order of the query's parameters; a full cache keeps what it holds and renders the rest."""
    from hubreplay.cache import PageCache

    universe = ReplayHub(seed=0).universe
    cached, uncached = HubCore(universe), HubCore(universe)
    uncached.page_cache = PageCache(max_bytes=0)
    first = "/api/models?pipeline_tag=fill-mask&limit=50&expand=sha&expand=cardData&expand=tags"
    reordered = "/api/models?expand=tags&expand=cardData&limit=50&expand=sha&pipeline_tag=fill-mask"
    bodies = [cached.handle("GET", first).body, cached.handle("GET", reordered).body]
    assert bodies == [uncached.handle("GET", first).body] * 2
    assert cached.page_cache.stats()["hits"] == 1 and uncached.page_cache.stats()["pages"] == 0
    nxt = cached.handle("GET", first)
    link = dict(nxt.headers)["Link"]
    second = link[link.index("/api/models"):link.index(">")]
    assert cached.handle("GET", second).body == uncached.handle("GET", second).body != bodies[0]
    other = cached.handle("GET", "/api/models?pipeline_tag=fill-mask&limit=50&expand=sha").body
    assert other == uncached.handle("GET", "/api/models?pipeline_tag=fill-mask&limit=50&expand=sha").body
    assert other != bodies[0]
    small = PageCache(max_bytes=len(bodies[0]))
    small.put("a", bodies[0])
    small.put("b", b"x")
    assert small.get("a") == bodies[0] and small.get("b") is None


def test_a_repository_asked_again_gets_the_same_answer_from_the_cache_and_is_counted_each_time():
    """The refs and commits answers are kept by path and page (a benchmark's second contender, a resumed crawl):
    the same bytes and headers as made afresh, each request counted, and faults still fire on a cached answer."""
    from hubreplay.cache import PageCache

    universe = ReplayHub(seed=0).universe
    cached, uncached = HubCore(universe), HubCore(universe)
    uncached.repos.answers = PageCache(max_bytes=0)
    model = next(m for m in universe.ids[:200] if (cached.repos.summary(m) or {}).get("commit_count", 0) > 3)
    paths = [f"/api/models/{model}/refs", f"/api/models/{model}/commits/main?limit=1",
             f"/api/models/{model}/commits/main?limit=2&p=1", f"/api/models/{model}/commits/main?p=1&limit=2",
             f"/api/models/{model}/commits/nope?limit=1", "/api/models/no-such/repo/refs"]
    for _ in range(2):
        for path in paths:
            a, b = cached.handle("GET", path), uncached.handle("GET", path)
            assert (a.status, a.body, a.headers) == (b.status, b.body, b.headers), path
    assert cached.repos.answers.stats()["hits"] == len(paths) + 1  # the reordered query is the same page
    assert cached.stats()["requests"] == uncached.stats()["requests"] == 2 * len(paths)
    cached.set_faults(Fault("layout", route="repo"))
    assert list(json.loads(cached.handle("GET", paths[0]).body)) == ["data"]
    cached.set_faults(None)
    assert "branches" in json.loads(cached.handle("GET", paths[0]).body)
