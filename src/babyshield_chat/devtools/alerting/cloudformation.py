"""The CloudWatch side of the canary: a CloudFormation template built from thresholds.yml.

CloudWatch sees the service only through its logs, so the template turns the
one ``"event": "chat_request"`` line per request (spec section 5) into metrics
with JSON-pattern metric filters, then alarms on them with the checklist's
thresholds and durations. Only what that line carries can be alarmed on here:
error, fallback and circuit-open rates and the request p95. Tool and synthesis
latency, the blocked-ratio check and the LLM signals live in Prometheus alone.

Parents' votes come as one ``"event": "chat_feedback"`` line each
(``FEEDBACK_LOG_METRICS``): the unhelpful share over the feedback window
(from ``min_votes`` votes on, one period of that window, so it alarms as soon
as the window's share crosses, without the rule's ``for``) and any unsafe
vote (a period of the unsafe window, so it stays in alarm that long, as the
rule does).

Missing data: every counter filter emits 0 for the log events it does not
match, so a minute with any log traffic has datapoints. A minute with none is
an outage or a quiet night: the ratio and p95 alarms treat it as not breaching
(no rate can be computed from nothing), and the no-traffic alarm treats it as
breaching. An outage therefore pages through the no-traffic alarm, never hides.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from babyshield_chat.alerting.durations import format_duration
from babyshield_chat.devtools.alerting.generated import HEADER_LINES, dump_yaml
from babyshield_chat.alerting.thresholds import FeedbackGate, Gate, Thresholds, Tier, human_value
from babyshield_chat.vocabulary import UNSAFE_FEEDBACK_REASON

NAMESPACE_DEFAULT = "BabyShield/Chat"
PERIOD_SECONDS = 60
_CHAT = '$.event = "chat_request"'
_FEEDBACK = '$.event = "chat_feedback"'
_SERVED = '$.outcome != "blocked"'


@dataclass(frozen=True)
class LogMetric:
    """A metric filter: log lines matching ``pattern`` publish ``value`` to ``name``."""

    name: str
    pattern: str
    value: str
    unit: str
    # 0 for counters (so quiet minutes read 0, not missing); None for latency,
    # where a default would drag every percentile towards zero.
    default: float | None


LOG_METRICS: tuple[LogMetric, ...] = (
    LogMetric("ChatRequestsAll", f"{{ {_CHAT} }}", "1", "Count", 0),
    LogMetric("ChatRequests", f"{{ {_CHAT} && {_SERVED} }}", "1", "Count", 0),
    LogMetric("ChatErrors", f'{{ {_CHAT} && $.outcome = "error" }}', "1", "Count", 0),
    LogMetric("ChatFallbacks", f'{{ {_CHAT} && $.outcome = "fallback" }}', "1", "Count", 0),
    LogMetric("ChatCircuitOpen", f"{{ {_CHAT} && {_SERVED} && $.circuit_open IS TRUE }}", "1", "Count", 0),
    LogMetric("ChatBlocked", f'{{ {_CHAT} && $.outcome = "blocked" }}', "1", "Count", 0),
    LogMetric("ChatLatency", f"{{ {_CHAT} && {_SERVED} && $.latency_ms >= 0 }}", "$.latency_ms", "Milliseconds", None),
)


FEEDBACK_LOG_METRICS: tuple[LogMetric, ...] = (
    LogMetric("ChatFeedbackVotes", f"{{ {_FEEDBACK} }}", "1", "Count", 0),
    LogMetric("ChatFeedbackUnhelpful", f"{{ {_FEEDBACK} && $.helpful IS FALSE }}", "1", "Count", 0),
    LogMetric("ChatFeedbackUnsafe", f'{{ {_FEEDBACK} && $.reason = "{UNSAFE_FEEDBACK_REASON}" }}', "1", "Count", 0),
)


@dataclass(frozen=True)
class RatioMeasure:
    numerator: str
    denominator: str


@dataclass(frozen=True)
class PercentileMeasure:
    metric: str
    statistic: str
    # thresholds.yml speaks seconds; the log line speaks milliseconds.
    scale: float


#: Gates that the chat_request log line can measure, and how.
CLOUDWATCH_MEASURES: dict[str, RatioMeasure | PercentileMeasure] = {
    "error_rate": RatioMeasure("ChatErrors", "ChatRequests"),
    "circuit_rate": RatioMeasure("ChatCircuitOpen", "ChatRequests"),
    "fallback_rate": RatioMeasure("ChatFallbacks", "ChatRequests"),
    "latency_p95": PercentileMeasure("ChatLatency", "p95", 1000.0),
}

_TOPICS = {"critical": "CriticalTopic", "warning": "WarningTopic", "info": "InfoTopic"}


def min_requests_per_period(thresholds: Thresholds) -> int:
    """Served requests a one-minute datapoint needs before its ratio counts."""
    return max(1, math.ceil(thresholds.min_request_rate * PERIOD_SECONDS))


def periods(duration_seconds: float) -> int:
    """One-minute datapoints that make up a ``for`` duration (at least one)."""
    return max(1, math.ceil(duration_seconds / PERIOD_SECONDS))


def build_template(thresholds: Thresholds) -> dict[str, Any]:
    """The CloudFormation template as plain data."""
    resources: dict[str, Any] = {}
    for topic, logical in _TOPICS.items():
        resources[logical] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Fn::Sub": f"${{AWS::StackName}}-{topic}"},
                "DisplayName": f"BabyShield Chat {topic} alerts",
            },
        }
    for metric in LOG_METRICS:
        resources[f"{metric.name}Filter"] = _metric_filter(metric)
    for gate in thresholds.gates:
        measure = CLOUDWATCH_MEASURES.get(gate.key)
        if measure is None:
            continue
        for tier, alert in ((gate.warning_tier, gate.warning_alert), (gate.critical_tier, gate.critical_alert)):
            resources[f"{alert}Alarm"] = _gate_alarm(thresholds, gate, tier, alert, measure)
    resources["ChatNoTrafficAlarm"] = _no_traffic_alarm(thresholds)
    resources.update(feedback_resources(thresholds))
    resources["ChatDashboard"] = _dashboard(thresholds)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "BabyShield Chat canary alarms: metric filters on chat_request log lines, "
        "checklist alarms, SNS topics per severity, dashboard. " + " ".join(HEADER_LINES),
        "Parameters": {
            "LogGroupName": {"Type": "String", "Description": "Log group the service's JSON stdout lands in."},
            "MetricNamespace": {
                "Type": "String",
                "Default": NAMESPACE_DEFAULT,
                "Description": "Namespace of the metrics the filters publish.",
            },
            "RolloutActive": {
                "Type": "String",
                "Default": "true",
                "AllowedValues": ["true", "false"],
                "Description": "false while the chat is off or at 0%: drops the no-traffic alarm.",
            },
        },
        "Conditions": {"RolloutActive": {"Fn::Equals": [{"Ref": "RolloutActive"}, "true"]}},
        "Resources": resources,
        "Outputs": {
            f"{logical}Arn": {"Description": f"SNS topic for {topic} alarms.", "Value": {"Ref": logical}}
            for topic, logical in _TOPICS.items()
        },
    }


def render_template(thresholds: Thresholds) -> str:
    return dump_yaml(build_template(thresholds))


def _metric_filter(metric: LogMetric) -> dict[str, Any]:
    transformation: dict[str, Any] = {
        "MetricName": metric.name,
        "MetricNamespace": {"Ref": "MetricNamespace"},
        "MetricValue": metric.value,
        "Unit": metric.unit,
    }
    if metric.default is not None:
        transformation["DefaultValue"] = metric.default
    return {
        "Type": "AWS::Logs::MetricFilter",
        "Properties": {
            "FilterName": metric.name,
            "LogGroupName": {"Ref": "LogGroupName"},
            "FilterPattern": metric.pattern,
            "MetricTransformations": [transformation],
        },
    }


def _metric_stat(metric: str, stat: str) -> dict[str, Any]:
    return {
        "Metric": {"Namespace": {"Ref": "MetricNamespace"}, "MetricName": metric},
        "Period": PERIOD_SECONDS,
        "Stat": stat,
    }


def ratio_expression(thresholds: Thresholds) -> str:
    """The metric math of every ratio alarm: 0 below the minimum traffic, else num/den."""
    return f"IF(FILL(den, 0) >= {min_requests_per_period(thresholds)}, FILL(num, 0) / den, 0)"


def _gate_alarm(
    thresholds: Thresholds, gate: Gate, tier: Tier, alert: str, measure: RatioMeasure | PercentileMeasure
) -> dict[str, Any]:
    count = periods(tier.duration.total_seconds())
    topic = {"Ref": _TOPICS[tier.severity]}
    props: dict[str, Any] = {
        "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{alert}"},
        "AlarmDescription": (
            f"{gate.name} above {human_value(gate.unit, tier.threshold)} for {format_duration(tier.duration)} "
            f"(severity={tier.severity}, action={tier.action}). Runbook: "
            f"{thresholds.runbook_link(gate.runbook_anchor)}"
        ),
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": count,
        "DatapointsToAlarm": count,
        # Missing data means no log lines at all; ChatNoTrafficAlarm owns that case.
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic],
        "OKActions": [topic],
    }
    if isinstance(measure, RatioMeasure):
        props["Threshold"] = tier.threshold
        props["Metrics"] = [
            {"Id": "num", "MetricStat": _metric_stat(measure.numerator, "Sum"), "ReturnData": False},
            {"Id": "den", "MetricStat": _metric_stat(measure.denominator, "Sum"), "ReturnData": False},
            {"Id": "ratio", "Expression": ratio_expression(thresholds), "Label": gate.name, "ReturnData": True},
        ]
    else:
        props.update(
            {
                "Threshold": round(tier.threshold * measure.scale, 6),
                "Namespace": {"Ref": "MetricNamespace"},
                "MetricName": measure.metric,
                "ExtendedStatistic": measure.statistic,
                "Period": PERIOD_SECONDS,
            }
        )
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


def feedback_resources(thresholds: Thresholds) -> dict[str, Any]:
    """The chat_feedback filters, the unhelpful-share alarms per tier and the unsafe-vote alarm."""
    f = thresholds.feedback
    resources: dict[str, Any] = {f"{metric.name}Filter": _metric_filter(metric) for metric in FEEDBACK_LOG_METRICS}
    for tier, alert in ((f.warning_tier, f.warning_alert), (f.critical_tier, f.critical_alert)):
        resources[f"{alert}Alarm"] = _unhelpful_alarm(thresholds, f, tier, alert)
    unsafe = f.unsafe
    assert unsafe.window is not None  # the loader requires it
    topic = {"Ref": _TOPICS[unsafe.severity]}
    resources[f"{unsafe.alert}Alarm"] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{unsafe.alert}"},
            "AlarmDescription": (
                f"A parent reported an answer as unsafe (severity={unsafe.severity}, action={unsafe.action}); "
                f"stays in alarm {format_duration(unsafe.window)} after the last such vote. Runbook: "
                f"{thresholds.runbook_link(unsafe.runbook_anchor)}"
            ),
            "Namespace": {"Ref": "MetricNamespace"},
            "MetricName": "ChatFeedbackUnsafe",
            "Statistic": "Sum",
            "Period": int(unsafe.window.total_seconds()),
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [topic],
            "OKActions": [topic],
        },
    }
    return resources


def unhelpful_expression(feedback: FeedbackGate) -> str:
    """The unhelpful share of the window's votes: 0 below the minimum number of votes."""
    return f"IF(FILL(den, 0) >= {feedback.min_votes}, FILL(num, 0) / den, 0)"


