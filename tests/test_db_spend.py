"""The daily spend cap as instances share it through PostgreSQL, written in batches."""

from __future__ import annotations

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


def guard(db: Database, clock: Clock, budget: float | None = 1.0) -> PostgresSpendGuard:
    return PostgresSpendGuard(db, budget, model="gpt-4o-mini", today=lambda: DAY, clock=clock)


async def stored_total(db: Database) -> float:
    async with db.connection() as conn:
        return float(await conn.fetchval("SELECT coalesce(sum(usd), 0) FROM llm_spend WHERE day = $1", DAY))


async def test_spend_within_one_interval_is_written_once_as_its_sum(databases):
    db, clock = await databases(), Clock()
    spend = guard(db, clock)
    for _ in range(10):
        await spend.add(0.01)
    assert await stored_total(db) == 0.0  # not yet: one write per interval, not per call

    clock.now += 1.0
    await spend.add(0.01)

    assert await stored_total(db) == pytest.approx(0.11)


async def test_an_instance_counts_its_own_unwritten_spend_against_the_cap_at_once(databases):
    clock = Clock()
    spend = guard(await databases(), clock, budget=0.5)
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
    clock = Clock()
    down = guard(await databases(DEAD_URL), clock)
    await down.add(0.25)
    await down.flush()  # the store is down: logged, not raised

    up = await databases()
    down._database = up  # the same guard once PostgreSQL is back
    await down.flush()

    assert await stored_total(up) == pytest.approx(0.25)


async def test_with_the_store_down_the_cap_uses_the_last_known_total(databases):
    clock = Clock()
    up = await databases()
    spend = guard(up, clock, budget=1.0)
    await spend.add(0.9)
    await spend.flush()
    clock.now += 1.0
    assert await spend.allow()

    spend._database = await databases(DEAD_URL)
    clock.now += 1.0
    await spend.add(0.2)

    assert not await spend.allow()  # 0.9 known + 0.2 spent here since


async def test_without_a_cap_every_call_is_allowed_without_a_query(databases):
    spend = guard(await databases(DEAD_URL), Clock(), budget=None)
    assert await spend.allow()
