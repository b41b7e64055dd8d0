"""The alerting chain end to end: induced failures of the real service page, and heal.

One stack per module, started once: the fake LLM and the service as
subprocesses (`babyshield-chat fake-llm`, `babyshield-chat serve`), a real
Prometheus scraping the service every second with the project's rules
time-compressed (`TIME_SCALE`: `for: 5m` holds 2.5 s), a real Alertmanager
running infra/alertmanager/alertmanager.yml with its receivers pointed at a
local webhook, and steady traffic. Each drill induces one failure the way an
SRE would in staging (the fault endpoint, the fake LLM's control endpoint),
waits for the critical alert at the receiver its severity routes to, clears
the fault and waits for the resolved notification; the time from the fault
to the page is printed at the end of the run.

The same stack then proves the dashboard's queries, the CloudWatch filters
and alarms (on the service's real log lines) and the rollout guard (reading
this Prometheus) against the real service rather than synthetic data.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
import yaml

from babyshield_chat.devtools.alerting.cloudwatch_alarms import alarm_period_minutes, alarm_states, publish
from babyshield_chat.devtools.alerting.cloudwatch_patterns import (
    compile_pattern,
    parse_line,
    select_value,
)
from babyshield_chat.alerting.thresholds import Gate, load_thresholds
from babyshield_chat.config import FlagSettings
from babyshield_chat.flags import overrides
from babyshield_chat.rollout.policy import load_policy
from babyshield_chat.rollout.prometheus import PrometheusClient
from babyshield_chat.rollout.runner import RolloutGuard
from babyshield_chat.devtools.processes import FakeLlmProcess

from tests.support.alertmanager import Alertmanager
from tests.support.paging import start_paging
from tests.support.paths import REPO_ROOT
from tests.support.prometheus import TIME_SCALE, Prometheus, settle
from tests.support.promql import metric_names
from tests.support.rollout import drill_policy_yaml, run_until_it_acts, start_rollout
from tests.support.service import DrillService
from tests.support.traffic import Exchange, TrafficGenerator, canary_users
from tests.support.webhook import Delivery, WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

THRESHOLDS = load_thresholds()
# The service's own flag settings: chat on for everyone until an override says otherwise.
SERVICE_FLAGS = FlagSettings(enabled=True, rollout_pct=1.0)
FIRST_PHASE_PCT = 0.10
# The env label Prometheus gives the service's target: every page must carry it.
ENV = "e2e"
BLOCKED_USER = "denied-parent"
TRAFFIC_RPS = 4.0
BLOCKED_EVERY = 10  # one request in ten comes from the denylisted user
# The critical tier of every gate pages (spec section 6: critical → pager).
PAGER = "pager"
INJECTED_LATENCY_MS = 3000  # above the 2.8 s rollback trigger once the request is done
FIRE_TIMEOUT_SEC = 45
RESOLVE_TIMEOUT_SEC = 45
FLAG_PROPAGATION_LIMIT_SEC = 2.0  # spec section 3: every instance applies an override within 2 s
PHASE_REQUESTS = 12  # served requests per captured log phase (one replayed minute): above the alarms' 30 per 5 minutes


@dataclasses.dataclass
class Stack:
    fake_llm: FakeLlmProcess
    service: DrillService
    prometheus: Prometheus
    alertmanager: Alertmanager
    webhook: WebhookReceiver
    traffic: TrafficGenerator


@dataclasses.dataclass(frozen=True)
class Timing:
    alert: str
    to_page_sec: float
    to_resolved_sec: float


TIMINGS: list[Timing] = []


@pytest.fixture(scope="module", autouse=True)
def report_timings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print failure → page times after the module, in the test output even without -s."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not TIMINGS:
        return
    reporter.write_line("")
    reporter.write_line("alert delivery (induced failure → webhook; fault cleared → resolved):")
    for t in TIMINGS:
        reporter.write_line(f"  {t.alert:<32} {t.to_page_sec:5.1f} s   resolved {t.to_resolved_sec:5.1f} s")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(module_database_url: str, alertmanager_binary: str,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    log_dir = tmp_path_factory.mktemp("alerts-e2e")
    async with contextlib.AsyncExitStack() as stop:
        fake_llm = FakeLlmProcess(log_dir=log_dir, separate_stderr=True)
        stop.callback(fake_llm.stop)
        await fake_llm.wait_ready_async()
        service = DrillService(log_dir, database_url=module_database_url, llm=fake_llm, env={
            "BS_FEATURE_CHAT_DENYLIST": BLOCKED_USER,
            # The breaker closes soon after the LLM heals, so the circuit alert can resolve.
            "BS_BREAKER_RESET_SEC": "1",
        })
        stop.callback(service.stop)
        await service.wait_ready_async()
        paging = await start_paging(stop, alertmanager_binary=alertmanager_binary, target=service.target,
                                    thresholds=THRESHOLDS, env=ENV)
        traffic = TrafficGenerator(service.url, canary_users(24, within_pct=FIRST_PHASE_PCT), rps=TRAFFIC_RPS,
                                   blocked_user=BLOCKED_USER, blocked_every=BLOCKED_EVERY)
        stop.push_async_callback(traffic.stop)
        await traffic.start()
        yield Stack(fake_llm, service, paging.prometheus, paging.alertmanager, paging.webhook, traffic)
        assert not traffic.failures, f"requests the service dropped: {traffic.failures[:5]}"


# -- shared steps ------------------------------------------------------------------------------


DRILLED_GATES = ("error_rate", "latency_p95", "circuit_rate", "fallback_rate")


async def healthy(stack: Stack) -> None:
    """No fault anywhere, and Prometheus' windows clear of whatever a previous test induced."""
    await stack.service.clear_faults()
    await stack.fake_llm.reset()
    url = stack.prometheus.url
    await settle(url, THRESHOLDS.traffic_query, lambda v: v is not None and v >= THRESHOLDS.min_request_rate)
    for key in ("error_rate", "circuit_rate", "fallback_rate"):
        await settle(url, THRESHOLDS.gate(key).query, lambda v: v == 0)
    await settle(url, THRESHOLDS.gate("latency_p95").query, lambda v: v is not None and v < 1)
    firing = f'count(ALERTS{{alertstate="firing",gate=~"{"|".join(DRILLED_GATES)}"}})'
    await settle(url, firing, lambda v: v is None)


