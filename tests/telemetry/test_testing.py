"""The test helpers read back exactly what the app recorded."""

import pytest

from babyshield_chat.telemetry.setup import Telemetry
from babyshield_chat.telemetry.testing import finished_spans, metric_points


def test_metric_points_give_counter_values_by_series():
    telemetry = Telemetry.for_tests()
    telemetry.metrics.count_retry("db")
    telemetry.metrics.count_retry("db")
    telemetry.metrics.count_retry("llm")

    points = {point.attributes["dependency"]: point.value for point in metric_points(telemetry, "chat_retries_total")}

    assert points == {"db": 2, "llm": 1}


def test_metric_points_give_histogram_count_sum_and_buckets():
    telemetry = Telemetry.for_tests()
    telemetry.metrics.record_tool("age_check", "timeout", 0.9)

    [point] = metric_points(telemetry, "chat_tool_duration_seconds")

    assert (point.value, point.sum) == (1, 0.9)
    assert point.bucket_counts[point.bounds.index(1.2)] == 1


def test_finished_spans_filter_by_name():
    telemetry = Telemetry.for_tests()
    with telemetry.tracer.start_as_current_span("chat.gate"), telemetry.tracer.start_as_current_span("chat.classify"):
        pass

    assert [span.name for span in finished_spans(telemetry, "chat.gate")] == ["chat.gate"]


def test_helpers_refuse_a_production_telemetry():
    telemetry = Telemetry.create(Telemetry.for_tests().settings)

    with pytest.raises(ValueError):
        metric_points(telemetry, "chat_requests_total")
    with pytest.raises(ValueError):
        finished_spans(telemetry)
