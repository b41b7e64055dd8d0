"""What an SRE scraping /metrics sees: the spec's metric table, exactly.

Names, label sets and bucket edges are written out here from spec section 5
rather than taken from the code, so a rename on either side fails a test.
"""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from babyshield_chat import __version__
from babyshield_chat.telemetry import Telemetry, TelemetrySettings
from babyshield_chat.telemetry.testing import metric_points

MODEL = "gpt-4o-mini"

# Sample name -> label keys, from the spec's table (histograms: the _count series).
SPEC_SERIES = {
    "chat_requests_total": {"endpoint", "intent", "outcome", "circuit"},
    "chat_request_duration_seconds_count": {"endpoint", "outcome"},
    "chat_tool_duration_seconds_count": {"tool", "outcome"},
    "chat_synth_duration_seconds_count": {"model", "outcome"},
    "chat_fallbacks_total": {"reason"},
    "chat_circuit_state": {"breaker"},
    "chat_circuit_short_circuits_total": {"breaker"},
    "chat_retries_total": {"dependency"},
    "chat_llm_requests_total": {"model", "outcome"},
    "chat_llm_tokens_total": {"model", "direction"},
    "chat_llm_cost_usd_total": {"model"},
    "chat_flag_enabled": set(),
    "chat_flag_rollout_ratio": set(),
    "chat_inflight_requests": set(),
    "chat_db_pool_connections": {"state"},
    "chat_db_acquire_duration_seconds_count": set(),
    # Spec section 11: what the dashboard's version and flag-change annotations read.
    "chat_build_info": {"version"},
    "chat_flag_changes_total": {"source"},
}

SPEC_BUCKET_EDGES = {
    "chat_request_duration_seconds": {"0.1", "0.25", "0.5", "1", "1.5", "2", "2.5", "2.8", "3", "4", "5", "10"},
    "chat_tool_duration_seconds": {"0.05", "0.1", "0.25", "0.5", "0.8", "1.2", "2"},
    "chat_synth_duration_seconds": {"0.25", "0.5", "1", "1.5", "2", "2.5", "3"},
}


def record_one_of_each(telemetry: Telemetry) -> None:
    metrics = telemetry.metrics
    metrics.record_request("conversation", "recall_details", "ok", False, 0.3)
    metrics.record_tool("recall_lookup", "ok", 0.12)
    metrics.record_synth(MODEL, "ok", 0.9)
    metrics.record_fallback("timeout")
    metrics.set_circuit_state("llm:synth", 2)
    metrics.count_short_circuit("llm:synth")
    metrics.count_retry("llm")
    metrics.record_llm_request(MODEL, "ok")
    metrics.add_tokens(MODEL, 120, 45)
    metrics.add_cost(MODEL, 0.0015)
    metrics.observe_flags(lambda: (True, 0.25))
    metrics.observe_inflight(lambda: 1)
    metrics.observe_db_pool(lambda: (3, 7, 10))
    metrics.record_db_acquire(0.002)
    metrics.count_flag_change("override")
    metrics.count_flag_change("override")


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry.for_tests()


@pytest.fixture
async def client(telemetry: Telemetry) -> AsyncIterator[TestClient]:
    app = web.Application()
    app.router.add_get("/metrics", telemetry.metrics_handler)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def scrape(client: TestClient, accept: str | None = None) -> str:
    response = await client.get("/metrics", headers={"Accept": accept} if accept else {})
    assert response.status == 200
    return await response.text()


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


async def test_scrape_exposes_every_spec_metric_with_exactly_its_labels(telemetry, client):
    record_one_of_each(telemetry)

    series = {name: set(labels) for name, labels, _ in samples(await scrape(client)) if name in SPEC_SERIES}

    assert series == SPEC_SERIES


async def test_scrape_has_no_series_beyond_the_spec_and_target_info(telemetry, client):
    record_one_of_each(telemetry)
    text = await scrape(client)

    names = {name for name, _, _ in samples(text)}

    histograms = {name.removesuffix("_count") for name in SPEC_SERIES if name.endswith("_count")}
    expected = (
        {name for name in SPEC_SERIES if not name.endswith("_count")}
        | {f"{base}_{suffix}" for base in histograms for suffix in ("bucket", "count", "sum")}
        | {"target_info"}
    )
    assert names == expected
    assert "otel_scope" not in text


