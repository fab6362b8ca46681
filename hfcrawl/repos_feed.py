"""The repos feed's schema (one line per repository) and what the repos crawl reads from the Hub's answers."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from scrapy.http import Response

#: Columns of a repos feed line, in the order they are written (`carried_over` only where it applies).
REPO_FIELDS: tuple[str, ...] = (
    "id",  # "owner/name"
    "status",  # "ok", or "not_found": deleted or made private since the listing (404/401 RepoNotFound)
    "sha",  # head commit of main
    "branches",  # branch names
    "tags",  # git tag names
    "commit_count",  # commits of main (x-total-count)
    "last_commit_at",  # date of the newest commit of main
    "commits",  # [{id, date, title, authors}] newest first with history=full; None with history=count
    "base_model",  # ids, from the card's base_model and the base_model: tags
    "new_version",  # the card's successor id, or None
    "history",  # "count" or "full"
    "crawled_at",  # ISO-8601 UTC time the repository was read
)

#: The largest commits page asked for (the Hub is said to accept up to 1000; `Link` pages carry on beyond).
COMMITS_PAGE = 1000


def repo_record(model_id: str, history: str, crawled_at: str) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(REPO_FIELDS)
    record.update(id=model_id, status="ok", history=history, crawled_at=crawled_at)
    return record


def repo_url(endpoint: str, model_id: str, tail: str = "") -> str:
    return f"{endpoint}/api/models/{quote(model_id, safe='/')}{tail}"


def refs_url(endpoint: str, model_id: str) -> str:
    return repo_url(endpoint, model_id, "/refs")


def commits_url(endpoint: str, model_id: str, limit: int) -> str:
    return repo_url(endpoint, model_id, f"/commits/main?limit={limit}")


def info_url(endpoint: str, model_id: str) -> str:
    return repo_url(endpoint, model_id, "?expand=sha&expand=cardData&expand=tags")


def repo_not_found(response: Response) -> bool:
    """A 404/401 that the Hub marks `X-Error-Code: RepoNotFound`: the repository is gone (or private)."""
    code = (response.headers.get(b"X-Error-Code") or b"").decode("latin-1").strip()
    return response.status in (401, 404) and code == "RepoNotFound"


_R_RE = re.compile(r"\br=(\d+)")
_T_RE = re.compile(r"\bt=(\d+)")
_Q_RE = re.compile(r"\bq=(\d+)")
_W_RE = re.compile(r"\bw=(\d+)")


def quota_window(response: Response) -> dict[str, int] | None:
    """`remaining`, `reset` (s), `quota`, `window` (s) from the Hub's RateLimit / RateLimit-Policy headers."""
    limit = (response.headers.get(b"RateLimit") or b"").decode("latin-1")
    policy = (response.headers.get(b"RateLimit-Policy") or b"").decode("latin-1")
    found = {name: rx.search(text) for name, rx, text in (("remaining", _R_RE, limit), ("reset", _T_RE, limit),
                                                           ("quota", _Q_RE, policy), ("window", _W_RE, policy))}
    if not found["remaining"]:
        return None
    return {name: int(m.group(1)) for name, m in found.items() if m}
