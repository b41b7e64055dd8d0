"""The JSON log stream as an SRE searches it: one object per line, trace ids, no private data."""

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web
from opentelemetry.sdk.trace import TracerProvider

from babyshield_chat.telemetry.logging import JsonAccessLogger, configure_logging, log_chat_request, rfc3339_utc
from babyshield_chat.telemetry.pseudonyms import user_hash
from babyshield_chat.config import TelemetrySettings
from babyshield_chat.telemetry.tracing import server_span_middleware, span_id_hex, trace_id_hex

HASH_KEY = "test-log-hash-key-0123456789"
DISTINCTIVE_USER = "parent-7Q4ZK9-only-in-this-test@example.com"
SPEC_CHAT_REQUEST_FIELDS = {
    "ts", "level", "endpoint", "intent", "outcome", "status_code", "latency_ms", "trace_id", "span_id",
    "fallback", "fallback_reason", "circuit_open", "blocked", "user_hash", "service", "version", "env",
}  # fmt: skip
SETTINGS = TelemetrySettings(service_version="1.2.3", environment="staging", log_hash_key=HASH_KEY)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    output = io.StringIO()
    handlers = configure_logging(SETTINGS, output)
    yield output
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    logging.captureWarnings(False)


@pytest.fixture
def tracer():
    return TracerProvider(shutdown_on_exit=False).get_tracer("test")


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def chat_request(**overrides) -> None:
    fields = {
        "endpoint": "conversation",
        "intent": "allergy_question",
        "outcome": "ok",
        "status_code": 200,
        "latency_sec": 0.2347,
        "fallback_reason": None,
        "circuit_open": False,
        "blocked": False,
        "user_hash": user_hash("user-1", HASH_KEY),
    }
    log_chat_request(**{**fields, **overrides})


def test_a_plain_log_line_is_one_json_object_with_the_service_envelope(stream):
    logging.getLogger("babyshield_chat.db").warning("pool %s exhausted", "main")

    [line] = lines(stream)
    assert line["level"] == "warning"
    assert line["event"] == "pool main exhausted"
    assert line["logger"] == "babyshield_chat.db"
    assert (line["service"], line["version"], line["env"]) == ("babyshield-chat", "1.2.3", "staging")
    assert "trace_id" not in line


def test_ts_is_rfc3339_utc_with_milliseconds(stream):
    logging.getLogger("test").info("tick")

    [line] = lines(stream)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", line["ts"])
    assert rfc3339_utc(1_700_000_000.5) == "2023-11-14T22:13:20.500Z"


def test_every_line_inside_a_span_carries_its_trace_and_span_ids(stream, tracer):
    with tracer.start_as_current_span("POST /api/v1/chat/conversation") as span:
        logging.getLogger("babyshield_chat.chat").info("tools finished")

    [line] = lines(stream)
    assert line["trace_id"] == trace_id_hex(span)
    assert line["span_id"] == span_id_hex(span)


def test_chat_request_line_has_exactly_the_spec_fields(stream, tracer):
    with tracer.start_as_current_span("request"):
        chat_request()

    [line] = lines(stream)
    assert set(line) == SPEC_CHAT_REQUEST_FIELDS | {"event"}
    assert line["event"] == "chat_request"


def test_chat_request_values_have_the_spec_types(stream, tracer):
    with tracer.start_as_current_span("request"):
        chat_request(outcome="fallback", fallback_reason="timeout", circuit_open=True)

    [line] = lines(stream)
    assert line["latency_ms"] == 235
    assert (line["status_code"], line["level"]) == (200, "info")
    assert (line["fallback"], line["fallback_reason"]) == (True, "timeout")
    assert (line["circuit_open"], line["blocked"]) == (True, False)
    assert (line["endpoint"], line["intent"], line["outcome"]) == ("conversation", "allergy_question", "fallback")


def test_chat_request_without_fallback_has_false_and_null(stream, tracer):
    with tracer.start_as_current_span("request"):
        chat_request()

    [line] = lines(stream)
    assert (line["fallback"], line["fallback_reason"]) == (False, None)


