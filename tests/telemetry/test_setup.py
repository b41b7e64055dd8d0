"""Telemetry construction: settings from the environment, what is exported, and to where."""

import asyncio
import io
import json
import logging
import threading
from collections.abc import AsyncIterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
import pytest
from aiohttp import web
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client.exposition import generate_latest

from babyshield_chat.telemetry.logging import configure_logging
from babyshield_chat.telemetry.pseudonyms import user_hash
from babyshield_chat.config import TelemetrySettings
from babyshield_chat.telemetry.setup import Telemetry
from babyshield_chat.telemetry.testing import finished_spans, metric_points
from babyshield_chat.telemetry.tracing import trace_id_hex

HASH_KEY = "a-long-enough-hash-key"


def test_hash_user_uses_the_configured_key():
    telemetry = Telemetry.for_tests(TelemetrySettings(log_hash_key=HASH_KEY))

    assert telemetry.hash_user("user-1") == user_hash("user-1", HASH_KEY)


# -- what runs when nothing is exported ----------------------------------


@pytest.mark.parametrize("prometheus_enabled", [False, True])
def test_without_otlp_no_background_thread_is_started(prometheus_enabled):
    before = set(threading.enumerate())

    telemetry = Telemetry.create(TelemetrySettings(prometheus_enabled=prometheus_enabled))
    with telemetry.tracer.start_as_current_span("request"):
        telemetry.metrics.record_request("conversation", "recall_details", "ok", False, 0.2)
    if telemetry.prometheus_registry is not None:
        generate_latest(telemetry.prometheus_registry)
    started = set(threading.enumerate()) - before
    telemetry.shutdown()

    assert started == set()


def test_the_metrics_handler_exists_only_when_the_exposition_is_enabled():
    assert Telemetry.create(TelemetrySettings(prometheus_enabled=True)).metrics_handler is not None
    assert Telemetry.create(TelemetrySettings(prometheus_enabled=False)).metrics_handler is None


def test_without_otlp_there_is_no_log_handler_to_forward_to():
    assert Telemetry.create(TelemetrySettings()).log_handler is None


def test_test_telemetry_records_spans_and_metrics_in_memory():
    telemetry = Telemetry.for_tests()

    with telemetry.tracer.start_as_current_span("chat.gate"):
        telemetry.metrics.record_fallback("spend_cap")

    assert [span.name for span in finished_spans(telemetry)] == ["chat.gate"]
    assert [point.attributes for point in metric_points(telemetry, "chat_fallbacks_total")] == [{"reason": "spend_cap"}]
    assert finished_spans(telemetry)[0].resource.attributes["deployment.environment"] == "test"


def test_disabled_telemetry_records_nothing_and_has_the_zero_trace_id():
    telemetry = Telemetry.disabled()

    with telemetry.tracer.start_as_current_span("request") as span:
        telemetry.metrics.record_request("conversation", "recall_details", "ok", False, 0.2)

    assert trace_id_hex(span) == "0" * 32
    assert not span.is_recording()
    assert telemetry.metrics_handler is None


def test_disabled_telemetry_keeps_the_callers_trace_id():
    caller = "4bf92f3577b34da6a3ce929d0e0e4736"
    context = TraceContextTextMapPropagator().extract({"traceparent": f"00-{caller}-00f067aa0ba902b7-01"})

    with Telemetry.disabled().tracer.start_as_current_span("request", context=context) as span:
        assert trace_id_hex(span) == caller


def test_shutdown_twice_is_harmless():
    telemetry = Telemetry.for_tests()

    telemetry.shutdown()
    telemetry.shutdown()


# -- a real OTLP export ---------------------------------------------------


@dataclass
class Received:
    traces: list[trace_service_pb2.ExportTraceServiceRequest] = field(default_factory=list)
    metrics: list[metrics_service_pb2.ExportMetricsServiceRequest] = field(default_factory=list)
    logs: list[logs_service_pb2.ExportLogsServiceRequest] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def otlp_http_route(sink: list, request_type: type[Message], response_type: type[Message], headers: list):
    async def receive(request: web.Request) -> web.Response:
        headers.append(dict(request.headers))
        # aiohttp has already undone Content-Encoding: gzip here.
        sink.append(request_type.FromString(await request.read()))
        return web.Response(body=response_type().SerializeToString(), content_type="application/x-protobuf")

    return receive


