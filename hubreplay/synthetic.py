"""Deterministic synthetic values: hashes of the model id give downloads, likes, dates, library and licence.

Every value is a pure function of the id, so two runs (and two processes) serve the same hub. Real values from the
snapshots (``snapshots.py``) replace them where a model appears there.
"""
from __future__ import annotations

import calendar
import time
import zlib

import numpy as np

U64 = np.uint64
OLD_CREATED = 1646263744  # 2022-03-02T23:29:04Z: createdAt of every repo older than March 2022
CUTOFF = 1706745600  # 2024-02-01T00:00:00Z
MAX_NAME = 96  # a repo name (each part of an id) has at most 96 characters on the Hub

LIBS_BY_TASK = {
    "reinforcement-learning": ("stable-baselines3", "ml-agents", "sample-factory", "stable-baselines3"),
    "text-to-image": ("diffusers",), "unconditional-image-generation": ("diffusers",),
    "image-to-image": ("diffusers", "transformers"), "sentence-similarity": ("sentence-transformers",),
    "feature-extraction": ("transformers", "sentence-transformers"),
    "tabular-classification": ("sklearn", "keras", "sklearn"), "tabular-regression": ("sklearn",),
    "automatic-speech-recognition": ("transformers", "transformers", "nemo", "speechbrain"),
    "text-to-speech": ("transformers", "espnet", "coqui"), "audio-to-audio": ("asteroid", "speechbrain", "espnet"),
    "image-classification": ("transformers", "transformers", "timm", "keras"),
    "text-generation": ("transformers", "transformers", "peft", "gguf"), "robotics": ("lerobot",),
    "graph-ml": ("transformers",), "text-to-video": ("diffusers",), "image-to-video": ("diffusers",),
    "object-detection": ("transformers", "ultralytics"), "image-segmentation": ("transformers", "transformers"),
}
LICENSES = ("license:apache-2.0", "license:mit", "license:cc-by-4.0", "license:openrail", "license:cc-by-nc-4.0",
            "license:other", None, None)


# ------------------------------------------------------------------------------------------------ hashes and dates
def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = np.asarray(x, dtype=U64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> U64(27))) * U64(0x94D049BB133111EB)
        return x ^ (x >> U64(31))


def unit(h: np.ndarray) -> np.ndarray:
    """A uniform float in [0, 1) from each 64-bit hash."""
    return (h >> U64(11)).astype(np.float64) / float(1 << 53)


def hash_id(s: str) -> int:
    """A 64-bit hash of a string, stable across processes and Python versions (unlike ``hash``)."""
    e = s.encode()
    return (zlib.crc32(e) << 32) | zlib.crc32(e[::-1], 0x5BD1E995)


