"""Shared fixtures: the replay hub (a real HTTP server on 127.0.0.1) and a way to run real `scrapy crawl`s.

Marks: every test that starts processes, servers or forks gets ``e2e`` here, centrally, so that
``pytest -m "not e2e"`` is the quick loop (no Splash, no crawl, no server) and test files need no mark of their own
for it: the tests that use the ``hub``, ``crawl`` or ``splash_url`` fixtures (or another fixture of
``E2E_FIXTURES``), every test of an ``E2E_MODULES`` module, the tests named in ``E2E_TESTS``, and the tests
parametrised with ``parallel=True`` (their work runs on forked processes). A new test that
starts a process otherwise: add ``@pytest.mark.e2e`` to it (or its name here); a quick test that forks or starts a
Python process fails and says so (`_quick_tests_start_no_process`). The checks on every real name of the 2024 lists
run twice (tests/realnames.py): on a sample in the quick loop, on every name under ``e2e``.
"""
from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubreplay import ReplayHub
from tests.crawling import CrawlRunner

pytest_plugins = ["tests.splash_server", "tests.realnames"]

# fixtures that start a server or run a command in a child process
E2E_FIXTURES = frozenset({
    "hub", "crawl", "splash_url",
    "rhub", "faulty_hub",  # replay hubs of test_hubreplay.py and test_reliability.py
    "small_study",  # test_analysis_study.py: runs `python -m analysis study`
})
# modules whose every test starts a server, a crawl or a fork
E2E_MODULES = frozenset({"test_reliability.py", "test_splash.py", "test_splash_server.py", "test_parallel.py"})
# single tests that run a command in a child process, a browser, or fork, without one of the fixtures above
E2E_TESTS = frozenset({
    "test_analysis_study.py::test_cli_errors",
    "test_analysis_study.py::test_report_html_renders_in_headless_chromium",
    "test_analysis_study.py::test_cli_method_both_and_detector",
    "test_analysis_study.py::test_comparison_runs_alongside_only_below_the_size_limit",
    "test_detector.py::test_python_m_analysis_detect_command",
    "test_detector.py::test_curated_core_alone_without_shared_data",
    "test_repos_analysis.py::test_real_predecessors_table_on_the_2024_lists",  # forks: 187k names read on two processes
})


def is_e2e(module: str, name: str, fixturenames, params: dict) -> bool:
    """Whether a test (its module's file name, its name without parameters, its fixtures, its parameters) is end to
    end; a test parametrised with ``parallel=True`` runs its work on forked processes."""
    return (module in E2E_MODULES or f"{module}::{name}" in E2E_TESTS
            or not E2E_FIXTURES.isdisjoint(fixturenames) or params.get("parallel") is True)


def pytest_collection_finish(session):
    # the modules imported so far live all session: freezing them keeps each collection of the cyclic GC to the
    # objects the tests make (with pandas, pyarrow, matplotlib and Scrapy loaded, full collections otherwise cost
    # seconds over the quick loop)
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = getattr(item, "originalname", None) or item.name
        callspec = getattr(item, "callspec", None)
        if is_e2e(Path(str(item.fspath)).name, name, getattr(item, "fixturenames", ()),
                  callspec.params if callspec else {}):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _quick_tests_start_no_process(request, monkeypatch):
    """A test of the quick loop that forks or starts a Python process fails at once, naming the way out: the mark
    keeps its word. A short command such as the `git rev-parse` of the study's summary is let through."""
    if request.node.get_closest_marker("e2e") is not None:
        return

    def refuse():
        raise AssertionError(f"{request.node.nodeid} started a process: add it to E2E_TESTS (tests/conftest.py)")

    def popen(self, args, *rest, **kwargs):
        program = Path(str(args if isinstance(args, (str, bytes, os.PathLike)) else args[0]).split()[0]).name
        if program.startswith(("python", "scrapy", "pytest")) or program == Path(sys.executable).name:
            refuse()
        popen_init(self, args, *rest, **kwargs)

    popen_init = subprocess.Popen.__init__
    monkeypatch.setattr(os, "fork", lambda: refuse())
    monkeypatch.setattr(subprocess.Popen, "__init__", popen)


@pytest.fixture(scope="session")
def hub():
    """The replay hub of the study's 2024 data, fault-free; tests that add faults use their own hub."""
    with ReplayHub(seed=0) as replay:
        yield replay


@pytest.fixture
def crawl(hub, tmp_path):
    """Runs `scrapy crawl models` as a real process against the shared replay hub; see tests/crawling.py."""
    hub.set_faults(None)
    hub.reset_stats()
    return CrawlRunner(hub.url, tmp_path)
