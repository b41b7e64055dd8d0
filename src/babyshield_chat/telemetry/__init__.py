"""Traces, metrics and logs of the service: the telemetry contract of spec section 5.

Build one `Telemetry` at start-up and pass it down; see `setup` for what is
exported when, `metrics` for the metric names, `tracing` for span helpers and
`logging` for the JSON log lines.
"""

from babyshield_chat.telemetry.logging import JsonAccessLogger, configure_logging, log_chat_request
from babyshield_chat.telemetry.metrics import ChatMetrics, make_metrics_handler
from babyshield_chat.telemetry.pseudonyms import UserHash, user_hash
from babyshield_chat.config import TelemetrySettings
from babyshield_chat.telemetry.setup import Telemetry
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

__all__ = [
    "REQUEST_SPAN_KEY",
    "ChatMetrics",
    "JsonAccessLogger",
    "Telemetry",
    "TelemetrySettings",
    "UserHash",
    "configure_logging",
    "db_span",
    "flag_evaluation_event",
    "llm_span",
    "log_chat_request",
    "make_metrics_handler",
    "record_fallback",
    "record_short_circuit",
    "server_span_middleware",
    "span_id_hex",
    "tool_span",
    "trace_id_hex",
    "user_hash",
]
