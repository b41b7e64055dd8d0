"""What the service logged, as the JSON lines on stdout and as the OTLP log records, side by side."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from babyshield_chat.config import TelemetrySettings
from babyshield_chat.telemetry.log_export import OtlpLogHandler
from babyshield_chat.telemetry.logging import configure_logging


@dataclasses.dataclass(frozen=True)
class CapturedLogs:
    stdout: io.StringIO
    exporter: InMemoryLogRecordExporter

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines written to stdout so far."""
        return [json.loads(line) for line in self.stdout.getvalue().splitlines()]

    def records(self) -> list[Any]:
        """The OTLP log records exported so far."""
        return [finished.log_record for finished in self.exporter.get_finished_logs()]

    def exported(self) -> list[dict[str, Any]]:
        """The OTLP records' bodies, parsed: each is the JSON line of the same event."""
        return [json.loads(record.body) for record in self.records()]


@contextmanager
def captured_logs() -> Iterator[CapturedLogs]:
    """The service's logging as `serve` configures it with OTLP logs on, into memory."""
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    stdout = io.StringIO()
    handlers = configure_logging(TelemetrySettings(environment="test"), stdout, otlp_handler=OtlpLogHandler(provider))
    try:
        yield CapturedLogs(stdout, exporter)
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
        logging.captureWarnings(False)
