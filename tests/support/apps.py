"""Build apps through the real factory and talk to them over a local HTTP server."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp.test_utils import TestClient, TestServer
from babyshield_chat.app import create_app
from babyshield_chat.config import load_settings
from babyshield_chat.telemetry import Telemetry

DEAD_DATABASE_URL = "postgresql://postgres@127.0.0.1:9/none"


class AppHarness:
    def __init__(self) -> None:
        self._clients: list[TestClient] = []
        self.telemetry = Telemetry.for_tests()
        self.spans = self.telemetry.span_exporter

    async def client(self, env: Mapping[str, str] | None = None, *, database_url: str = DEAD_DATABASE_URL,
                     **factory_kwargs) -> TestClient:
        settings = load_settings(dict(env or {}))
        factory_kwargs.setdefault("telemetry", self.telemetry)
        app = create_app(settings, database_url=database_url, **factory_kwargs)
        client = TestClient(TestServer(app))
        await client.start_server()
        self._clients.append(client)
        return client

    async def close(self) -> None:
        for client in self._clients:
            await client.close()
        self.telemetry.shutdown()
