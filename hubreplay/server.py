"""The HTTP server (stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive) and ``ReplayHub``, which runs it in a
thread of this process or in a child process, and controls it the same way in both."""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hfcrawl.provenance import REPLAY_HEADER

from .core import HubCore
from .faults import Fault, Faults
from .paths import REPO_ROOT, default_lists_dir
from .reply import SERVER, Reply, json_error
from .universe import Universe


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubreplay/1.0"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet
        if getattr(self.server, "verbose", False):
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _serve(self, method):
        core: HubCore = self.server.core
        core.enter()
        try:
            rep = self._reply(core, method)
            if rep.action == "drop":
                core.note_sent(rep)
                self.close_connection = True
                self._shutdown()
                return
            if rep.delay:
                time.sleep(rep.delay)
            self._write(core, rep, method)
        finally:
            core.leave()

    def _reply(self, core: HubCore, method: str) -> Reply:
        body = b""
        if method == "POST":
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
        try:
            return core.handle(method, self.path, self.headers, body)
        except Exception as e:  # a bug in the replay: answer 500 (visible in stats) rather than hang
            traceback.print_exc()
            return json_error(500, f"replay error: {e!r}")

    def _write(self, core: HubCore, rep: Reply, method: str):
        body = rep.body if method != "HEAD" else b""
        reason = http.client.responses.get(rep.status, "")
        lines = [f"HTTP/1.1 {rep.status} {reason}"]
        lines += [f"{k}: {v}" for k, v in rep.headers]
        lines.append(f"{REPLAY_HEADER}: {SERVER}")  # every answer names the replay hub: its data is synthetic
        clen = rep.content_length if rep.content_length is not None else len(rep.body)
        lines.append(f"Content-Length: {clen}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        core.note_sent(rep)
        try:
            self.wfile.write(head + body)
        except OSError:
            self.close_connection = True
            return
        if rep.action == "dataloss":
            self.close_connection = True
            self._shutdown()

    def _shutdown(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        self._serve("GET")

    def do_HEAD(self):
        self._serve("HEAD")

    def do_POST(self):
        self._serve("POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


_UNIVERSES: dict = {}
_UNIVERSES_LOCK = threading.Lock()


class ReplayHub:
    """The replay hub. ``with ReplayHub(...) as hub`` serves from a thread of this process;
    ``ReplayHub(...).start_process()`` runs the same server in a child process (``stop()`` ends it)."""

    def __init__(self, lists_dir: str | os.PathLike | None = None, multiply: int = 1, faults: Any = None,
                 seed: int = 0, host: str = "127.0.0.1", port: int = 0, quota: int | dict | None = None,
                 window: int = 300, enrich: bool = True, verbose: bool = False):
        self.lists_dir = Path(lists_dir or default_lists_dir())
        self.multiply, self.seed, self.host, self.port = multiply, seed, host, port
        self.quota, self.window, self.enrich, self.verbose = quota, window, enrich, verbose
        self._faults = Faults.parse(faults) if faults is not None else Faults(seed=seed)
        if faults is None or (not isinstance(faults, Faults) and isinstance(faults, (list, tuple))):
            self._faults.seed = seed
        self._universe: Universe | None = None
        self.core: HubCore | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None
        self.url: str | None = None

    # -- lifecycle
    @property
    def universe(self) -> Universe:
        """The hub's models; shared by the hubs of one process that serve the same lists (it is read-only)."""
        if self._universe is None:
            key = (str(self.lists_dir.resolve()), self.multiply, self.enrich)
            with _UNIVERSES_LOCK:
                u = _UNIVERSES.get(key)
                if u is None:
                    u = _UNIVERSES[key] = Universe(self.lists_dir, self.multiply, enrich=self.enrich)
            self._universe = u
        return self._universe

    def start(self) -> ReplayHub:
        """Serve from a daemon thread of this process."""
        srv = _Server((self.host, self.port), _Handler)
        srv.verbose = self.verbose
        self.port = srv.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        srv.core = self.core = HubCore(self.universe, self._faults, self.seed, self.quota, self.window, self.url)
        self._server = srv
        self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="hubreplay", daemon=True)
        self._thread.start()
        return self

    def command(self) -> list[str]:
        """The ``python -m hubreplay`` command line that serves this hub."""
        cmd = [sys.executable, "-m", "hubreplay", "--lists", str(self.lists_dir), "--host", self.host,
               "--port", str(self.port), "--multiply", str(self.multiply), "--seed", str(self.seed),
               "--window", str(self.window), "--faults", json.dumps(self._faults.to_json())]
        if self.quota is not None:
            cmd += ["--quota", json.dumps(self.quota)]
        if not self.enrich:
            cmd.append("--no-enrich")
        return cmd

    def start_process(self, timeout: float = 120.0) -> ReplayHub:
        """Serve from a child process (no GIL shared with the caller); returns once it listens."""
        # run from the repository root: `-m` then finds this package even where it is not installed
        self._proc = subprocess.Popen(self.command(), cwd=str(REPO_ROOT), stdout=subprocess.PIPE, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self._proc.stdout.readline()
            if not line:
                raise RuntimeError(f"hub process exited with {self._proc.wait()}")
            m = re.search(r"(http://\S+)", line)
            if m:
                self.url = m.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                threading.Thread(target=self._proc.stdout.read, daemon=True).start()  # drain
                return self
        self.stop()
        raise RuntimeError("hub process did not start in time")

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> ReplayHub:
        return self.start() if self._proc is None and self._server is None else self

    def __exit__(self, *exc):
        self.stop()

    # -- control (works for both modes)
    def _control(self, method: str, route: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, route, body=data, headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            payload = r.read()
            if r.status != 200:
                raise RuntimeError(f"{route}: {r.status} {payload[:200]!r}")
            return json.loads(payload)
        finally:
            conn.close()

    def stats(self) -> dict:
        """Requests per route/stream, statuses, 429s sent, early requests, Authorization values, faults fired ..."""
        if self.core is not None:
            return self.core.stats()
        return self._control("GET", "/_replay/stats")

    def reset_stats(self):
        if self.core is not None:
            self.core.reset_stats()
        else:
            self._control("POST", "/_replay/reset")

    def set_faults(self, faults: Any = None, *rules: Fault | dict, seed: int | None = None):
        """``set_faults(Faults(...))``, ``set_faults(Fault(...), Fault(...))`` or ``set_faults([{...}])``."""
        f = Faults.parse(faults if not rules else [faults, *rules])
        if seed is not None:
            f.seed = seed
        self._faults = f
        if self.core is not None:
            self.core.set_faults(f)
        elif self._proc is not None:
            self._control("POST", "/_replay/faults", f.to_json())

    # -- what the hub holds (computed in this process for both modes; deterministic)
    def expected_ids(self, tag: str | None = None, author: str | None = None, search: str | None = None,
                     filters: Iterable[str] = (), sort: str = "trendingScore") -> list[str]:
        return self.universe.expected_ids(tag=tag, author=author, search=(search,) if search else (),
                                          filters=filters, sort=sort)

    def expected_count(self, tag: str | None = None, author: str | None = None) -> int:
        return self.universe.view(pipeline_tag=tag, author=author).n

    def tags(self) -> list[str]:
        return list(self.universe.task_names)

    def orgs(self) -> list[str]:
        return list(self.universe.org_names)
