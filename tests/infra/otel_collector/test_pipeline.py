"""The service's telemetry through the real collector: metrics that page, traces and logs that carry the trace id.

One stack per module: the fake LLM and the service as subprocesses, the
service exporting OTLP (metrics every second) to the collector built from Go
modules running otel-collector/config.yaml plus the tests' overlay (loopback
ports, the batch timeout cut to 200 ms, and traces and logs written to files
by the file exporter), a real Prometheus scraping nothing but the
collector's Prometheus exporter with the project's rules time-compressed, and
a real Alertmanager delivering to a local webhook. So every alert here is
computed from series that went service → OTLP → collector → exporter, the
path an SRE relies on when the collector is the only scrape target.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import yaml

from babyshield_chat.alerting.thresholds import load_thresholds
from babyshield_chat.devtools.polling import until
from babyshield_chat.devtools.processes import FakeLlmProcess
from tests.support.collector import Collector, log_records, spans
from tests.support.paging import start_paging
from tests.support.paths import REPO_ROOT
from tests.support.prometheus import Prometheus, settle
from tests.support.promql import metric_names
from tests.support.service import DrillService
from tests.support.traffic import CHAT_PATH, TrafficGenerator, canary_users
from tests.support.webhook import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

THRESHOLDS = load_thresholds()
BLOCKED_USER = "denied-parent"
PAGER = "pager"
FIRE_TIMEOUT_SEC = 45
RESOLVE_TIMEOUT_SEC = 45
EXPORT_TIMEOUT_SEC = 20  # a span or log record reaches the file: SDK batch + collector batch + file flush
# Spec section 5: the labels of the request counter, whatever path the series took.
REQUEST_LABELS = {"endpoint", "intent", "outcome", "circuit"}
# Labels the scrape adds (job, instance) and the exporter's own job/instance, renamed by Prometheus.
SCRAPE_LABELS = {"__name__", "job", "instance", "exported_job", "exported_instance"}


@dataclasses.dataclass
class Stack:
    collector: Collector
    service: DrillService
    fake_llm: FakeLlmProcess
    prometheus: Prometheus
    webhook: WebhookReceiver
    traffic: TrafficGenerator
    exports: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(otelcol: str, module_database_url: str, alertmanager_binary: str,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    log_dir = tmp_path_factory.mktemp("collector-e2e")
    exports = tmp_path_factory.mktemp("collector-exports")
    async with contextlib.AsyncExitStack() as stop:
        collector = Collector(otelcol, export_dir=exports, batch_timeout="200ms")
        stop.callback(collector.stop)
        await asyncio.to_thread(collector.start)
        fake_llm = FakeLlmProcess(log_dir=log_dir, separate_stderr=True)
        stop.callback(fake_llm.stop)
        await fake_llm.wait_ready_async()
        service = DrillService(log_dir, database_url=module_database_url, llm=fake_llm, env={
            "BS_FEATURE_CHAT_DENYLIST": BLOCKED_USER,
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp_http_endpoint,
            # Time compression, as for the rules: metrics every second, spans and logs within 200 ms.
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
        })
        stop.callback(service.stop)
        await service.wait_ready_async()
        # The collector's exporter is the only target: the rules see nothing the collector did not pass on.
        paging = await start_paging(stop, alertmanager_binary=alertmanager_binary,
                                    target=collector.prometheus_target, thresholds=THRESHOLDS)
        traffic = TrafficGenerator(service.url, canary_users(24, within_pct=1.0), rps=4.0,
                                   blocked_user=BLOCKED_USER, blocked_every=10)
        stop.push_async_callback(traffic.stop)
        await traffic.start()
        yield Stack(collector, service, fake_llm, paging.prometheus, paging.webhook, traffic, exports)
        assert not traffic.failures, f"requests the service dropped: {traffic.failures[:5]}"


async def healthy(stack: Stack) -> None:
    """Traffic above the rules' minimum and no errors, as Prometheus sees them through the collector."""
    await stack.service.clear_faults()
    await settle(stack.prometheus.url, THRESHOLDS.traffic_query,
                 lambda v: v is not None and v >= THRESHOLDS.min_request_rate)
    await settle(stack.prometheus.url, THRESHOLDS.gate("error_rate").query, lambda v: v == 0)


async def prometheus_get(stack: Stack, path: str, **params: str) -> object:
    async with aiohttp.ClientSession() as session, session.get(f"{stack.prometheus.url}{path}",
                                                               params=params) as response:
        body = await response.json()
    assert response.status == 200 and body["status"] == "success", body
    return body["data"]


async def names_through_the_collector(stack: Stack) -> set[str]:
    names = await prometheus_get(stack, "/api/v1/label/__name__/values", **{"match[]": f'{{job="{THRESHOLDS.job}"}}'})
    return {name for name in names if name.startswith("chat_")}


def rule_metric_names() -> set[str]:
    rules = yaml.safe_load((REPO_ROOT / "infra/prometheus/chat.rules.yml").read_text(encoding="utf-8"))
    return {name for group in rules["groups"] for rule in group["rules"]
            for name in metric_names(rule["expr"]) if name.startswith("chat_")}


# -- metrics -------------------------------------------------------------------------------------


