"""Migrations: applied once, safe when instances start together, history is immutable."""

import asyncio

import asyncpg
import pytest

from babyshield_chat.db.migrate import MigrationError, available_migrations, migrate_url

EXPECTED_TABLES = {
    "conversations", "messages", "profiles", "idempotency_records", "recalls", "recall_imports",
    "flag_overrides", "flag_audit", "llm_spend", "feedback_votes", "schema_migrations",
}


@pytest.fixture
async def empty_database(pg_server):
    admin = await asyncpg.connect(pg_server)
    name = "bs_migrate_test"
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield pg_server.rpartition("/")[0] + "/" + name
    admin = await asyncpg.connect(pg_server)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


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
