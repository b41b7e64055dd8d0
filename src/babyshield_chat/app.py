"""The application factory: settings in, a ready `web.Application` out.

Resources with a lifetime (the database pool) live in `cleanup_ctx`; nothing
here touches the database at construction, so a blocked or emergency request
is answered even when PostgreSQL is down. Tests build apps through this same
factory with their own telemetry.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable

import openai
from aiohttp import web

from babyshield_chat import console
from babyshield_chat.api import routes
from babyshield_chat.api.openapi import openapi_handler
from babyshield_chat.config import Settings
from babyshield_chat.api.faults import FAULTS, Faults
from babyshield_chat.api.limits import UserLimits
from babyshield_chat.api.context import (
    AUTH,
    DATABASE,
    FLAGS,
    PIPELINE,
    USER_LIMITS,
    REQUEST_STATE,
    SETTINGS,
    TELEMETRY,
    TRACER,
)
from babyshield_chat.db import memory
from babyshield_chat.db.pool import Database, DatabaseUnavailable
from babyshield_chat.db.spend import PostgresSpendGuard
from babyshield_chat.dependencies import build_pipeline, create_llm_client, create_spend_guard
from babyshield_chat.flags.heartbeat import run_heartbeat
from babyshield_chat.flags.store import OverrideStore
from babyshield_chat.api.identity import Authenticator
from babyshield_chat.api.middleware import RequestState, middlewares
from babyshield_chat.telemetry import Telemetry
from babyshield_chat.telemetry.logging import EventLog

OPENAPI_PATH = "/api/v1/openapi.json"


def create_app(
    settings: Settings,
    *,
    database_url: str,
    telemetry: Telemetry | None = None,
) -> web.Application:
    """Build the app. `telemetry` defaults to a disabled one (no export, no threads)."""
    telemetry = telemetry or Telemetry.disabled(settings.telemetry)
    metrics = telemetry.metrics
    state = RequestState(settings.server.max_inflight)
    app = web.Application(
        client_max_size=settings.server.max_body_bytes,
        middlewares=middlewares(telemetry, state, settings.server.max_body_bytes),
    )
    app[SETTINGS] = settings
    app[TELEMETRY] = telemetry
    app[TRACER] = telemetry.tracer
    app[REQUEST_STATE] = state
    app[AUTH] = Authenticator(settings.auth)
    app[DATABASE] = Database(database_url, settings.database, on_acquire=metrics.record_db_acquire)
    # The runtime override (spec section 3) wins over env on every instance.
    app[FLAGS] = OverrideStore(database_url, settings.flags, app[DATABASE])
    app[USER_LIMITS] = UserLimits.create(settings.chat.user_rate_per_min, settings.chat.user_max_inflight)
    app[FAULTS] = Faults(enabled=settings.server.fault_injection)
    llm_client = create_llm_client(settings)
    spend_guard = create_spend_guard(settings, app[DATABASE]) if llm_client is not None else None
    app[PIPELINE] = build_pipeline(settings, app[DATABASE], telemetry, llm_client, spend_guard)
    flags = app[FLAGS]
    metrics.observe_flags(lambda: (flags.current().enabled, flags.current().rollout_pct))
    metrics.observe_flag_staleness(lambda: flags.current().stale)
    flags.add_change_listener(lambda state: metrics.count_flag_change(state.source))
    metrics.observe_db_pool(app[DATABASE].pool_stats)

    routes.add_routes(app)
    app.router.add_get(OPENAPI_PATH, openapi_handler(routes.ROUTES))
    console.add_routes(app)
    if telemetry.metrics_handler is not None:
        app.router.add_get("/metrics", telemetry.metrics_handler)
    app.cleanup_ctx.append(_database_ctx)
    app.cleanup_ctx.append(_flag_store_ctx)
    app.cleanup_ctx.append(_retention_ctx)
    if llm_client is not None and spend_guard is not None:
        # Appended after the database: cleanup runs in reverse, so the pool is still open to flush into.
        app.cleanup_ctx.append(_llm_ctx(llm_client, spend_guard))
    return app


def _llm_ctx(client: openai.AsyncOpenAI, spend: PostgresSpendGuard) -> Callable[[web.Application], AsyncIterator[None]]:
    async def spend_flusher_and_client(_app: web.Application) -> AsyncIterator[None]:
        flusher = asyncio.create_task(spend.run_flusher(), name="llm-spend-flush")
        yield
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        try:
            await spend.flush()  # the last interval's spend
        finally:
            await client.close()  # its aiohttp session and pooled connections to the provider

    return spend_flusher_and_client


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    database = app[DATABASE]
    await database.start()
    yield
    await database.close()


PURGE_INTERVAL_SEC = 3600.0
log = EventLog("babyshield_chat.retention")


async def _retention_ctx(app: web.Application) -> AsyncIterator[None]:
    """Purge messages past BS_CHAT_MEMORY_RETENTION_DAYS at start and then hourly."""
    retention = dt.timedelta(days=app[SETTINGS].chat.memory_retention_days)

    async def loop() -> None:
        while True:
            try:
                async with app[DATABASE].connection() as conn:
                    purged = await memory.purge_messages(conn, retention)
                if purged:
                    log.info("purged messages past retention", purged=purged)
            except DatabaseUnavailable:
                pass  # next round
            except Exception:
                log.exception("retention purge failed")
            await asyncio.sleep(PURGE_INTERVAL_SEC)

    task = asyncio.create_task(loop(), name="retention-purge")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _flag_store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[FLAGS]
    await store.start()
    # After the first read, so the first chat_flag_state line already says what the database says.
    heartbeat = asyncio.create_task(run_heartbeat(store), name="flag-state-heartbeat")
    yield
    heartbeat.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await heartbeat
    await store.stop()
