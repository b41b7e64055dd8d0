"""FreshnessCache: one query per TTL window, then a fresh read."""

from __future__ import annotations

import datetime as dt

from babyshield_chat.chat.tools.recall_freshness import FreshnessCache


class CountingConnection:
    """Answers `recalls.freshness`'s query and counts how often it was asked."""

    def __init__(self) -> None:
        self.queries = 0
        self.records = 10

    async def fetchrow(self, query: str):
        self.queries += 1
        return {"n": self.records, "groups": self.records, "at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)}


async def test_reads_once_within_the_ttl_and_again_after_it():
    now = [100.0]
    cache = FreshnessCache(ttl_sec=5.0, clock=lambda: now[0])
    conn = CountingConnection()
    first = await cache.get(conn)
    conn.records = 20
    now[0] += 4.9
    assert (await cache.get(conn)).records_loaded == first.records_loaded == 10
    assert conn.queries == 1
    now[0] += 0.2
    assert (await cache.get(conn)).records_loaded == 20
    assert conn.queries == 2