async def drill(stack: Stack, gates: tuple[Gate, ...], induce: Callable[[], Awaitable[None]],
                clear: Callable[[], Awaitable[None]]) -> None:
    """Induce a failure, see each gate's critical alert paged and its warning inhibited, clear, see them resolve."""
    await healthy(stack)
    await induce()
    induced_at = time.monotonic()
    pages = {gate.key: await stack.webhook.wait_for(
        lambda d, g=gate: d.alertname == g.critical_alert and d.status == "firing",
        after=induced_at, timeout=FIRE_TIMEOUT_SEC) for gate in gates}
    for gate in gates:
        assert_paged(pages[gate.key], gate)
        await assert_warning_inhibited(stack.alertmanager, gate)
    await clear()
    cleared_at = time.monotonic()
    for gate in gates:
        resolved = await stack.webhook.wait_for(
            lambda d, g=gate: d.alertname == g.critical_alert and d.status == "resolved",
            after=cleared_at, timeout=RESOLVE_TIMEOUT_SEC)
        assert resolved.receiver_path == PAGER
        timing = Timing(gate.critical_alert, pages[gate.key].received_at - induced_at,
                        resolved.received_at - cleared_at)
        TIMINGS.append(timing)
        print(f"{timing.alert}: paged {timing.to_page_sec:.1f} s after the fault, "
              f"resolved {timing.to_resolved_sec:.1f} s after it was cleared")


