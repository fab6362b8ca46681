"""What the repos crawl reads: the ids of its input, a sample of them, and the previous repos feed (`since`).

Inputs are read lazily, in chunks: a models feed of 3 million lines is never held in memory. Ids are kept only
as 64-bit hashes (`hfcrawl.seen.SeenHashes`, 8 bytes an id) to drop duplicates and the ids a resumed crawl already
wrote. Every function raises `InputError` (a one-line message naming the input) on an input that cannot be what
it should be, so that the crawl refuses it before its first request.
"""
from __future__ import annotations

import gzip
import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import orjson

from hfcrawl.feed import iter_feed_records
from hfcrawl.parsing import card_lineage
from hfcrawl.pipelines import invalid_id_reason
from hfcrawl.seen import SeenHashes

CHUNK = 4096  # ids hashed and looked up together (one vectorised SeenHashes call a chunk)


class InputError(ValueError):
    """An input the crawl cannot read as asked; the message is one line and names the input."""


class Entry(NamedTuple):
    """One repository to crawl, as its input gives it."""

    id: str
    sha: str | None = None  # head of main when the models feed was written (None from an ids file)
    task: str | None = None  # the feed's crawl_tag, else pipeline_tag (for per_task sampling)
    lineage: dict[str, Any] | None = None  # base_model / new_version from the listing's card, if the feed has it


def stable_hash(text: str, key: bytes = b"") -> int:
    """A 64-bit hash of `text` that is the same in every process (Python's `hash` is salted per process)."""
    digest = hashlib.blake2b(text.encode(), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "little", signed=True)


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _entry_from_feed_line(record: Any, where: str) -> Entry:
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise InputError(f"{where}: not a feed line (a JSON object with an 'id'): {str(record)[:80]}")
    lineage = None
    if record.get("source") == "api" and "new_version" in record:
        lineage = card_lineage({"base_model": record.get("base_model"), "new_version": record.get("new_version")},
                               record.get("tags"))
    sha = record.get("sha")
    return Entry(record["id"], sha if isinstance(sha, str) else None,
                 record.get("crawl_tag") or record.get("pipeline_tag"), lineage)


def _checked(entry: Entry, where: str) -> Entry:
    reason = invalid_id_reason(entry.id)
    if reason:
        raise InputError(f"{where}: {entry.id!r} is not a model id ({reason})")
    return entry


def read_file(path: Path) -> Iterator[Entry]:
    """Entries of a models feed (`.jsonl`, `.jsonl.gz`: lines starting with '{') or of a text file of ids."""
    if not path.is_file():
        raise InputError(f"input {path}: no such file")
    feed = None
    count = 0
    try:
        with _open(path) as fh:
            for number, line in enumerate(fh, 1):
                text = line.strip()
                if not text:
                    continue
                if feed is None:
                    feed = text.startswith(b"{")
                where = f"input {path} line {number}"
                if feed:
                    try:
                        record = orjson.loads(text)
                    except orjson.JSONDecodeError:
                        if not line.endswith(b"\n"):  # a crashed writer's cut last line: skipped, as on resume
                            continue
                        raise InputError(f"{where}: not JSON, so not a models feed") from None
                    entry = _entry_from_feed_line(record, where)
                else:
                    entry = Entry(text.decode("utf-8", "replace"))
                count += 1
                yield _checked(entry, where)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"input {path}: cannot be read ({exc})") from None
    if not count:
        raise InputError(f"input {path}: empty, no model id in it")


def read_ids(ids: Iterable[str]) -> Iterator[Entry]:
    for value in ids:
        yield _checked(Entry(value), "ids")


def unique(entries: Iterable[Entry], skip: SeenHashes | None = None) -> Iterator[list[Entry]]:
    """Chunks of entries, each id once; ids already in `skip` (hashes) are left out and added to it."""
    seen = skip if skip is not None else SeenHashes()
    chunk: list[Entry] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= CHUNK:
            yield _new_in(chunk, seen)
            chunk = []
    if chunk:
        yield _new_in(chunk, seen)


def _new_in(chunk: list[Entry], seen: SeenHashes) -> list[Entry]:
    hashes = np.fromiter((stable_hash(e.id) for e in chunk), dtype=np.int64, count=len(chunk))
    new = seen.add_new(hashes)
    return [e for e, keep in zip(chunk, new.tolist()) if keep]


def sample(chunks: Iterable[list[Entry]], size: int | None, seed: int, per_task: int | None) -> list[Entry]:
    """A reproducible uniform sample without replacement: the ids with the smallest seeded hash, `size` of them
    overall or `per_task` of each task. Independent of the input's order; holds only the sample in memory."""
    key = str(seed).encode()[:64]
    heaps: dict[str | None, list[tuple[int, str, Entry]]] = {}
    limit = per_task if per_task is not None else size
    assert limit is not None
    for chunk in chunks:
        for entry in chunk:
            heap = heaps.setdefault(entry.task if per_task is not None else None, [])
            item = (-stable_hash(entry.id, key), entry.id, entry)
            if len(heap) < limit:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
    chosen = [(-negated, mid, entry) for heap in heaps.values() for negated, mid, entry in heap]
    return [entry for _, _, entry in sorted(chosen, key=lambda c: (c[0], c[1]))]