def iso(ts: int) -> str:
    """Epoch seconds -> the Hub's '2023-09-06T14:49:15.000Z'."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(ts)))


def parse_iso(s: str) -> int:
    """'2023-09-06T14:49:15.000Z' / '2023-09-06 14:49:15+00:00' (UTC) -> epoch seconds."""
    s = s.strip()
    try:
        return calendar.timegm((int(s[0:4]), int(s[5:7]), int(s[8:10]), int(s[11:13] or 0), int(s[14:16] or 0),
                                int(s[17:19] or 0), 0, 0, 0))
    except (ValueError, IndexError):
        raise ValueError(f"bad date {s!r}") from None


def isos(ts: np.ndarray) -> list[bytes]:
    """ISO-8601 '...000Z' strings (as ASCII bytes), vectorised."""
    return [x.encode() + b".000Z" for x in np.datetime_as_string(np.asarray(ts).astype("datetime64[s]")).tolist()]


def oids(id1: np.ndarray, id2: np.ndarray) -> list[bytes]:
    """24-hex _id strings (as ASCII bytes) for arrays of (high 64 bits, low 32 bits), vectorised."""
    buf = np.empty((len(id1), 12), dtype=np.uint8)
    buf[:, :8] = id1.astype(">u8").view(np.uint8).reshape(-1, 8)
    buf[:, 8:] = id2.astype(">u4").view(np.uint8).reshape(-1, 4)
    hx = buf.tobytes().hex().encode()
    return [hx[i:i + 24] for i in range(0, len(hx), 24)]


def copy_id(model_id: str, k: int) -> str:
    """The id of copy k (>0) of a model in a multiplied hub: ``owner/name-k3``, still a valid Hub id (a name too
    long for the suffix is cut and given a short hash of the whole name, so copies stay distinct)."""
    suf = f"-k{k}"
    owner, sep, name = model_id.rpartition("/")
    if len(name) + len(suf) > MAX_NAME:
        name = name[:MAX_NAME - len(suf) - 7].rstrip("-._") + f"-{zlib.crc32(name.encode()) & 0xFFFFFF:06x}"
    return f"{owner}{sep}{name}{suf}"


# ------------------------------------------------------------------------------------------------ synthetic values
def synthetic_values(H: np.ndarray, task_of: np.ndarray, task_names: list[str]) -> dict:
    """Downloads, likes, dates, library and tags of every base model, from its hash (``H``) and task."""
    u1, u2, u3, u4, u5 = (unit(mix(H ^ U64(c))) for c in (1, 2, 3, 4, 5))
    downloads = (np.floor(np.exp(14.0 * u1 ** 3)) - 1).astype(np.int64)
    likes = np.floor((downloads ** 0.5) * u2 * 0.3).astype(np.int64)
    created = (OLD_CREATED + u3 * (CUTOFF - 1 - OLD_CREATED)).astype(np.int64)
    created[u4 < 0.25] = OLD_CREATED
    modified = (created + u5 * (CUTOFF - 1 - created)).astype(np.int64)
    hl = mix(H ^ U64(6))
    T = len(task_names)
    lib_names, lib_code, choice = _library_slots(task_names)
    trow = np.where(task_of >= 0, task_of, T).astype(np.int64)
    lib_idx = choice[trow, ((hl >> U64(8)) % U64(12)).astype(np.int64)]
    lib_idx[(hl % U64(100)) < U64(8)] = 0  # 8% have no library
    lic = ((hl >> U64(16)) % U64(len(LICENSES))).astype(np.int64)
    tags = _tag_tuples(trow, lib_idx, lic, task_names, lib_names)
    return {"downloads": downloads, "likes": likes, "created": created, "modified": modified, "tags": tags,
            "lib_names": lib_names, "_lib_code": lib_code, "lib_idx": lib_idx.astype(np.int16), "sha": {},
            "siblings": {}}


def _library_slots(task_names: list[str]) -> tuple[list, dict, np.ndarray]:
    """Per task (last row: no task), 12 slots of library codes drawn from the task's usual libraries."""
    T = len(task_names)
    lib_names: list[str | None] = [None]
    lib_code = {None: 0}
    choice = np.zeros((T + 1, 12), dtype=np.int16)
    for ti in range(T + 1):
        t = task_names[ti] if ti < T else None
        libs = LIBS_BY_TASK.get(t, ("transformers",))
        for j in range(12):
            lib = libs[j % len(libs)]
            if lib not in lib_code:
                lib_code[lib] = len(lib_names)
                lib_names.append(lib)
            choice[ti, j] = lib_code[lib]
    return lib_names, lib_code, choice


def _tag_tuples(trow, lib_idx, lic, task_names, lib_names) -> list[tuple]:
    """The tags of every model; one tuple shared by all models of a (task, library, licence) combination."""
    T = len(task_names)
    combo = (trow * 64 + lib_idx.astype(np.int64)) * 16 + lic
    uniq, inv = np.unique(combo, return_inverse=True)
    tuples = []
    for c in uniq.tolist():
        ti, li, lc = c // 1024, (c // 16) % 64, c % 16
        t = task_names[ti] if ti < T else None
        lib, licence = lib_names[li], LICENSES[lc]
        tg = []
        if lib:
            tg.append(lib)
            if lib == "transformers":
                tg += ["pytorch", "safetensors"]
        if t:
            tg.append(t)
        if licence:
            tg.append(licence)
        if lib == "transformers":
            tg += ["autotrain_compatible", "endpoints_compatible"]
        tg.append("region:us")
        tuples.append(tuple(tg))
    return [tuples[i] for i in inv.tolist()]
