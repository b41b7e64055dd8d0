"""The recall data's age, read from PostgreSQL at most once every few seconds per process.

`recall_lookup` needs it on every call (a stale table must read `unknown`),
and it was one of the chat request's database round trips: a count over the
recalls table plus the last import. The age is judged in days
(`BS_RECALLS_MAX_AGE_DAYS`), so a value a few seconds old gives the same
answer; an import becomes visible within `ttl_sec`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg

from babyshield_chat.recalls import repository as repo

FRESHNESS_TTL_SEC = 5.0


class FreshnessCache:
    """`repo.freshness`, remembered for `ttl_sec` seconds. One per pipeline, never a global."""

    def __init__(self, ttl_sec: float = FRESHNESS_TTL_SEC, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_sec = ttl_sec
        self._clock = clock
        self._value: repo.Freshness | None = None
        self._expires_at = 0.0

    async def get(self, conn: asyncpg.Connection) -> repo.Freshness:
        now = self._clock()
        if self._value is not None and now < self._expires_at:
            return self._value
        # Concurrent misses may each query once; that is bounded by the TTL and needs no lock.
        value = await repo.freshness(conn)
        self._value, self._expires_at = value, now + self._ttl_sec
        return value