def test_chat_request_trace_id_is_the_active_spans(stream, tracer):
    with tracer.start_as_current_span("POST /api/v1/chat/conversation") as span:
        chat_request()

    [line] = lines(stream)
    assert (line["trace_id"], line["span_id"]) == (trace_id_hex(span), span_id_hex(span))


def test_chat_request_logged_after_the_span_ended_uses_the_span_given(stream, tracer):
    with tracer.start_as_current_span("POST /api/v1/chat/explain") as server_span:
        pass

    log_chat_request(
        endpoint="explain", intent="explain_scan", outcome="ok", status_code=200, latency_sec=0.1,
        fallback_reason=None, circuit_open=False, blocked=False, user_hash=None, span=server_span,
    )  # fmt: skip

    [line] = lines(stream)
    assert line["trace_id"] == trace_id_hex(server_span)


def test_a_5xx_chat_request_is_logged_at_error_level(stream, tracer):
    with tracer.start_as_current_span("request"):
        chat_request(outcome="error", status_code=500)

    [line] = lines(stream)
    assert line["level"] == "error"


def test_chat_request_fields_use_the_metric_vocabularies(stream, tracer):
    with tracer.start_as_current_span("request"):
        chat_request(endpoint="/api/v1/chat/whatever", intent="free text from an LLM", fallback_reason="oops")

    [line] = lines(stream)
    assert (line["endpoint"], line["intent"], line["fallback_reason"]) == ("other", "other", "other")


def test_a_raw_user_id_passed_as_user_hash_is_not_written(stream, tracer):
    with tracer.start_as_current_span("request"):
        chat_request(user_hash=DISTINCTIVE_USER)

    [line] = lines(stream)
    assert line["user_hash"] is None
    assert DISTINCTIVE_USER not in stream.getvalue()


