"""Spans as a trace backend shows them: the server span and the pipeline's children."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import INVALID_SPAN, SpanKind, StatusCode

from babyshield_chat.telemetry.tracing import (
    REQUEST_SPAN_KEY,
    db_span,
    flag_evaluation_event,
    llm_span,
    record_fallback,
    record_short_circuit,
    server_span_middleware,
    span_id_hex,
    tool_span,
    trace_id_hex,
)

CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
PRIVATE_TEXT = "my son alice@example.com is allergic"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter):
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


async def echo_trace_id(request: web.Request) -> web.Response:
    # What the app's X-Trace-Id code does: read the span the middleware stored.
    return web.json_response({"trace_id": trace_id_hex(request[REQUEST_SPAN_KEY])})


async def fail_with_private_text(request: web.Request) -> web.Response:
    raise ValueError(PRIVATE_TEXT)


async def answer_503(request: web.Request) -> web.Response:
    return web.json_response({"error": {"code": "overloaded"}}, status=503)


async def answer_400(request: web.Request) -> web.Response:
    raise web.HTTPBadRequest()


@pytest.fixture
async def client(tracer) -> AsyncIterator[TestClient]:
    app = web.Application(middlewares=[server_span_middleware(tracer)])
    app.router.add_get("/api/v1/chat/conversations/{id}", echo_trace_id)
    app.router.add_route("*", "/echo", echo_trace_id)
    app.router.add_get("/boom", fail_with_private_text)
    app.router.add_get("/busy", answer_503)
    app.router.add_get("/bad", answer_400)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


def only_span(exporter: InMemorySpanExporter):
    [span] = exporter.get_finished_spans()
    return span


async def test_server_span_continues_the_callers_traceparent(client, exporter):
    response = await client.get(
        "/api/v1/chat/conversations/5f0c", headers={"traceparent": f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"}
    )

    span = only_span(exporter)
    assert (await response.json())["trace_id"] == CALLER_TRACE_ID
    assert trace_id_hex(span) == CALLER_TRACE_ID
    assert format(span.parent.span_id, "016x") == CALLER_SPAN_ID


async def test_a_request_without_traceparent_starts_its_own_trace_whatever_is_current(tracer, exporter):
    """A server started inside a span must not make that span every request's parent."""
    app = web.Application(middlewares=[server_span_middleware(tracer)])
    app.router.add_get("/echo", echo_trace_id)
    with tracer.start_as_current_span("start-up") as startup:
        async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
            await test_client.get("/echo")
    server = next(s for s in exporter.get_finished_spans() if s.name == "GET /echo")
    assert server.parent is None
    assert server.context.trace_id != startup.get_span_context().trace_id


async def test_a_malformed_traceparent_starts_a_new_trace(client, exporter):
    response = await client.get("/echo", headers={"traceparent": "00-not-a-trace-01"})

    span = only_span(exporter)
    assert span.parent is None
    assert (await response.json())["trace_id"] == trace_id_hex(span)
    assert len(trace_id_hex(span)) == 32 and trace_id_hex(span) != "0" * 32


async def test_server_span_is_named_by_route_template_with_http_semconv_attributes(client, exporter):
    await client.get("/api/v1/chat/conversations/5f0c")

    span = only_span(exporter)
    assert span.name == "GET /api/v1/chat/conversations/{id}"
    assert span.kind is SpanKind.SERVER
    assert {
        "http.request.method": "GET",
        "http.route": "/api/v1/chat/conversations/{id}",
        "url.path": "/api/v1/chat/conversations/5f0c",
        "url.scheme": "http",
        "server.address": "127.0.0.1",
        "http.response.status_code": 200,
    }.items() <= dict(span.attributes).items()
    assert span.attributes["server.port"] == client.port
    assert span.status.status_code is StatusCode.UNSET


async def test_unmatched_path_has_no_route_and_a_404_is_not_an_error(client, exporter):
    response = await client.get("/api/v1/chat/no-such-thing")

    span = only_span(exporter)
    assert response.status == 404
    assert span.name == "GET"
    assert "http.route" not in span.attributes
    assert span.attributes["http.response.status_code"] == 404
    assert span.status.status_code is StatusCode.UNSET


async def test_client_errors_raised_as_http_exceptions_are_not_span_errors(client, exporter):
    await client.get("/bad")

    span = only_span(exporter)
    assert span.attributes["http.response.status_code"] == 400
    assert span.status.status_code is StatusCode.UNSET


