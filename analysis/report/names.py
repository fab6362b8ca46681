"""Filename-safe names for tables and figures: task and organisation names come from the Hub, never trusted."""
from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_name(value: str, max_len: int = 80) -> str:
    """A name usable as one path component: only [A-Za-z0-9_-]; no `/`, `..`, dots, spaces or control characters.

    Names that are already safe stay as they are (`text-generation`, `google`), so tables keep readable names.
    Anything else is rewritten and suffixed with a short hash of the original, so that two different Hub values
    never map to the same file (`a/b` and `a_b` differ).
    """
    text = str(value)
    cleaned = _UNSAFE.sub("_", text).strip("_-")[:max_len]
    if cleaned == text and cleaned:
        return cleaned
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned or 'x'}_{digest}"
