"""Real values from the Hub snapshots in ``<shared>/data/hub-snapshots``, laid over the synthetic ones.

Four captures, read in order; an earlier (closer to the study's February 2024) source wins for each value:
top downloads of September 2024, full API items of February 2022, the model-cards census of October 2022, and a
recent census of August 2026 (which only fills what is still missing). A missing file is skipped.
"""
from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from .synthetic import OLD_CREATED, parse_iso

if TYPE_CHECKING:
    from .universe import Universe

KNOWN_LIBS = ("transformers", "diffusers", "sentence-transformers", "stable-baselines3", "ml-agents",
              "sample-factory", "sklearn", "keras", "timm", "nemo", "speechbrain", "espnet", "coqui", "asteroid",
              "peft", "gguf", "lerobot", "ultralytics", "adapter-transformers", "fastai", "flair", "spacy",
              "pytorch", "tf-keras", "onnx", "allennlp", "fairseq", "open_clip", "span-marker", "setfit",
              "paddlenlp", "pyannote-audio", "transformers.js", "mlx", "tensorflowtts", "flax")
_MODELID_RE = re.compile(rb'\{"modelId": ?"([^"]+)"')
_DONE = ("downloads", "likes", "created", "modified", "tags", "lib")


def enrich(u: Universe, snap: Path) -> None:
    """Overwrite ``u``'s synthetic values with the real ones of the snapshots; counts land in ``u.sources``."""
    e = _Enrichment(u)
    for name, read in (("top-downloads-2024-09.csv.gz", e.top_downloads),
                       ("api-full-2022-02.jsonl.gz", e.api_full),
                       ("models-2022-10.csv.gz", e.cards_census),
                       ("recent-2026-08.jsonl.gz", e.recent_census)):
        p = snap / name
        if p.exists():
            read(p)
    d = e.done
    u.sources["enriched_models"] = len(d["downloads"] | d["likes"] | d["created"] | d["modified"] | d["tags"])


def lib_from_tags(tags) -> str | None:
    """The first tag that names a known library."""
    for t in tags:
        if t in KNOWN_LIBS:
            return t
    return None


class _Enrichment:
    """One pass over the snapshots; ``done`` remembers which base models already got a real value of each kind."""

    def __init__(self, u: Universe):
        self.u = u
        self.done: dict[str, set[int]] = {k: set() for k in _DONE}

    def top_downloads(self, p: Path):
        """Top downloads, Sept 2024 (closest to 2024-02 for downloads, tags, sha, lastModified)."""
        u, done = self.u, self.done
        with gzip.open(p, "rt", newline="") as fh:
            for row in csv.DictReader(fh):
                b = u.index.get(row["modelId"])
                if b is None:
                    continue
                u.sources["top-downloads-2024-09"] += 1
                try:
                    u.downloads[b] = int(float(row["downloads"]))
                    done["downloads"].add(b)
                except ValueError:
                    pass
                try:
                    u.modified[b] = parse_iso(row["lastModified"])
                    done["modified"].add(b)
                except (ValueError, KeyError):
                    pass
                tags = re.findall(r"'([^']*)'", row.get("tags") or "")
                if tags:
                    u.set_real_tags(b, tags)
                    done["tags"].add(b)
                    lib = lib_from_tags(tags)
                    if lib:
                        u.set_lib(b, lib)
                        done["lib"].add(b)
                if row.get("sha"):
                    u.sha[b] = row["sha"]

    def api_full(self, p: Path):
        """Full API items, Feb 2022: downloads, likes, dates, tags, library, sha and file lists."""
        u = self.u
        with gzip.open(p, "rb") as fh:
            for line in fh:
                m = _MODELID_RE.match(line)
                if m is None or m.group(1).decode() not in u.index:
                    continue
                d = orjson.loads(line)
                b = u.index.get(d.get("modelId"))
                if b is None:
                    continue
                u.sources["api-full-2022-02"] += 1
                self._api_item(b, d)

    def _api_item(self, b: int, d: dict):
        u, done = self.u, self.done
        if b not in done["downloads"] and isinstance(d.get("downloads"), int):
            u.downloads[b] = d["downloads"]
            done["downloads"].add(b)
        if isinstance(d.get("likes"), int):
            u.likes[b] = d["likes"]
            done["likes"].add(b)
        if b not in done["modified"] and d.get("lastModified"):
            try:
                u.modified[b] = parse_iso(d["lastModified"])
                done["modified"].add(b)
            except ValueError:
                pass
        if b not in done["tags"] and d.get("tags"):
            u.set_real_tags(b, d["tags"])
            done["tags"].add(b)
        if b not in done["lib"]:
            lib = d.get("library_name") or lib_from_tags(d.get("tags") or ())
            if lib:
                u.set_lib(b, lib)
                done["lib"].add(b)
        if b not in u.sha and d.get("sha"):
            u.sha[b] = d["sha"]
        sib = d.get("siblings")
        if sib:
            u.siblings[b] = tuple(s.get("rfilename") for s in sib if isinstance(s, dict))

    def cards_census(self, p: Path):
        """Model cards census, Oct 2022: creation time, downloads."""
        u, done = self.u, self.done
        with gzip.open(p, "rt", newline="") as fh:
            rd = csv.reader(fh)
            head = next(rd)
            c_id, c_ct, c_dl = head.index("modelId"), head.index("creation_time"), head.index("downloads")
            for row in rd:
                b = u.index.get(row[c_id])
                if b is None:
                    continue
                u.sources["models-2022-10"] += 1
                if row[c_ct]:
                    try:
                        u.created[b] = max(OLD_CREATED, parse_iso(row[c_ct]))
                        done["created"].add(b)
                    except ValueError:
                        pass
                if b not in done["downloads"] and row[c_dl]:
                    try:
                        u.downloads[b] = int(float(row[c_dl]))
                        done["downloads"].add(b)
                    except ValueError:
                        pass

    def recent_census(self, p: Path):
        """Recent census, Aug 2026: only fills what is still missing."""
        u = self.u
        with gzip.open(p, "rb") as fh:
            for line in fh:
                d = orjson.loads(line)
                b = u.index.get(d.get("id"))
                if b is None:
                    continue
                u.sources["recent-2026-08"] += 1
                self._recent_item(b, d)

    def _recent_item(self, b: int, d: dict):
        u, done = self.u, self.done
        if b not in done["created"] and d.get("created_at"):
            u.created[b] = max(OLD_CREATED, parse_iso(d["created_at"]))
            done["created"].add(b)
        if b not in done["modified"] and d.get("updated_at"):
            u.modified[b] = parse_iso(d["updated_at"])
            done["modified"].add(b)
        if b not in done["downloads"] and isinstance(d.get("downloads_30d"), int):
            u.downloads[b] = d["downloads_30d"]
            done["downloads"].add(b)
        # likes, tags and library read here are not marked done, so `enriched_models` leaves them out
        if b not in done["likes"] and isinstance(d.get("likes"), int):
            u.likes[b] = d["likes"]
        if b not in done["tags"] and d.get("tags"):
            u.set_real_tags(b, d["tags"])
        if b not in done["lib"] and d.get("library"):
            u.set_lib(b, d["library"])
