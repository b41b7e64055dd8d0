"""The daily spend cap as instances share it through PostgreSQL, written in batches."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from babyshield_chat.config import DatabaseSettings
from babyshield_chat.db.pool import Database
from babyshield_chat.db.spend import PostgresSpendGuard

pytestmark = pytest.mark.postgres

DAY = dt.date(2026, 11, 27)
DEAD_URL = "postgresql://nobody@127.0.0.1:9/none"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def databases(database_url):
    opened = []

    async def open_database(url: str = database_url) -> Database:
        db = Database(url, DatabaseSettings(pool_min=0, pool_max=2))
        await db.start()
        opened.append(db)
        return db

    yield open_database
    for db in opened:
        await db.close()


def guard(db: Database, clock: Clock, budget: float | None = 1.0, **kwargs) -> PostgresSpendGuard:
    return PostgresSpendGuard(db, budget, model="gpt-4o-mini", today=lambda: DAY, clock=clock, **kwargs)


async def stored_total(db: Database) -> float:
    async with db.connection() as conn:
        return float(await conn.fetchval("SELECT coalesce(sum(usd), 0) FROM llm_spend WHERE day = $1", DAY))


async def test_adding_spend_costs_no_write_until_a_flush_writes_the_sum(databases):
    db = await databases()
    spend = guard(db, Clock())
    for _ in range(10):
        await spend.add(0.01)
    assert await stored_total(db) == 0.0

    await spend.flush()

    assert await stored_total(db) == pytest.approx(0.10)


async def test_the_background_flusher_writes_each_interval(databases):
    db = await databases()
    spend = guard(db, Clock(), flush_interval_sec=0.05)
    flusher = asyncio.create_task(spend.run_flusher())
    try:
        await spend.add(0.3)
        for _ in range(100):
            if await stored_total(db) > 0:
                break
            await asyncio.sleep(0.02)
    finally:
        flusher.cancel()
    assert await stored_total(db) == pytest.approx(0.3)


async def test_an_instance_counts_its_own_unwritten_spend_against_the_cap_at_once(databases):
    spend = guard(await databases(), Clock(), budget=0.5)
    assert await spend.allow()

    await spend.add(0.6)

    assert not await spend.allow()


async def test_a_second_instance_sees_the_first_ones_spend_after_one_interval(databases):
    clock = Clock()
    first, second = guard(await databases(), clock), guard(await databases(), clock)
    assert await second.allow()  # reads today's total: nothing spent

    await first.add(1.5)
    await first.flush()
    assert await second.allow()  # its total is at most one interval old

    clock.now += 1.0
    assert not await second.allow()


async def test_spend_that_could_not_be_written_is_kept_for_the_next_flush(databases):
    down = guard(await databases(DEAD_URL), Clock())
    await down.add(0.25)
    await down.flush()  # the store is down: logged, not raised

    up = await databases()
    down._database = up  # the same guard once PostgreSQL is back
    await down.flush()

    assert await stored_total(up) == pytest.approx(0.25)


async def test_a_flush_cancelled_midway_keeps_the_spend_for_the_next_one(databases):
    db = await databases()
    spend = guard(db, Clock())
    await spend.add(1.0)
    async with db.connection(), db.connection():  # the pool (2) is busy: the flush waits for it
        flushing = asyncio.create_task(spend.flush())
        await asyncio.sleep(0.05)
        flushing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await flushing

    await spend.flush()

    assert await stored_total(db) == pytest.approx(1.0)


async def test_with_the_store_down_the_cap_uses_the_last_known_total(databases):
    clock = Clock()
    spend = guard(await databases(), clock, budget=1.0)
    await spend.add(0.9)
    await spend.flush()
    clock.now += 1.0
    assert await spend.allow()

    spend._database = await databases(DEAD_URL)
    clock.now += 1.0
    await spend.add(0.2)

    assert not await spend.allow()  # 0.9 known + 0.2 spent here since


async def test_with_the_store_down_from_the_start_own_spend_still_counts(databases):
    spend = guard(await databases(DEAD_URL), Clock(), budget=1.0)
    await spend.add(1.2)

    assert not await spend.allow()


async def test_without_a_cap_every_call_is_allowed_without_a_query(databases):
    spend = guard(await databases(DEAD_URL), Clock(), budget=None)
    assert await spend.allow()


async def test_many_concurrent_checks_read_the_shared_total_once(databases):
    """A burst of requests at start-up must not become a burst of queries."""
    db = await databases()
    spend = guard(db, Clock())
    reads = 0
    original = db.connection

    def counting_connection(*args, **kwargs):
        nonlocal reads
        reads += 1
        return original(*args, **kwargs)

    db.connection = counting_connection
    assert all(await asyncio.gather(*(spend.allow() for _ in range(50))))
    assert reads == 1
