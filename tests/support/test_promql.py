"""tests/support/promql.py: the metric names a dashboard or rule query reads, and nothing else."""

from tests.support.promql import metric_names


def test_functions_labels_groupings_and_durations_are_not_metric_names():
    expr = 'sum by (outcome) (rate(chat_requests_total{job="babyshield-chat",outcome!="blocked"}[5m]))'
    assert metric_names(expr) == {"chat_requests_total"}


def test_recording_rules_and_every_side_of_a_binary_expression_are_read():
    expr = ('(sum(rate(chat_requests_total{outcome="error"}[30s])) or vector(0)) / clamp_min(chat:requests:rate5m, 1e-9)'
            " and on () (chat_flag_enabled == 1) unless on (instance) up offset 1m")
    assert metric_names(expr) == {"chat_requests_total", "chat:requests:rate5m", "chat_flag_enabled", "up"}


def test_a_label_value_that_looks_like_a_metric_is_not_one():
    assert metric_names('max(chat_circuit_state{breaker="llm:synth"})') == {"chat_circuit_state"}
