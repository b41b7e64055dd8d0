"""Running the app: listen, serve, and drain cleanly on SIGTERM.

On SIGTERM or SIGINT the instance turns `/readyz` to 503 at once and refuses
new work with 503 `not_ready`, keeps listening so probes see that, waits for
requests in flight to finish (at most `BS_SHUTDOWN_GRACE_SEC`), then closes
and returns so the process exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

from aiohttp import web

from babyshield_chat.api.context import REQUEST_STATE, SETTINGS
from babyshield_chat.telemetry.logging import EventLog

DRAIN_POLL_SEC = 0.05
log = EventLog("babyshield_chat.server")


async def serve_app(app: web.Application, host: str, port: int, *, reuse_port: bool = False,
                    access_log_class: type | None = None, ready: asyncio.Event | None = None) -> None:
    kwargs = {"access_log_class": access_log_class} if access_log_class else {"access_log": None}
    runner = web.AppRunner(app, handle_signals=False, **kwargs)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
        await site.start()
        # The pid tells the workers of `serve --workers N` apart.
        log.info("listening", host=host, port=port, pid=os.getpid())
        if ready is not None:
            ready.set()
        await stop.wait()
        await drain(app)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await runner.cleanup()


async def drain(app: web.Application) -> None:
    state = app[REQUEST_STATE]
    state.draining = True
    grace = app[SETTINGS].server.shutdown_grace_sec
    deadline = time.monotonic() + grace
    log.info("draining", inflight=state.inflight, grace_sec=grace)
    while state.inflight > 0 and time.monotonic() < deadline:
        await asyncio.sleep(DRAIN_POLL_SEC)
    if state.inflight:
        log.warning("grace period over with requests in flight", inflight=state.inflight)