@pytest.fixture
async def otlp_http_receiver() -> AsyncIterator[tuple[str, Received]]:
    received = Received()
    app = web.Application()
    app.router.add_post(
        "/v1/traces",
        otlp_http_route(
            received.traces,
            trace_service_pb2.ExportTraceServiceRequest,
            trace_service_pb2.ExportTraceServiceResponse,
            received.headers,
        ),
    )
    app.router.add_post(
        "/v1/metrics",
        otlp_http_route(
            received.metrics,
            metrics_service_pb2.ExportMetricsServiceRequest,
            metrics_service_pb2.ExportMetricsServiceResponse,
            received.headers,
        ),
    )
    app.router.add_post(
        "/v1/logs",
        otlp_http_route(
            received.logs,
            logs_service_pb2.ExportLogsServiceRequest,
            logs_service_pb2.ExportLogsServiceResponse,
            received.headers,
        ),
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", received
    await runner.cleanup()


def resource_attributes(resource) -> dict[str, str]:
    return {attribute.key: attribute.value.string_value for attribute in resource.attributes}


def exported_metric(request: metrics_service_pb2.ExportMetricsServiceRequest, name: str):
    return next(
        metric
        for resource_metrics in request.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
        if metric.name == name
    )


def record_a_request(telemetry: Telemetry) -> str:
    """One traced request with a metric and a log line; returns its trace id."""
    stdout = io.StringIO()
    handlers = configure_logging(telemetry.settings, stdout, otlp_handler=telemetry.log_handler)
    try:
        with telemetry.tracer.start_as_current_span("POST /api/v1/chat/conversation") as span:
            telemetry.metrics.record_request("conversation", "recall_details", "ok", False, 0.4)
            logging.getLogger("babyshield_chat.api").info("answer sent")
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
        logging.captureWarnings(False)
    return trace_id_hex(span)


async def test_otlp_http_flush_delivers_spans_metrics_and_logs_with_the_resource(otlp_http_receiver, monkeypatch):
    endpoint, received = otlp_http_receiver
    # Standard variables the exporters read themselves.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=babyshield")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    settings = TelemetrySettings(service_version="2.0.1", environment="staging", otlp_endpoint=endpoint)
    telemetry = Telemetry.create(settings)

    trace_id = record_a_request(telemetry)
    # Blocking flush in a thread: the receiver runs on this event loop.
    flushed = await asyncio.to_thread(telemetry.force_flush)

    assert flushed
    [traces], [logs] = received.traces, received.logs
    [resource_spans] = traces.resource_spans
    [span] = resource_spans.scope_spans[0].spans
    assert {
        "service.name": "babyshield-chat",
        "service.version": "2.0.1",
        "deployment.environment": "staging",
    }.items() <= resource_attributes(resource_spans.resource).items()
    assert (span.name, span.trace_id.hex()) == ("POST /api/v1/chat/conversation", trace_id)

    requests_total = exported_metric(received.metrics[-1], "chat_requests_total")
    [point] = requests_total.sum.data_points
    assert point.as_int == 1
    [build] = exported_metric(received.metrics[-1], "chat_build_info").gauge.data_points
    assert build.as_int == 1 and {a.key: a.value.string_value for a in build.attributes} == {"version": "2.0.1"}
    assert {a.key: a.value.string_value for a in point.attributes} == {
        "endpoint": "conversation",
        "intent": "recall_details",
        "outcome": "ok",
        "circuit": "closed",
    }

    [log_record] = logs.resource_logs[0].scope_logs[0].log_records
    assert json.loads(log_record.body.string_value)["event"] == "answer sent"
    assert log_record.trace_id.hex() == trace_id

    assert all(headers.get("x-tenant") == "babyshield" for headers in received.headers)
    assert all(headers.get("Content-Encoding") == "gzip" for headers in received.headers)
    await asyncio.to_thread(telemetry.shutdown)


async def test_shutdown_stops_the_exporter_threads(otlp_http_receiver):
    endpoint, _received = otlp_http_receiver
    before = set(threading.enumerate())
    telemetry = Telemetry.create(TelemetrySettings(otlp_endpoint=endpoint))
    exporter_threads = set(threading.enumerate()) - before

    await asyncio.to_thread(telemetry.shutdown)

    assert exporter_threads
    assert not any(thread.is_alive() for thread in exporter_threads)


class TraceCollector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request, context):  # noqa: N802 (the gRPC method's name)
        self.received.traces.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


class MetricsCollector(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request, context):  # noqa: N802
        self.received.metrics.append(request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


class LogsCollector(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request, context):  # noqa: N802
        self.received.logs.append(request)
        return logs_service_pb2.ExportLogsServiceResponse()


async def test_otlp_grpc_export_delivers_spans_metrics_and_logs():
    received = Received()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceCollector(received), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(MetricsCollector(received), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(LogsCollector(received), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        telemetry = Telemetry.create(TelemetrySettings(otlp_endpoint=f"http://127.0.0.1:{port}", otlp_protocol="grpc"))
        trace_id = record_a_request(telemetry)
        await asyncio.to_thread(telemetry.shutdown)
    finally:
        server.stop(grace=None)

    [span] = received.traces[0].resource_spans[0].scope_spans[0].spans
    assert span.trace_id.hex() == trace_id
    assert exported_metric(received.metrics[-1], "chat_requests_total").sum.data_points
    assert received.logs[0].resource_logs[0].scope_logs[0].log_records[0].trace_id.hex() == trace_id
