"""The telemetry of one chat request, emitted alone: a floor for the telemetry-cost target.

`python -m bench.floor --otlp-endpoint URL [--requests N]` builds the service's
production telemetry (`Telemetry.create`: OTLP traces, metrics and logs to
`URL`, the `/metrics` registry) and emits, N times, exactly what one answered
conversation emits, through the service's own helpers: the server span with
its HTTP attributes, the `chat.gate` span and its flag event, `chat.emergency`,
`chat.classify`, the profile and recall `SELECT` spans, `execute_tool
recall_lookup`, `chat gpt-4o-mini` with its token usage; the ten metric
measurements (request, tool, synthesis, LLM call, tokens, cost, two pool
acquisitions); the `chat_request` line on stdout and over OTLP. It then
flushes every exporter and prints the process CPU time per request,
exporter threads included, as JSON: once with every signal exported, once
without the trace export (its share of the cost).

No pipeline work runs, so this is the least the telemetry can cost per
request with these libraries, measured with hot caches (under load it costs
more): if it alone is more than a tenth of the pipeline's CPU per request,
no change to the pipeline can bring "telemetry on" to 90% of "off".
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time

from opentelemetry.trace import SpanKind, use_span

from babyshield_chat.telemetry import Telemetry, TelemetrySettings, configure_logging
from babyshield_chat.config import ALL_SIGNALS, Signal
from babyshield_chat.telemetry.logging import log_chat_request
from babyshield_chat.telemetry.tracing import db_span, flag_evaluation_event, llm_span, tool_span

MODEL = "gpt-4o-mini"
WARM_UP = 200
FLUSH_EVERY = 100


def _one_request(telemetry: Telemetry) -> None:
    tracer, metrics = telemetry.tracer, telemetry.metrics
    server = tracer.start_span("POST /api/v1/chat/conversation", kind=SpanKind.SERVER, attributes={
        "http.request.method": "POST", "url.path": "/api/v1/chat/conversation", "url.scheme": "http",
        "network.protocol.version": "1.1", "http.route": "/api/v1/chat/conversation",
        "server.address": "127.0.0.1", "server.port": 8080})
    with use_span(server, end_on_exit=False):
        gate = tracer.start_span("chat.gate")
        gate.set_attribute("feature_flag.provider.name", "env")
        flag_evaluation_event(gate, "chat", "on", "rollout_included")
        gate.end()
        tracer.start_span("chat.emergency").end()
        with db_span(tracer, "SELECT", "profiles"):
            metrics.record_db_acquire(0.0002)
        classify = tracer.start_span("chat.classify")
        classify.set_attribute("chat.intent", "recall_details")
        classify.end()
        with tool_span(tracer, "recall_lookup"), db_span(tracer, "SELECT", "recalls"):
            metrics.record_db_acquire(0.0002)
        metrics.record_tool("recall_lookup", "ok", 0.004)
        with llm_span(tracer, MODEL) as llm:
            metrics.record_llm_request(MODEL, "ok")
            metrics.add_tokens(MODEL, 900, 200)
            metrics.add_cost(MODEL, 0.00026)
            llm.set_usage(900, 200)
        metrics.record_synth(MODEL, "ok", 0.05)
        metrics.record_request("conversation", "recall_details", "ok", False, 0.06)
        log_chat_request(endpoint="conversation", intent="recall_details", outcome="ok", status_code=200,
                         latency_sec=0.06, fallback_reason=None, circuit_open=False, blocked=False,
                         user_hash=telemetry.hash_user("user-1"), span=server)
    server.set_attribute("http.response.status_code", 200)
    server.end()


def measure(otlp_endpoint: str, requests: int, signals: frozenset[Signal] = ALL_SIGNALS) -> float:
    """CPU µs per request of emitting one request's telemetry, with `signals` exported over OTLP."""
    settings = TelemetrySettings(environment="bench", otlp_endpoint=otlp_endpoint, otlp_signals=signals,
                                 prometheus_enabled=True, log_hash_key="bench-floor-key")
    telemetry = Telemetry.create(settings)
    # Lines go to a buffer, not the terminal: the service pays for its stdout write in both sides.
    configure_logging(settings, io.StringIO(), otlp_handler=telemetry.log_handler)
    for _ in range(WARM_UP):
        _one_request(telemetry)
    telemetry.force_flush()
    started = time.process_time()
    for index in range(requests):
        _one_request(telemetry)
        if index % FLUSH_EVERY == FLUSH_EVERY - 1:
            # The span queue holds 2,048: a loop faster than the exporter would drop spans.
            telemetry.force_flush()
    telemetry.force_flush()
    cpu_sec = time.process_time() - started
    telemetry.shutdown()
    return cpu_sec / requests * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--otlp-endpoint", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args(argv)
    os.environ.pop("OTEL_TRACES_SAMPLER", None)  # every span, as the target's "on" side
    every_signal = measure(args.otlp_endpoint, args.requests)
    without_traces = measure(args.otlp_endpoint, args.requests, ALL_SIGNALS - {"traces"})
    print(json.dumps({"requests": args.requests, "cpu_us_per_request": every_signal,
                      "cpu_us_per_request_without_trace_export": without_traces}))


if __name__ == "__main__":
    main()
