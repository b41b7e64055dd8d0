"""`babyshield-chat fake-llm`: an OpenAI-compatible server with faults on demand.

It answers ``POST /v1/chat/completions`` with schema-valid JSON built from
the request (see :mod:`babyshield_chat.devtools.fake_llm.completions`), so the full
chat path works without any provider, and it misbehaves on request, switched
at run time through a control endpoint, for demos, load and failure tests:

- ``GET /control``: the mode and how many requests arrived (so a test can
  prove a short-circuited call never reached it);
- ``PUT /control``: change part of the mode, e.g. ``{"fault": "hang"}`` or
  ``{"latency": {"distribution": "uniform", "min_ms": 200, "max_ms": 900},
  "error_rate": 0.1}``;
- ``DELETE /control``: back to the starting mode, counters to zero, and any
  hanging requests released.

Faults: ``none``; ``server_error`` (every request answers 500);
``rate_limited`` (429 with ``Retry-After``); ``hang`` (never answers until the
client gives up or the mode is reset); ``garbage`` (content that is not
JSON); ``truncated`` (JSON cut in half); ``invent_evidence`` (cites a recall
that no tool returned); ``contradict`` (a schema-valid answer whose summary
says the opposite of the findings: "Yes, it is safe to use."). ``latency`` and ``error_rate`` (share of requests
answering 500) combine with any of them.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from babyshield_chat.devtools.fake_llm.completions import completion_body, prompt_tokens, reply_content
from babyshield_chat.devtools.fake_llm.modes import FakeMode
from babyshield_chat.vocabulary import DEFAULT_LLM_MODEL
from babyshield_chat.telemetry.logging import EventLog

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "FakeLlmServer",
    "FakeLlmState",
    "create_fake_llm_app",
    "run_fake_llm",
]

log = EventLog(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090
#: Models listed by `GET /v1/models`; any model name is accepted.
LISTED_MODELS = (DEFAULT_LLM_MODEL, "gpt-4o", "gpt-4.1-mini")


@dataclass
class FakeLlmState:
    """The fake's mutable state: its mode, and counters tests read back."""

    initial_mode: FakeMode
    chat_completions: int = 0
    models: int = 0
    in_flight: int = 0
    #: The last chat request's JSON body, for in-process tests (never served).
    last_request: dict[str, Any] | None = field(default=None, repr=False)
    #: Its Authorization header (tests check the client authenticates).
    last_authorization: str | None = field(default=None, repr=False)
    rng: random.Random = field(init=False, repr=False)
    _mode: FakeMode = field(init=False, repr=False)
    _release: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        self.mode = self.initial_mode

    @property
    def mode(self) -> FakeMode:
        return self._mode

    @mode.setter
    def mode(self, mode: FakeMode) -> None:
        # A seeded mode restarts its random draws, so a run can be repeated.
        if not hasattr(self, "_mode") or mode.seed != self._mode.seed or mode.seed is not None:
            self.rng = random.Random(mode.seed)
        self._mode = mode

    def set(self, **changes: Any) -> FakeMode:
        """Change part of the mode in-process, as `PUT /control` does over HTTP."""
        self.mode = self.mode.updated(changes)
        if self.mode.fault != "hang":
            self.release_hanging()
        return self.mode

    def reset(self) -> None:
        """Starting mode, zero counters, and let every hanging request go."""
        self.mode = self.initial_mode
        self.chat_completions = self.models = 0
        self.last_request = None
        self.last_authorization = None
        self.release_hanging()

    def release_hanging(self) -> None:
        self._release.set()
        self._release = asyncio.Event()

    async def hang(self) -> None:
        await self._release.wait()

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.to_json(),
            "requests": {"chat_completions": self.chat_completions, "models": self.models},
            "in_flight": self.in_flight,
        }


STATE = web.AppKey("fake_llm_state", FakeLlmState)


def create_fake_llm_app(initial_mode: FakeMode | None = None) -> web.Application:
    """The fake LLM as an aiohttp application, starting in `initial_mode`."""
    app = web.Application()
    app[STATE] = FakeLlmState(initial_mode or FakeMode())
    app.router.add_post("/v1/chat/completions", _chat_completions)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/control", _get_control)
    app.router.add_put("/control", _put_control)
    app.router.add_delete("/control", _delete_control)
    app.on_shutdown.append(_release_on_shutdown)
    return app


