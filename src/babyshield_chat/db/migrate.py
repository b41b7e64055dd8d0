"""Forward-only SQL migrations kept in the package, applied under an advisory lock.

Files are `migrations/NNNN_name.sql`, applied in order, each in its own
transaction, and recorded in `schema_migrations` with a checksum. Several
instances starting together serialise on `pg_advisory_lock`, so each file runs
exactly once. An applied file whose text changed since is refused: migrations
are history, a fix is a new file.

Some columns are computed in Python (the recall search's, `recalls.derive`).
This layer knows nothing of them: `migrate(conn, then=...)` runs a caller's
step after the SQL files, still under the lock, and
`recalls.reindex.prepare_database` is the caller that fills them, so a
database imported by an older version is searchable after `migrate` alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Awaitable, Callable
from importlib import resources

import asyncpg

# An arbitrary constant shared by every instance: "bschat" in ASCII.
ADVISORY_LOCK_ID = 0x62736368_6174
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

#: A step run after the SQL files under the migration lock (outside any transaction).
AfterMigrations = Callable[[asyncpg.Connection], Awaitable[object]]


class MigrationError(RuntimeError):
    """The database's migration history does not match the package's files."""


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def available_migrations() -> list[Migration]:
    folder = resources.files("babyshield_chat.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


async def migrate(connection: asyncpg.Connection, *, then: AfterMigrations | None = None) -> list[Migration]:
    """Apply every pending migration, then `then(connection)`; return the migrations applied by this call.

    `then` runs on every call, not only when a file was applied: data written
    by an older version may need it although the schema is current.
    """
    await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_ID)
    try:
        await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        rows = await connection.fetch("SELECT version, name, checksum FROM schema_migrations")
        applied = {row["version"]: row for row in rows}
        done = []
        for migration in available_migrations():
            row = applied.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it was applied; "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            done.append(migration)
        if then is not None:
            await then(connection)
        return done
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_ID)


async def migrate_url(url: str, *, then: AfterMigrations | None = None) -> list[Migration]:
    connection = await asyncpg.connect(url)
    try:
        return await migrate(connection, then=then)
    finally:
        await connection.close()