def assert_paged(page: Delivery, gate: Gate) -> None:
    tier = gate.critical_tier
    assert page.receiver_path == PAGER, page
    assert page.labels["severity"] == tier.severity == "critical", page.labels
    assert page.labels["action"] == tier.action, page.labels
    assert page.labels["gate"] == gate.key, page.labels
    assert page.labels.get("rollback_trigger") == ("true" if gate.rollback_trigger else None), page.labels
    assert page.labels["env"] == ENV, page.labels
    assert page.annotations["summary"].startswith(f"[{ENV}] "), page.annotations
    assert page.annotations["runbook_url"] == THRESHOLDS.runbook_link(gate.runbook_anchor)
    assert page.annotations["dashboard"] == f"{THRESHOLDS.links.dashboard_url}?var-env={ENV}"


async def assert_warning_inhibited(alertmanager: Alertmanager, gate: Gate, timeout: float = 10) -> None:
    """The warning tier reached Alertmanager too, and the firing critical silences it (inhibit_rules)."""
    deadline = time.monotonic() + timeout
    while True:
        alerts = await alertmanager.alerts(gate.warning_alert)
        states = [(a["status"]["state"], a["status"]["inhibitedBy"]) for a in alerts]
        if any(state == "suppressed" and inhibited_by for state, inhibited_by in states):
            return
        assert time.monotonic() < deadline, f"{gate.warning_alert} not inhibited in Alertmanager: {states}"
        await asyncio.sleep(0.25)


# -- the alerts ----------------------------------------------------------------------------------


async def test_injected_errors_page_the_error_rate_rollback_trigger_and_resolve(stack: Stack) -> None:
    await drill(stack, (THRESHOLDS.gate("error_rate"),),
                induce=lambda: stack.service.set_faults(error_ratio=1.0),
                clear=stack.service.clear_faults)


async def test_injected_latency_pages_the_p95_rollback_trigger_and_resolves(stack: Stack) -> None:
    await drill(stack, (THRESHOLDS.gate("latency_p95"),),
                induce=lambda: stack.service.set_faults(added_latency_ms=INJECTED_LATENCY_MS),
                clear=stack.service.clear_faults)


async def test_a_failing_llm_opens_the_breaker_and_pages_circuit_and_fallback_rates_then_resolves(
        stack: Stack) -> None:
    await drill(stack, (THRESHOLDS.gate("circuit_rate"), THRESHOLDS.gate("fallback_rate")),
                induce=lambda: stack.fake_llm.set_mode(fault="server_error"),
                clear=stack.fake_llm.reset)
    metrics = await stack.service.metric_names()
    assert "chat_circuit_short_circuits_total" in metrics  # the fallbacks were the breaker's, not the LLM's


# -- the dashboard ---------------------------------------------------------------------------------


def dashboard_queries() -> list[tuple[str, str]]:
    """Every panel and annotation query, with the variables as Grafana sends them (this env, all instances)."""
    dashboard = json.loads((REPO_ROOT / "infra/grafana/dashboards/babyshield-chat.json").read_text())
    values = {"env": ENV, "instance": ".*"}
    assert {v["name"] for v in dashboard["templating"]["list"]} == set(values)

    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    def grafana(expr: str) -> str:
        for name, value in values.items():
            expr = expr.replace(f"${name}", value)
        assert "$" not in expr, expr
        return expr

    queries = [(panel["title"], target["expr"]) for panel in panels(dashboard["panels"])
               for target in panel.get("targets", [])]
    queries += [(f"annotation {a['name']}", a["expr"]) for a in dashboard["annotations"]["list"]]
    return [(title, grafana(expr)) for title, expr in queries]


async def failures_counted_once(stack: Stack, names: set[str], timeout: float = 20) -> None:
    """Counters such as fallbacks and retries appear at their first event: fail the LLM until they exist."""
    if names <= await stack.service.metric_names():
        return
    await stack.fake_llm.set_mode(fault="server_error")
    try:
        deadline = time.monotonic() + timeout
        while not names <= await stack.service.metric_names():
            assert time.monotonic() < deadline, f"{sorted(names)} never appeared on /metrics"
            await asyncio.sleep(0.25)
    finally:
        await stack.fake_llm.reset()


