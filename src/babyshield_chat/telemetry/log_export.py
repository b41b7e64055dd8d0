"""Forwarding the JSON log lines to the OTLP logs pipeline.

The deployments ship logs one way only, the JSON lines on stdout (the ECS
`awslogs` driver, `docker compose logs`), and set `OTEL_LOGS_EXPORTER=none`,
so this path is off there and the collector has no logs pipeline (runbook:
"One log path"). It is for a deployment whose stdout is not shipped, with a
logs pipeline in a collector overlay. The body sent here is the very JSON line
written to stdout (the handler gets the same `JsonFormatter`), so the
CloudWatch metric filters and any search that match the stdout line match the
exported record unchanged.

The record also carries the current context, so the OTLP record has the
trace and span ids too (for backends that link logs to traces natively).
"""

from __future__ import annotations

import logging
from typing import Final

from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber
from opentelemetry.context import get_current

#: Instrumentation scope of the forwarded records.
LOG_SCOPE: Final = "babyshield_chat"

# The OpenTelemetry SDK and its exporters log through stdlib logging. Feeding
# those lines back into the pipeline that is failing would loop (an export
# error producing a record to export), so they stay on stdout only.
_SELF_LOGGERS: Final = ("opentelemetry",)

_SEVERITIES: Final = (
    (logging.CRITICAL, SeverityNumber.FATAL, "FATAL"),
    (logging.ERROR, SeverityNumber.ERROR, "ERROR"),
    (logging.WARNING, SeverityNumber.WARN, "WARN"),
    (logging.INFO, SeverityNumber.INFO, "INFO"),
    (logging.DEBUG, SeverityNumber.DEBUG, "DEBUG"),
)


def _severity(levelno: int) -> tuple[SeverityNumber, str]:
    for threshold, number, text in _SEVERITIES:
        if levelno >= threshold:
            return number, text
    return SeverityNumber.TRACE, "TRACE"


class OtlpLogHandler(logging.Handler):
    """A logging handler emitting each formatted line as an OTLP log record."""

    def __init__(self, logger_provider: LoggerProvider, level: int = logging.NOTSET) -> None:
        super().__init__(level=level)
        self._otel_logger: Logger = logger_provider.get_logger(LOG_SCOPE)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_SELF_LOGGERS):
            return
        try:
            severity_number, severity_text = _severity(record.levelno)
            self._otel_logger.emit(
                timestamp=int(record.created * 1e9),
                context=get_current(),
                severity_number=severity_number,
                severity_text=severity_text,
                body=self.format(record),
            )
        except Exception:
            self.handleError(record)
