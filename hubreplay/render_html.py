"""Rendering of the HTML listing (``/models``, 30 cards a page) and its JSON twin (``/models-json``).

Like the Hub: a page holds the ModelList ``data-props`` (the JSON of its models, HTML-escaped) and one
``<article>`` card per model, inside the site's chrome (header, task sidebar, footer). Cards are filled from byte
templates; the chrome is built once per (active task, title, scripts).
"""
from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np
import orjson

from .synthetic import hash_id, isos

if TYPE_CHECKING:
    from .universe import Universe

ORGS = ("google", "facebook", "openai")
PAGE_SIZE_HTML = 30
HTML_SORTS = {"trending": "trendingScore", "downloads": "downloads", "likes": "likes", "modified": "lastModified",
              "created": "createdAt", "likes30d": "likes"}
_SAFE_ID = re.compile(r"[A-Za-z0-9_.\-/]+")
_MONTHS = [b""] + [m.encode() for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()]
_DEFAULT_AVATAR = b"/front/assets/avatar.svg"
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
_MODALITIES = {"cv": "Computer Vision", "nlp": "Natural Language Processing", "audio": "Audio", "tabular": "Tabular",
               "multimodal": "Multimodal", "rl": "Reinforcement Learning", "other": "Other"}
_MODALITY_ORDER = ("multimodal", "cv", "nlp", "audio", "tabular", "rl", "other")


