"""The OTLP copy of the log stream, which the collector writes to CloudWatch as-is."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider

from babyshield_chat.telemetry.log_export import OtlpLogHandler
from babyshield_chat.telemetry.logging import configure_logging, log_chat_request
from babyshield_chat.config import TelemetrySettings


@pytest.fixture
def exporter() -> InMemoryLogRecordExporter:
    return InMemoryLogRecordExporter()


@pytest.fixture
def stdout(exporter) -> Iterator[io.StringIO]:
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    output = io.StringIO()
    handlers = configure_logging(TelemetrySettings(environment="test"), output, otlp_handler=OtlpLogHandler(provider))
    yield output
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    logging.captureWarnings(False)


def test_the_exported_body_is_the_exact_json_line_written_to_stdout(stdout, exporter):
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("test")
    with tracer.start_as_current_span("POST /api/v1/chat/conversation") as span:
        log_chat_request(
            endpoint="conversation", intent="recall_details", outcome="ok", status_code=200, latency_s=0.4,
            fallback_reason=None, circuit_open=False, blocked=False, user_hash=None,
        )  # fmt: skip

    [record] = [finished.log_record for finished in exporter.get_finished_logs()]
    assert record.body == stdout.getvalue().rstrip("\n")
    assert json.loads(record.body)["event"] == "chat_request"
    assert record.trace_id == span.get_span_context().trace_id
    assert record.span_id == span.get_span_context().span_id


def test_levels_map_to_otel_severities(stdout, exporter):
    logging.getLogger("babyshield_chat.db").warning("pool nearly exhausted")
    logging.getLogger("babyshield_chat.api").error("handler failed")

    severities = [(f.log_record.severity_number, f.log_record.severity_text) for f in exporter.get_finished_logs()]
    assert severities == [(SeverityNumber.WARN, "WARN"), (SeverityNumber.ERROR, "ERROR")]


def test_the_sdks_own_log_lines_stay_on_stdout_and_are_not_exported(stdout, exporter):
    logging.getLogger("opentelemetry.exporter.otlp.proto.http").error("Failed to export logs batch")

    assert exporter.get_finished_logs() == ()
    assert "Failed to export logs batch" in stdout.getvalue()
