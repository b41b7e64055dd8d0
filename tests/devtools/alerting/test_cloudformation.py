"""cloudformation.py: the CloudWatch template counts the right log lines and pages on the checklist.

Log lines are shaped exactly like the spec's ``chat_request`` line (section 5);
the metric filters run through the pattern evaluator and the alarms through the
simulator, because CloudWatch's emulators never evaluate either.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from babyshield_chat.devtools.alerting.cloudformation import LOG_METRICS
from babyshield_chat.devtools.alerting.cloudwatch_alarms import alarm_states, publish
from babyshield_chat.devtools.alerting.cloudwatch_patterns import matches
from babyshield_chat.alerting.thresholds import load_thresholds

from tests.support.log_lines import chat_line, flag_line

TEMPLATE_PATH = "infra/cloudwatch/babyshield-chat.yml"


LINES = {
    "ok": chat_line(),
    "fallback": chat_line("fallback", 2100, fallback_reason="timeout"),
    "circuit_open": chat_line("fallback", 12, circuit_open=True, fallback_reason="circuit_open"),
    "error": chat_line("error", 2950, status_code=500),
    "blocked": chat_line("blocked", 1, status_code=403),
    "rejected": chat_line("rejected", 3, status_code=400),
    "emergency": chat_line("emergency", 9),
    # Not chat requests: each must stay out of every metric.
    "access_log": json.dumps(
        {
            "ts": "2026-11-27T10:15:02.482Z",
            "level": "info",
            "event": "http_access",
            "method": "POST",
            "path": "/api/v1/chat/conversation",
            "status_code": 500,
            "latency_ms": 2951,
            "outcome": "error",
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        }
    ),
    "llm_call": json.dumps({"event": "llm_call", "outcome": "error", "circuit_open": True, "latency_ms": 1500}),
    # The flag lines every instance logs twice a minute (flags/heartbeat.py).
    "flag_on": flag_line(True, 0.1),
    "flag_killed": flag_line(False, 0.1),
    "flag_zero": flag_line(True, 0.0),
    "startup": json.dumps({"ts": "2026-11-27T10:00:00Z", "level": "info", "event": "service_started"}),
    "plain_text": "GET /healthz 200 0.4ms",
}
SERVED = {"ok", "fallback", "circuit_open", "error", "rejected", "emergency"}
EXPECTED = {
    "ChatRequestsAll": SERVED | {"blocked"},
    "ChatRequests": SERVED,
    "ChatErrors": {"error"},
    "ChatFallbacks": {"fallback", "circuit_open"},
    "ChatCircuitOpen": {"circuit_open"},
    "ChatBlocked": {"blocked"},
    "ChatLatency": SERVED,
    "ChatFlagLines": {"flag_on", "flag_killed", "flag_zero"},
    "ChatRolloutActive": {"flag_on"},
}


@pytest.fixture(scope="module")
def template(repo_root: Path) -> dict[str, Any]:
    return yaml.safe_load((repo_root / TEMPLATE_PATH).read_text(encoding="utf-8"))


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _alarm(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][f"{name}Alarm"]["Properties"]


def test_cfn_lint_accepts_the_template(repo_root: Path) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    if not cfn_lint.exists():
        pytest.fail(f"cfn-lint is not installed beside {sys.executable}: pip install cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), str(repo_root / TEMPLATE_PATH)], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("metric", [m.name for m in LOG_METRICS])
def test_each_filter_counts_exactly_the_lines_it_should(template: dict[str, Any], metric: str) -> None:
    props = template["Resources"][f"{metric}Filter"]["Properties"]
    assert props["LogGroupName"] == {"Ref": "LogGroupName"}
    matched = {kind for kind, line in LINES.items() if matches(props["FilterPattern"], line)}
    assert matched == EXPECTED[metric]


def test_latency_metric_publishes_latency_ms_of_served_requests(template: dict[str, Any]) -> None:
    stream = publish(template, [[LINES["ok"], LINES["blocked"], LINES["error"], LINES["access_log"]]])
    assert stream.values["ChatLatency"] == ((640.0, 2950.0),)
    assert stream.values["ChatErrors"] == ((0.0, 0.0, 1.0, 0.0),)


def _description(alarm: dict[str, Any]) -> str:
    return alarm["AlarmDescription"]["Fn::Sub"]


def _periods(alarm: dict[str, Any]) -> set[int]:
    return {m["MetricStat"]["Period"] for m in alarm["Metrics"] if "MetricStat" in m}


def test_alarms_carry_the_thresholds_of_thresholds_yml_over_the_rules_evidence(template: dict[str, Any]) -> None:
    thresholds = load_thresholds()
    checked = 0
    for gate in thresholds.gates:
        for alert, tier in ((gate.warning_alert, gate.warning_tier), (gate.critical_alert, gate.critical_tier)):
            if f"{alert}Alarm" not in template["Resources"]:
                continue
            props = _alarm(template, alert)
            scale = 1000 if gate.unit == "seconds" else 1  # the log line speaks milliseconds
            assert props["Threshold"] == pytest.approx(tier.threshold * scale), alert
            # One datapoint is the rules' 5m window; the rule's for adds one datapoint per 5m.
            assert _periods(props) == {300}, alert
            count = 1 + int(tier.duration.total_seconds() // 300)
            assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (count, count), alert
            checked += 1
    assert checked == 8  # error, circuit, fallback rates and request p95, two tiers each


def test_rollback_trigger_alarms_match_the_checklist(template: dict[str, Any]) -> None:
    error, p95, circuit = (
        _alarm(template, n) for n in ("ChatErrorRateCritical", "ChatLatencyP95Critical", "ChatCircuitOpenRateCritical")
    )
    assert (error["Threshold"], error["EvaluationPeriods"]) == (0.02, 2)
    stats = {m["Id"]: m["MetricStat"]["Stat"] for m in p95["Metrics"] if "MetricStat" in m}
    assert (stats["value"], p95["Threshold"], p95["EvaluationPeriods"]) == ("p95", 2800, 3)
    assert (circuit["Threshold"], circuit["EvaluationPeriods"]) == (0.01, 3)


def test_ratio_and_p95_alarms_ignore_periods_below_the_minimum_request_rate(template: dict[str, Any]) -> None:
    per_period = round(load_thresholds().min_request_rate * 300)
    assert per_period == 30
    for name in ("ChatErrorRateCritical", "ChatFallbackRateWarning", "ChatCircuitOpenRateCritical"):
        (expression,) = [m["Expression"] for m in _alarm(template, name)["Metrics"] if "Expression" in m]
        assert re.fullmatch(rf"IF\(FILL\(den, 0\) >= {per_period}, FILL\(num, 0\) / den, 0\)", expression)
    for name in ("ChatLatencyP95Warning", "ChatLatencyP95Critical"):
        (expression,) = [m["Expression"] for m in _alarm(template, name)["Metrics"] if "Expression" in m]
        assert expression == f"IF(FILL(n, 0) >= {per_period}, value, 0)"


def test_only_the_no_traffic_alarm_reads_silence_as_an_outage(template: dict[str, Any]) -> None:
    treatments = {
        k: v["Properties"]["TreatMissingData"] for k, v in _resources(template, "AWS::CloudWatch::Alarm").items()
    }
    assert treatments.pop("ChatNoTrafficAlarm") == "breaching"
    assert set(treatments.values()) == {"notBreaching"}


def test_each_alarm_notifies_the_topic_of_its_severity(template: dict[str, Any]) -> None:
    topics = _resources(template, "AWS::SNS::Topic")
    assert set(topics) == {"CriticalTopic", "WarningTopic", "InfoTopic"}
    for name, alarm in _resources(template, "AWS::CloudWatch::Alarm").items():
        severity = re.search(r"severity=(\w+)", _description(alarm["Properties"]))
        expected = severity.group(1).capitalize() if severity else "Critical"  # no traffic pages
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": f"{expected}Topic"}], name


def test_every_alarm_links_its_runbook_section_under_the_links_parameter(template: dict[str, Any]) -> None:
    thresholds = load_thresholds()
    parameter = template["Parameters"]["LinksBaseUrl"]
    assert parameter["Default"] == thresholds.links.base_url
    anchors = {g.alert + tier: g.runbook_anchor for g in thresholds.gates for tier in ("Warning", "Critical")}
    anchors |= {s.alert: s.runbook_anchor for s in thresholds.signals.values()}
    for name, alarm in _resources(template, "AWS::CloudWatch::Alarm").items():
        alert = name.removesuffix("Alarm")
        link = f"${{LinksBaseUrl}}/{thresholds.links.runbook_path}#{anchors[alert]}"
        assert _description(alarm["Properties"]).endswith(f"Runbook: {link}"), name


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://ops.example.com", True),
        ("https://ops.example.com/team/chat", True),
        ("http://grafana.internal:3000", True),
        ("docs/runbook.md", False),
        ("http://localhost:3000", False),
        ("http://127.0.0.1:3000", False),
        ("http://[::1]:3000", False),
        ("https://ops.example.com/#runbook", False),
    ],
)
def test_the_links_parameter_takes_only_absolute_urls_off_this_machine(
    template: dict[str, Any], url: str, accepted: bool
) -> None:
    # CloudFormation checks AllowedPattern with Java regular expressions; this pattern reads the same in Python.
    pattern = template["Parameters"]["LinksBaseUrl"]["AllowedPattern"]
    assert (re.fullmatch(pattern, url) is not None) is accepted


def test_dashboard_draws_each_alarmed_gate_with_its_thresholds(template: dict[str, Any]) -> None:
    body = template["Resources"]["ChatDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    lines = {w["properties"].get("title"): w["properties"].get("annotations", {}).get("horizontal") for w in widgets}
    latency = load_thresholds().gate("latency_p95")
    assert [a["value"] for a in lines[latency.name]] == [latency.warning * 1000, latency.critical * 1000]
    assert any("trace_id" in w["properties"].get("query", "") for w in widgets)
    assert any("${LinksBaseUrl}/runbooks/" in w["properties"].get("markdown", "") for w in widgets)


# -- the alarms over replayed log streams ------------------------------------------------------


def _minutes(count: int, **per_minute: int) -> list[list[str]]:
    """``count`` minutes, each with ``per_minute[kind]`` lines of that kind."""
    minute = [LINES[kind] for kind, n in per_minute.items() for _ in range(n)]
    return [list(minute) for _ in range(count)]


def _states(template: dict[str, Any], alarm: str, minutes: list[list[str]]) -> list[str]:
    return alarm_states(_alarm(template, alarm), publish(template, minutes))


def _first_alarm(states: list[str]) -> int | None:
    return states.index("ALARM") if "ALARM" in states else None


HEALTHY = 10  # minutes of healthy traffic before a fault, so every window starts full


def test_three_percent_errors_page_once_two_five_minute_periods_are_above_two_percent(template: dict[str, Any]) -> None:
    minutes = _minutes(HEALTHY, ok=100, blocked=900) + _minutes(15, ok=97, error=3, blocked=900)
    states = _states(template, "ChatErrorRateCritical", minutes)
    # The 5-minute ratio passes 2% in the fault's 4th minute (12 of 500); two periods apart: 5 minutes later.
    assert _first_alarm(states) == HEALTHY + 3 + 5
    assert states[HEALTHY + 8 :] == ["ALARM"] * 7


def test_a_healthy_stream_raises_no_alarm(template: dict[str, Any]) -> None:
    stream = publish(template, _minutes(20, ok=196, error=1, fallback=2, blocked=1800, rejected=1, flag_on=2))
    for name, alarm in _resources(template, "AWS::CloudWatch::Alarm").items():
        assert set(alarm_states(alarm["Properties"], stream)) == {"OK"}, name


def test_errors_below_the_minimum_request_rate_never_page(template: dict[str, Any]) -> None:
    # 5 served a minute is 25 a period, below the 30 (0.1/s) the rules need too.
    assert set(_states(template, "ChatErrorRateCritical", _minutes(30, ok=2, error=3, blocked=50))) == {"OK"}
    assert "ALARM" in _states(template, "ChatErrorRateCritical", _minutes(30, ok=3, error=3, blocked=50))


def test_errors_above_one_percent_warn_and_exactly_two_percent_does_not_page(template: dict[str, Any]) -> None:
    minutes = _minutes(12, ok=90, error=1) + _minutes(12, ok=98, error=2)  # 1.1%, then 2%
    assert "ALARM" in _states(template, "ChatErrorRateWarning", minutes)[:12]
    assert set(_states(template, "ChatErrorRateCritical", minutes)) == {"OK"}  # 2% is not above 2%


def test_slow_requests_page_after_three_periods_of_p95_above_2_8s(template: dict[str, Any]) -> None:
    slow = [[chat_line(latency_ms=2900 if i % 10 else 400) for i in range(100)] for _ in range(15)]
    states = _states(template, "ChatLatencyP95Critical", slow)
    assert states[9] == "OK" and states[10:] == ["ALARM"] * 5  # periods ending at minutes 0, 5 and 10
    fine = [[chat_line(latency_ms=2700) for _ in range(100)] for _ in range(15)]
    assert set(_states(template, "ChatLatencyP95Critical", fine)) == {"OK"}
    assert _states(template, "ChatLatencyP95Warning", fine)[10] == "ALARM"


def test_a_p95_of_too_few_requests_never_pages(template: dict[str, Any]) -> None:
    # Five slow requests a minute: 25 a period, below the minimum sample; seven (35) are enough.
    few = [[chat_line(latency_ms=5000) for _ in range(5)] for _ in range(20)]
    assert set(_states(template, "ChatLatencyP95Critical", few)) == {"OK"}
    enough = [[chat_line(latency_ms=5000) for _ in range(7)] for _ in range(20)]
    assert "ALARM" in _states(template, "ChatLatencyP95Critical", enough)


def test_open_circuits_and_fallbacks_page_after_three_periods(template: dict[str, Any]) -> None:
    minutes = _minutes(12, ok=86, fallback=12, circuit_open=2)  # 2% circuit open, 14% fallback
    for name in ("ChatCircuitOpenRateCritical", "ChatFallbackRateCritical"):
        states = _states(template, name, minutes)
        assert states[9] == "OK" and states[10] == "ALARM", name


def test_logs_stopping_page_as_no_traffic_after_fifteen_minutes_while_ratio_alarms_stay_quiet(
    template: dict[str, Any],
) -> None:
    minutes = _minutes(5, ok=100, flag_on=2) + [[] for _ in range(20)]
    states = _states(template, "ChatNoTraffic", minutes)
    # Three silent 5-minute periods in a row: minutes 5-9, 10-14 and 15-19.
    assert _first_alarm(states) == 5 + 14
    assert set(_states(template, "ChatErrorRateCritical", minutes)) == {"OK"}


def test_an_active_rollout_with_no_chat_request_at_all_pages_no_traffic(template: dict[str, Any]) -> None:
    # The instances are up (their flag lines say chat is on for 10%) but no client reaches the chat.
    minutes = _minutes(HEALTHY, ok=10, blocked=90, flag_on=2) + _minutes(20, flag_on=2, access_log=30)
    assert _first_alarm(_states(template, "ChatNoTraffic", minutes)) == HEALTHY + 14


def test_blocked_requests_are_traffic_so_the_kill_switch_does_not_page_twice(template: dict[str, Any]) -> None:
    before = _minutes(10, ok=10, blocked=90, flag_on=2)
    killed = _minutes(30, blocked=100, flag_killed=2)
    assert set(_states(template, "ChatNoTraffic", before + killed)) == {"OK"}


@pytest.mark.parametrize("flag", ["flag_killed", "flag_zero"])
def test_silence_is_expected_while_the_flag_lines_say_nobody_gets_the_chat(template: dict[str, Any], flag: str) -> None:
    # The app hides the chat when /flags says so: no chat lines at all, only the instances' flag lines.
    minutes = _minutes(10, ok=10, blocked=90, flag_on=2) + _minutes(30, access_log=20, **{flag: 2})
    assert set(_states(template, "ChatNoTraffic", minutes)) == {"OK"}


def test_without_any_flag_line_nothing_says_the_rollout_is_off_so_silence_pages(template: dict[str, Any]) -> None:
    minutes = _minutes(HEALTHY, ok=10, blocked=90, flag_on=2) + _minutes(20, access_log=20)
    assert _first_alarm(_states(template, "ChatNoTraffic", minutes)) == HEALTHY + 14