def _unhelpful_alarm(thresholds: Thresholds, f: FeedbackGate, tier: Tier, alert: str) -> dict[str, Any]:
    period = int(f.window.total_seconds())
    topic = {"Ref": _TOPICS[tier.severity]}

    def stat(metric: str) -> dict[str, Any]:
        return {"Metric": {"Namespace": {"Ref": "MetricNamespace"}, "MetricName": metric}, "Period": period,
                "Stat": "Sum"}

    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{alert}"},
            "AlarmDescription": (
                f"{f.name}: more than {human_value('ratio', tier.threshold)} of the votes over "
                f"{format_duration(f.window)} (at least {f.min_votes}) say the answer did not help "
                f"(severity={tier.severity}, action={tier.action}). Runbook: {thresholds.runbook_link(f.runbook_anchor)}"
            ),
            "ComparisonOperator": "GreaterThanThreshold",
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "TreatMissingData": "notBreaching",
            "Threshold": tier.threshold,
            "Metrics": [
                {"Id": "num", "MetricStat": stat("ChatFeedbackUnhelpful"), "ReturnData": False},
                {"Id": "den", "MetricStat": stat("ChatFeedbackVotes"), "ReturnData": False},
                {"Id": "ratio", "Expression": unhelpful_expression(f), "Label": f.name, "ReturnData": True},
            ],
            "AlarmActions": [topic],
            "OKActions": [topic],
        },
    }


