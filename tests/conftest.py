"""Shared fixtures: a real PostgreSQL, settings from an env dict, apps through the factory.

PostgreSQL comes from `BS_TEST_DATABASE_URL` (a server URL whose user may
create databases) when set, otherwise from a throwaway cluster started from
the machine's binaries for this test session. Every test that asks for
`database_url` gets a fresh database cloned from a migrated template.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import openai
import pytest
import pytest_asyncio

from babyshield_chat.db.embedded import EmbeddedPostgres
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
from babyshield_chat.llm.structured import create_openai_client
from babyshield_chat.recalls.reindex import prepare_database

from tests.support.apps import AppHarness
from tests.support.logs import CapturedLogs, captured_logs
from tests.support.paths import REPO_ROOT
from tests.support.webhook import WebhookReceiver

TEMPLATE_DB = "bs_test_template"
LOADED_TEMPLATE_DB = "bs_test_loaded_template"


def world_traversable_dir() -> str:
    """A temporary folder the `postgres` user can reach (pytest's own are 0700 under root)."""
    path = tempfile.mkdtemp(prefix="bs-test-")
    os.chmod(path, 0o755)
    return path


@pytest.fixture
def no_gc_pauses() -> Iterator[None]:
    """Keeps the test process's garbage collector out of tests that time the service.

    By the time such a test runs, this process holds the garbage of every
    test before it; one full collection of that can stop the event loop for a
    few hundred milliseconds (seen once in CI: an answer at 1.31 s against a
    1.1 s bound, 1.01 s on every rerun). What these tests time is the deadline
    logic; the served process has its own collector tuning (`gc_tuning`).
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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


async def _admin(pg_server: str, *statements: str) -> None:
    conn = await asyncpg.connect(pg_server)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _fresh(pg_server: str, name: str, template: str = "template1") -> str:
    asyncio.run(_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                       f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return _with_database(pg_server, name)


@pytest.fixture(scope="session")
def pg_template(pg_server: str) -> str:
    """A migrated template database, created once per test session."""
    asyncio.run(prepare_database(_fresh(pg_server, TEMPLATE_DB)))
    return TEMPLATE_DB


@pytest.fixture(scope="session")
def pg_loaded_template(pg_server: str, pg_template: str) -> str:
    """A migrated template with every shared recall file imported, built once per session."""
    from tests.support.data import import_all

    asyncio.run(import_all(_fresh(pg_server, LOADED_TEMPLATE_DB, pg_template)))
    return LOADED_TEMPLATE_DB


async def _clone(pg_server: str, template: str) -> AsyncIterator[str]:
    name = f"bs_test_{uuid.uuid4().hex[:12]}"
    await _admin(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(pg_server, name)
    await _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def empty_database(pg_server: str) -> AsyncIterator[str]:
    """A fresh database with no schema at all (migrations not applied)."""
    async for url in _clone(pg_server, "template1"):
        yield url


@pytest.fixture
async def database_url(pg_server: str, pg_template: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    async for url in _clone(pg_server, pg_template):
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_database_url(pg_server: str, pg_template: str) -> AsyncIterator[str]:
    """A fresh, migrated database shared by one module's tests (e.g. a service started once per module)."""
    async for url in _clone(pg_server, pg_template):
        yield url


@pytest.fixture(scope="module")
def module_loaded_database_url(pg_server: str, pg_loaded_template: str) -> Iterator[str]:
    """A database holding the real recall data, shared by one module's synchronous tests (a service per module)."""
    name = f"bs_test_{uuid.uuid4().hex[:12]}"
    url = _fresh(pg_server, name, pg_loaded_template)
    yield url
    asyncio.run(_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def loaded_database_url(pg_server: str, pg_loaded_template: str) -> AsyncIterator[str]:
    """A fresh database holding the real recall data (imported just now, so it is fresh)."""
    async for url in _clone(pg_server, pg_loaded_template):
        yield url


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to this test's fresh database."""
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@pytest.fixture
def sync_database_url(pg_server: str, pg_template: str) -> Iterator[str]:
    """`database_url` for synchronous tests (schemathesis drives its own calls)."""
    name = f"bs_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _with_database(pg_server, name)
    asyncio.run(_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def apps() -> AsyncIterator[AppHarness]:
    """Start apps through the real factory on local servers; all closed after the test."""
    harness = AppHarness()
    try:
        yield harness
    finally:
        await harness.close()


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    """The JSON lines and the OTLP log records of this test, logging configured as `serve` does."""
    with captured_logs() as captured:
        yield captured


# --- the fake LLM in this process, and the real openai client for it ---


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLlmServer]:
    async with FakeLlmServer() as server:
        yield server


@pytest.fixture
async def openai_client(fake_llm: FakeLlmServer) -> AsyncIterator[openai.AsyncOpenAI]:
    # The production client: the SDK's own retries off (tenacity owns them), the aiohttp transport.
    client = create_openai_client(fake_llm.base_url, "test-key")
    try:
        yield client
    finally:
        await client.close()


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


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """A local webhook receiver on a free port (a chat room's incoming webhook, a pager)."""
    webhook = WebhookReceiver()
    await webhook.start()
    yield webhook
    await webhook.stop()
