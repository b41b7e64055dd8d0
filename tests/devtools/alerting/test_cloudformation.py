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

from babyshield_chat.devtools.alerting.cloudformation import FEEDBACK_LOG_METRICS, LOG_METRICS
from babyshield_chat.devtools.alerting.cloudwatch_alarms import alarm_states, publish
from babyshield_chat.devtools.alerting.cloudwatch_patterns import matches
from babyshield_chat.alerting.thresholds import load_thresholds

TEMPLATE_PATH = "infra/cloudwatch/babyshield-chat.yml"


def chat_line(
    outcome: str = "ok",
    latency_ms: int = 640,
    circuit_open: bool = False,
    fallback_reason: str | None = None,
    status_code: int = 200,
) -> str:
    """One ``chat_request`` log line with every field of spec section 5."""
    return json.dumps(
        {
            "ts": "2026-11-27T10:15:02.481Z",
            "level": "error" if outcome == "error" else "info",
            "event": "chat_request",
            "endpoint": "conversation",
            "intent": "recall_details",
            "outcome": outcome,
            "status_code": status_code,
            "latency_ms": latency_ms,
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": "00f067aa0ba902b7",
            "fallback": fallback_reason is not None,
            "fallback_reason": fallback_reason,
            "circuit_open": circuit_open,
            "blocked": outcome == "blocked",
            "user_hash": "b1946ac92492d2347c6235b4d2611184",
            "service": "babyshield-chat",
            "version": "0.1.0",
            "env": "staging",
        }
    )


def feedback_line(helpful: bool = False, reason: str | None = "wrong", intent: str = "recall_details") -> str:
    """One ``chat_feedback`` log line, as POST /api/v1/chat/feedback logs a recorded vote."""
    return json.dumps({
        "ts": "2026-11-27T10:16:00.000Z", "level": "info", "event": "chat_feedback", "helpful": helpful,
        "reason": reason or "none", "intent": intent, "replaced": False, "user_hash": "b1946ac92492d234",
        "trace_id": "5bf92f3577b34da6a3ce929d0e0e4736", "span_id": "10f067aa0ba902b7", "service": "babyshield-chat",
        "version": "0.1.0", "env": "staging",
    })


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
    "startup": json.dumps({"ts": "2026-11-27T10:00:00Z", "level": "info", "event": "service_started"}),
    "plain_text": "GET /healthz 200 0.4ms",
    # Votes: counted by the feedback filters only.
    "vote_helpful": feedback_line(True, None),
    "vote_wrong": feedback_line(False, "wrong"),
    "vote_unsafe": feedback_line(False, "unsafe"),
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
    "ChatFeedbackVotes": {"vote_helpful", "vote_wrong", "vote_unsafe"},
    "ChatFeedbackUnhelpful": {"vote_wrong", "vote_unsafe"},
    "ChatFeedbackUnsafe": {"vote_unsafe"},
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


@pytest.mark.parametrize("metric", [m.name for m in LOG_METRICS + FEEDBACK_LOG_METRICS])
def test_each_filter_counts_exactly_the_lines_it_should(template: dict[str, Any], metric: str) -> None:
    props = template["Resources"][f"{metric}Filter"]["Properties"]
    assert props["LogGroupName"] == {"Ref": "LogGroupName"}
    matched = {kind for kind, line in LINES.items() if matches(props["FilterPattern"], line)}
    assert matched == EXPECTED[metric]


def test_latency_metric_publishes_latency_ms_of_served_requests(template: dict[str, Any]) -> None:
    stream = publish(template, [[LINES["ok"], LINES["blocked"], LINES["error"], LINES["access_log"]]])
    assert stream.values["ChatLatency"] == ((640.0, 2950.0),)
    assert stream.values["ChatErrors"] == ((0.0, 0.0, 1.0, 0.0),)


