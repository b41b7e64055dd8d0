"""cloudwatch_alarms.py: the simulator aggregates, computes metric math and applies M of N like CloudWatch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from babyshield_chat.devtools.alerting.cloudwatch_alarms import (
    MetricStream,
    SimulationError,
    alarm_states,
    alarm_values,
    publish,
)


def _filter(name: str, pattern: str, value: str = "1", default: float | None = None) -> dict[str, Any]:
    transformation: dict[str, Any] = {"MetricName": name, "MetricNamespace": "T", "MetricValue": value}
    if default is not None:
        transformation["DefaultValue"] = default
    return {
        "Type": "AWS::Logs::MetricFilter",
        "Properties": {"FilterPattern": pattern, "LogGroupName": "g", "MetricTransformations": [transformation]},
    }


TEMPLATE = {
    "Resources": {
        "Hits": _filter("Hits", '{ $.kind = "hit" }', default=0),
        "Ms": _filter("Ms", '{ $.kind = "hit" }', value="$.ms"),
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
    }
}


def _line(kind: str, ms: object = 10) -> str:
    return json.dumps({"kind": kind, "ms": ms})


def _stream(**values: list[list[float]]) -> MetricStream:
    minutes = len(next(iter(values.values())))
    return MetricStream({k: tuple(tuple(m) for m in v) for k, v in values.items()}, minutes)


def _stat_alarm(stat: str, threshold: float, n: int, m: int, missing: str, op: str = "GreaterThanThreshold") -> dict:
    return {
        "MetricName": "X",
        "Statistic": stat,
        "Period": 60,
        "Threshold": threshold,
        "EvaluationPeriods": n,
        "DatapointsToAlarm": m,
        "ComparisonOperator": op,
        "TreatMissingData": missing,
    }


def test_matching_lines_publish_their_value_and_others_the_default() -> None:
    stream = publish(TEMPLATE, [[_line("hit", 5), _line("miss"), _line("hit", 7)], []])
    assert stream.values["Hits"] == ((1.0, 0.0, 1.0), ())
    assert stream.values["Ms"] == ((5.0, 7.0), ())  # no default: a miss publishes nothing


def test_a_non_numeric_value_field_publishes_nothing() -> None:
    stream = publish(TEMPLATE, [[_line("hit", "slow"), _line("hit", True)]])
    assert stream.values["Ms"] == ((),)


@pytest.mark.parametrize(
    ("stat", "expected"),
    [
        ("Sum", 5050.0),
        ("SampleCount", 100.0),
        ("Average", 50.5),
        ("Minimum", 1.0),
        ("Maximum", 100.0),
        ("p95", 95.0),
        ("p50", 50.0),
        ("p99.9", 100.0),
    ],
)
def test_statistics_of_one_period(stat: str, expected: float) -> None:
    stream = _stream(X=[[float(v) for v in range(100, 0, -1)]])
    assert stream.statistic("X", stat, 0) == expected


def test_a_period_without_values_has_no_statistic() -> None:
    assert _stream(X=[[]]).statistic("X", "Sum", 0) is None
    assert _stream(X=[[]]).statistic("Unknown", "p95", 0) is None


def test_unknown_statistic_is_refused_by_name() -> None:
    with pytest.raises(SimulationError, match="'Median'"):
        _stream(X=[[1.0]]).statistic("X", "Median", 0)


def _math_alarm(expression: str) -> dict[str, Any]:
    def stat(metric: str) -> dict[str, Any]:
        return {"Metric": {"Namespace": "T", "MetricName": metric}, "Period": 60, "Stat": "Sum"}

    return {
        "Metrics": [
            {"Id": "num", "MetricStat": stat("N"), "ReturnData": False},
            {"Id": "den", "MetricStat": stat("D"), "ReturnData": False},
            {"Id": "e", "Expression": expression, "ReturnData": True},
        ],
        "Threshold": 0.5,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }


def test_metric_math_guards_fill_and_divides_per_period() -> None:
    stream = _stream(N=[[3.0], [], [1.0], [0.0]], D=[[10.0], [10.0], [2.0], []])
    values = alarm_values(_math_alarm("IF(FILL(den, 0) >= 5, FILL(num, 0) / den, 0)"), stream)
    assert values == [0.3, 0.0, 0.0, 0.0]


def test_metric_math_arithmetic_precedence_and_division_by_zero() -> None:
    stream = _stream(N=[[2.0], [2.0]], D=[[4.0], [0.0]])
    assert alarm_values(_math_alarm("num + den * 2 - (num - 1)"), stream) == [9.0, 1.0]
    assert alarm_values(_math_alarm("num / den"), stream) == [0.5, None]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("num / nope", "unknown id 'nope'"),
        ("MAX(num, den)", "'MAX'"),
        ("FILL(num)", "FILL with 1 arguments"),
        ("num /", "ends too early"),
        ("num ; den", "cannot read"),
    ],
)
def test_metric_math_outside_the_modelled_subset_is_refused(expression: str, message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        alarm_values(_math_alarm(expression), _stream(N=[[1.0]], D=[[1.0]]))


def test_m_out_of_n_needs_m_breaching_points_among_the_last_n() -> None:
    stream = _stream(X=[[9.0], [1.0], [9.0], [9.0], [9.0], [1.0], [1.0]])
    assert alarm_states(_stat_alarm("Sum", 5, 4, 3, "notBreaching"), stream) == [
        "OK",
        "OK",
        "OK",
        "ALARM",
        "ALARM",
        "ALARM",
        "OK",
    ]


def test_treat_missing_data_decides_what_silence_means() -> None:
    silent = _stream(X=[[], [], []])
    # Periods before the first replayed minute are missing data too.
    assert alarm_states(_stat_alarm("Sum", 1, 2, 2, "breaching", "LessThanThreshold"), silent) == ["ALARM"] * 3
    assert alarm_states(_stat_alarm("Sum", 1, 2, 2, "notBreaching", "LessThanThreshold"), silent) == ["OK"] * 3
    assert (
        alarm_states(_stat_alarm("Sum", 1, 2, 2, "missing", "LessThanThreshold"), silent) == ["INSUFFICIENT_DATA"] * 3
    )


def test_extended_statistic_alarms_compare_the_percentile() -> None:
    stream = _stream(X=[[100.0] * 94 + [5000.0] * 6, [100.0] * 96 + [5000.0] * 4])
    alarm = _stat_alarm("Sum", 2800, 1, 1, "notBreaching") | {"ExtendedStatistic": "p95"}
    assert alarm_states(alarm, stream) == ["ALARM", "OK"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"ComparisonOperator": "GreaterThanUpperThreshold"}, "GreaterThanUpperThreshold"),
        ({"TreatMissingData": "ignore"}, "'ignore'"),
        ({"Period": 30}, "Period=30"),
        ({"Period": 90}, "Period=90"),
    ],
)
def test_alarm_settings_outside_the_model_are_refused(override: dict[str, Any], message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        alarm_states(_stat_alarm("Sum", 1, 1, 1, "notBreaching") | override, _stream(X=[[1.0]]))


def test_a_five_minute_period_slides_every_minute_over_the_last_five_minutes() -> None:
    stream = _stream(X=[[1.0], [2.0], [], [4.0], [8.0], [16.0], [32.0]])
    alarm = _stat_alarm("Sum", 0, 1, 1, "notBreaching") | {"Period": 300}
    assert alarm_values(alarm, stream) == [1.0, 3.0, 3.0, 7.0, 15.0, 30.0, 60.0]


def test_m_out_of_n_with_long_periods_takes_whole_periods_back_in_time() -> None:
    # Two datapoints of five minutes: the period ending now and the one ending five minutes ago.
    stream = _stream(X=[[10.0]] * 5 + [[0.0]] * 5 + [[10.0]] * 5)
    alarm = _stat_alarm("Sum", 20, 2, 2, "notBreaching") | {"Period": 300}
    states = alarm_states(alarm, stream)
    assert states[4] == "OK"  # one breaching period; the one before it holds no data
    assert states[9] == "OK" and states[14] == "OK"  # minutes 5-9 are quiet
    assert alarm_states(alarm, _stream(X=[[10.0]] * 12))[9:] == ["ALARM"] * 3


def test_metric_math_periods_must_agree() -> None:
    alarm = _math_alarm("num / den")
    alarm["Metrics"][1]["MetricStat"]["Period"] = 300
    with pytest.raises(SimulationError, match=r"share one period, got \[60, 300\]"):
        alarm_values(alarm, _stream(N=[[1.0]], D=[[1.0]]))


def test_percentile_of_a_long_period_ranks_every_value_in_it() -> None:
    stream = _stream(X=[[float(v) for v in range(1, 51)], [float(v) for v in range(51, 101)]])
    alarm = _stat_alarm("Sum", 0, 1, 1, "notBreaching") | {"ExtendedStatistic": "p95", "Period": 120}
    assert alarm_values(alarm, stream) == [48.0, 95.0]
