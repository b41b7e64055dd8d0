"""Reading what a `Telemetry.for_tests()` recorded, for assertions in tests.

For example, in an app test:

    telemetry = Telemetry.for_tests()
    ... exercise the app ...
    [point] = metric_points(telemetry, "chat_requests_total")
    assert point.attributes["outcome"] == "ok" and point.value == 1
    [span] = finished_spans(telemetry, "POST /api/v1/chat/conversation")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry.sdk.metrics.export import HistogramDataPoint, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan

from babyshield_chat.telemetry.setup import Telemetry


@dataclass(frozen=True)
class MetricPoint:
    """One series of a metric: its attributes and current value.

    For histograms `value` is the observation count, and `sum`,
    `bucket_counts` and `bounds` are filled.
    """

    attributes: Mapping[str, object]
    value: float
    sum: float | None = None
    bucket_counts: tuple[int, ...] = field(default=())
    bounds: tuple[float, ...] = field(default=())


def metric_points(telemetry: Telemetry, name: str) -> list[MetricPoint]:
    """The points of metric `name` as collected now (cumulative since start)."""
    if telemetry.metric_reader is None:
        raise ValueError("metric_points needs a Telemetry.for_tests() instance")
    data = telemetry.metric_reader.get_metrics_data()
    points: list[MetricPoint] = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    if isinstance(point, HistogramDataPoint):
                        points.append(
                            MetricPoint(
                                attributes=dict(point.attributes or {}),
                                value=point.count,
                                sum=point.sum,
                                bucket_counts=tuple(point.bucket_counts),
                                bounds=tuple(point.explicit_bounds),
                            )
                        )
                    elif isinstance(point, NumberDataPoint):
                        points.append(MetricPoint(attributes=dict(point.attributes or {}), value=point.value))
    return points


def finished_spans(telemetry: Telemetry, name: str | None = None) -> list[ReadableSpan]:
    """The spans ended so far, optionally only those called `name`."""
    if telemetry.span_exporter is None:
        raise ValueError("finished_spans needs a Telemetry.for_tests() instance")
    return [span for span in telemetry.span_exporter.get_finished_spans() if name is None or span.name == name]