async def test_scrape_shows_recorded_values_in_prometheus_text(telemetry, client):
    record_one_of_each(telemetry)

    lines = set((await scrape(client)).splitlines())

    assert {
        "# TYPE chat_requests_total counter",
        'chat_requests_total{circuit="closed",endpoint="conversation",intent="recall_details",outcome="ok"} 1.0',
        "# TYPE chat_request_duration_seconds histogram",
        'chat_request_duration_seconds_count{endpoint="conversation",outcome="ok"} 1.0',
        'chat_request_duration_seconds_sum{endpoint="conversation",outcome="ok"} 0.3',
        'chat_tool_duration_seconds_count{outcome="ok",tool="recall_lookup"} 1.0',
        'chat_synth_duration_seconds_count{model="gpt-4o-mini",outcome="ok"} 1.0',
        'chat_fallbacks_total{reason="timeout"} 1.0',
        "# TYPE chat_circuit_state gauge",
        'chat_circuit_state{breaker="llm:synth"} 2.0',
        'chat_circuit_short_circuits_total{breaker="llm:synth"} 1.0',
        'chat_retries_total{dependency="llm"} 1.0',
        'chat_llm_requests_total{model="gpt-4o-mini",outcome="ok"} 1.0',
        'chat_llm_tokens_total{direction="input",model="gpt-4o-mini"} 120.0',
        'chat_llm_tokens_total{direction="output",model="gpt-4o-mini"} 45.0',
        'chat_llm_cost_usd_total{model="gpt-4o-mini"} 0.0015',
        "chat_flag_enabled 1.0",
        "chat_flag_rollout_ratio 0.25",
        "# TYPE chat_inflight_requests gauge",
        "chat_inflight_requests 1.0",
        'chat_db_pool_connections{state="in_use"} 3.0',
        'chat_db_pool_connections{state="idle"} 7.0',
        'chat_db_pool_connections{state="max"} 10.0',
        "chat_db_acquire_duration_seconds_count 1.0",
        "# TYPE chat_build_info gauge",
        f'chat_build_info{{version="{__version__}"}} 1.0',
        "# TYPE chat_flag_changes_total counter",
        'chat_flag_changes_total{source="override"} 2.0',
        'chat_flag_changes_total{source="env"} 0.0',
    } <= lines