def run_fake_llm(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, initial_mode: FakeMode | None = None) -> None:
    """Serve the fake until interrupted (the `fake-llm` CLI verb)."""
    # handler_cancellation: a client that gives up on a slow or hanging reply
    # cancels its handler, so hanging requests do not pile up in the fake.
    web.run_app(create_fake_llm_app(initial_mode), host=host, port=port, handler_cancellation=True)


async def _chat_completions(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    state.chat_completions += 1
    sequence = state.chat_completions
    state.in_flight += 1
    try:
        return await _answer(request, state, sequence)
    finally:
        state.in_flight -= 1


async def _answer(request: web.Request, state: FakeLlmState, sequence: int) -> web.StreamResponse:
    mode = state.mode
    try:
        body = await request.json()
    except json.JSONDecodeError:
        return _error(400, "invalid_request_error", "request body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return _error(400, "invalid_request_error", "request body needs a 'messages' list")
    state.last_request = body
    state.last_authorization = request.headers.get("Authorization")

    delay_sec = mode.latency.sample_sec(state.rng)
    if delay_sec > 0:
        await asyncio.sleep(delay_sec)
    if mode.fault == "hang":
        await state.hang()
        return _error(503, "server_error", "the fake LLM released this hanging request")
    if mode.fault == "server_error" or (mode.error_rate > 0 and state.rng.random() < mode.error_rate):
        return _error(500, "server_error", "the fake LLM failed this request on purpose")
    if mode.fault == "rate_limited":
        headers = {
            "Retry-After": str(math.ceil(mode.retry_after_s)),
            "retry-after-ms": str(round(mode.retry_after_s * 1000)),
        }
        return _error(429, "rate_limit_exceeded", "the fake LLM is rate limiting on purpose", headers)

    model = str(body.get("model") or LISTED_MODELS[0])
    if mode.fault == "garbage":
        content = "Sorry, I would rather write a poem about strollers."
    else:
        content = reply_content(body, invent_evidence=mode.fault == "invent_evidence",
                                contradict=mode.fault == "contradict")
        if mode.fault == "truncated":
            content = content[: len(content) // 2]
    return web.json_response(completion_body(model, content, prompt_tokens=prompt_tokens(body), sequence=sequence))


async def _models(request: web.Request) -> web.Response:
    request.app[STATE].models += 1
    data = [{"id": model, "object": "model", "created": 0, "owned_by": "babyshield-fake"} for model in LISTED_MODELS]
    return web.json_response({"object": "list", "data": data})


async def _get_control(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].to_json())


async def _put_control(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        state.set(**(await _json_object(request)))
    except ValueError as exc:  # JSONDecodeError is a ValueError
        return _error(400, "invalid_request_error", str(exc))
    log.warning("fake LLM mode changed", fake_llm_mode=state.mode.to_json())
    return web.json_response(state.to_json())


async def _json_object(request: web.Request) -> dict[str, Any]:
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError(f"mode changes must be a JSON object, got {body!r}")
    return body


async def _delete_control(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.reset()
    return web.json_response(state.to_json())


async def _release_on_shutdown(app: web.Application) -> None:
    app[STATE].release_hanging()


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return web.json_response(body, status=status, headers=headers)


class FakeLlmServer:
    """The fake on a free loopback port, for tests and benchmarks.

    Usage::

        async with FakeLlmServer() as fake:
            client = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
            fake.state.set(fault="hang")
    """

    def __init__(self, initial_mode: FakeMode | None = None, *, host: str = DEFAULT_HOST, port: int = 0) -> None:
        self.app = create_fake_llm_app(initial_mode)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    @property
    def state(self) -> FakeLlmState:
        return self.app[STATE]

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("the fake LLM is not running")
        return int(self._runner.addresses[0][1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/v1"

    @property
    def control_url(self) -> str:
        return f"http://{self._host}:{self.port}/control"

    async def __aenter__(self) -> Self:
        self._runner = web.AppRunner(self.app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            self.state.release_hanging()
            await self._runner.cleanup()
            self._runner = None
