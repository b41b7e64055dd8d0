"""The CloudWatch side of the canary: a CloudFormation template built from thresholds.yml.

CloudWatch sees the service only through its logs, so the template turns the
one ``"event": "chat_request"`` line per request (spec section 5) into metrics
with JSON-pattern metric filters, then alarms on them with the checklist's
thresholds and durations. Only what the log lines carry can be alarmed on
here: error, fallback and circuit-open rates, the request p95, and no traffic.
Tool and synthesis latency, the blocked-ratio check and the LLM signals live
in Prometheus alone.

In AWS these alarms are the only pager, so they judge the evidence the
Prometheus rules judge (docs/alerting.md has the simulated sensitivity of
both): each datapoint is one ``service.window`` (5 minutes) of log lines,
and an alarm needs ``1 + for / window`` breaching datapoints in a row, the
window the rule's rate covers plus the ``for`` it holds. Every ratio and the
p95 count only periods with at least ``min_request_rate × window`` served
requests, like the rules' minimum-traffic guard.

No traffic: the alarm counts every ``chat_request`` line, blocked included
(after the kill switch clients still ask and are blocked, which is not an
outage), and pages only while the live ``chat_flag_state`` lines
(flags/heartbeat.py, two a minute per instance) say the switch is on and the
rollout above 0: the kill switch or a 0% rollout expects silence. A period
without any flag line (no log line at all, or instances that stopped
logging) cannot say the rollout is off, so it breaches: an outage pages.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from babyshield_chat.alerting.durations import format_duration
from babyshield_chat.alerting.thresholds import Gate, Thresholds, ThresholdsError, Tier, human_value, join_url
from babyshield_chat.devtools.alerting.generated import HEADER_LINES, dump_yaml
from babyshield_chat.flags.heartbeat import FLAG_STATE_EVENT
from babyshield_chat.telemetry.logging import CHAT_REQUEST_EVENT

NAMESPACE_DEFAULT = "BabyShield/Chat"
LINKS_PARAMETER = "LinksBaseUrl"
_CHAT = f'$.event = "{CHAT_REQUEST_EVENT}"'
_SERVED = '$.outcome != "blocked"'
# An absolute http(s) URL whose host is not this machine (the renderer refuses the same).
_ABSOLUTE_NOT_LOCAL = r"^https?://(?!localhost|127\.|0\.0\.0\.0|\[::1\])[^/\s?#]+(/[^\s?#]*)?$"


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
    # Each instance's flag lines, and those saying it serves the chat to someone. No default: a
    # period without flag lines has no datapoint, and the no-traffic alarm then assumes the rollout
    # is on (it cannot tell, and an instance that stopped logging is an outage).
    LogMetric("ChatFlagLines", f'{{ $.event = "{FLAG_STATE_EVENT}" }}', "1", "Count", None),
    LogMetric(
        "ChatRolloutActive",
        f'{{ $.event = "{FLAG_STATE_EVENT}" && $.enabled IS TRUE && $.rollout_pct > 0 }}',
        "1",
        "Count",
        None,
    ),
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


def period_seconds(thresholds: Thresholds) -> int:
    """Seconds of one datapoint: the rules' averaging window (CloudWatch takes whole minutes)."""
    seconds = thresholds.window.total_seconds()
    if seconds < 60 or seconds % 60:
        raise ThresholdsError(
            f"service.window ({format_duration(thresholds.window)}) must be whole minutes to be a CloudWatch period"
        )
    return int(seconds)


def min_requests_per_period(thresholds: Thresholds) -> int:
    """Served requests a datapoint needs before its ratio or p95 counts: the rules' minimum rate over the window."""
    return max(1, math.ceil(thresholds.min_request_rate * period_seconds(thresholds)))


def datapoints(thresholds: Thresholds, hold: timedelta) -> int:
    """Breaching datapoints in a row that mirror a rule held ``for: hold`` over its window."""
    return 1 + math.ceil(hold.total_seconds() / period_seconds(thresholds))


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
            LINKS_PARAMETER: {
                "Type": "String",
                "Default": thresholds.links.base_url,
                "AllowedPattern": _ABSOLUTE_NOT_LOCAL,
                "ConstraintDescription": "an absolute http(s) URL on a host on-call can reach (not localhost)",
                "Description": "Base URL of the runbook and dashboard links in alarm descriptions "
                "(thresholds.yml links.base_url).",
            },
        },
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


def _metric_stat(thresholds: Thresholds, metric: str, stat: str) -> dict[str, Any]:
    return {
        "Metric": {"Namespace": {"Ref": "MetricNamespace"}, "MetricName": metric},
        "Period": period_seconds(thresholds),
        "Stat": stat,
    }


def ratio_expression(thresholds: Thresholds) -> str:
    """The metric math of every ratio alarm: 0 below the minimum traffic, else num/den."""
    return f"IF(FILL(den, 0) >= {min_requests_per_period(thresholds)}, FILL(num, 0) / den, 0)"


def percentile_expression(thresholds: Thresholds) -> str:
    """The p95 alarm's math: 0 below the minimum number of served requests (a p95 of three is noise)."""
    return f"IF(FILL(n, 0) >= {min_requests_per_period(thresholds)}, value, 0)"


