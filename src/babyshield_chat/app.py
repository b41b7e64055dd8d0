"""The application factory: settings in, a ready `web.Application` out.

Resources with a lifetime (the database pool) live in `cleanup_ctx`; nothing
here touches the database at construction, so a blocked or emergency request
is answered even when PostgreSQL is down. Tests build apps through this same
factory with their own tracer and flag source.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from opentelemetry import trace

from .api import routes
from .api.openapi import openapi_handler
from .config import Settings
from .context import AUTH, DATABASE, FLAG_STORE, FLAGS, REQUEST_STATE, SETTINGS, TRACER
from .db.pool import Database
from .flags.evaluation import FlagSource
from .flags.store import OverrideStore
from .identity import Authenticator
from .middleware import RequestState, admission_middleware, error_middleware, trace_middleware

OPENAPI_PATH = "/api/v1/openapi.json"


def create_app(
    settings: Settings,
    *,
    database_url: str,
    tracer: trace.Tracer | None = None,
    flag_source: FlagSource | None = None,
) -> web.Application:
    tracer = tracer or trace.NoOpTracer()
    state = RequestState()
    app = web.Application(
        client_max_size=settings.server.max_body_bytes,
        middlewares=[
            trace_middleware(tracer),
            error_middleware(settings.server.max_body_bytes),
            admission_middleware(state),
        ],
    )
    app[SETTINGS] = settings
    app[TRACER] = tracer
    app[REQUEST_STATE] = state
    app[AUTH] = Authenticator(settings.auth)
    app[DATABASE] = Database(database_url, settings.database)
    if flag_source is None:
        # The runtime override (spec section 3) wins over env on every instance.
        store = OverrideStore(database_url, settings.flags, app[DATABASE])
        app[FLAG_STORE] = store
        flag_source = store
    app[FLAGS] = flag_source

    routes.add_routes(app)
    app.router.add_get(OPENAPI_PATH, openapi_handler(routes.ROUTES))
    app.cleanup_ctx.append(_database_ctx)
    if FLAG_STORE in app:
        app.cleanup_ctx.append(_flag_store_ctx)
    return app


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    database = app[DATABASE]
    await database.start()
    yield
    await database.close()


async def _flag_store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[FLAG_STORE]
    await store.start()
    yield
    await store.stop()