def _no_traffic_alarm(thresholds: Thresholds) -> dict[str, Any]:
    signal = thresholds.signal("no_traffic")
    count = periods(signal.duration.total_seconds())
    topic = {"Ref": _TOPICS[signal.severity]}
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Condition": "RolloutActive",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{signal.alert}"},
            "AlarmDescription": (
                f"No served chat request for {format_duration(signal.duration)} while the rollout is active. "
                f"Runbook: {thresholds.runbook_link(signal.runbook_anchor)}"
            ),
            "Namespace": {"Ref": "MetricNamespace"},
            "MetricName": "ChatRequests",
            "Statistic": "Sum",
            "Period": PERIOD_SECONDS,
            "EvaluationPeriods": count,
            "DatapointsToAlarm": count,
            "Threshold": 1,
            "ComparisonOperator": "LessThanThreshold",
            # No log lines at all is exactly the outage this alarm exists for.
            "TreatMissingData": "breaching",
            "AlarmActions": [topic],
            "OKActions": [topic],
        },
    }


def _dashboard(thresholds: Thresholds) -> dict[str, Any]:
    widgets: list[dict[str, Any]] = []
    for index, gate in enumerate(g for g in thresholds.gates if g.key in CLOUDWATCH_MEASURES):
        measure = CLOUDWATCH_MEASURES[gate.key]
        if isinstance(measure, RatioMeasure):
            metrics: list[Any] = [
                ["${MetricNamespace}", measure.numerator, {"id": "num", "stat": "Sum", "visible": False}],
                ["${MetricNamespace}", measure.denominator, {"id": "den", "stat": "Sum", "visible": False}],
                [{"expression": ratio_expression(thresholds), "label": gate.name, "id": "ratio"}],
            ]
            scale = 1.0
        else:
            metrics = [["${MetricNamespace}", measure.metric, {"stat": measure.statistic, "label": gate.name}]]
            scale = measure.scale
        widgets.append(
            {
                "type": "metric",
                "x": (index % 2) * 12,
                "y": (index // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": gate.name,
                    "region": "${AWS::Region}",
                    "view": "timeSeries",
                    "period": PERIOD_SECONDS,
                    "metrics": metrics,
                    "annotations": {
                        "horizontal": [
                            {"label": "warning", "value": round(gate.warning * scale, 6), "color": "#ff7f0e"},
                            {"label": "critical", "value": round(gate.critical * scale, 6), "color": "#d62728"},
                        ]
                    },
                },
            }
        )
    widgets.append(
        {
            "type": "log",
            "x": 0,
            "y": 12,
            "width": 24,
            "height": 6,
            "properties": {
                "title": "Latest failed chat requests (search a trace_id here)",
                "region": "${AWS::Region}",
                "view": "table",
                "query": "SOURCE '${LogGroupName}' | fields @timestamp, trace_id, endpoint, intent, outcome, "
                'status_code, latency_ms, fallback_reason | filter event = "chat_request" and outcome in '
                '["error", "fallback"] | sort @timestamp desc | limit 50',
            },
        }
    )
    body = json.dumps({"widgets": widgets}, indent=None, separators=(",", ":"))
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": {"Fn::Sub": "${AWS::StackName}-chat"}, "DashboardBody": {"Fn::Sub": body}},
    }
