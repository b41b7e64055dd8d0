"""An app from the real factory served on a loopback port by a thread of its own.

For synchronous clients (schemathesis, urllib) that cannot share the test's
event loop: the app runs on a private loop in a background thread, with the
in-memory telemetry of `Telemetry.for_tests()` so spans and metrics can be
read back. `stop()` cleans the app up and joins the thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping

from aiohttp import web

from babyshield_chat.app import create_app
from babyshield_chat.config import load_settings
from babyshield_chat.db.embedded import free_port
from babyshield_chat.telemetry import Telemetry

START_TIMEOUT_SEC = 30


class LiveApp:
    def __init__(self, env: Mapping[str, str], database_url: str) -> None:
        self.telemetry = Telemetry.for_tests()
        self.app = create_app(load_settings(dict(env)), database_url=database_url, telemetry=self.telemetry)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(self.app, access_log=None)
        self._thread = threading.Thread(target=self._loop.run_forever, name="live-app", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveApp:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(START_TIMEOUT_SEC)
        return self

    async def _start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(START_TIMEOUT_SEC)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_SEC)
            self._loop.close()
            self.telemetry.shutdown()
