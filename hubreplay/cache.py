"""The universe's parsed base state, cached on disk outside the repository: parsing the snapshots takes seconds.

The key covers the cache version, the enrichment switch, the lists folder and the size and mtime of every input
file, so a changed input rebuilds it. ``HUBREPLAY_CACHE=0`` turns it off; ``HUBREPLAY_CACHE_DIR`` moves it (default
``$XDG_CACHE_HOME/hfcrawl-hubreplay`` or ``~/.cache/hfcrawl-hubreplay``).
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from .paths import pipeline_tags_file, snapshots_dir

CACHE_VERSION = 1  # bump when the derived values change


def cache_path(lists_dir: Path, enrich: bool) -> Path | None:
    """Where the state of a universe built from these inputs is kept; None when caching is off."""
    if os.environ.get("HUBREPLAY_CACHE", "1") in ("0", "", "off"):
        return None
    h = hashlib.sha1(f"{CACHE_VERSION}:{enrich}:{lists_dir.resolve()}".encode())
    snap = snapshots_dir()
    pts = pipeline_tags_file().parent
    for f in sorted(lists_dir.glob("*.txt")) + sorted(snap.glob("*")) + sorted(pts.glob("*.json")):
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    base = Path(os.environ.get("HUBREPLAY_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or
                                                              Path.home() / ".cache") / "hfcrawl-hubreplay")
    return base / f"universe-{h.hexdigest()[:16]}.pickle"


def load_state(lists_dir: Path, enrich: bool, keys: tuple[str, ...]) -> dict | None:
    """The cached state, or None (no cache, caching off, or a cache that is broken or of other keys)."""
    try:
        p = cache_path(lists_dir, enrich)
        if p is None or not p.exists():
            return None
        with open(p, "rb") as fh:
            state = pickle.load(fh)
        return state if set(state) == set(keys) else None
    except Exception:  # a broken cache is rebuilt
        return None


def save_state(lists_dir: Path, enrich: bool, state: dict) -> None:
    """Write the state atomically (a temporary file, then a rename); a failure to write only costs speed."""
    try:
        p = cache_path(lists_dir, enrich)
        if p is None:
            return
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)
    except OSError:
        pass


PAGE_CACHE_MB = 256  # default bound of the rendered-page cache; HUBREPLAY_PAGE_CACHE_MB moves it (0: off)


class PageCache:
    """Rendered answers kept by what they depend on, up to a bound in bytes, so a page asked again (a second
    contender of a benchmark, a resumed crawl) costs a lookup instead of a rendering under the GIL the other
    requests wait for. The universe is read-only, so an answer never goes stale. Once full it keeps what it holds
    (a crawl walks pages in order: evicting the oldest would only make every page a miss)."""

    def __init__(self, max_bytes: int | None = None):
        if max_bytes is None:
            max_bytes = int(float(os.environ.get("HUBREPLAY_PAGE_CACHE_MB", PAGE_CACHE_MB)) * 1024 * 1024)
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = 0
        self._pages: dict = {}

    def get(self, key) -> bytes | None:
        body = self._pages.get(key)
        if body is None:
            self.misses += 1
        else:
            self.hits += 1
        return body

    def put(self, key, body, size: int | None = None) -> None:
        """Keep `body` (bytes, or any answer whose `size` in bytes is given) while the bound allows."""
        size = len(body) if size is None else size
        if key not in self._pages and self.bytes + size <= self.max_bytes:
            self._pages[key] = body
            self.bytes += size

    def stats(self) -> dict:
        return {"pages": len(self._pages), "bytes": self.bytes, "hits": self.hits, "misses": self.misses}
