"""The service the answer benchmark talks to: real PostgreSQL, real data, the real factory.

`serving(database_url, synthesizer)` is an async context that yields the base
URL of the app, built by `babyshield_chat.app.create_app` exactly as `serve`
builds it and listening on a free loopback port, so every case goes through
the real HTTP API (gate, validation, pipeline, writer). The database is a
throwaway cluster that `bench.stack.postgres` starts, migrates and fills with
every recall file of the shared data folder through the project's importer.

Which writer answers:

- `offline`: no LLM key, the offline synthesizer (the default of `serve`);
- `fallback`: the project's fake LLM answering 500 to every call, so the LLM
  synthesizer fails (then its breaker opens) and the fallback writer answers;
- `llm`: the fake LLM answering normally, so the LLM path writes the answer
  from the fake's schema-valid JSON.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from aiohttp import web

from babyshield_chat.app import create_app
from babyshield_chat.config import load_settings
from babyshield_chat.devtools.fake_llm.modes import FakeMode
from babyshield_chat.devtools.fake_llm.server import FakeLlmServer
from babyshield_chat.vocabulary import SynthesizerKind
from bench.stack import SERVICE_ENV

SYNTHESIZERS: tuple[SynthesizerKind, ...] = ("offline", "fallback", "llm")

#: The fake LLM's mode per synthesizer (None: no LLM configured at all).
_FAKE_MODES: Mapping[SynthesizerKind, FakeMode | None] = {
    "offline": None,
    "fallback": FakeMode(fault="server_error"),
    "llm": FakeMode(),
}

HOST = "127.0.0.1"


def service_env(database_url: str, llm_base_url: str | None) -> dict[str, str]:
    """The service's configuration: the benchmark's usual one, plus the LLM when there is one."""
    env = {**SERVICE_ENV, "BS_DATABASE_URL": database_url}
    if llm_base_url is not None:
        env.update({"BS_LLM_BASE_URL": llm_base_url, "BS_LLM_API_KEY": "bench-answers"})
    return env


@contextlib.asynccontextmanager
async def _fake_llm(mode: FakeMode | None) -> AsyncIterator[str | None]:
    if mode is None:
        yield None
        return
    async with FakeLlmServer(mode) as fake:
        yield fake.base_url


@contextlib.asynccontextmanager
async def serving(database_url: str, synthesizer: str = "offline") -> AsyncIterator[str]:
    """The app's base URL while the context lasts; everything it started is stopped on exit."""
    if synthesizer not in _FAKE_MODES:
        raise ValueError(f"unknown synthesizer {synthesizer!r}; choose from {', '.join(SYNTHESIZERS)}")
    async with _fake_llm(_FAKE_MODES[synthesizer]) as llm_url:
        settings = load_settings(service_env(database_url, llm_url))
        app = create_app(settings, database_url=database_url)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, HOST, 0)
            await site.start()
            port = runner.addresses[0][1]
            yield f"http://{HOST}:{port}"
        finally:
            await runner.cleanup()
