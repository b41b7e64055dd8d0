"""Shared fixtures: a real PostgreSQL, settings from an env dict, apps through the factory.

PostgreSQL comes from `BS_TEST_DATABASE_URL` (a server URL whose user may
create databases) when set, otherwise from a throwaway cluster started from
the machine's binaries for this test session. Every test that asks for
`database_url` gets a fresh database cloned from a migrated template.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from babyshield_chat.db.embedded import EmbeddedPostgres
from babyshield_chat.db.migrate import migrate_url

from .support.apps import AppHarness

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
TEMPLATE_DB = "bs_test_template"

# A port nothing listens on: "the database is down".
DEAD_DATABASE_URL = "postgresql://postgres@127.0.0.1:9/none"


def world_traversable_dir() -> str:
    """A temporary folder the `postgres` user can reach (pytest's own are 0700 under root)."""
    path = tempfile.mkdtemp(prefix="bs-test-")
    os.chmod(path, 0o755)
    return path


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """A folder for an embedded cluster of the test's own."""
    path = Path(world_traversable_dir())
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A URL of a PostgreSQL server's maintenance database."""
    configured = os.environ.get("BS_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    cluster = EmbeddedPostgres(Path(world_traversable_dir()) / "cluster", ephemeral=True)
    cluster.start()
    try:
        yield cluster.url("postgres")
    finally:
        cluster.stop()
        shutil.rmtree(cluster.data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(pg_server: str) -> str:
    """A migrated template database, created once per test session."""
    import asyncio

    async def build() -> None:
        admin = await asyncpg.connect(pg_server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
        finally:
            await admin.close()
        await migrate_url(_with_database(pg_server, TEMPLATE_DB))

    asyncio.run(build())
    return TEMPLATE_DB


@pytest.fixture
async def database_url(pg_server: str, pg_template: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    name = f"bs_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    finally:
        await admin.close()
    yield _with_database(pg_server, name)
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def sync_database_url(pg_server: str, pg_template: str) -> Iterator[str]:
    """`database_url` for synchronous tests (schemathesis drives its own calls)."""
    import asyncio

    name = f"bs_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(pg_server)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _with_database(pg_server, name)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def apps() -> AsyncIterator[AppHarness]:
    """Start apps through the real factory on local servers; all closed after the test."""
    harness = AppHarness()
    try:
        yield harness
    finally:
        await harness.close()


# --- operator tools the infra tests drive ---


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def require_binary(name: str, package: str) -> str:
    """Path of a command-line tool; a missing tool FAILS the test (never skips it)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name!r} is not on PATH: install the Debian package {package!r} (apt-get install -y {package})")
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_binary("promtool", "prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    return require_binary("amtool", "prometheus-alertmanager")


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    return require_binary("prometheus-alertmanager", "prometheus-alertmanager")
