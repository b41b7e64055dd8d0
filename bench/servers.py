"""The stand-ins the benchmark runs against, each a tiny aiohttp app in its own process.

- `bare`: the reference of the gate-cost target, a bare aiohttp JSON handler that
  reads the request body and answers a small JSON object, with no middleware;
- `fake-llm`: the project's fake LLM (`babyshield_chat.devtools.fake_llm.server`), whose
  `PUT /control` sets latency, hang and failures at run time;
- `otlp-sink`: a local OTLP/HTTP receiver that reads and drops every export, so the
  "telemetry on" side pays for real span, metric and log export;
- `floor`: the bare handler plus only what the telemetry contract asks of every
  blocked request, through the service's own telemetry code (a server span for
  `X-Trace-Id`, `chat_requests_total` and the request histogram, the one
  `chat_request` JSON line, the error envelope): the best a blocked path can do
  with these libraries, whatever the rest of the stack costs.

Usage: `python -m bench.servers {bare,fake-llm,otlp-sink,floor} --port PORT`.
"""

from __future__ import annotations

import argparse
import json

from aiohttp import web

HOST = "127.0.0.1"
_BARE_BODY = json.dumps({"ok": True, "trace_id": "0" * 32}).encode()


async def _bare(request: web.Request) -> web.Response:
    # Read the body like the service must: a handler that skips it would flatter the reference.
    await request.read()
    return web.Response(body=_BARE_BODY, content_type="application/json")


def bare_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _bare)
    return app


def floor_app() -> web.Application:
    import time

    from opentelemetry.trace import SpanKind

    from babyshield_chat.telemetry import Telemetry, TelemetrySettings, configure_logging
    from babyshield_chat.telemetry.logging import log_chat_request
    from babyshield_chat.telemetry.tracing import trace_id_hex

    # As the gate scenario runs the service: /metrics on, no OTLP, JSON lines on stdout.
    settings = TelemetrySettings(environment="bench", prometheus_enabled=True, log_hash_key="bench-floor-key")
    telemetry = Telemetry.create(settings)
    configure_logging(settings)
    tracer, metrics = telemetry.tracer, telemetry.metrics

    async def blocked(request: web.Request) -> web.Response:
        started = time.perf_counter()
        span = tracer.start_span("POST /api/v1/chat/conversation", kind=SpanKind.SERVER)
        trace_id = trace_id_hex(span)
        body = json.dumps({"error": {"code": "chat_disabled", "message": "Chat is not enabled for this user."},
                           "trace_id": trace_id}).encode()
        response = web.Response(body=body, status=403, content_type="application/json",
                                headers={"X-Trace-Id": trace_id})
        seconds = time.perf_counter() - started
        metrics.record_request("conversation", "none", "blocked", False, seconds)
        log_chat_request(endpoint="conversation", intent="none", outcome="blocked", status_code=403,
                         latency_sec=seconds, fallback_reason=None, circuit_open=False, blocked=True,
                         user_hash=telemetry.hash_user(request.headers.get("X-User-Id")), span=span)
        span.end()
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", blocked)
    return app


async def _otlp(request: web.Request) -> web.Response:
    await request.read()
    # An empty protobuf Export*ServiceResponse is zero bytes: success, nothing rejected.
    return web.Response(body=b"", content_type="application/x-protobuf")


def otlp_sink_app() -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/{signal}", _otlp)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("kind", choices=("bare", "fake-llm", "otlp-sink", "floor"))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.kind == "fake-llm":
        from babyshield_chat.devtools.fake_llm.server import create_fake_llm_app

        # As `run_fake_llm`, plus a deep backlog: the service opens a connection per concurrent call.
        app = create_fake_llm_app()
        extra = {"handler_cancellation": True}
    else:
        app = {"bare": bare_app, "otlp-sink": otlp_sink_app, "floor": floor_app}[args.kind]()
        extra = {}
    # backlog: the concurrency scenario opens thousands of connections at once.
    web.run_app(app, host=HOST, port=args.port, access_log=None, print=None, backlog=4096, **extra)


if __name__ == "__main__":
    main()
