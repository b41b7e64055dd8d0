"""A small simulator of the template's CloudWatch pipeline: log lines → metrics → alarm states.

It replays minutes of log lines through the template's ``AWS::Logs::MetricFilter``
resources (patterns evaluated by :mod:`.cloudwatch_patterns`), aggregates the
published values per period (Sum, SampleCount, Average, Minimum, Maximum,
pNN), evaluates each ``AWS::CloudWatch::Alarm`` — a plain statistic or the
metric-math subset the template uses (``IF``, ``FILL``, arithmetic and
comparisons) — and applies "M out of N" with the alarm's TreatMissingData.
moto stores alarms but never evaluates them; this is how the tests prove that
an alarm's math crosses its threshold on a failing stream and not on a healthy
one.

Evaluation follows CloudWatch's default sliding evaluation window: the alarm
runs every minute, and a period of k minutes is the k minutes ending then, so
its N datapoints are the periods ending now, k minutes ago, 2k minutes ago...

Approximations, documented rather than hidden: percentiles use the nearest-rank
method on raw values; ``FILL`` fills a period even when the metric has no data
in the whole range; minutes before the first replayed one hold no data.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babyshield_chat.devtools.alerting.cloudwatch_patterns import compile_pattern, parse_line, select_value

Minute = Sequence[str]
_STAT = re.compile(r"^(Sum|SampleCount|Average|Minimum|Maximum|p\d{1,2}(?:\.\d+)?)$")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


class SimulationError(ValueError):
    """The template uses something the simulator does not model; the message quotes it."""


@dataclass(frozen=True)
class MetricStream:
    """Values each metric received, per one-minute period."""

    values: Mapping[str, tuple[tuple[float, ...], ...]]
    minutes: int

    def statistic(self, metric: str, stat: str, minute: int, period_minutes: int = 1) -> float | None:
        """The statistic of the period of ``period_minutes`` ending with ``minute``, or None without values."""
        if not _STAT.match(stat):
            raise SimulationError(f"unsupported statistic {stat!r}")
        per_minute = self.values.get(metric, ())
        first = max(0, minute - period_minutes + 1)
        points = [v for m in range(first, minute + 1) if m < len(per_minute) for v in per_minute[m]]
        if not points:
            return None
        if stat == "Sum":
            return sum(points)
        if stat == "SampleCount":
            return float(len(points))
        if stat == "Average":
            return sum(points) / len(points)
        if stat == "Minimum":
            return min(points)
        if stat == "Maximum":
            return max(points)
        ordered = sorted(points)
        rank = math.ceil(float(stat[1:]) / 100 * len(ordered))
        return ordered[max(rank, 1) - 1]


def publish(template: Mapping[str, Any], minutes: Sequence[Minute]) -> MetricStream:
    """Run every minute's log lines through the template's metric filters."""
    collected: dict[str, list[list[float]]] = {}
    decoded = [[parse_line(line) for line in lines] for lines in minutes]
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Logs::MetricFilter":
            continue
        props = resource["Properties"]
        pattern = compile_pattern(props["FilterPattern"])
        (transformation,) = props["MetricTransformations"]
        per_minute: list[list[float]] = []
        for events in decoded:
            published: list[float] = []
            for event in events:
                if pattern.matches_event(event):
                    value = _metric_value(transformation["MetricValue"], event)
                    if value is not None:
                        published.append(value)
                elif "DefaultValue" in transformation:
                    published.append(float(transformation["DefaultValue"]))
            per_minute.append(published)
        collected[transformation["MetricName"]] = per_minute
    return MetricStream({k: tuple(tuple(m) for m in v) for k, v in collected.items()}, len(minutes))


def _metric_value(spec: str, event: object) -> float | None:
    if not spec.startswith("$"):
        return float(spec)
    value = select_value(event, spec)
    # CloudWatch publishes nothing when the selected field is not a number.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def alarm_period_minutes(alarm: Mapping[str, Any]) -> int:
    """The alarm's period in minutes (one period for all its metrics, as CloudWatch requires)."""
    if "Metrics" in alarm:
        periods = {q["MetricStat"]["Period"] for q in alarm["Metrics"] if "MetricStat" in q}
        if len(periods) != 1:
            raise SimulationError(f"an alarm's metrics must share one period, got {sorted(periods)!r}")
        (period,) = periods
    else:
        period = alarm.get("Period")
    return _period_minutes(period, alarm)


def alarm_values(alarm: Mapping[str, Any], stream: MetricStream) -> list[float | None]:
    """For each minute, the value of the period ending then: what the alarm compares with its threshold."""
    k = alarm_period_minutes(alarm)
    if "Metrics" in alarm:
        queries = {q["Id"]: q for q in alarm["Metrics"]}
        (returned,) = [q for q in alarm["Metrics"] if q.get("ReturnData", True)]
        return [_query(returned, queries, stream, minute, k) for minute in range(stream.minutes)]
    stat = alarm.get("ExtendedStatistic") or alarm["Statistic"]
    return [stream.statistic(alarm["MetricName"], stat, m, k) for m in range(stream.minutes)]