async def test_a_distinctive_user_id_never_reaches_the_log_only_its_hash(stream):
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("test")

    async def conversation(request: web.Request) -> web.Response:
        user_id = request.headers["X-User-Id"]
        logging.getLogger("babyshield_chat.api").info("answer sent")
        log_chat_request(
            endpoint="conversation", intent="none", outcome="ok", status_code=200, latency_sec=0.01,
            fallback_reason=None, circuit_open=False, blocked=False, user_hash=user_hash(user_id, HASH_KEY),
        )  # fmt: skip
        return web.json_response({})

    app = web.Application(middlewares=[server_span_middleware(tracer)])
    app.router.add_get("/api/v1/chat/conversations/{id}", conversation)
    runner = web.AppRunner(app, access_log_class=JsonAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://{host}:{port}/api/v1/chat/conversations/{DISTINCTIVE_USER}"
            async with session.get(url, headers={"X-User-Id": DISTINCTIVE_USER}) as response:
                assert response.status == 200
    finally:
        await runner.cleanup()  # waits for the access log line

    output = stream.getvalue()
    assert DISTINCTIVE_USER not in output
    assert user_hash(DISTINCTIVE_USER, HASH_KEY) in output
    assert len(lines(stream)) == 3


async def test_access_log_line_has_route_status_latency_and_the_requests_trace(stream):
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("test")
    seen: dict[str, str] = {}

    async def conversation(request: web.Request) -> web.Response:
        with tracer.start_as_current_span("child") as child:
            seen["trace_id"] = trace_id_hex(child)
        return web.json_response({}, status=201)

    app = web.Application(middlewares=[server_span_middleware(tracer)])
    app.router.add_post("/api/v1/chat/conversation", conversation)
    runner = web.AppRunner(app, access_log_class=JsonAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://{host}:{port}/api/v1/chat/conversation", json={}) as response:
                assert response.status == 201
            async with session.get(f"http://{host}:{port}/no/such/path/123") as response:
                assert response.status == 404
    finally:
        await runner.cleanup()

    access = [line for line in lines(stream) if line["event"] == "http_request"]
    assert [(line["method"], line["route"], line["status"]) for line in access] == [
        ("POST", "/api/v1/chat/conversation", 201),
        ("GET", None, 404),
    ]
    assert access[0]["trace_id"] == seen["trace_id"]
    assert all(isinstance(line["latency_ms"], int) and len(line["span_id"]) == 16 for line in access)
    assert "/no/such/path/123" not in stream.getvalue()


def test_exception_lines_keep_the_type_and_stack_but_not_the_message(stream):
    try:
        raise ValueError(f"invalid profile for {DISTINCTIVE_USER}")
    except ValueError:
        logging.getLogger("babyshield_chat.api").exception("profile update failed")

    [line] = lines(stream)
    assert line["exc_type"] == "builtins.ValueError"
    assert "test_exception_lines_keep_the_type_and_stack_but_not_the_message" in line["exc_stack"]
    assert DISTINCTIVE_USER not in stream.getvalue()


def test_event_fields_cannot_overwrite_the_envelope(stream):
    logging.getLogger("test").info("custom", extra={"fields": {"service": "spoofed", "level": "debug", "k": 1}})

    [line] = lines(stream)
    assert (line["service"], line["level"], line["k"]) == ("babyshield-chat", "info", 1)


def test_configuring_twice_writes_each_line_once(stream):
    handlers = configure_logging(SETTINGS, stream)

    logging.getLogger("test").info("once")

    assert len(lines(stream)) == 1
    for handler in handlers:
        logging.getLogger().removeHandler(handler)


def test_the_llm_clients_per_call_http_lines_are_not_logged(stream):
    """One line per chat request: the HTTP layer's "HTTP Request: POST ..." INFO lines are dropped."""
    logging.getLogger("httpx2").info("HTTP Request: POST http://llm.internal/v1/chat/completions 200 OK")
    logging.getLogger("httpx2").warning("connection pool is full")

    assert [line["event"] for line in lines(stream)] == ["connection pool is full"]


def test_stdout_and_the_otlp_handler_get_the_same_line(stream):
    """The OTLP handler is formatted by the same JsonFormatter: CloudWatch filters match both alike."""
    second = io.StringIO()
    handlers = configure_logging(SETTINGS, stream, otlp_handler=logging.StreamHandler(second))
    try:
        chat_request()
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)

    assert second.getvalue() == stream.getvalue()
    assert json.loads(second.getvalue())["event"] == "chat_request"


class CountingStream(io.StringIO):
    """A stream that remembers what had been flushed: what a reader of stdout would have seen."""

    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0
        self.seen = ""

    def flush(self) -> None:
        self.flushes += 1
        self.seen = self.getvalue()


@pytest.fixture
def counting() -> Iterator[CountingStream]:
    output = CountingStream()
    handlers = configure_logging(SETTINGS, output)
    yield output
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    logging.captureWarnings(False)


async def test_lines_of_one_loop_turn_reach_stdout_in_one_flush_before_the_next_turn(counting):
    for n in range(5):
        logging.getLogger("t").info("line %d", n)
    assert counting.flushes == 0
    await asyncio.sleep(0)
    assert counting.flushes == 1
    assert [line["event"] for line in map(json.loads, counting.seen.splitlines())] == [f"line {n}" for n in range(5)]


def test_a_line_written_with_no_loop_running_is_flushed_at_once(counting):
    logging.getLogger("t").info("starting")
    assert counting.flushes == 1 and json.loads(counting.seen)["event"] == "starting"


def test_a_loop_that_stopped_before_its_flush_does_not_hold_back_later_lines(counting):
    stopped = asyncio.new_event_loop()

    async def log_and_stop() -> None:
        logging.getLogger("t").info("last line of a loop")
        stopped.stop()  # the flush scheduled for this turn never runs

    try:
        stopped.create_task(log_and_stop())
        stopped.run_forever()
    finally:
        stopped.close()
    assert counting.flushes == 0

    async def log_more() -> None:
        logging.getLogger("t").info("first line of the next loop")
        await asyncio.sleep(0)

    asyncio.run(log_more())
    assert [json.loads(line)["event"] for line in counting.seen.splitlines()] == [
        "last line of a loop", "first line of the next loop"]
