"""The connection pool: what a released connection carries into its next use."""

from __future__ import annotations

import pytest

from babyshield_chat.config import DatabaseSettings
from babyshield_chat.db.pool import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database(database_url):
    db = Database(database_url, DatabaseSettings(pool_min=0, pool_max=1))
    await db.start()
    yield db
    await db.close()


async def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_reused(database):
    """Released without commit (a cancelled request), its writes vanish and the next user starts clean."""
    async with database.connection() as conn:
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        await conn.execute("BEGIN")
        await conn.execute("CREATE TABLE left_open (x int)")

    async with database.connection() as conn:
        assert await conn.fetchval("SELECT pg_backend_pid()") == backend  # the same pooled connection
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT to_regclass('left_open')") is None


async def test_transaction_scoped_advisory_locks_end_with_their_transaction(database):
    """The only advisory locks the service takes are xact-scoped: none survive a release."""
    async with database.connection() as conn:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(42)")

    async with database.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
