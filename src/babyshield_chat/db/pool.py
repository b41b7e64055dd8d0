"""The asyncpg pool, created without touching the database.

The pool starts empty (`min_size=0`) so the app comes up, and the gate and
emergency paths answer, while PostgreSQL is unreachable; connections are made
on first use and re-made after an outage. `ping` backs `/readyz`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import asyncpg

from babyshield_chat.config import DatabaseSettings
from babyshield_chat.telemetry.logging import EventLog

DEFAULT_CONNECT_TIMEOUT_SEC = 2.0
DEFAULT_PING_TIMEOUT_SEC = 1.0
# Releasing a healthy connection costs no round trip (`_nothing_to_reset`); this bounds the rest.
RELEASE_TIMEOUT_SEC = 0.1

log = EventLog("babyshield_chat.db")


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached or did not answer in time."""


# SQLSTATE classes whose errors come from the values a request sent, not from the database:
# 22 "data exception" (a character the encoding cannot hold, an untranslatable one, a value out of
# range, ...) and 54 "program limit exceeded" (a value too large to index or compare).
_REQUEST_DATA_ERRORS = (asyncpg.DataError, asyncpg.exceptions.ProgramLimitExceededError)


def caused_by_request_data(exc: BaseException) -> bool:
    """Whether PostgreSQL refused the request's own data: the client's fault, never the dependency's.

    Circuit breakers ignore these (spec section 4a): five requests carrying a
    NUL must not switch recall checks off for everyone.
    """
    return isinstance(exc, _REQUEST_DATA_ERRORS)


async def _nothing_to_reset(_conn: asyncpg.Connection) -> None:
    """The pool's `reset`: no query on release.

    Before calling it asyncpg itself rolls back a transaction left open and
    drops listeners. Its default reset then sends `CLOSE ALL; UNLISTEN *;
    RESET ALL; pg_advisory_unlock_all()`, one round trip per release (three
    or four per chat request), to undo session state this service never
    creates on pooled connections: no `SET`, no session advisory locks (only
    `pg_advisory_xact_lock`), no cursors outside transactions, and `LISTEN`
    only on the flag store's own connection.
    """


class Database:
    """One pool per process, passed to repositories; never a global."""

    def __init__(
        self,
        url: str,
        settings: DatabaseSettings,
        *,
        on_acquire: Callable[[float], None] | None = None,
    ) -> None:
        self.url = url
        self._settings = settings
        self._pool: asyncpg.Pool | None = None
        self._on_acquire = on_acquire
        self._warmup: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=0,
            max_size=self._settings.pool_max,
            timeout=DEFAULT_CONNECT_TIMEOUT_SEC,
            command_timeout=10,
            # Keep prepared statements working across pgbouncer-free restarts.
            max_inactive_connection_lifetime=60,
            reset=_nothing_to_reset,
        )
        self._warmup = asyncio.create_task(self._warm(), name="db-warmup")

    async def _warm(self) -> None:
        """Open `pool_min` connections in the background; failure is not fatal."""
        try:
            conns = [await self._pool.acquire() for _ in range(self._settings.pool_min)]
            for conn in conns:
                await self._pool.release(conn)
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            log.warning("database not reachable at start-up", error=type(exc).__name__)

    async def close(self) -> None:
        if self._warmup is not None:
            self._warmup.cancel()
            with contextlib.suppress(BaseException):
                await self._warmup
        if self._pool is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._pool.close(), timeout=5)
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise DatabaseUnavailable("the database pool is not started")
        return self._pool

    @contextlib.asynccontextmanager
    async def connection(self, timeout: float = DEFAULT_CONNECT_TIMEOUT_SEC) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; connection failures become `DatabaseUnavailable`."""
        started = time.perf_counter()
        try:
            conn = await self.pool.acquire(timeout=timeout)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailable(f"could not get a database connection: {type(exc).__name__}") from exc
        if self._on_acquire is not None:
            self._on_acquire(time.perf_counter() - started)
        try:
            yield conn
        except BaseException as exc:
            if not isinstance(exc, asyncpg.PostgresError):
                # Interrupted mid-use (the deadline, the client gone, the network): the connection may
                # be inside a query. Releasing it would wait for PostgreSQL to acknowledge a cancel,
                # which a frozen server never does; closing it costs nothing and cannot hang.
                conn.terminate()
            raise
        finally:
            # A release that fails has terminated the connection (asyncpg does): the work itself is done.
            with contextlib.suppress(TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self.pool.release(conn, timeout=RELEASE_TIMEOUT_SEC)

    async def ping(self, timeout: float = DEFAULT_PING_TIMEOUT_SEC) -> bool:
        try:
            async with asyncio.timeout(timeout):
                async with self.connection(timeout=timeout) as conn:
                    await conn.fetchval("SELECT 1")
            return True
        except (DatabaseUnavailable, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False

    def pool_stats(self) -> tuple[int, int, int]:
        """(in use, idle, max) for the `chat_db_pool_connections` gauge."""
        if self._pool is None:
            return (0, 0, self._settings.pool_max)
        size = self._pool.get_size()
        idle = self._pool.get_idle_size()
        return (size - idle, idle, self._pool.get_max_size())
