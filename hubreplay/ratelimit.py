"""The Hub's rate limits: ``RateLimit``/``RateLimit-Policy`` headers on every answer, fixed windows per bucket
("api" for /api/*, "pages" for the rest), an optional quota, and 429 answers that announce when to come back.

A request that arrives before the reset a 429 announced is "early": it gets a 429 again (and is counted).
"""
from __future__ import annotations

import time

from .faults import Fault
from .reply import Reply, json_error

BUCKETS = ("api", "pages")
GRACE = 0.25  # seconds after a 429 during which an early request may merely have been in flight


class RateLimits:
    """Windows, quotas and the 429 state of both buckets (not thread-safe: the caller holds its lock)."""

    def __init__(self, quota: int | dict | None = None, window: int = 300):
        self.window = window
        q = quota if isinstance(quota, dict) else {"api": quota, "pages": quota}
        self.enforce = {b: q.get(b) is not None for b in BUCKETS}
        self.quota = {b: int(q.get(b) or 1_000_000_000) for b in BUCKETS}
        self.reset()

    def reset(self):
        """New windows, and no 429 announced."""
        self.blocked_until = {"api": 0.0, "pages": 0.0}
        self.last_429_at = {"api": 0.0, "pages": 0.0}
        self.retry_after = {"api": False, "pages": False}
        self.window_used = {"api": 0, "pages": 0}
        self.window_start = time.time()

    def count(self, bucket: str, now: float) -> tuple[int, int, bool]:
        """Count the request in its window; returns (remaining, seconds to reset, exceeded)."""
        w = self.window
        if now - self.window_start >= w:
            self.window_start += w * int((now - self.window_start) // w)
            self.window_used = {"api": 0, "pages": 0}
        self.window_used[bucket] += 1
        used = self.window_used[bucket]
        t = max(1, int(self.window_start + w - now + 0.999))
        q = self.quota[bucket]
        return max(0, q - used), t, self.enforce[bucket] and used > q

    def is_early(self, bucket: str, now: float) -> bool:
        """Whether the request came before the reset the last 429 of its bucket announced."""
        return now < self.blocked_until[bucket]

    def after_grace(self, bucket: str, now: float) -> bool:
        """Whether an early request came so long after the 429 that it was not merely in flight."""
        return now - self.last_429_at[bucket] > GRACE

    def headers(self, bucket: str, r: int, t: int) -> list[tuple[str, str]]:
        q = self.quota[bucket]
        return [("RateLimit", f'"{bucket}";r={r};t={t}'),
                ("RateLimit-Policy", f'"fixed window";"{bucket}";q={q};w={self.window}')]

    def refuse(self, bucket: str, now: float, burst: Fault | None, early: bool, t_reset: int) -> Reply:
        """The 429 for a burst fault, an early request or a used quota; blocks the bucket until its reset."""
        if burst:
            t = max(1, int(burst.reset + 0.999)) if burst.reset >= 1 else 1
            wait = burst.reset
        elif early:
            wait = self.blocked_until[bucket] - now
            t = max(1, int(wait + 0.999))
        else:
            wait = t = t_reset
        self.blocked_until[bucket] = max(self.blocked_until[bucket], now + wait)
        self.last_429_at[bucket] = now
        rep = json_error(429, "You have been rate-limited; you can retry this action in about "
                              f"{t} seconds. If you're a new user, your limits will raise progressively "
                              "over time.")
        rep.headers += self.headers(bucket, 0, t)
        if burst is not None:
            self.retry_after[bucket] = burst.retry_after
        if (burst is not None or early) and self.retry_after[bucket]:
            rep.headers.append(("Retry-After", str(t)))
        return rep