async def test_the_series_the_rules_read_reach_prometheus_through_the_collector_under_the_spec_names(
        stack: Stack) -> None:
    await healthy(stack)
    needed = rule_metric_names()
    assert "chat_requests_total" in needed and "chat_request_duration_seconds_bucket" in needed

    async def every_needed_series() -> set[str] | None:
        found = await names_through_the_collector(stack)
        return found if needed <= found else None

    via_collector = await until(every_needed_series, what=f"{sorted(needed)} through the collector", timeout=30)
    direct = {name for name in await stack.service.metric_names() if name.startswith("chat_")}

    # Spec section 5: names identical whether scraped from /metrics or from the collector's exporter.
    assert via_collector == direct
    series = await prometheus_get(stack, "/api/v1/series", **{"match[]": "chat_requests_total"})
    label_sets = {frozenset(s) - SCRAPE_LABELS for s in series}
    assert label_sets == {frozenset(REQUEST_LABELS)}, label_sets  # no otel_scope_* or resource labels


async def test_injected_errors_page_through_the_collector_and_resolve(stack: Stack) -> None:
    gate = THRESHOLDS.gate("error_rate")
    await healthy(stack)

    await stack.service.set_faults(error_ratio=1.0)
    induced_at = time.monotonic()
    page = await stack.webhook.wait_for(lambda d: d.alertname == gate.critical_alert and d.status == "firing",
                                        after=induced_at, timeout=FIRE_TIMEOUT_SEC)
    await stack.service.clear_faults()
    cleared_at = time.monotonic()
    resolved = await stack.webhook.wait_for(lambda d: d.alertname == gate.critical_alert and d.status == "resolved",
                                            after=cleared_at, timeout=RESOLVE_TIMEOUT_SEC)

    assert page.receiver_path == resolved.receiver_path == PAGER
    assert page.labels["severity"] == "critical" and page.labels["gate"] == "error_rate"
    print(f"{gate.critical_alert} through the collector: paged {page.received_at - induced_at:.1f} s after "
          f"the fault, resolved {resolved.received_at - cleared_at:.1f} s after it was cleared")


# -- traces and logs ---------------------------------------------------------------------------------


async def test_a_requests_spans_and_its_chat_request_log_record_leave_the_collector_with_its_trace_id(
        stack: Stack) -> None:
    secret_words = f"zebulon-{uuid.uuid4().hex[:8]}"  # only in the message: it must not be exported
    user = canary_users(1, within_pct=1.0, prefix=f"otel-{uuid.uuid4().hex[:6]}")[0]
    async with aiohttp.ClientSession() as session, session.post(
            stack.service.url + CHAT_PATH, headers={"X-User-Id": user},
            json={"message": f"Is the {secret_words} crib recalled?",
                  "product": {"name": "Dream Sleeper crib", "brand": "Acme", "category": "crib"}}) as response:
        assert response.status == 200, await response.text()
        trace_id = response.headers["X-Trace-Id"]

    traces_file, logs_file = stack.exports / "traces.jsonl", stack.exports / "logs.jsonl"

    def request_spans() -> list[dict]:
        found = [span for span in spans(traces_file) if span["traceId"] == trace_id]
        # The server span ends last: once it is there, so are its children.
        return found if any(not span.get("parentSpanId") for span in found) else []

    def chat_request_records() -> list[dict]:
        return [record for record in log_records(logs_file)
                if record.get("traceId") == trace_id and _body(record).get("event") == "chat_request"]

    exported_spans = await until(request_spans, what=f"the spans of trace {trace_id} in {traces_file}",
                                 timeout=EXPORT_TIMEOUT_SEC)
    [record] = await until(chat_request_records, what=f"the chat_request log record of trace {trace_id}",
                           timeout=EXPORT_TIMEOUT_SEC)

    names = {span["name"] for span in exported_spans}
    assert {"chat.gate", "chat.classify"} <= names, names
    assert any(name.startswith("execute_tool ") for name in names), names
    [server] = [span for span in exported_spans if not span.get("parentSpanId")]
    assert server["name"] == f"POST {CHAT_PATH}"
    assert record["spanId"] in {span["spanId"] for span in exported_spans}
    assert _body(record)["trace_id"] == trace_id
    # Privacy (spec section 5): neither the message nor the raw user id leaves the collector.
    for path in (traces_file, logs_file):
        text = path.read_text(encoding="utf-8")
        assert secret_words not in text and user not in text, path.name


def _body(record: dict) -> dict:
    """The service's JSON log line, which is the record's body (spec section 5)."""
    line = record.get("body", {}).get("stringValue", "")
    try:
        parsed = json.loads(line)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


# -- the collector fails --------------------------------------------------------------------------


async def test_a_dead_collector_pages_metrics_absent_while_parents_still_get_answers_and_heals_on_restart(
        stack: Stack) -> None:
    alert = THRESHOLDS.signal("metrics_absent").alert
    await healthy(stack)

    await asyncio.to_thread(stack.collector.kill)
    killed_at = time.monotonic()
    page = await stack.webhook.wait_for(lambda d: d.alertname == alert and d.status == "firing",
                                        after=killed_at, timeout=FIRE_TIMEOUT_SEC)
    answered = stack.traffic.since(killed_at)
    await asyncio.to_thread(stack.collector.start)
    restarted_at = time.monotonic()
    resolved = await stack.webhook.wait_for(lambda d: d.alertname == alert and d.status == "resolved",
                                            after=restarted_at, timeout=RESOLVE_TIMEOUT_SEC)

    assert page.receiver_path == resolved.receiver_path == PAGER
    # Telemetry is never on the request path: the service answered as usual without its collector.
    assert answered and {e.status for e in answered} <= {200, 403}, {e.status for e in answered}