def test_alarms_carry_the_thresholds_and_durations_of_thresholds_yml(template: dict[str, Any]) -> None:
    thresholds = load_thresholds()
    checked = 0
    for gate in thresholds.gates:
        for alert, tier in ((gate.warning_alert, gate.warning_tier), (gate.critical_alert, gate.critical_tier)):
            if f"{alert}Alarm" not in template["Resources"]:
                continue
            props = _alarm(template, alert)
            scale = 1000 if gate.unit == "seconds" else 1  # the log line speaks milliseconds
            assert props["Threshold"] == pytest.approx(tier.threshold * scale), alert
            minutes = int(tier.duration.total_seconds() // 60)
            assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (minutes, minutes), alert
            checked += 1
    assert checked == 8  # error, circuit, fallback rates and request p95, two tiers each


def test_rollback_trigger_alarms_match_the_checklist(template: dict[str, Any]) -> None:
    error, p95, circuit = (
        _alarm(template, n) for n in ("ChatErrorRateCritical", "ChatLatencyP95Critical", "ChatCircuitOpenRateCritical")
    )
    assert (error["Threshold"], error["EvaluationPeriods"]) == (0.02, 5)
    assert (p95["ExtendedStatistic"], p95["Threshold"], p95["EvaluationPeriods"]) == ("p95", 2800, 10)
    assert (circuit["Threshold"], circuit["EvaluationPeriods"]) == (0.01, 10)


def test_ratio_alarms_ignore_minutes_below_the_minimum_request_rate(template: dict[str, Any]) -> None:
    per_minute = round(load_thresholds().min_request_rate * 60)
    for name in ("ChatErrorRateCritical", "ChatFallbackRateWarning", "ChatCircuitOpenRateCritical"):
        (expression,) = [m["Expression"] for m in _alarm(template, name)["Metrics"] if "Expression" in m]
        assert re.fullmatch(rf"IF\(FILL\(den, 0\) >= {per_minute}, FILL\(num, 0\) / den, 0\)", expression)


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
        severity = re.search(r"severity=(\w+)", alarm["Properties"]["AlarmDescription"])
        expected = severity.group(1).capitalize() if severity else "Critical"  # no traffic pages
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": f"{expected}Topic"}], name


def test_dashboard_draws_each_alarmed_gate_with_its_thresholds(template: dict[str, Any]) -> None:
    body = template["Resources"]["ChatDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    lines = {w["properties"]["title"]: w["properties"].get("annotations", {}).get("horizontal") for w in widgets}
    latency = load_thresholds().gate("latency_p95")
    assert [a["value"] for a in lines[latency.name]] == [latency.warning * 1000, latency.critical * 1000]
    assert any("trace_id" in w["properties"].get("query", "") for w in widgets)


# -- the alarms over replayed log streams ------------------------------------------------------


def _minutes(count: int, **per_minute: int) -> list[list[str]]:
    """``count`` minutes, each with ``per_minute[kind]`` lines of that kind."""
    minute = [LINES[kind] for kind, n in per_minute.items() for _ in range(n)]
    return [list(minute) for _ in range(count)]


def _states(template: dict[str, Any], alarm: str, minutes: list[list[str]]) -> list[str]:
    return alarm_states(_alarm(template, alarm), publish(template, minutes))


def test_three_percent_errors_page_after_five_minutes_despite_blocked_traffic(template: dict[str, Any]) -> None:
    states = _states(template, "ChatErrorRateCritical", _minutes(8, ok=97, error=3, blocked=900))
    assert states[:4] == ["OK"] * 4
    assert states[4:] == ["ALARM"] * 4


def test_a_healthy_stream_raises_no_alarm(template: dict[str, Any]) -> None:
    stream = publish(template, _minutes(15, ok=196, error=1, fallback=2, blocked=1800, rejected=1))
    for name, alarm in _resources(template, "AWS::CloudWatch::Alarm").items():
        assert set(alarm_states(alarm["Properties"], stream)) == {"OK"}, name


def test_errors_below_the_minimum_request_rate_never_page(template: dict[str, Any]) -> None:
    assert set(_states(template, "ChatErrorRateCritical", _minutes(10, error=3, blocked=50))) == {"OK"}


def test_errors_above_one_percent_warn_and_exactly_two_percent_does_not_page(template: dict[str, Any]) -> None:
    minutes = _minutes(6, ok=90, error=1) + _minutes(6, ok=98, error=2)  # 1.1%, then 2%
    assert _states(template, "ChatErrorRateWarning", minutes)[4] == "ALARM"
    assert set(_states(template, "ChatErrorRateCritical", minutes)) == {"OK"}  # 2% is not above 2%


def test_slow_requests_page_after_ten_minutes_of_p95_above_2_8s(template: dict[str, Any]) -> None:
    slow = [[chat_line(latency_ms=2900 if i % 10 else 400) for i in range(100)] for _ in range(12)]
    states = _states(template, "ChatLatencyP95Critical", slow)
    assert states[8] == "OK" and states[9:] == ["ALARM"] * 3
    fine = [[chat_line(latency_ms=2700) for _ in range(100)] for _ in range(12)]
    assert set(_states(template, "ChatLatencyP95Critical", fine)) == {"OK"}
    assert _states(template, "ChatLatencyP95Warning", fine)[9] == "ALARM"


def test_open_circuits_and_fallbacks_page_after_ten_minutes(template: dict[str, Any]) -> None:
    minutes = _minutes(11, ok=86, fallback=12, circuit_open=2)  # 2% circuit open, 14% fallback
    for name in ("ChatCircuitOpenRateCritical", "ChatFallbackRateCritical"):
        states = _states(template, name, minutes)
        assert states[8] == "OK" and states[9] == "ALARM", name


def test_logs_stopping_page_as_no_traffic_while_ratio_alarms_stay_quiet(template: dict[str, Any]) -> None:
    minutes = _minutes(5, ok=100) + [[] for _ in range(12)]
    assert _states(template, "ChatNoTraffic", minutes)[5 + 8] == "OK"
    assert _states(template, "ChatNoTraffic", minutes)[5 + 9] == "ALARM"
    assert set(_states(template, "ChatErrorRateCritical", minutes)) == {"OK"}


def test_only_blocked_or_non_chat_lines_still_count_as_no_traffic(template: dict[str, Any]) -> None:
    minutes = _minutes(12, blocked=100, access_log=100)
    assert _states(template, "ChatNoTraffic", minutes)[-1] == "ALARM"


def test_no_traffic_alarm_exists_only_while_the_rollout_is_active(template: dict[str, Any]) -> None:
    assert template["Resources"]["ChatNoTrafficAlarm"]["Condition"] == "RolloutActive"
    assert template["Parameters"]["RolloutActive"]["AllowedValues"] == ["true", "false"]


# --- parents' feedback --------------------------------------------------------------------------


def vote_minutes(helpful: int, unhelpful: int, minutes: int) -> list[list[str]]:
    """`minutes` minutes, each with that many helpful and unhelpful votes and some chat traffic."""
    minute = [feedback_line(True, None)] * helpful + [feedback_line(False, "unclear")] * unhelpful
    return [minute + [LINES["ok"]] * 10 for _ in range(minutes)]


def unhelpful_states(template: dict[str, Any], minutes: list[list[str]]) -> dict[str, str]:
    feedback = load_thresholds().feedback
    stream = publish(template, minutes)
    return {tier: alarm_states(_alarm(template, name), stream)[-1]
            for tier, name in (("warning", feedback.warning_alert), ("critical", feedback.critical_alert))}


def test_thirty_percent_unhelpful_votes_in_the_hour_raise_both_tiers(template: dict[str, Any]) -> None:
    assert unhelpful_states(template, vote_minutes(7, 3, 10)) == {"warning": "ALARM", "critical": "ALARM"}


def test_ten_percent_unhelpful_votes_raise_nothing(template: dict[str, Any]) -> None:
    assert unhelpful_states(template, vote_minutes(9, 1, 60)) == {"warning": "OK", "critical": "OK"}


def test_fewer_votes_than_the_minimum_raise_nothing_however_unhelpful(template: dict[str, Any]) -> None:
    minutes = vote_minutes(0, 1, 19) + vote_minutes(0, 0, 20)
    assert unhelpful_states(template, minutes) == {"warning": "OK", "critical": "OK"}


def test_one_unsafe_vote_alarms_at_once_and_clears_an_hour_later(template: dict[str, Any]) -> None:
    minutes = [[LINES["ok"]]] * 5 + [[LINES["ok"], LINES["vote_unsafe"]]] + [[LINES["ok"]]] * 61
    states = alarm_states(_alarm(template, "ChatUnsafeAnswerReported"), publish(template, minutes))
    assert states[4] == "OK" and states[5] == "ALARM"
    assert states[64] == "ALARM" and states[65] == "OK"
    quiet = [[LINES["ok"], LINES["vote_wrong"]]] * 10
    assert alarm_states(_alarm(template, "ChatUnsafeAnswerReported"), publish(template, quiet))[-1] == "OK"