#: The task under which `TaskCounts` counts an id whose input gives no task (an ids file, a feed line without one).
NO_TASK = "(no task)"


class TaskCounts:
    """Ids per task of the chunks that pass through `counted`: the population a sample is drawn from, in counts
    only (a few dozen tasks), so a 3-million-id input costs no memory here."""

    def __init__(self) -> None:
        self.by_task: Counter[str] = Counter()

    def counted(self, chunks: Iterable[list[Entry]]) -> Iterator[list[Entry]]:
        for chunk in chunks:
            self.by_task.update(entry.task or NO_TASK for entry in chunk)
            yield chunk

    @property
    def total(self) -> int:
        return sum(self.by_task.values())

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.by_task.items()))


def feed_ids(path: Path) -> SeenHashes:
    """Hashes of the ids of the complete lines of a repos feed: what a resumed crawl has already written."""
    done = SeenHashes()
    batch: list[int] = []
    for record in iter_feed_records(path):
        batch.append(stable_hash(record["id"]))
        if len(batch) >= 100_000:
            done.add_all(batch)
            batch = []
    done.add_all(batch)
    return done


class PreviousFeed:
    """The previous repos feed of `-a since=...`: for each id, the `sha` and history mode of its line and where the
    line is, so that an unchanged repository's line is copied over instead of requested again.

    Kept as three NumPy arrays sorted by id hash (24 bytes an id); a line is read back from disk when carried over.
    """

    MODES = {"count": 1, "full": 2}

    def __init__(self, path: Path):
        self.path = path
        ids, shas, offsets, modes = self._index(path)
        order = np.lexsort((np.arange(ids.size), ids))  # by id hash, a later line of an id after an earlier one
        ids, shas, offsets, modes = ids[order], shas[order], offsets[order], modes[order]
        last = np.ones(ids.size, dtype=bool)
        last[:-1] = ids[1:] != ids[:-1]
        self.ids, self.shas, self.offsets, self.modes = ids[last], shas[last], offsets[last], modes[last]
        self.file: IO[bytes] | None = None

    def __len__(self) -> int:
        return int(self.ids.size)

    def _index(self, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not path.is_file():
            raise InputError(f"since {path}: no such file")
        ids, shas, offsets, modes = [], [], [], []
        offset = 0
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, 1):
                here, offset = offset, offset + len(line)
                if not line.strip() or not line.endswith(b"\n"):
                    continue
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    raise InputError(f"since {path} line {number}: not JSON, so not a repos feed") from None
                if not isinstance(record, dict) or "history" not in record or "commit_count" not in record \
                        or not isinstance(record.get("id"), str):
                    raise InputError(f"since {path} line {number}: not a repos feed line (no id, history, "
                                     f"commit_count): is it a models feed?")
                ok = record.get("status") == "ok" and isinstance(record.get("sha"), str)
                ids.append(stable_hash(record["id"]))
                shas.append(stable_hash(record["sha"]) if ok else 0)
                offsets.append(here)
                modes.append(self.MODES.get(record["history"], 0) if ok else 0)
        if not ids:
            raise InputError(f"since {path}: empty, no repository in it")
        return (np.asarray(ids, dtype=np.int64), np.asarray(shas, dtype=np.int64),
                np.asarray(offsets, dtype=np.int64), np.asarray(modes, dtype=np.int8))

    def unchanged(self, entry: Entry, history: str) -> dict[str, Any] | None:
        """The previous line of `entry`, marked `carried_over`, when its sha equals the input's; else None."""
        if entry.sha is None:
            return None
        key = stable_hash(entry.id)
        where = int(np.searchsorted(self.ids, key))
        if where >= self.ids.size or self.ids[where] != key or self.modes[where] != self.MODES[history] \
                or self.shas[where] != stable_hash(entry.sha):
            return None
        if self.file is None:
            self.file = open(self.path, "rb")
        self.file.seek(int(self.offsets[where]))
        record = orjson.loads(self.file.readline())
        if record.get("id") != entry.id or record.get("sha") != entry.sha:  # a 64-bit hash collision
            return None
        record["carried_over"] = True
        return record

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def entries_of(paths: list[Path], ids: list[str] | None) -> Iterator[Entry]:
    """Every entry of the inputs, in order: the files, then the ids given on the command line."""
    for path in paths:
        yield from read_file(path)
    if ids:
        yield from read_ids(ids)


def has_sha(paths: list[Path]) -> bool:
    """True when one of the inputs is a feed whose lines can carry a `sha` (an ids file cannot)."""
    for path in paths:
        with _open(path) as fh:
            first = next((line for line in fh if line.strip()), b"")
        if first.lstrip().startswith(b"{"):
            return True
    return False