#: The no-traffic alarm's math: 1 when no chat line came and a flag line said the rollout is on
#: (or no flag line came at all: then nothing says it is off).
NO_TRAFFIC_EXPRESSION = "IF(FILL(lines, 0) < 1, IF(FILL(flags, 0) < 1, 1, IF(FILL(active, 0) > 0, 1, 0)), 0)"


def _runbook(thresholds: Thresholds, anchor: str) -> str:
    """The runbook link with the stack's LinksBaseUrl (Fn::Sub syntax)."""
    return join_url(f"${{{LINKS_PARAMETER}}}", f"{thresholds.links.runbook_path}#{anchor}")


def _evidence(thresholds: Thresholds, hold: timedelta) -> str:
    window = format_duration(thresholds.window)
    return f"{datapoints(thresholds, hold)} periods of {window} in a row, as the rule's {window} rate held {format_duration(hold)}"


def _alarm(thresholds: Thresholds, alert: str, description: str, severity: str, hold: timedelta) -> dict[str, Any]:
    count = datapoints(thresholds, hold)
    topic = {"Ref": _TOPICS[severity]}
    return {
        "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{alert}"},
        "AlarmDescription": {"Fn::Sub": description},
        "EvaluationPeriods": count,
        "DatapointsToAlarm": count,
        "AlarmActions": [topic],
        "OKActions": [topic],
    }


def _gate_alarm(
    thresholds: Thresholds, gate: Gate, tier: Tier, alert: str, measure: RatioMeasure | PercentileMeasure
) -> dict[str, Any]:
    description = (
        f"{gate.name} above {human_value(gate.unit, tier.threshold)} for {format_duration(tier.duration)}: "
        f"{_evidence(thresholds, tier.duration)} (severity={tier.severity}, action={tier.action}). "
        f"Runbook: {_runbook(thresholds, gate.runbook_anchor)}"
    )
    props = _alarm(thresholds, alert, description, tier.severity, tier.duration) | {
        "ComparisonOperator": "GreaterThanThreshold",
        # Missing data means no log lines at all; ChatNoTrafficAlarm owns that case.
        "TreatMissingData": "notBreaching",
    }
    if isinstance(measure, RatioMeasure):
        props["Threshold"] = tier.threshold
        props["Metrics"] = [
            {"Id": "num", "MetricStat": _metric_stat(thresholds, measure.numerator, "Sum"), "ReturnData": False},
            {"Id": "den", "MetricStat": _metric_stat(thresholds, measure.denominator, "Sum"), "ReturnData": False},
            {"Id": "ratio", "Expression": ratio_expression(thresholds), "Label": gate.name, "ReturnData": True},
        ]
    else:
        props["Threshold"] = round(tier.threshold * measure.scale, 6)
        props["Metrics"] = [
            {"Id": "value", "MetricStat": _metric_stat(thresholds, measure.metric, measure.statistic),
             "ReturnData": False},
            {"Id": "n", "MetricStat": _metric_stat(thresholds, measure.metric, "SampleCount"), "ReturnData": False},
            {"Id": "guarded", "Expression": percentile_expression(thresholds), "Label": gate.name,
             "ReturnData": True},
        ]
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


def _no_traffic_alarm(thresholds: Thresholds) -> dict[str, Any]:
    signal = thresholds.signal("no_traffic")
    description = (
        f"No chat request at all, blocked or served, for {format_duration(signal.duration)}: "
        f"{_evidence(thresholds, signal.duration)}, while the flag lines say the switch is on and the rollout "
        f"above 0 (or with no log line at all). Runbook: {_runbook(thresholds, signal.runbook_anchor)}"
    )
    props = _alarm(thresholds, signal.alert, description, signal.severity, signal.duration) | {
        "Metrics": [
            {"Id": "lines", "MetricStat": _metric_stat(thresholds, "ChatRequestsAll", "Sum"), "ReturnData": False},
            {"Id": "flags", "MetricStat": _metric_stat(thresholds, "ChatFlagLines", "Sum"), "ReturnData": False},
            {"Id": "active", "MetricStat": _metric_stat(thresholds, "ChatRolloutActive", "Sum"),
             "ReturnData": False},
            {"Id": "silent", "Expression": NO_TRAFFIC_EXPRESSION, "Label": "No chat traffic", "ReturnData": True},
        ],
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        # No log line at all (not even a flag line) is exactly the outage this alarm exists for.
        "TreatMissingData": "breaching",
    }
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


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
                    "period": period_seconds(thresholds),
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
    widgets.append(
        {
            "type": "text",
            "x": 0,
            "y": 18,
            "width": 24,
            "height": 2,
            "properties": {
                "markdown": f"[Runbook](${{{LINKS_PARAMETER}}}/{thresholds.links.runbook_path}) · "
                f"[Grafana dashboard](${{{LINKS_PARAMETER}}}/{thresholds.links.dashboard_path})"
            },
        }
    )
    body = json.dumps({"widgets": widgets}, indent=None, separators=(",", ":"))
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": {"Fn::Sub": "${AWS::StackName}-chat"}, "DashboardBody": {"Fn::Sub": body}},
    }
