"""The service's metrics: every row of the spec's metric table, and the few named elsewhere.

Beyond the table: `chat_build_info{version}` and `chat_flag_changes_total{source}`
(spec section 11: the dashboard's version and flag-change annotations) and
`chat_flag_source_stale`.

`ChatMetrics` owns the OpenTelemetry instruments and is the only way the app
records a metric, so names, label keys and label values stay exactly the
public interface that dashboards, alert rules and the rollout guard query.

Naming. Each instrument is created under its final Prometheus name
(`chat_requests_total`, `chat_request_duration_seconds`, ...), with units
chosen so no exporter appends anything: `s` on names already ending in
`_seconds`, UCUM annotations such as `{request}` (which map to no suffix)
elsewhere, and `_total` already on every counter. The name is then the same
in the in-process `/metrics` exposition, in OTLP, and at the collector's
Prometheus exporter whether it adds suffixes or not.

Histogram buckets are explicit-bucket Views (`metric_views()`), which the
meter provider must be built with. Whole-number bucket edges are written as
ints on purpose: the exposition prints them as `le="1"`, the same text the
collector's exporter produces, so a query on `le="1"` works on both paths.

`make_metrics_handler` serves one telemetry instance's own
`prometheus_client` registry (never the process-global one), so many apps in
one process each expose only their own series.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Final

from aiohttp import web
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from babyshield_chat.telemetry import labels
from babyshield_chat import __version__
from babyshield_chat.vocabulary import DEFAULT_LLM_MODEL, FLAG_SOURCES
from babyshield_chat.telemetry.logging import EventLog

_logger = EventLog(__name__)

REQUESTS_TOTAL: Final = "chat_requests_total"
REQUEST_DURATION: Final = "chat_request_duration_seconds"
TOOL_DURATION: Final = "chat_tool_duration_seconds"
SYNTH_DURATION: Final = "chat_synth_duration_seconds"
FALLBACKS_TOTAL: Final = "chat_fallbacks_total"
CIRCUIT_STATE: Final = "chat_circuit_state"
SHORT_CIRCUITS_TOTAL: Final = "chat_circuit_short_circuits_total"
RETRIES_TOTAL: Final = "chat_retries_total"
LLM_REQUESTS_TOTAL: Final = "chat_llm_requests_total"
LLM_TOKENS_TOTAL: Final = "chat_llm_tokens_total"
LLM_COST_TOTAL: Final = "chat_llm_cost_usd_total"
FLAG_ENABLED: Final = "chat_flag_enabled"
FLAG_ROLLOUT_RATIO: Final = "chat_flag_rollout_ratio"
INFLIGHT_REQUESTS: Final = "chat_inflight_requests"
# Not in the spec's table: 1 while this instance serves a flag it could not
# confirm with the database (the runtime override store is unreachable).
FLAG_SOURCE_STALE: Final = "chat_flag_source_stale"
DB_POOL_CONNECTIONS: Final = "chat_db_pool_connections"
DB_ACQUIRE_DURATION: Final = "chat_db_acquire_duration_seconds"
# Spec section 11: the dashboard marks version changes and flag changes.
# Always 1, labelled with the running `service.version`: a deploy shows as a
# new `version` series.
BUILD_INFO: Final = "chat_build_info"
# Changes of the served flag (switch, percentage or source) this instance
# applied from the runtime override store, by the source it switched to.
FLAG_CHANGES_TOTAL: Final = "chat_flag_changes_total"

# 2.8 s is the rollback trigger's p95 threshold, 2.5 s the total budget: both
# are edges so the alert and the budget read exact bucket counts.
DEFAULT_REQUEST_BUCKETS_SEC: Final = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 2.8, 3, 4, 5, 10)
# 0.8 s is the tool budget; beyond it only cancelled stragglers remain.
DEFAULT_TOOL_BUCKETS_SEC: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1.2, 2)
# 1.5 s is the synthesis budget.
DEFAULT_SYNTH_BUCKETS_SEC: Final = (0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3)
# A healthy pool hands out a connection in well under a millisecond; the tail
# buckets show exhaustion (callers queueing for a connection).
DEFAULT_DB_ACQUIRE_BUCKETS_SEC: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)

#: `chat_circuit_state` values (spec: 0 closed, 1 half-open, 2 open).
CIRCUIT_STATE_CLOSED: Final = 0
CIRCUIT_STATE_HALF_OPEN: Final = 1
CIRCUIT_STATE_OPEN: Final = 2
_CIRCUIT_STATES = frozenset({CIRCUIT_STATE_CLOSED, CIRCUIT_STATE_HALF_OPEN, CIRCUIT_STATE_OPEN})

#: Returns (global switch enabled, rollout fraction), as currently effective.
FlagSource = Callable[[], tuple[bool, float]]
#: Returns (connections in use, idle connections, pool maximum).
PoolSource = Callable[[], tuple[int, int, int]]


def metric_views(
    *,
    request_buckets: Sequence[float] = DEFAULT_REQUEST_BUCKETS_SEC,
    tool_buckets: Sequence[float] = DEFAULT_TOOL_BUCKETS_SEC,
    synth_buckets: Sequence[float] = DEFAULT_SYNTH_BUCKETS_SEC,
    db_acquire_buckets: Sequence[float] = DEFAULT_DB_ACQUIRE_BUCKETS_SEC,
) -> list[View]:
    """The Views giving each histogram its bucket edges; pass to the MeterProvider."""
    return [
        View(instrument_name=name, aggregation=ExplicitBucketHistogramAggregation(tuple(bounds)))
        for name, bounds in (
            (REQUEST_DURATION, request_buckets),
            (TOOL_DURATION, tool_buckets),
            (SYNTH_DURATION, synth_buckets),
            (DB_ACQUIRE_DURATION, db_acquire_buckets),
        )
    ]


class ChatMetrics:
    """Records the spec's metrics with closed-set label values.

    Every label value passes through its `labels.ClosedSet`, so whatever the
    caller hands in, only known values (or `other`) reach a series. Durations
    are seconds; negative ones (a clock oddity) are recorded as 0.
    """

    def __init__(
        self, meter: Meter, *, models: Iterable[str] = (DEFAULT_LLM_MODEL,), version: str = __version__
    ) -> None:
        self._model = labels.model_set(models)
        self._version = version
        self._flag_source: FlagSource | None = None
        self._pool_source: PoolSource | None = None
        self._stale_source: Callable[[], bool] | None = None
        self._inflight_source: Callable[[], int] | None = None

        self._requests = meter.create_counter(
            REQUESTS_TOTAL, unit="{request}", description="Chat API requests by endpoint, intent, outcome and circuit."
        )
        self._request_duration = meter.create_histogram(
            REQUEST_DURATION, unit="s", description="Chat API request latency, from arrival to response."
        )
        self._tool_duration = meter.create_histogram(
            TOOL_DURATION, unit="s", description="Duration of one tool run, by tool and outcome."
        )
        self._synth_duration = meter.create_histogram(
            SYNTH_DURATION, unit="s", description="Duration of answer synthesis, by model and outcome."
        )
        self._fallbacks = meter.create_counter(
            FALLBACKS_TOTAL, unit="{answer}", description="Answers written by the fallback writer, by reason."
        )
        self._circuit_state = meter.create_gauge(
            CIRCUIT_STATE, description="Circuit breaker state: 0 closed, 1 half-open, 2 open."
        )
        self._short_circuits = meter.create_counter(
            SHORT_CIRCUITS_TOTAL, unit="{call}", description="Calls refused by an open circuit breaker."
        )
        self._retries = meter.create_counter(
            RETRIES_TOTAL, unit="{retry}", description="Retry attempts, by dependency."
        )
        self._llm_requests = meter.create_counter(
            LLM_REQUESTS_TOTAL, unit="{request}", description="LLM provider calls, by model and outcome."
        )
        self._llm_tokens = meter.create_counter(
            LLM_TOKENS_TOTAL, unit="{token}", description="LLM tokens, by model and direction."
        )
        self._llm_cost = meter.create_counter(
            LLM_COST_TOTAL, unit="{USD}", description="Estimated LLM spend in US dollars, by model."
        )
        # Observed from the admission counter at collection time: nothing to do per request.
        meter.create_observable_gauge(
            INFLIGHT_REQUESTS, callbacks=[self._observe_inflight], unit="{request}",
            description="Requests being handled right now.",
        )
        self._db_acquire = meter.create_histogram(
            DB_ACQUIRE_DURATION, unit="s", description="Time to acquire a database connection from the pool."
        )
        # Observable gauges read their source at collection time, so a
        # scrape always shows the effective flag values (env or runtime
        # override) and the pool as it is, not as it was at the last event.
        meter.create_observable_gauge(
            FLAG_ENABLED, callbacks=[self._observe_flag_enabled], description="Effective global chat switch (0/1)."
        )
        meter.create_observable_gauge(
            FLAG_ROLLOUT_RATIO,
            callbacks=[self._observe_rollout_ratio],
            unit="1",
            description="Effective chat rollout fraction.",
        )
        meter.create_observable_gauge(
            FLAG_SOURCE_STALE,
            callbacks=[self._observe_flag_stale],
            unit="1",
            description="1 while the served flag could not be confirmed with the database.",
        )
        meter.create_observable_gauge(
            DB_POOL_CONNECTIONS,
            callbacks=[self._observe_db_pool],
            unit="{connection}",
            description="Database pool connections by state.",
        )
        # No unit: the Prometheus exporters would append one to the name.
        meter.create_observable_gauge(
            BUILD_INFO, callbacks=[self._observe_build_info], description="1, labelled with the running version."
        )
        self._flag_changes = meter.create_counter(
            FLAG_CHANGES_TOTAL,
            unit="{change}",
            description="Changes of the served chat flag applied by this instance, by the source switched to.",
        )
        # Exposed at 0 from the start: a series born at 1 hides its first change from increase().
        for source in FLAG_SOURCES:
            self._flag_changes.add(0, {"source": source})

    # -- requests ---------------------------------------------------------

    def record_request(self, endpoint: str, intent: str, outcome: str, circuit_open: bool, duration_sec: float) -> None:
        endpoint_label = labels.ENDPOINT.normalize(endpoint)
        outcome_label = labels.REQUEST_OUTCOME.normalize(outcome)
        self._requests.add(
            1,
            {
                "endpoint": endpoint_label,
                "intent": labels.REQUEST_INTENT.normalize(intent),
                "outcome": outcome_label,
                "circuit": labels.CIRCUIT_OPEN if circuit_open else labels.CIRCUIT_CLOSED,
            },
        )
        self._request_duration.record(_non_negative(duration_sec), {"endpoint": endpoint_label, "outcome": outcome_label})

    def observe_inflight(self, source: Callable[[], int]) -> None:
        """Reports `chat_inflight_requests` from `source` (same rules as flags)."""
        self._inflight_source = source

    def _observe_inflight(self, _options: CallbackOptions) -> list[Observation]:
        source = self._inflight_source
        return [] if source is None else [Observation(source())]

    # -- pipeline ---------------------------------------------------------

    def record_tool(self, tool: str, outcome: str, duration_sec: float) -> None:
        self._tool_duration.record(
            _non_negative(duration_sec),
            {"tool": labels.TOOL.normalize(tool), "outcome": labels.TOOL_OUTCOME.normalize(outcome)},
        )

    def record_synth(self, model: str, outcome: str, duration_sec: float) -> None:
        self._synth_duration.record(
            _non_negative(duration_sec),
            {"model": self._model.normalize(model), "outcome": labels.SYNTH_OUTCOME.normalize(outcome)},
        )

    def record_fallback(self, reason: str) -> None:
        self._fallbacks.add(1, {"reason": labels.FALLBACK_REASON.normalize(reason)})

    # -- resilience -------------------------------------------------------

    def set_circuit_state(self, breaker: str, state: int) -> None:
        """Sets `chat_circuit_state`; `state` is one of the CIRCUIT_STATE_* values."""
        # bool is an int subclass: True would silently read as "half-open".
        if isinstance(state, bool) or state not in _CIRCUIT_STATES:
            raise ValueError(f"circuit state must be 0 (closed), 1 (half-open) or 2 (open), got {state!r}")
        self._circuit_state.set(state, {"breaker": labels.BREAKER.normalize(breaker)})

    def count_short_circuit(self, breaker: str) -> None:
        self._short_circuits.add(1, {"breaker": labels.BREAKER.normalize(breaker)})

    def count_retry(self, dependency: str) -> None:
        self._retries.add(1, {"dependency": labels.DEPENDENCY.normalize(dependency)})

    # -- LLM usage --------------------------------------------------------

    def record_llm_request(self, model: str, outcome: str) -> None:
        self._llm_requests.add(
            1, {"model": self._model.normalize(model), "outcome": labels.LLM_OUTCOME.normalize(outcome)}
        )

    def add_tokens(self, model: str, input_tokens: int, output_tokens: int) -> None:
        model_label = self._model.normalize(model)
        # Counters only go up; a provider reporting no (or bogus negative)
        # usage adds nothing rather than raising in the request path.
        if input_tokens > 0:
            self._llm_tokens.add(input_tokens, {"model": model_label, "direction": "input"})
        if output_tokens > 0:
            self._llm_tokens.add(output_tokens, {"model": model_label, "direction": "output"})

    def add_cost(self, model: str, usd: float) -> None:
        if usd > 0:
            self._llm_cost.add(usd, {"model": self._model.normalize(model)})

    # -- state read at collection time -----------------------------------

    def observe_flags(self, source: FlagSource) -> None:
        """Reports `chat_flag_enabled` and `chat_flag_rollout_ratio` from `source`.

        `source` runs at every collection, possibly on the OTLP exporter's
        thread: it must only read state already in memory (no I/O, no await).
        """
        self._flag_source = source

    def observe_flag_staleness(self, source: Callable[[], bool]) -> None:
        """Reports `chat_flag_source_stale` from `source` (same rules as flags)."""
        self._stale_source = source

    def observe_db_pool(self, source: PoolSource) -> None:
        """Reports `chat_db_pool_connections{state}` from `source` (same rules as flags)."""
        self._pool_source = source

    def count_flag_change(self, source: str) -> None:
        """One change of the served flag (an override applied or removed) on this instance."""
        self._flag_changes.add(1, {"source": labels.FLAG_SOURCE.normalize(source)})

    def record_db_acquire(self, seconds: float) -> None:
        self._db_acquire.record(_non_negative(seconds))

    def _read_flags(self) -> tuple[bool, float] | None:
        if self._flag_source is None:
            return None
        try:
            return self._flag_source()
        except Exception:
            # A broken source must not break the whole scrape: the gauges
            # vanish for this collection, which the "absent" alerts notice.
            _logger.warning("flag source failed during metric collection", exc_info=True)
            return None

    def _observe_build_info(self, _options: CallbackOptions) -> list[Observation]:
        return [Observation(1, {"version": self._version})]

    def _observe_flag_enabled(self, _options: CallbackOptions) -> list[Observation]:
        flags = self._read_flags()
        return [] if flags is None else [Observation(1 if flags[0] else 0)]

    def _observe_rollout_ratio(self, _options: CallbackOptions) -> list[Observation]:
        flags = self._read_flags()
        return [] if flags is None else [Observation(float(flags[1]))]

    def _observe_flag_stale(self, _options: CallbackOptions) -> list[Observation]:
        source = self._stale_source
        if source is None:
            return []
        try:
            return [Observation(1 if source() else 0)]
        except Exception:
            _logger.warning("flag staleness source failed during metric collection", exc_info=True)
            return []

    def _observe_db_pool(self, _options: CallbackOptions) -> list[Observation]:
        if self._pool_source is None:
            return []
        try:
            in_use, idle, maximum = self._pool_source()
        except Exception:
            _logger.warning("database pool source failed during metric collection", exc_info=True)
            return []
        return [
            Observation(in_use, {"state": "in_use"}),
            Observation(idle, {"state": "idle"}),
            Observation(maximum, {"state": "max"}),
        ]


def _non_negative(seconds: float) -> float:
    return seconds if seconds > 0 else 0.0


def make_metrics_handler(registry: CollectorRegistry) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler serving `registry` in the format the scraper asks for.

    Prometheus negotiates with `Accept` (OpenMetrics or the 0.0.4 text
    format); `choose_encoder` answers with the matching body and content type.
    """

    async def metrics_handler(request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encoder(registry), headers={"Content-Type": content_type})

    return metrics_handler
