"""pytest plugin: the real Splash server that scripts/run-tests.sh starts (scripts/splash.sh).

Load it from tests/conftest.py with ``pytest_plugins = ["tests.splash_server"]``.

Fixture ``splash_url`` (session scope): the base URL of a Splash that answers ``/_ping``, taken from
``SPLASH_URL``.
- ``SPLASH_URL`` set and answering: returned, without a trailing slash.
- ``SPLASH_URL`` set but not answering: the test FAILS (a Splash was promised and is not there).
- ``SPLASH_URL`` unset and ``HFCRAWL_NO_SPLASH=1``: the test is skipped, with the reason.
- ``SPLASH_URL`` unset otherwise: the test FAILS, saying how to run it (CI must never skip them silently).

Every test that uses ``splash_url`` also gets the ``splash`` marker, so ``-m "not splash"`` deselects them.
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest

ENV_URL = "SPLASH_URL"
ENV_OPT_OUT = "HFCRAWL_NO_SPLASH"
PING_ATTEMPTS = 3          # a busy server may miss one ping; never more than ~20 s in all
PING_TIMEOUT = 5.0


def opted_out() -> bool:
    return os.environ.get(ENV_OPT_OUT, "").strip().lower() in {"1", "true", "yes"}


def ping(base_url: str, timeout: float = PING_TIMEOUT) -> dict:
    """GET base_url/_ping; returns its JSON ({"status": "ok", "maxrss": ...}) or raises."""
    with urllib.request.urlopen(base_url.rstrip("/") + "/_ping", timeout=timeout) as resp:
        body = json.load(resp)
    if body.get("status") != "ok":
        raise RuntimeError(f"/_ping answered {body!r}")
    return body


@pytest.fixture(scope="session")
def splash_url() -> str:
    url = os.environ.get(ENV_URL, "").strip().rstrip("/")
    if not url:
        if opted_out():
            pytest.skip(f"Splash tests skipped: {ENV_OPT_OUT}=1 and {ENV_URL} is unset")
        pytest.fail(
            f"{ENV_URL} is not set, so there is no Splash server for this test. Run the suite through "
            f"scripts/run-tests.sh (make test), which installs and starts one; or start one with "
            f"`scripts/splash.sh install && scripts/splash.sh start` and export "
            f"{ENV_URL}=http://127.0.0.1:8050; or set {ENV_OPT_OUT}=1 to skip the Splash tests locally.",
            pytrace=False,
        )
    error: Exception | None = None
    for attempt in range(PING_ATTEMPTS):
        try:
            ping(url)
            return url
        except (OSError, urllib.error.URLError, ValueError, RuntimeError) as exc:
            error = exc
            if attempt + 1 < PING_ATTEMPTS:
                time.sleep(1.0)
    pytest.fail(
        f"{ENV_URL}={url} is set but Splash does not answer {url}/_ping ({error!r}). Start it "
        f"(scripts/splash.sh start; its log: scripts/splash.sh log), or unset {ENV_URL} and set "
        f"{ENV_OPT_OUT}=1 to skip the Splash tests.",
        pytrace=False,
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "splash_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.splash)


def pytest_report_header(config):
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        return f"splash: {ENV_URL}={url}"
    if opted_out():
        return f"splash: {ENV_OPT_OUT}=1, {ENV_URL} unset: Splash tests will be skipped"
    return f"splash: {ENV_URL} unset: Splash tests will fail (use scripts/run-tests.sh)"
