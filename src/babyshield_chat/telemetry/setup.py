"""Building the service's telemetry: providers, readers and exporters from the settings.

The app builds one `Telemetry` at start-up (`Telemetry.create(settings)`) and
passes it down; nothing is registered as an OpenTelemetry *global* provider,
so tests can build many apps, each with its own telemetry, in one process.

What gets exported follows the spec (section 5):

* OTLP traces, metrics and logs when `OTEL_EXPORTER_OTLP_ENDPOINT` is set,
  over `http/protobuf` (default) or `grpc` (`OTEL_EXPORTER_OTLP_PROTOCOL`).
  A signal is left out with `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER`
  / `OTEL_LOGS_EXPORTER` = `none` (e.g. when stdout already reaches the
  metric-filter log group: two paths would count every request twice).
  The exporters themselves read the other standard variables (headers,
  timeout, compression, certificates, `OTEL_BSP_*`, `OTEL_BLRP_*`), the SDK
  reads `OTEL_TRACES_SAMPLER*` and `OTEL_RESOURCE_ATTRIBUTES`. Per-signal
  endpoint variables are not supported: the one endpoint serves all three.
* The Prometheus exposition when `BS_METRICS_PROMETHEUS` is true, from a
  registry of this telemetry's own (`Telemetry.metrics_handler`).
* Neither: nothing is exported and no background thread is started.

With `serve --workers N` each worker process has its own registry, and a
scrape of the shared port reaches whichever worker accepts it: use OTLP there
(every worker reports under its own `service.instance.id`), or run one worker
per container when scraping `/metrics`.

`Telemetry.for_tests()` records into memory; `Telemetry.disabled()` has no-op
tracer and meter, the baseline of the telemetry-cost benchmark.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from aiohttp import web
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import Meter, NoOpMeter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NoOpTracer, Tracer
from prometheus_client import CollectorRegistry

from babyshield_chat import __version__
from babyshield_chat.telemetry.log_export import OtlpLogHandler
from babyshield_chat.telemetry.metrics import ChatMetrics, make_metrics_handler, metric_views
from babyshield_chat.telemetry.pseudonyms import UserHash, user_hash
from babyshield_chat.config import Signal, TelemetrySettings

if TYPE_CHECKING:
    from opentelemetry.sdk._logs.export import LogRecordExporter
    from opentelemetry.sdk.metrics.export import MetricExporter
    from opentelemetry.sdk.trace.export import SpanExporter

DEFAULT_FLUSH_TIMEOUT_MS: Final = 10_000
#: Instrumentation scope of the service's own tracer, meter and log records.
INSTRUMENTATION_SCOPE: Final = "babyshield_chat"

MetricsHandler = Callable[[web.Request], Awaitable[web.Response]]

__all__ = ["INSTRUMENTATION_SCOPE", "Telemetry"]


class Telemetry:
    """The service's tracer, meter, metrics and exporters, built once and passed down.

    Attributes the app uses: `tracer`, `meter`, `metrics` (`ChatMetrics`),
    `metrics_handler` (None unless the Prometheus exposition is enabled),
    `log_handler` (for `configure_logging`; None unless logs go out over
    OTLP). `for_tests()` also fills `span_exporter` and `metric_reader`.
    """

    def __init__(
        self,
        settings: TelemetrySettings,
        *,
        tracer: Tracer,
        meter: Meter,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        logger_provider: LoggerProvider | None = None,
        prometheus_registry: CollectorRegistry | None = None,
        span_exporter: InMemorySpanExporter | None = None,
        metric_reader: InMemoryMetricReader | None = None,
    ) -> None:
        self.settings = settings
        self.tracer = tracer
        self.meter = meter
        self.metrics = ChatMetrics(meter, models=settings.llm_models, version=settings.service_version)
        self.prometheus_registry = prometheus_registry
        self.metrics_handler: MetricsHandler | None = (
            None if prometheus_registry is None else make_metrics_handler(prometheus_registry)
        )
        self.log_handler: logging.Handler | None = None if logger_provider is None else OtlpLogHandler(logger_provider)
        self.span_exporter = span_exporter
        self.metric_reader = metric_reader
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._logger_provider = logger_provider
        self._shut_down = False

    @classmethod
    def create(cls, settings: TelemetrySettings) -> Telemetry:
        """The production telemetry for `settings`."""
        resource = _resource(settings)
        # Spans nobody exports are still started (their ids go into X-Trace-Id and
        # the logs) but not recorded: the sampler drops them before any attribute
        # or event is stored, which keeps the hot path cheap.
        # When traces are exported, None lets the SDK honour OTEL_TRACES_SAMPLER (default: all).
        sampler = None if settings.exports("traces") else ALWAYS_OFF
        tracer_provider = TracerProvider(resource=resource, sampler=sampler, shutdown_on_exit=False)
        readers: list[MetricReader] = []
        registry = None
        if settings.prometheus_enabled:
            registry, reader = _prometheus_reader()
            readers.append(reader)
        if settings.exports("traces"):
            tracer_provider.add_span_processor(BatchSpanProcessor(_span_exporter(settings)))
        if settings.exports("metrics"):
            readers.append(
                PeriodicExportingMetricReader(
                    _metric_exporter(settings), export_interval_millis=settings.metric_export_interval_ms
                )
            )
        logger_provider = None
        if settings.exports("logs"):
            logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
            logger_provider.add_log_record_processor(BatchLogRecordProcessor(_log_exporter(settings)))
        meter_provider = MeterProvider(
            resource=resource, metric_readers=readers, views=metric_views(), shutdown_on_exit=False,
            # No exemplars are exported or used; skipping them saves a context look-up per measurement.
            exemplar_filter=AlwaysOffExemplarFilter(),
        )
        return cls(
            settings,
            tracer=tracer_provider.get_tracer(INSTRUMENTATION_SCOPE, __version__),
            meter=meter_provider.get_meter(INSTRUMENTATION_SCOPE, __version__),
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
            prometheus_registry=registry,
        )

    @classmethod
    def for_tests(cls, settings: TelemetrySettings | None = None) -> Telemetry:
        """Telemetry recording into memory, for asserting spans and metrics in tests.

        Finished spans land in `span_exporter` synchronously, metrics are read
        with `metric_reader`; `/metrics` works as in production unless
        `settings.prometheus_enabled` is False. Nothing is exported over OTLP
        whatever `settings` say, and no thread is started.
        """
        settings = settings or TelemetrySettings(environment="test", prometheus_enabled=True)
        resource = _resource(settings)
        span_exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
        metric_reader = InMemoryMetricReader()
        readers: list[MetricReader] = [metric_reader]
        registry = None
        if settings.prometheus_enabled:
            registry, reader = _prometheus_reader()
            readers.append(reader)
        meter_provider = MeterProvider(
            resource=resource, metric_readers=readers, views=metric_views(), shutdown_on_exit=False
        )
        return cls(
            settings,
            tracer=tracer_provider.get_tracer(INSTRUMENTATION_SCOPE, __version__),
            meter=meter_provider.get_meter(INSTRUMENTATION_SCOPE, __version__),
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            prometheus_registry=registry,
            span_exporter=span_exporter,
            metric_reader=metric_reader,
        )

    @classmethod
    def disabled(cls, settings: TelemetrySettings | None = None) -> Telemetry:
        """No-op tracer and meter: the "telemetry off" side of the cost benchmark.

        Spans are not recorded, so a request without `traceparent` gets the
        all-zero trace id; one with it keeps the caller's trace id.
        """
        return cls(
            settings or TelemetrySettings(),
            tracer=NoOpTracer(),
            meter=NoOpMeter(INSTRUMENTATION_SCOPE, __version__),
        )

    def hash_user(self, user_id: str | None) -> UserHash | None:
        """The user's log hash under this service's `BS_LOG_HASH_KEY`."""
        return user_hash(user_id, self.settings.log_hash_key)

    def force_flush(self, timeout_millis: int = DEFAULT_FLUSH_TIMEOUT_MS) -> bool:
        """Exports everything recorded so far. Blocking: from async code, run it in a thread."""
        flushed = True
        for provider in self._providers():
            flushed = provider.force_flush(timeout_millis) and flushed
        return flushed

    def shutdown(self) -> None:
        """Flushes and stops the exporters and their threads; later calls do nothing.

        Blocking (it waits for the last export): from an aiohttp cleanup hook
        call it as `await asyncio.to_thread(telemetry.shutdown)`.
        """
        if self._shut_down:
            return
        self._shut_down = True
        # Traces and logs first: their export may still record metrics.
        for provider in self._providers():
            provider.shutdown()

    def _providers(self) -> list[TracerProvider | LoggerProvider | MeterProvider]:
        return [
            provider
            for provider in (self._tracer_provider, self._logger_provider, self._meter_provider)
            if provider is not None
        ]


# -- building blocks ------------------------------------------------------


def _resource(settings: TelemetrySettings) -> Resource:
    # Resource.create also merges OTEL_RESOURCE_ATTRIBUTES and adds a
    # service.instance.id per process; the attributes given here win.
    return Resource.create(
        {
            "service.name": settings.service_name,
            "service.version": settings.service_version,
            "deployment.environment": settings.environment,
        }
    )


def _prometheus_reader() -> tuple[CollectorRegistry, PrometheusMetricReader]:
    registry = CollectorRegistry()
    # No otel_scope_* labels: the spec's label sets are exact, and the
    # collector's exporter is configured the same way (without_scope_info).
    # target_info stays: it is its own metric and carries version and env.
    reader = PrometheusMetricReader(scope_info_enabled=False, registry=registry)
    return registry, reader


def _signal_url(endpoint: str, signal: Signal) -> str:
    # OTLP/HTTP: the base endpoint gets the per-signal path appended, exactly
    # as the exporters do with OTEL_EXPORTER_OTLP_ENDPOINT.
    return f"{endpoint.rstrip('/')}/v1/{signal}"


# The exporter modules are imported only for the protocol in use: the gRPC
# ones pull in grpcio, which the HTTP path does not need.


def _span_exporter(settings: TelemetrySettings) -> SpanExporter:
    assert settings.otlp_endpoint is not None
    if settings.otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter

        return GrpcSpanExporter(endpoint=settings.otlp_endpoint)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=_signal_url(settings.otlp_endpoint, "traces"))


def _metric_exporter(settings: TelemetrySettings) -> MetricExporter:
    assert settings.otlp_endpoint is not None
    if settings.otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter

        return GrpcMetricExporter(endpoint=settings.otlp_endpoint)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter(endpoint=_signal_url(settings.otlp_endpoint, "metrics"))


def _log_exporter(settings: TelemetrySettings) -> LogRecordExporter:
    assert settings.otlp_endpoint is not None
    if settings.otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter

        return GrpcLogExporter(endpoint=settings.otlp_endpoint)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    return OTLPLogExporter(endpoint=_signal_url(settings.otlp_endpoint, "logs"))
