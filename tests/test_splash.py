"""The HTML source rendered through a real Splash 3.5 server (started by scripts/run-tests.sh), against the replay hub.

Splash runs in its own process and fetches the replay hub's pages over loopback, as it would fetch huggingface.co.
"""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.crawling import CrawlRunner
from tests.paths import LISTS

pytestmark = pytest.mark.e2e  # every test here runs real crawls against a real server

TAGS = ["graph-ml", "image-to-3d", "depth-estimation", "text-to-3d"]
FAST = ("-a", "source=html", "-s", "HFCRAWL_SPLASH_WAIT=0.3", "-s", "HFCRAWL_BACKOFF_BASE=0.05")


def _expected(tags) -> dict[str, list[str]]:
    return {t: sorted((LISTS / f"{t}.txt").read_text().split()) for t in tags}


def _by_tag(result) -> dict[str, list[str]]:
    return {tag: sorted(ids) for tag, ids in result.ids_by("crawl_tag").items()}


def test_html_crawl_through_splash_gives_the_same_ids_as_without(hub, tmp_path, splash_url):
    hub.set_faults(None)
    plain = CrawlRunner(hub.url, tmp_path / "plain").run("-a", f"tags={','.join(TAGS)}", *FAST)
    hub.reset_stats()
    token = "hf_splashTEST_token"
    rendered = CrawlRunner(hub.url, tmp_path / "splash", env={"SPLASH_URL": splash_url, "HF_TOKEN": token}).run(
        "-a", f"tags={','.join(TAGS)}", *FAST)
    # the token went to the Hub for tag discovery only, never to Splash nor through it
    assert hub.stats()["authorization"] == {f"Bearer {token}": 1}
    assert plain.returncode == 0, plain.log[-3000:]
    assert rendered.returncode == 0, rendered.log[-3000:]
    assert _by_tag(rendered) == _by_tag(plain) == _expected(TAGS)
    assert rendered.report["rendered_with_splash"] is True and plain.report["rendered_with_splash"] is False
    # the origin is read from the Hub's own answers (tag discovery), not from Splash's
    assert rendered.report["origin"]["kind"] == plain.report["origin"]["kind"] == "replay-hub"
    assert f"rendered by Splash at {splash_url}" in rendered.log


def test_splash_renders_a_list_that_plain_http_cannot_see(hub, tmp_path, splash_url):
    """/models-js builds its ModelList and cards with JavaScript: only a browser sees the models."""
    hub.set_faults(None)
    args = ("-a", "tags=depth-estimation,graph-ml", *FAST, "-s", "HFCRAWL_HTML_PATH=/models-js",
            "-s", "HFCRAWL_SPLASH_WAIT=1.0")
    plain = CrawlRunner(hub.url, tmp_path / "plain").run(*args)
    assert plain.returncode != 0
    assert "layout changed" in plain.incomplete["tag:depth-estimation"]  # no page written: no record
    rendered = CrawlRunner(hub.url, tmp_path / "splash", env={"SPLASH_URL": splash_url}).run(*args)
    assert rendered.returncode == 0, rendered.log[-3000:]
    assert _by_tag(rendered) == _expected(["depth-estimation", "graph-ml"])


def test_splash_down_is_a_clear_error_not_a_silent_gap(hub, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"  # closed once the block ends: nothing listens there
    result = CrawlRunner(hub.url, tmp_path, env={"SPLASH_URL": dead}).run(
        "-a", "tags=graph-ml", *FAST, "-s", "RETRY_TIMES=2")
    assert result.returncode != 0
    why = result.incomplete["tag:graph-ml"]  # no page written: no record, the log says why
    assert f"rendering through Splash at {dead}" in why and "refused" in why.lower()
    # the Hub's rule for a refused connection: HFCRAWL_UNREACHABLE_RETRIES
    assert sum("INFO: Retrying " in line for line in result.log_lines) == 1


class _ErrorSplash(BaseHTTPRequestHandler):
    """A Splash that answers every render with 503, as an overloaded one does."""

    def do_POST(self):  # noqa: N802
        body = b'{"error": 503, "type": "Overloaded"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def error_splash():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ErrorSplash)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_splash_answering_errors_is_retried_then_reported(hub, tmp_path, error_splash):
    result = CrawlRunner(hub.url, tmp_path, env={"SPLASH_URL": error_splash}).run(
        "-a", "tags=graph-ml", *FAST, "-s", "RETRY_TIMES=3")
    assert result.returncode != 0
    why = result.incomplete["tag:graph-ml"]
    assert "HTTP 503" in why and error_splash in why
    assert sum("INFO: Retrying " in line for line in result.log_lines) == 3