async def test_every_dashboard_query_runs_on_live_prometheus_and_reads_only_known_metrics(stack: Stack) -> None:
    await failures_counted_once(stack, {"chat_fallbacks_total", "chat_retries_total", "chat_circuit_state"})
    await healthy(stack)
    exposed = await stack.service.metric_names()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.prometheus.url}/api/v1/rules") as response:
            groups = (await response.json())["data"]["groups"]
        recorded = {rule["name"] for group in groups for rule in group["rules"] if rule["type"] == "recording"}
        queries = dashboard_queries()
        assert queries, "the dashboard has no queries"
        for title, expr in queries:
            async with session.get(f"{stack.prometheus.url}/api/v1/query", params={"query": expr}) as response:
                body = await response.json()
            assert response.status == 200 and body["status"] == "success", f"{title}: {expr}: {body}"
            names = metric_names(expr)
            assert names, f"{title}: no metric read by {expr!r}"
            unknown = {n for n in names if n not in (recorded if ":" in n else exposed)}
            assert not unknown, f"{title}: {expr!r} reads {sorted(unknown)}, which neither /metrics nor a rule has"


# -- CloudWatch, fed with the service's real log lines ---------------------------------------


@dataclasses.dataclass(frozen=True)
class Phase:
    lines: list[str]  # every line the service printed, chat_request or not
    exchanges: dict[str, Exchange]  # by trace id, for each chat_request line


async def capture(stack: Stack, induce: Callable[[], Awaitable[None]] | None = None,
                  timeout: float = 30) -> Phase:
    """The service's stdout while `PHASE_REQUESTS` requests are served under a fault (or none)."""
    if induce is not None:
        await induce()
    # Requests sent before the fault (a previous phase's slow ones, say) must not log inside this phase.
    await stack.traffic.drain(before=time.monotonic())
    begin, started = stack.service.log_offset(), time.monotonic()
    deadline = started + timeout
    while sum(1 for e in stack.traffic.since(started) if e.error_code != "chat_disabled") < PHASE_REQUESTS:
        assert time.monotonic() < deadline, "the traffic stalled"
        await asyncio.sleep(0.1)
    end = stack.service.log_offset()
    lines = stack.service.output_lines(since=begin, until=end)
    traces = {json.loads(line)["trace_id"] for line in stack.service.chat_request_lines(since=begin, until=end)}
    # A line is logged just before its response is sent: wait for the client to have every answer.
    while not traces <= {e.trace_id for e in stack.traffic.exchanges}:
        assert time.monotonic() < deadline, "responses of logged requests never arrived"
        await asyncio.sleep(0.1)
    return Phase(lines, {e.trace_id: e for e in stack.traffic.exchanges if e.trace_id in traces})


# What each metric filter must count, from what the client saw of the same request.
def _served(e: Exchange) -> bool:
    return e.error_code != "chat_disabled"


FILTER_EXPECTATIONS: dict[str, Callable[[Exchange], bool]] = {
    "ChatRequestsAll": lambda e: True,
    "ChatRequests": _served,
    "ChatErrors": lambda e: e.status >= 500,
    "ChatFallbacks": lambda e: e.synthesizer == "fallback",
    "ChatCircuitOpen": lambda e: e.fallback_reason == "circuit_open",
    "ChatBlocked": lambda e: e.error_code == "chat_disabled",
    "ChatLatency": _served,
}
# What each flag-line filter must count, from the service's chat_flag_state lines.
FLAG_FILTER_EXPECTATIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "ChatFlagLines": lambda record: True,
    "ChatRolloutActive": lambda record: record["enabled"] is True and record["rollout_pct"] > 0,
}


def is_flag_line(line: str) -> bool:
    record = parse_line(line)
    return isinstance(record, dict) and record.get("event") == "chat_flag_state"


