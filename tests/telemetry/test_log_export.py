"""The OTLP copy of the log stream, which the collector writes to CloudWatch as-is."""

import ast
import json
import logging
from pathlib import Path

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk.trace import TracerProvider

import babyshield_chat
from babyshield_chat.telemetry.logging import EventLog, log_chat_request

PACKAGE = Path(babyshield_chat.__file__).parent
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})


def test_the_exported_body_is_the_exact_json_line_written_to_stdout(logs):
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("test")
    with tracer.start_as_current_span("POST /api/v1/chat/conversation") as span:
        log_chat_request(
            endpoint="conversation", intent="recall_details", outcome="ok", status_code=200, latency_sec=0.4,
            fallback_reason=None, circuit_open=False, blocked=False, user_hash=None,
        )  # fmt: skip

    [record] = logs.records()
    assert record.body == logs.stdout.getvalue().rstrip("\n")
    assert json.loads(record.body)["event"] == "chat_request"
    assert record.trace_id == span.get_span_context().trace_id
    assert record.span_id == span.get_span_context().span_id


def test_levels_map_to_otel_severities(logs):
    logging.getLogger("babyshield_chat.db").warning("pool nearly exhausted")
    logging.getLogger("babyshield_chat.api").error("handler failed")

    severities = [(record.severity_number, record.severity_text) for record in logs.records()]
    assert severities == [(SeverityNumber.WARN, "WARN"), (SeverityNumber.ERROR, "ERROR")]


def test_the_sdks_own_log_lines_stay_on_stdout_and_are_not_exported(logs):
    logging.getLogger("opentelemetry.exporter.otlp.proto.http").error("Failed to export logs batch")

    assert logs.records() == []
    assert "Failed to export logs batch" in logs.stdout.getvalue()


def test_an_events_fields_reach_both_the_json_line_and_the_otlp_record(logs):
    EventLog("babyshield_chat.test").warning("pool nearly exhausted", in_use=19, maximum=20, database="chat")

    [line] = logs.lines()
    [exported] = logs.exported()
    assert exported == line
    assert (line["event"], line["in_use"], line["maximum"], line["database"]) == ("pool nearly exhausted", 19, 20, "chat")


def test_a_field_named_like_the_envelope_cannot_overwrite_it(logs):
    EventLog("babyshield_chat.test").info("listening", level="debug", service="someone-else", port=8080)

    [line] = logs.lines()
    assert (line["level"], line["service"], line["port"]) == ("info", "babyshield-chat", 8080)


def test_every_log_call_of_the_package_goes_through_event_log():
    """A flat `extra={...}` silently loses its fields: the package logs only through `EventLog`."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "telemetry" / "logging.py":
            continue  # where EventLog itself and the chat_request line are written
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            func = node.func
            if not isinstance(func, ast.Attribute):
                continue
            if func.attr in LOG_METHODS and any(keyword.arg in ("extra", None) for keyword in node.keywords):
                offenders.append(f"{where} passes extra= (or **kwargs) to .{func.attr}()")
            if isinstance(func.value, ast.Name) and func.value.id == "logging" and func.attr in {"getLogger", *LOG_METHODS}:
                offenders.append(f"{where} calls logging.{func.attr}()")
    assert offenders == []