def alarm_states(alarm: Mapping[str, Any], stream: MetricStream) -> list[str]:
    """ALARM / OK / INSUFFICIENT_DATA after each minute, applying M out of N."""
    k = alarm_period_minutes(alarm)
    values = alarm_values(alarm, stream)
    compare = _OPERATORS.get(alarm["ComparisonOperator"])
    if compare is None:
        raise SimulationError(f"unsupported ComparisonOperator {alarm['ComparisonOperator']!r}")
    missing = alarm.get("TreatMissingData", "missing")
    if missing not in ("breaching", "notBreaching", "missing"):
        raise SimulationError(f"unsupported TreatMissingData {missing!r}")
    threshold = float(alarm["Threshold"])
    n, m = int(alarm["EvaluationPeriods"]), int(alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"]))
    states = []
    for end in range(len(values)):
        # The N most recent periods: ending now, k minutes ago, 2k minutes ago...
        window = [values[end - j * k] if end - j * k >= 0 else None for j in range(n)]
        if missing == "missing" and all(v is None for v in window):
            states.append("INSUFFICIENT_DATA")
            continue
        breaching = sum(
            1 for v in window if (v is None and missing == "breaching") or (v is not None and compare(v, threshold))
        )
        states.append("ALARM" if breaching >= m else "OK")
    return states


def _period_minutes(period: object, where: Mapping[str, Any]) -> int:
    # CloudWatch's high-resolution 10 s and 30 s periods are not modelled: the template uses whole minutes.
    if isinstance(period, bool) or not isinstance(period, int) or period < 60 or period % 60:
        raise SimulationError(f"the simulator models whole-minute periods only, got Period={period!r} in {dict(where)!r}")
    return period // 60


def _query(
    query: Mapping[str, Any], queries: Mapping[str, Any], stream: MetricStream, minute: int, k: int
) -> float | None:
    if "MetricStat" in query:
        stat = query["MetricStat"]
        return stream.statistic(stat["Metric"]["MetricName"], stat["Stat"], minute, k)

    def resolve(name: str) -> float | None:
        if name not in queries:
            raise SimulationError(f"metric math {query['Expression']!r} names unknown id {name!r}")
        return _query(queries[name], queries, stream, minute, k)

    return _Math(query["Expression"], resolve).evaluate()


_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|>=|<=|==|!=|[-+*/(),<>])")


@functools.lru_cache(maxsize=64)
def _tokens(text: str) -> tuple[str, ...]:
    # Cached: an alarm evaluates the same expression every minute of every replay.
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SimulationError(f"cannot read {text[pos:]!r} in metric math {text!r}")
        tokens.append(match.group(1))
        pos = match.end()
    return tuple(tokens)


class _Math:
    """Recursive-descent evaluator of one period of a metric-math expression."""

    def __init__(self, text: str, resolve: Callable[[str], float | None]) -> None:
        self.text, self.resolve = text, resolve
        self.tokens = _tokens(text)
        self.pos = 0

    def evaluate(self) -> float | None:
        value = self.comparison()
        if self.pos != len(self.tokens):
            raise SimulationError(f"unexpected {self.tokens[self.pos]!r} in metric math {self.text!r}")
        return value

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise SimulationError(f"metric math {self.text!r} ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def comparison(self) -> float | None:
        left = self.additive()
        ops = {
            ">": float.__gt__,
            "<": float.__lt__,
            ">=": float.__ge__,
            "<=": float.__le__,
            "==": float.__eq__,
            "!=": float.__ne__,
        }
        if self.pos < len(self.tokens) and self.tokens[self.pos] in ops:
            op = ops[self.take()]
            right = self.additive()
            return None if left is None or right is None else float(op(float(left), float(right)))
        return left

    def additive(self) -> float | None:
        value = self.multiplicative()
        while self.pos < len(self.tokens) and self.tokens[self.pos] in "+-":
            op, right = self.take(), self.multiplicative()
            value = None if value is None or right is None else (value + right if op == "+" else value - right)
        return value

    def multiplicative(self) -> float | None:
        value = self.atom()
        while self.pos < len(self.tokens) and self.tokens[self.pos] in "*/":
            op, right = self.take(), self.atom()
            if value is None or right is None:
                value = None
            elif op == "*":
                value = value * right
            else:
                # CloudWatch drops a period divided by zero rather than erroring.
                value = None if right == 0 else value / right
        return value

    def atom(self) -> float | None:
        token = self.take()
        if token == "(":
            value = self.comparison()
            self._expect(")")
            return value
        if token[0].isdigit():
            return float(token)
        if token in ("IF", "FILL"):
            self._expect("(")
            args = [self.comparison()]
            while self.tokens[self.pos] == ",":
                self.take()
                args.append(self.comparison())
            self._expect(")")
            return self._call(token, args)
        return self.resolve(token)

    def _call(self, name: str, args: list[float | None]) -> float | None:
        if name == "FILL" and len(args) == 2:
            return args[1] if args[0] is None else args[0]
        if name == "IF" and len(args) in (2, 3):
            if args[0] is None:
                return None
            if args[0]:
                return args[1]
            return args[2] if len(args) == 3 else None
        raise SimulationError(f"{name} with {len(args)} arguments is not modelled, in metric math {self.text!r}")

    def _expect(self, token: str) -> None:
        got = self.take()
        if got != token:
            raise SimulationError(f"expected {token!r}, got {got!r} in metric math {self.text!r}")