async def test_a_5xx_response_marks_the_server_span_as_error(client, exporter):
    await client.get("/busy")

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "503"


async def test_an_unhandled_exception_is_recorded_without_its_message(client, exporter):
    response = await client.get("/boom")

    span = only_span(exporter)
    [event] = span.events
    assert response.status == 500
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"
    assert span.attributes["http.response.status_code"] == 500
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "builtins.ValueError"
    assert "fail_with_private_text" in event.attributes["exception.stacktrace"]
    everything = [*span.attributes.values(), *event.attributes.values(), span.status.description]
    assert not any(PRIVATE_TEXT in str(value) for value in everything)


async def test_a_nonstandard_method_is_reported_as_other(client, exporter):
    await client.request("PROPFIND", "/echo")

    span = only_span(exporter)
    assert span.name == "HTTP /echo"
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "PROPFIND"


def test_trace_and_span_ids_are_lowercase_hex_of_fixed_width(tracer):
    with tracer.start_as_current_span("work") as span:
        trace_id, span_id = trace_id_hex(span), span_id_hex(span)

    assert len(trace_id) == 32 and trace_id == trace_id.lower() and int(trace_id, 16)
    assert len(span_id) == 16 and int(span_id, 16)
    assert trace_id_hex(INVALID_SPAN) == "0" * 32


def test_llm_span_carries_the_genai_attributes_and_token_usage(tracer, exporter):
    with tracer.start_as_current_span("request") as parent, llm_span(tracer, "gpt-4o-mini") as llm:
        llm.set_usage(input_tokens=812, output_tokens=164)

    span = next(s for s in exporter.get_finished_spans() if s.name == "chat gpt-4o-mini")
    assert span.kind is SpanKind.CLIENT
    assert span.parent.span_id == parent.get_span_context().span_id
    assert dict(span.attributes) == {
        "gen_ai.system": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 812,
        "gen_ai.usage.output_tokens": 164,
    }


async def test_an_llm_call_cut_by_its_deadline_reads_as_failed(tracer, exporter):
    async def call_llm() -> None:
        with llm_span(tracer, "gpt-4o-mini"):
            await asyncio.sleep(3600)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(call_llm(), timeout=0.01)

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "CancelledError"


def test_tool_span_is_named_execute_tool_with_the_tool_name(tracer, exporter):
    with tool_span(tracer, "allergen_check"):
        pass

    span = only_span(exporter)
    assert span.name == "execute_tool allergen_check"
    assert span.attributes["gen_ai.tool.name"] == "allergen_check"
    assert span.attributes["gen_ai.operation.name"] == "execute_tool"


def test_db_span_names_operation_and_table_and_drops_error_messages(tracer, exporter):
    with pytest.raises(RuntimeError), db_span(tracer, "SELECT", "recalls"):
        raise RuntimeError(f"query failed for {PRIVATE_TEXT}")

    span = only_span(exporter)
    assert span.name == "SELECT recalls"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes) == {
        "db.system.name": "postgresql",
        "db.operation.name": "SELECT",
        "db.collection.name": "recalls",
        "error.type": "RuntimeError",
    }
    assert PRIVATE_TEXT not in str(span.to_json())


def test_flag_evaluation_is_an_event_and_searchable_attributes(tracer, exporter):
    with tracer.start_as_current_span("chat.gate") as span:
        flag_evaluation_event(span, "chat_enabled", "on", "rollout_included")

    span = only_span(exporter)
    expected = {
        "feature_flag.key": "chat_enabled",
        "feature_flag.result.variant": "on",
        "feature_flag.result.reason": "rollout_included",
    }
    [event] = span.events
    assert event.name == "feature_flag.evaluation"
    assert dict(event.attributes) == expected
    assert expected.items() <= dict(span.attributes).items()


def test_resilience_events_land_on_the_current_span_with_closed_set_values(tracer, exporter):
    with tracer.start_as_current_span("chat.synthesize"):
        record_short_circuit("llm:synth")
        record_fallback("circuit_open")
        record_fallback("made-up-reason")

    events = [(event.name, dict(event.attributes)) for event in only_span(exporter).events]
    assert events == [
        ("breaker.short_circuit", {"chat.breaker": "llm:synth"}),
        ("fallback", {"chat.fallback.reason": "circuit_open"}),
        ("fallback", {"chat.fallback.reason": "other"}),
    ]
