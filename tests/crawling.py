"""Running the crawler as a user does: `scrapy crawl models` in a child process, against a replay hub."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hfcrawl.provenance import record_path
from tests.paths import ROOT

SCRAPY = [sys.executable, "-m", "scrapy"]


@dataclass
class CrawlResult:
    returncode: int
    log: str
    feed: Path
    report_path: Path

    @property
    def lines(self) -> list[dict]:
        if not self.feed.exists():
            return []
        return [json.loads(line) for line in self.feed.read_text(encoding="utf-8").splitlines() if line.strip()]

    @property
    def report(self) -> dict:
        """The crawl's record, beside its feed (written only when the crawl wrote its feed)."""
        return json.loads(self.report_path.read_text(encoding="utf-8"))

    @property
    def log_lines(self) -> list[str]:
        return [line for line in self.log.splitlines() if line.strip()]

    @property
    def last_line(self) -> str:
        return self.log_lines[-1] if self.log_lines else ""

    @property
    def incomplete(self) -> dict[str, str]:
        """The incomplete streams as the log names them: also when the run wrote no feed, hence no record."""
        out = {}
        for line in self.log_lines:
            _, found, rest = line.partition("ERROR: Incomplete: ")
            if found:
                name, _, why = rest.partition(": ")
                out[name] = why
        return out

    def ids_by(self, key: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for line in self.lines:
            out.setdefault(line[key], []).append(line["id"])
        return out


class CrawlRunner:
    """`runner.run("-a", "tags=fill-mask")` runs a crawl to completion; `runner.start(...)` leaves it running."""

    spider = "models"

    def __init__(self, endpoint: str, workdir: Path, env: dict[str, str] | None = None):
        self.endpoint = endpoint
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.feed = workdir / "models.jsonl"
        self.log_path = workdir / "crawl.log"
        self.env = env or {}

    @property
    def report_path(self) -> Path:
        """Where the crawl writes its record: beside its feed (hfcrawl.provenance.record_path)."""
        return record_path(self.feed)

    def command(self, *args: str) -> list[str]:
        return [*SCRAPY, "crawl", self.spider, "-O", str(self.feed),
                "-s", "HFCRAWL_BACKOFF_BASE=0.05", "-s", "HFCRAWL_BACKOFF_MAX=0.5", *args]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "SPLASH_URL")}
        env.update({"HF_ENDPOINT": self.endpoint}, **self.env)
        return env

    def start(self, *args: str) -> subprocess.Popen:
        """The crawl runs where scrapy.cfg is (the repository root), as a user runs it; `python -m` puts that
        folder first on the import path, so the crawl uses this checkout's hfcrawl, installed or not."""
        log = open(self.log_path, "ab")
        return subprocess.Popen(self.command(*args), cwd=ROOT, env=self.environment(), stdout=log,
                                stderr=subprocess.STDOUT)

    def run(self, *args: str, timeout: float = 600) -> CrawlResult:
        if self.log_path.exists():
            self.log_path.unlink()
        proc = self.start(*args)
        try:
            proc.wait(timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return self.result(proc.returncode)

    def result(self, returncode: int) -> CrawlResult:
        log = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return CrawlResult(returncode, log, self.feed, self.report_path)

    def interrupt_when(self, proc: subprocess.Popen, min_lines: int, sig: int = signal.SIGINT,
                       timeout: float = 120) -> int:
        """Send `sig` once the feed holds at least `min_lines` lines; returns the process's exit code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if self.feed.exists() and _count_lines(self.feed) >= min_lines:
                break
            time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(sig)
        return proc.wait(timeout)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