def assert_flag_filters_match_exactly(template: dict[str, Any], lines: list[str]) -> None:
    filters = {r["Properties"]["MetricTransformations"][0]["MetricName"]: r["Properties"]
               for r in template["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"}
    for name, expectation in FLAG_FILTER_EXPECTATIONS.items():
        pattern = compile_pattern(filters[name]["FilterPattern"])
        matched = [line for line in lines if pattern.matches(line)]
        expected = [line for line in lines if is_flag_line(line) and expectation(json.loads(line))]
        assert matched == expected, f"{name} ({filters[name]['FilterPattern']}) matched the wrong lines"


def is_chat_request(line: str) -> bool:
    record = parse_line(line)
    return isinstance(record, dict) and record.get("event") == "chat_request"


def assert_filters_match_exactly(template: dict[str, Any], phase: Phase) -> None:
    filters = {r["Properties"]["MetricTransformations"][0]["MetricName"]: r["Properties"]
               for r in template["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"}
    assert set(filters) == set(FILTER_EXPECTATIONS) | set(FLAG_FILTER_EXPECTATIONS)
    assert_flag_filters_match_exactly(template, phase.lines)
    chat_lines = [line for line in phase.lines if is_chat_request(line)]
    # Spec section 5: exactly one chat_request line per chat request.
    assert sorted(json.loads(line)["trace_id"] for line in chat_lines) == sorted(phase.exchanges)
    for name, props in filters.items():
        if name in FLAG_FILTER_EXPECTATIONS:
            continue
        pattern = compile_pattern(props["FilterPattern"])
        matched = [line for line in phase.lines if pattern.matches(line)]
        expected = [line for line in chat_lines
                    if FILTER_EXPECTATIONS[name](phase.exchanges[json.loads(line)["trace_id"]])]
        assert matched == expected, f"{name} ({props['FilterPattern']}) matched the wrong lines"
    value_field = filters["ChatLatency"]["MetricTransformations"][0]["MetricValue"]
    for line in chat_lines:
        exchange = phase.exchanges[json.loads(line)["trace_id"]]
        if _served(exchange):
            # The service's own measure can only be shorter than what the client waited.
            assert 0 <= select_value(line, value_field) <= exchange.latency_sec * 1000 + 1, line


def alarms_raised(template: dict[str, Any], phase: Phase) -> set[str]:
    """Alarms in ALARM after the phase's minute of logs repeats for as long as the longest alarm looks."""
    alarms = {name.removesuffix("Alarm"): r["Properties"] for name, r in template["Resources"].items()
              if r["Type"] == "AWS::CloudWatch::Alarm"}
    longest = max(int(a["EvaluationPeriods"]) * alarm_period_minutes(a) for a in alarms.values())
    stream = publish(template, [phase.lines] * longest)
    return {name for name, alarm in alarms.items() if alarm_states(alarm, stream)[-1] == "ALARM"}


def tiers(*keys: str) -> set[str]:
    return {alert for key in keys for alert in (THRESHOLDS.gate(key).warning_alert, THRESHOLDS.gate(key).critical_alert)}


async def test_cloudwatch_filters_and_alarms_judge_the_services_real_log_lines(stack: Stack) -> None:
    template = yaml.safe_load((REPO_ROOT / "infra/cloudwatch/babyshield-chat.yml").read_text())
    await healthy(stack)
    phases = {"healthy": await capture(stack)}
    phases["errors"] = await capture(stack, lambda: stack.service.set_faults(error_ratio=1.0))
    await stack.service.clear_faults()
    phases["slow"] = await capture(stack, lambda: stack.service.set_faults(added_latency_ms=INJECTED_LATENCY_MS))
    await stack.service.clear_faults()
    phases["llm_down"] = await capture(stack, lambda: stack.fake_llm.set_mode(fault="server_error"))
    await stack.fake_llm.reset()
    expected_alarms = {"healthy": set(), "errors": tiers("error_rate"), "slow": tiers("latency_p95"),
                       "llm_down": tiers("circuit_rate", "fallback_rate")}
    for name, phase in phases.items():
        assert_filters_match_exactly(template, phase)
        assert alarms_raised(template, phase) == expected_alarms[name], name
    # The phases really were what their names say, as the client saw them.
    assert all(e.synthesizer == "llm" for e in phases["healthy"].exchanges.values() if _served(e))
    assert any(e.error_code == "chat_disabled" for e in phases["healthy"].exchanges.values())
    # The flag lines the no-traffic alarm reads: the service logged them from its start, chat on for everyone.
    everything = stack.service.output_lines()
    flag_lines = [json.loads(line) for line in everything if is_flag_line(line)]
    assert flag_lines and flag_lines[0]["enabled"] is True and flag_lines[0]["rollout_pct"] == 1.0
    assert_flag_filters_match_exactly(template, everything)


# -- the rollout guard, reading this Prometheus ---------------------------------------------------


async def wait_for_flags(service: DrillService, predicate: Callable[[dict[str, Any]], bool],
                         timeout: float) -> None:
    """Poll the public flags endpoint (as a canary user) until `predicate` holds."""
    user = canary_users(1, within_pct=FIRST_PHASE_PCT)[0]
    deadline = time.monotonic() + timeout
    while True:
        flags = await service.flags(user)
        if predicate(flags):
            return
        assert time.monotonic() < deadline, f"flags never changed as expected: {flags}"
        await asyncio.sleep(0.05)


async def test_the_rollout_guard_promotes_a_healthy_canary_and_kills_the_switch_on_real_errors(
        stack: Stack, module_database_url: str, tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yml"
    policy_file.write_text(drill_policy_yaml(TIME_SCALE, min_request_rate=THRESHOLDS.min_request_rate))
    conn = await asyncpg.connect(module_database_url)
    try:
        await healthy(stack)
        await start_rollout(conn, SERVICE_FLAGS, FIRST_PHASE_PCT, hours_ago=25)
        await wait_for_flags(stack.service, lambda f: f["chat_rollout_pct"] == FIRST_PHASE_PCT, timeout=5)
        async with PrometheusClient(stack.prometheus.url) as client:
            guard = RolloutGuard(load_policy(policy_file), SERVICE_FLAGS, client,
                                 clock=lambda: dt.datetime.now(dt.UTC), environment=ENV)
            # The guard of another environment reads none of this one's series: no data, never green.
            elsewhere = await RolloutGuard(load_policy(policy_file), SERVICE_FLAGS, client,
                                           environment="production").observe()
            assert elsewhere.traffic is None and {r.value for r in elsewhere.readings} == {None}
            promoted = await run_until_it_acts(guard, conn)
            assert (promoted.action, promoted.target_pct) == ("promote", 0.25), promoted.summary
            await wait_for_flags(stack.service, lambda f: f["chat_rollout_pct"] == 0.25, timeout=5)

            await stack.service.set_faults(error_ratio=1.0)
            killed = await run_until_it_acts(guard, conn)
            acted_at = time.monotonic()
        assert (killed.action, killed.target_enabled) == ("kill_switch", False), killed.summary
        await wait_for_flags(stack.service, lambda f: not f["chat_enabled_global"],
                             timeout=FLAG_PROPAGATION_LIMIT_SEC * 5)
        took = time.monotonic() - acted_at  # from the guard's committed write to what clients see
        print(f"kill switch visible on /api/v1/chat/flags {took:.2f} s after the guard acted")
        assert took <= FLAG_PROPAGATION_LIMIT_SEC
        [entry] = await overrides.list_audit(conn, limit=1)
        error_rate = next(g for g in entry.details["gates"] if g["key"] == "error_rate")
        assert entry.action == "guard_kill_switch" and error_rate["value"] > THRESHOLDS.gate("error_rate").critical
    finally:
        await stack.service.clear_faults()
        await overrides.clear_override(conn, SERVICE_FLAGS, actor="test", reason="drill over")
        await conn.close()
    await wait_for_flags(stack.service, lambda f: f["chat_enabled_global"] and f["chat_rollout_pct"] == 1.0,
                         timeout=5)