def human(n: int) -> str:
    """1234 -> '1.2k', 2000000 -> '2M', as the cards show counts."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    return str(n)


class PageRenderer:
    """Builds the listing pages of one universe; caches what repeats (authors, task labels, the chrome)."""

    def __init__(self, u: Universe):
        self.u = u
        self._authors: dict[str, dict] = {}
        self._shells: dict = {}
        self._author_frag: dict = {}
        self._labels = {t: html.escape(u.task_meta.get(t, {}).get("name", t)).encode() for t in u.task_names}

    def author_data(self, author: str) -> dict:
        """The card's ``authorData`` of an owner (synthetic: avatar, type, followers from a hash of the name)."""
        d = self._authors.get(author)
        if d is None:
            h = hash_id("author:" + author)
            d = {"_id": f"{0x621ffdc0 + h % 60_000_000:08x}{h:016x}",
                 "avatarUrl": f"https://cdn-avatars.huggingface.co/v1/production/uploads/{h:x}/{author}.png",
                 "fullname": author, "name": author,
                 "type": "org" if author in ORGS or h % 5 == 0 else "user", "isPro": h % 13 == 0,
                 "isHf": False, "isHfAdmin": False, "isMod": False, "followerCount": int(h % 5000)}
            if d["type"] == "org":
                d["isEnterprise"] = author in ORGS
            self._authors[author] = d
        return d

    # -- cards
    def card_frags(self, V: np.ndarray) -> list[tuple[bytes, bytes, bytes]]:
        """Per model on the page: (card JSON, the same HTML-escaped, the card's <article>), from byte templates."""
        u = self.u
        if not len(V):
            return []
        Vl = V.tolist()
        vals = u.values(V)
        names = u.model_ids(Vl)
        bl, dl, ll = (vals[x].tolist() for x in ("b", "downloads", "likes"))
        lms = isos(vals["lastModified"])
        out = []
        for j in range(len(Vl)):
            mid = names[j]
            ti = u.task_of_l[bl[j]]
            pt = u.task_names[ti] if ti >= 0 else None
            if not _SAFE_ID.fullmatch(mid):  # never in the study's lists; kept correct anyway
                out.append(self._card_frag_slow(mid, pt, dl[j], ll[j], lms[j].decode()))
            else:
                out.append(self._card_frag(mid, pt, dl[j], ll[j], lms[j]))
        return out

    def _card_frag(self, mid: str, pt: str | None, downloads: int, likes: int, lm: bytes):
        mb = mid.encode()
        if "/" in mid:
            head, head_esc, avatar = self._author_bytes(mid.split("/", 1)[0])
        else:
            head = head_esc = b""
            avatar = _DEFAULT_AVATAR
        ptj = b',"pipeline_tag":"%b"' % pt.encode() if pt else b""
        raw = b"{" + head + _CARD_JSON % (downloads, mb, lm, likes, ptj)
        esc = b"{" + head_esc + (_CARD_JSON_ESC % (downloads, mb, lm, likes, ptj.replace(b'"', b"&quot;")))
        label = self._labels.get(pt, b"")
        task = _CARD_TASK % (label, label) if pt else b""
        y, mo, d = lm[:4], int(lm[5:7]), int(lm[8:10])
        shown = b"%b %d, %b" % (_MONTHS[mo], d, y)
        card = _CARD_HTML % (mb, mb, avatar, mb, task, lm[:19], lm, shown, human(downloads).encode(),
                             human(likes).encode())
        return raw, esc, card

    def _author_bytes(self, author: str) -> tuple[bytes, bytes, bytes]:
        """('"author":..,"authorData":{..},' raw, the same escaped, avatar URL) for an owner, cached."""
        x = self._author_frag.get(author)
        if x is None:
            d = self.author_data(author)
            raw = b'"author":%b,"authorData":%b,' % (orjson.dumps(author), orjson.dumps(d))
            x = (raw, html.escape(raw.decode(), quote=True).encode(), html.escape(d["avatarUrl"]).encode())
            self._author_frag[author] = x
        return x

    def _card_frag_slow(self, mid, pt, downloads, likes, lm) -> tuple[bytes, bytes, bytes]:
        d = {}
        if "/" in mid:
            d["author"] = mid.split("/", 1)[0]
            d["authorData"] = self.author_data(d["author"])
        d.update({"downloads": downloads, "gated": False, "id": mid, "availableInferenceProviders": [],
                  "lastModified": lm, "likes": likes})
        if pt:
            d["pipeline_tag"] = pt
        d.update({"private": False, "repoType": "model", "isLikedByUser": False, "widgetOutputUrls": []})
        raw = orjson.dumps(d)
        e = html.escape(mid).encode()
        label = self._labels.get(pt, b"")
        avatar = html.escape(d["authorData"]["avatarUrl"]).encode() if "authorData" in d else _DEFAULT_AVATAR
        card = _CARD_HTML % (e, e, avatar, e, _CARD_TASK % (label, label) if pt else b"", lm[:19].encode(),
                             lm.encode(), lm[:10].encode(), human(downloads).encode(), human(likes).encode())
        return raw, html.escape(raw.decode(), quote=True).encode(), card

    # -- pages
    def json_page(self, frags, total: int, page: int, with_count: bool) -> bytes:
        """The body of /models-json: the page's card JSONs (and the total when asked)."""
        tail = b',"numTotalItems":%d' % total if with_count else b""
        return b'{"models":[%b],"numItemsPerPage":%d%b,"pageIndex":%d}' % (
            b",".join(f[0] for f in frags), PAGE_SIZE_HTML, tail, page)

    def html_page(self, frags, total: int, page: int, params) -> bytes:
        """A listing page: data-props, cards and the pagination links (0-based ``p``)."""
        esc = (html.escape('{"initialValues":{"models":[', quote=True).encode() + b",".join(f[1] for f in frags)
               + html.escape(f'],"numItemsPerPage":{PAGE_SIZE_HTML},"numTotalItems":{total},"pageIndex":{page}}}}}',
                             quote=True).encode())
        cards = b"\n".join(f[2] for f in frags)
        nav = _pagination(page, max(0, (total - 1) // PAGE_SIZE_HTML), params)
        inner = (b'<div class="SVELTE_HYDRATER contents" data-target="ModelList" data-props="' + esc + b'">'
                 b'<div class="mb-4 items-center space-y-3 md:flex md:space-y-0 lg:mb-6"><div class="flex items-center'
                 b' text-lg"><h1>Models</h1><div class="ml-3 w-16 font-mono text-md font-normal text-gray-400">'
                 + f'{total:,}'.encode() + b'</div></div></div><div class="relative"><div class="grid grid-cols-1 '
                 b'gap-5 2xl:grid-cols-2">\n' + cards + b'\n</div></div><div class="mt-8 flex justify-center">'
                 + nav.encode() + b'</div></div>')
        return self.chrome(params, inner)

    def layout_changed_page(self, models: list[dict], params) -> bytes:
        """A page of another layout (the ``layout`` fault): neither ModelList data-props nor cards."""
        rows = "".join(f'<li class="repo-row" data-repo-ref="{i}"><span class="repo-name">'
                       f'{html.escape(m["id"].replace("/", " / "))}</span></li>' for i, m in enumerate(models))
        inner = ('<div class="SVELTE_HYDRATER contents" data-target="RepoListV2" data-state="{}">'
                 f'<h1>Models</h1><ul class="repo-list">{rows}</ul></div>')
        return self.chrome(params, inner)

    # -- the site's chrome
    def chrome(self, params, inner: bytes | str, title="Models - Hugging Face", scripts="") -> bytes:
        """``inner`` inside the site's page (the active task highlighted in the sidebar)."""
        active = (params.get("pipeline_tag") or [""])[0]
        if isinstance(inner, str):
            inner = inner.encode()
        key = (active if active in self.u.task_index else "", title, scripts)
        shell = self._shells.get(key)
        if shell is None:
            shell = self._shells[key] = self._make_chrome(key[0], title, scripts).split(b"\x00", 1)
        return shell[0] + inner + shell[1]

    def _sidebar(self, active: str) -> str:
        """The task links grouped by modality, as the Hub's sidebar lists them."""
        side = []
        groups: dict[str, list[str]] = {}
        for t in self.u.task_names:
            groups.setdefault(self.u.task_meta.get(t, {}).get("modality", "other"), []).append(t)
        for g in _MODALITY_ORDER:
            if g not in groups:
                continue
            side.append(f'<div class="mb-3"><div class="mb-3 text-sm text-gray-500">{_MODALITIES[g]}</div>'
                        '<div class="flex flex-wrap">')
            for t in groups[g]:
                lab = html.escape(self.u.task_meta.get(t, {}).get("name", t))
                cls = "tag tag-white" + (" tag-active" if t == active else "")
                side.append(f'<a class="{cls}" href="/models?pipeline_tag={t}" data-pipeline-tag="{t}">'
                            f'<div class="tag-ico tag-ico-blue"><svg class="" width="1em" height="1em"'
                            f' viewBox="0 0 32 32"><path d="M4 4h24v24H4z" fill="currentColor"></path></svg></div>'
                            f'<span>{lab}</span></a>')
            side.append("</div></div>")
        return "".join(side)

    def _make_chrome(self, active: str, title: str, scripts: str) -> bytes:
        """The whole page with a NUL byte where the content goes."""
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
                "\">Tasks</div>" + self._sidebar(active) + "</section>\n<section class=\"pt-8 border-gray-100 "
                "col-span-full lg:col-span-7 lg:pb-24\">\x00</section>\n</div>\n</main>\n<footer class=\"b-12 mb-2 "
                "flex border-t border-gray-100 md:h-14\"><nav class=\"container flex items-center justify-between\">"
                "<a href=\"/terms-of-service\">TOS</a><a href=\"/privacy\">Privacy</a><a href=\"/huggingface\">"
                "About</a><a href=\"https://apply.workable.com/huggingface/\">Jobs</a></nav></footer>\n</div>\n"
                + scripts + "</body>\n</html>\n").encode()


def _pagination(page: int, last: int, params) -> str:
    """The Previous / page numbers / Next links of a listing page."""
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
    return "".join(nav)