@pytest.mark.parametrize("histogram", sorted(SPEC_BUCKET_EDGES))
async def test_histograms_have_the_spec_bucket_edges_as_written(telemetry, client, histogram):
    record_one_of_each(telemetry)
    text = await scrape(client)

    edges = {labels["le"] for name, labels, _ in samples(text) if name == f"{histogram}_bucket"}
    # The raw text too: `le="2.8"`, not 2.80000001, and `le="1"` like the collector prints it.
    raw_edges = {
        line.split('le="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith(f"{histogram}_bucket")
    }

    assert SPEC_BUCKET_EDGES[histogram] <= edges
    assert SPEC_BUCKET_EDGES[histogram] <= raw_edges


async def test_request_latency_counts_cumulatively_around_the_p95_threshold(telemetry, client):
    for seconds in (0.3, 2.7, 2.9):
        telemetry.metrics.record_request("conversation", "recall_details", "ok", False, seconds)

    buckets = {
        labels["le"]: value
        for name, labels, value in samples(await scrape(client))
        if name == "chat_request_duration_seconds_bucket"
    }

    assert (buckets["0.25"], buckets["0.5"], buckets["2.8"], buckets["3"], buckets["+Inf"]) == (0, 1, 2, 3, 3)


async def test_metrics_handler_serves_prometheus_text_by_default(client):
    response = await client.get("/metrics")

    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")


async def test_metrics_handler_serves_openmetrics_when_the_scraper_asks(telemetry, client):
    record_one_of_each(telemetry)

    response = await client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    text = await response.text()

    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert text.endswith("# EOF\n")
    assert 'chat_fallbacks_total{reason="timeout"} 1.0' in text


async def test_two_telemetries_in_one_process_expose_only_their_own_series():
    first, second = Telemetry.for_tests(), Telemetry.for_tests()
    first.metrics.record_fallback("timeout")
    second.metrics.record_fallback("spend_cap")
    app = web.Application()
    app.router.add_get("/metrics", second.metrics_handler)

    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        text = await scrape(test_client)

    assert 'chat_fallbacks_total{reason="spend_cap"} 1.0' in text
    assert 'reason="timeout"' not in text


def test_otlp_metric_names_are_the_prometheus_names(telemetry):
    record_one_of_each(telemetry)

    data = telemetry.metric_reader.get_metrics_data()
    names = {metric.name for rm in data.resource_metrics for sm in rm.scope_metrics for metric in sm.metrics}

    # The collector's Prometheus exporter keeps OTLP names as they are, so
    # these must already be the final names.
    assert names == {name.removesuffix("_count") for name in SPEC_SERIES}


def test_label_values_outside_the_closed_sets_are_recorded_as_other(telemetry):
    telemetry.metrics.record_request("/api/v1/chat/conversations/123", "tell me a joke", "teapot", False, 0.1)
    telemetry.metrics.record_llm_request("model-from-the-request", "ok")
    telemetry.metrics.count_flag_change("database")

    [request] = metric_points(telemetry, "chat_requests_total")
    [llm] = metric_points(telemetry, "chat_llm_requests_total")
    [flag_change] = [p for p in metric_points(telemetry, "chat_flag_changes_total") if p.value]

    assert request.attributes == {"endpoint": "other", "intent": "other", "outcome": "other", "circuit": "closed"}
    assert llm.attributes == {"model": "other", "outcome": "ok"}
    assert flag_change.attributes == {"source": "other"}


def test_build_info_is_one_labelled_with_the_configured_service_version():
    telemetry = Telemetry.for_tests(TelemetrySettings(service_version="2.0.1", prometheus_enabled=False))

    [point] = metric_points(telemetry, "chat_build_info")

    assert (point.attributes, point.value) == ({"version": "2.0.1"}, 1)


def test_configured_models_are_accepted_as_labels():
    telemetry = Telemetry.for_tests(TelemetrySettings(llm_models=("gpt-4o", "router-small")))

    telemetry.metrics.record_llm_request("router-small", "timeout")

    [point] = metric_points(telemetry, "chat_llm_requests_total")
    assert point.attributes == {"model": "router-small", "outcome": "timeout"}


def test_a_short_circuited_request_is_counted_with_circuit_open(telemetry):
    telemetry.metrics.record_request("conversation", "recall_details", "fallback", True, 0.01)

    [point] = metric_points(telemetry, "chat_requests_total")
    assert point.attributes["circuit"] == "open"


@pytest.mark.parametrize("state", [3, -1, True])
def test_circuit_state_refuses_values_other_than_closed_half_open_open(telemetry, state):
    with pytest.raises(ValueError):
        telemetry.metrics.set_circuit_state("llm:synth", state)


def test_circuit_state_gauge_shows_the_latest_state(telemetry):
    telemetry.metrics.set_circuit_state("tool:age_check", 2)
    telemetry.metrics.set_circuit_state("tool:age_check", 1)

    [point] = metric_points(telemetry, "chat_circuit_state")
    assert (point.attributes, point.value) == ({"breaker": "tool:age_check"}, 1)


def test_flag_gauges_read_the_effective_values_at_each_collection(telemetry):
    effective = {"enabled": True, "ratio": 0.10}
    telemetry.metrics.observe_flags(lambda: (effective["enabled"], effective["ratio"]))
    assert [p.value for p in metric_points(telemetry, "chat_flag_rollout_ratio")] == [0.10]

    effective.update(enabled=False, ratio=0.25)

    assert [p.value for p in metric_points(telemetry, "chat_flag_enabled")] == [0]
    assert [p.value for p in metric_points(telemetry, "chat_flag_rollout_ratio")] == [0.25]


async def test_a_failing_flag_source_drops_the_flag_gauges_but_not_the_scrape(telemetry, client):
    def broken() -> tuple[bool, float]:
        raise RuntimeError("override table unreadable")

    telemetry.metrics.observe_flags(broken)
    telemetry.metrics.record_fallback("timeout")

    text = await scrape(client)

    assert 'chat_fallbacks_total{reason="timeout"} 1.0' in text
    assert "chat_flag_enabled " not in text


def test_inflight_gauge_reads_its_source_at_collection(telemetry):
    inflight = [3]
    telemetry.metrics.observe_inflight(lambda: inflight[0])
    assert [p.value for p in metric_points(telemetry, "chat_inflight_requests")] == [3]
    inflight[0] = 0
    assert [p.value for p in metric_points(telemetry, "chat_inflight_requests")] == [0]


def test_zero_or_negative_usage_adds_no_tokens_or_cost(telemetry):
    telemetry.metrics.add_tokens(MODEL, 0, -3)
    telemetry.metrics.add_cost(MODEL, 0.0)

    assert metric_points(telemetry, "chat_llm_tokens_total") == []
    assert metric_points(telemetry, "chat_llm_cost_usd_total") == []


def test_pool_gauge_has_no_series_before_a_pool_is_observed(telemetry):
    assert metric_points(telemetry, "chat_db_pool_connections") == []
