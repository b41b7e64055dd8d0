"""Migrations: applied once, safe when instances start together, history is immutable, a step after them."""

import asyncio

import asyncpg
import pytest

from babyshield_chat.db.migrate import MigrationError, available_migrations, migrate_url

EXPECTED_TABLES = {
    "conversations", "messages", "profiles", "idempotency_records", "recalls", "recall_imports",
    "flag_overrides", "flag_audit", "llm_spend", "feedback_votes", "schema_migrations",
}


async def tables(url):
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


async def test_migrate_creates_the_schema_and_records_it(empty_database):
    applied = await migrate_url(empty_database)
    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    assert EXPECTED_TABLES <= await tables(empty_database)


async def test_second_run_applies_nothing(empty_database):
    await migrate_url(empty_database)
    assert await migrate_url(empty_database) == []


async def test_instances_starting_together_apply_each_migration_once(empty_database):
    results = await asyncio.gather(*(migrate_url(empty_database) for _ in range(5)))
    assert sum(len(r) for r in results) == len(available_migrations())


async def test_an_edited_applied_migration_is_refused(empty_database):
    await migrate_url(empty_database)
    conn = await asyncpg.connect(empty_database)
    await conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    await conn.close()
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate_url(empty_database)


async def test_the_step_after_the_files_runs_on_every_call_under_the_lock(empty_database):
    seen = []

    async def step(conn):
        locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
        seen.append((await conn.fetchval(locks), await conn.fetchval("SELECT count(*) FROM schema_migrations")))

    await migrate_url(empty_database, then=step)
    await migrate_url(empty_database, then=step)
    assert seen == [(1, len(available_migrations()))] * 2


async def test_a_failing_step_fails_the_call_and_releases_the_lock(empty_database):
    async def step(conn):
        raise RuntimeError("derived columns failed")

    with pytest.raises(RuntimeError, match="derived columns failed"):
        await migrate_url(empty_database, then=step)
    # The lock went with the error: the next run does not wait for it.
    assert await asyncio.wait_for(migrate_url(empty_database), timeout=10) == []
