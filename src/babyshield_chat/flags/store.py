"""The live chat flag: the runtime override from PostgreSQL, held in memory.

`OverrideStore` is where the app reads the chat flag (`app[FLAGS]`). The gate
calls `current()` on every request, so it answers from memory with no I/O.
Memory follows the database three ways:

- a dedicated connection `LISTEN`s on `overrides.NOTIFY_CHANNEL`; every write
  notifies in its transaction, and each instance re-reads the row on the
  notification, so a kill switch reaches every instance in milliseconds
  (spec section 3 asks for 2 s);
- the same connection re-reads the row every `resync_sec` as a safety net
  (a lost notification, a row edited by hand) and, by doing so, proves the
  connection still works; a half-open connection fails that read;
- when the connection drops it is re-made with exponential backoff and
  jitter, and the row is re-read right after `LISTEN`, so nothing written
  while it was down is missed.

When the database cannot be reached the store keeps the last state it knew
and says so: `stale` is True, `current().stale` is True and `last_sync` tells
since when. `source` keeps saying where that last value came from ("env" or
"override"), so "override, but possibly stale" is `source="override",
stale=True` and `/api/v1/chat/flags` reports it as `source_stale`. An instance
that never reached the database serves env values, also marked stale: it
cannot rule out an override it has not seen.

Telemetry wiring: the `chat_flag_enabled` and `chat_flag_rollout_ratio`
gauges observe `app[FLAGS].current()`; a staleness gauge
can observe `store.stale` / `store.seconds_since_sync()`; `add_listener(cb)`
calls `cb(state)` on every change of the effective state or its staleness,
for push-style instruments and logs. `add_change_listener(cb)` calls
`cb(state)` only when the served flag itself (switch, percentage, source)
changes after the store's first read of the database: an override applied
or removed, which `chat_flag_changes_total` counts. The first read is not a
change: a restarting instance adopts the flag the fleet already serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable

import asyncpg

from babyshield_chat.config import FlagSettings
from babyshield_chat.db.pool import Database
from babyshield_chat.flags import overrides
from babyshield_chat.flags.evaluation import FlagState
from babyshield_chat.flags.overrides import Change, Override
from babyshield_chat.telemetry.logging import EventLog

DEFAULT_RESYNC_SEC = 5.0
DEFAULT_CONNECT_TIMEOUT_SEC = 2.0
DEFAULT_QUERY_TIMEOUT_SEC = 2.0
DEFAULT_START_TIMEOUT_SEC = 3.0
DEFAULT_BACKOFF_INITIAL_SEC = 0.2
DEFAULT_BACKOFF_MAX_SEC = 10.0
APPLICATION_NAME = "babyshield-chat flag listener"

log = EventLog("babyshield_chat.flags.store")

# How stop() makes sure the listener task is gone.
STOP_ATTEMPTS = 5
STOP_WAIT_SEC = 1.0

Connect = Callable[..., Awaitable[asyncpg.Connection]]
_CONNECTION_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class ConnectionLost(ConnectionError):
    """The listening connection closed (server restart, failover, terminated backend)."""


@dataclasses.dataclass(frozen=True)
class StoreStatus:
    """What an operator asks of one instance: what it serves, and how sure it is."""

    state: FlagState
    override: Override | None
    stale: bool
    last_sync: dt.datetime | None
    listening: bool
    last_error: str | None


class OverrideStore:
    """The live chat flag, backed by `flag_overrides` and kept current by LISTEN/NOTIFY."""

    def __init__(
        self,
        url: str,
        env: FlagSettings,
        database: Database | None = None,
        *,
        resync_sec: float = DEFAULT_RESYNC_SEC,
        connect_timeout_sec: float = DEFAULT_CONNECT_TIMEOUT_SEC,
        query_timeout_sec: float = DEFAULT_QUERY_TIMEOUT_SEC,
        backoff_initial_sec: float = DEFAULT_BACKOFF_INITIAL_SEC,
        backoff_max_sec: float = DEFAULT_BACKOFF_MAX_SEC,
        connect: Connect = asyncpg.connect,
    ) -> None:
        if resync_sec <= 0:
            raise ValueError(f"resync_sec must be positive, got {resync_sec!r}")
        self._url = url
        self._env = env
        self._database = database
        self._resync_sec = resync_sec
        self._connect_timeout = connect_timeout_sec
        self._query_timeout = query_timeout_sec
        self._backoff = (backoff_initial_sec, backoff_max_sec)
        self._connect = connect
        self._override: Override | None = None
        # Never synced: env values, and stale because an override may exist unseen.
        self._state = dataclasses.replace(FlagState.from_settings(env), stale=True)
        self._last_sync: dt.datetime | None = None
        self._last_sync_monotonic: float | None = None
        self._last_error: str | None = None
        self._listening = False
        self._listeners: list[Callable[[FlagState], None]] = []
        self._change_listeners: list[Callable[[FlagState], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()
        self._wake = asyncio.Event()

    # --- what the gate, operators and telemetry read -------------------------------

    def current(self) -> FlagState:
        return self._state

    @property
    def stale(self) -> bool:
        return self._state.stale

    @property
    def last_sync(self) -> dt.datetime | None:
        """Wall-clock time of the last successful read of the override row."""
        return self._last_sync

    def seconds_since_sync(self) -> float | None:
        if self._last_sync_monotonic is None:
            return None
        return time.monotonic() - self._last_sync_monotonic

    def status(self) -> StoreStatus:
        return StoreStatus(self._state, self._override, self.stale, self._last_sync, self._listening, self._last_error)

    def add_listener(self, callback: Callable[[FlagState], None]) -> None:
        """Call `callback(state)` whenever the effective state or its staleness changes."""
        self._listeners.append(callback)

    def add_change_listener(self, callback: Callable[[FlagState], None]) -> None:
        """Call `callback(state)` when the served flag changes after the first read (not on staleness)."""
        self._change_listeners.append(callback)

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Start following the database; wait (briefly) for the first read.

        Serving the first request with the override already applied matters
        for a kill switch, but a database that does not answer must not stop
        the instance from starting: after `DEFAULT_START_TIMEOUT_SEC` it serves
        env values marked stale and keeps trying in the background.
        """
        self._task = asyncio.create_task(self._run(), name="flag-override-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), DEFAULT_START_TIMEOUT_SEC)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        # Cancel until it is really gone: on Python 3.11 `wait_for` can swallow a
        # cancellation that lands as its inner wait completes, and a stop that
        # waits forever would hang the whole shutdown.
        for _ in range(STOP_ATTEMPTS):
            task.cancel()
            done, _pending = await asyncio.wait({task}, timeout=STOP_WAIT_SEC)
            if done:
                if not task.cancelled() and task.exception() is not None:
                    log.warning("flag listener ended with an error", error=repr(task.exception()))
                return
        log.warning("flag listener did not stop after its cancellations", cancellations=STOP_ATTEMPTS)

    # --- writes (admin API) ----------------------------------------------------

    async def set_override(
        self, *, enabled: bool | None = None, rollout_pct: float | None = None, actor: str, reason: str
    ) -> Change:
        async with self._pool_connection() as conn:
            change = await overrides.set_override(
                conn, self._env, enabled=enabled, rollout_pct=rollout_pct, actor=actor, reason=reason
            )
            # This instance applies its own write at once; the others get the NOTIFY.
            self._apply(await overrides.read_override(conn))
        return change

    async def clear_override(self, *, actor: str, reason: str) -> Change:
        async with self._pool_connection() as conn:
            change = await overrides.clear_override(conn, self._env, actor=actor, reason=reason)
            self._apply(None)
        return change

    async def refresh(self, conn: asyncpg.Connection) -> None:
        """Read the override now on the caller's connection, after a write made another way.

        The rollout guard writes the override itself (as the CLI does); the
        instance whose admin API ran it serves the new flag at once instead of
        after the NOTIFY, so a console that reads the flag right after its
        rollback sees it.
        """
        self._apply(await overrides.read_override(conn))

    def _pool_connection(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        if self._database is None:
            raise RuntimeError("this OverrideStore was built without a Database and cannot write")
        return self._database.connection()

    # --- following the database ---------------------------------------------

    async def _run(self) -> None:
        delay = self._backoff[0]
        while True:
            conn: asyncpg.Connection | None = None
            synced_before = self._last_sync_monotonic
            try:
                conn = await asyncio.wait_for(
                    self._connect(self._url, timeout=self._connect_timeout,
                                  server_settings={"application_name": APPLICATION_NAME}),
                    self._connect_timeout + 1,
                )
                await self._follow(conn)
            except _CONNECTION_ERRORS + (ConnectionLost,) as exc:
                self._mark_unreachable(exc)
            finally:
                self._listening = False
                self._first_attempt.set()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 1)
            if self._last_sync_monotonic != synced_before:
                delay = self._backoff[0]  # it worked for a while: this is a new outage
            # Jitter: N instances losing the database together must not reconnect in lockstep.
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._backoff[1])

    async def _follow(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        wake = self._wake

        def on_termination(_: object) -> None:
            lost.set()
            wake.set()

        conn.add_termination_listener(on_termination)
        await conn.add_listener(overrides.NOTIFY_CHANNEL, lambda *_: wake.set())
        self._listening = True
        while True:
            # Read after LISTEN: a change committed in between is seen either way.
            wake.clear()
            await self._sync(conn)
            self._first_attempt.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._resync_sec):
                    await wake.wait()
            if lost.is_set() or conn.is_closed():
                raise ConnectionLost("the flag listener's connection was closed")

    async def _sync(self, conn: asyncpg.Connection) -> None:
        override = await asyncio.wait_for(overrides.read_override(conn), self._query_timeout)
        self._apply(override)

    def _apply(self, override: Override | None) -> None:
        if self._last_error is not None:
            log.info("flag override store reconnected", after_error=self._last_error)
        self._override = override
        self._last_error = None
        # Before the first read this instance served env values it could not confirm: what the
        # first read finds is adopted, not changed.
        adopted = self._last_sync is None
        self._last_sync = dt.datetime.now(dt.UTC)
        self._last_sync_monotonic = time.monotonic()
        self._publish(overrides.effective_state(self._env, override), counted=not adopted)

    def _mark_unreachable(self, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if self._last_error is None:
            log.warning("flag override store lost the database; keeping the last known flag",
                        error=error, source=self._state.source)
        self._last_error = error
        self._publish(dataclasses.replace(self._state, stale=True))

    def _publish(self, state: FlagState, *, counted: bool = False) -> None:
        previous = self._state
        if state == previous:
            return
        self._state = state
        callbacks = list(self._listeners)
        if counted and dataclasses.replace(previous, stale=False) != dataclasses.replace(state, stale=False):
            callbacks += self._change_listeners
        for callback in callbacks:
            try:
                callback(state)
            except Exception:  # a broken metric must not stop flag updates
                log.exception("flag listener callback failed")
