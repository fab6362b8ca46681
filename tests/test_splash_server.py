"""The real Splash server renders a page whose content only JavaScript builds.

A tiny stdlib HTTP server on 127.0.0.1 (free port) serves a page with an inline ES5 script (QtWebKit, the
engine of Splash 3.5, knows no ES6) that fetches a JSON endpoint with XMLHttpRequest and builds list items.
A plain HTTP fetch of that page has none of them; Splash's render.html with wait=0.5 returns the DOM that has.
"""
from __future__ import annotations

import html
import http.server
import json
import re
import threading
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.splash_server import ping

MODELS = ["org-a/alpha-model", "org-b/beta-model", "org-c/gamma-model"]

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>JS-built listing</title></head>
<body>
<h1>Models</h1>
<ul id="models"></ul>
<script>
// ES5 only: var, function, no arrow functions, let/const, template strings or fetch().
var xhr = new XMLHttpRequest();
xhr.open('GET', '/api/models.json?token=%(token)s', true);
xhr.onreadystatechange = function () {
  if (xhr.readyState !== 4 || xhr.status !== 200) { return; }
  var data = JSON.parse(xhr.responseText);
  var ul = document.getElementById('models');
  for (var i = 0; i < data.models.length; i++) {
    var li = document.createElement('li');
    li.className = 'model';
    li.setAttribute('data-token', data.token);
    li.appendChild(document.createTextNode(data.models[i]));
    ul.appendChild(li);
  }
  document.body.setAttribute('data-rendered', String(data.models.length));
};
xhr.send();
</script>
</body></html>
"""


class _Site(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token = token
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Site

    def do_GET(self):  # noqa: N802 (stdlib name)
        self.server.paths.append(self.path)
        path = urllib.parse.urlsplit(self.path).path
        if path == "/":
            body = (PAGE % {"token": self.server.token}).encode()
            ctype = "text/html; charset=utf-8"
        elif path == "/api/models.json":
            body = json.dumps({"token": self.server.token, "models": MODELS}).encode()
            ctype = "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def js_site():
    site = _Site(token=uuid.uuid4().hex)
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()
        thread.join(timeout=5)


def _get(url: str, timeout: float = 30.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        assert resp.status == 200
        return resp.read().decode("utf-8")


def _model_items(dom: str) -> list[str]:
    """Texts of the <li class="model"> elements of a serialized DOM, in order."""
    return [html.unescape(m) for m in re.findall(r'<li class="model"[^>]*>([^<]*)</li>', dom)]


def test_plain_fetch_has_no_js_content(js_site):
    page = _get(js_site.url)
    assert "<script>" in page and "XMLHttpRequest" in page
    assert _model_items(page) == []
    for name in MODELS:
        assert name not in page


def test_splash_ping(splash_url):
    assert ping(splash_url)["status"] == "ok"


def test_splash_renders_js_built_page(splash_url, js_site):
    query = urllib.parse.urlencode({"url": js_site.url, "wait": 0.5, "timeout": 30})
    dom = _get(f"{splash_url}/render.html?{query}", timeout=60)

    assert _model_items(dom) == MODELS
    assert f'data-token="{js_site.token}"' in dom   # this run's page, not something cached
    assert 'data-rendered="3"' in dom
    # Splash itself ran the script: the JSON endpoint was asked for (a plain fetch never asks).
    assert f"/api/models.json?token={js_site.token}" in js_site.paths


def test_splash_renders_on_json_post_as_scrapy_splash_asks(splash_url, js_site):
    # scrapy-splash POSTs its arguments as a JSON body. Unpatched Splash 3.5 on Python >= 3.9 answers that
    # with a 500 "Processing Failed" (json.loads(encoding=...)); scripts/splash.sh install patches it.
    args = {"url": js_site.url, "wait": 0.5, "timeout": 30}
    body = json.dumps(args, ensure_ascii=False, sort_keys=True, indent=4).encode("utf-8")
    request = urllib.request.Request(
        f"{splash_url}/render.html", data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 200
        dom = resp.read().decode("utf-8")
    assert _model_items(dom) == MODELS
    assert f'data-token="{js_site.token}"' in dom
