"""thresholds.yml and its loader: the checklist's numbers, and refusal of bad edits."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import Any

import pytest
import yaml

from babyshield_chat.alerting.thresholds import (
    DEFAULT_PATH,
    GateStatus,
    ThresholdsError,
    load_thresholds,
    parse_thresholds,
)
from babyshield_chat.telemetry.labels import SYNTH_OUTCOMES

# The checklist's Key Metrics Targets, copied from the rollout checklist: the
# packaged file must say exactly this.
CHECKLIST = {
    "error_rate": (0.005, 0.01, 0.02),
    "latency_p95": (2.0, 2.5, 2.8),
    "circuit_rate": (0.001, 0.005, 0.01),
    "fallback_rate": (0.02, 0.05, 0.10),
    "tool_latency_p95": (0.5, 0.8, 1.2),
    "synth_latency_p95": (1.5, 2.0, 2.5),
}


@pytest.fixture
def raw() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def _gate(raw: dict[str, Any], key: str) -> dict[str, Any]:
    return next(g for g in raw["gates"] if g["key"] == key)


def test_packaged_gates_are_the_checklist_rows_with_its_numbers() -> None:
    thresholds = load_thresholds()
    assert {g.key: (g.target, g.warning, g.critical) for g in thresholds.gates} == CHECKLIST


@pytest.mark.parametrize(
    ("key", "critical", "minutes"),
    [("error_rate", 0.02, 5), ("latency_p95", 2.8, 10), ("circuit_rate", 0.01, 10)],
)
def test_rollback_triggers_have_the_checklist_threshold_and_duration(key: str, critical: float, minutes: int) -> None:
    gate = load_thresholds().gate(key)
    assert gate.rollback_trigger
    assert (gate.critical, gate.for_critical) == (critical, timedelta(minutes=minutes))
    assert (gate.critical_tier.severity, gate.critical_tier.action) == ("critical", "rollback")


def test_only_the_three_rollback_triggers_roll_back() -> None:
    triggers = {g.key for g in load_thresholds().gates if g.rollback_trigger}
    assert triggers == {"error_rate", "latency_p95", "circuit_rate"}


def test_gate_split_by_label_is_queried_as_its_worst_series() -> None:
    thresholds = load_thresholds()
    assert thresholds.gate("tool_latency_p95").query == "max(chat:tool_duration_seconds:p95_5m)"
    assert thresholds.gate("error_rate").query == "chat:error_ratio:rate5m"


def test_queries_in_one_environment_read_its_series_or_unlabelled_ones() -> None:
    thresholds = load_thresholds()
    assert thresholds.gate("error_rate").query_in("production") == 'max(chat:error_ratio:rate5m{env=~"production|"})'
    assert thresholds.gate("tool_latency_p95").query_in(None) == "max(chat:tool_duration_seconds:p95_5m)"
    assert thresholds.traffic_query_in("staging") == 'sum(chat:requests:rate5m{env=~"staging|"})'
    assert thresholds.gate("error_rate").query_in("prod.eu") == 'max(chat:error_ratio:rate5m{env=~"prod\\.eu|"})'


def test_spend_budget_tolerance_and_min_rate_are_exposed() -> None:
    thresholds = load_thresholds()
    assert thresholds.spend_budget_usd == 50
    assert thresholds.blocked_ratio_tolerance == 0.15
    assert thresholds.min_request_rate == 0.1
    assert thresholds.traffic_query == "chat:requests:rate5m"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (0.0, GateStatus.OK),
        (0.02, GateStatus.WARNING),  # at the critical threshold: not above it
        (0.0201, GateStatus.CRITICAL),
        (0.01, GateStatus.OK),
        (0.015, GateStatus.WARNING),
        (None, GateStatus.NO_DATA),
        (float("nan"), GateStatus.NO_DATA),
    ],
)
def test_gate_status_classifies_values_and_never_calls_missing_data_ok(value: float | None, status: GateStatus) -> None:
    assert load_thresholds().gate("error_rate").status(value) is status


def test_unknown_gate_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="error_rate"):
        load_thresholds().gate("eror_rate")


def test_warning_at_or_above_critical_is_refused_quoting_both(raw: dict[str, Any]) -> None:
    _gate(raw, "error_rate")["warning"]["threshold"] = 0.03
    with pytest.raises(ThresholdsError, match=r"gates\[error_rate\].*warning=0.03 critical=0.02"):
        parse_thresholds(raw)


def test_ratio_threshold_of_one_or_more_is_refused(raw: dict[str, Any]) -> None:
    _gate(raw, "fallback_rate")["critical"]["threshold"] = 10
    with pytest.raises(ThresholdsError, match=r"fallback_rate.*10"):
        parse_thresholds(raw)


def test_yaml_boolean_is_not_taken_for_a_number(raw: dict[str, Any]) -> None:
    _gate(raw, "error_rate")["target"] = True
    with pytest.raises(ThresholdsError, match=r"gates\[error_rate\]\.target.*True"):
        parse_thresholds(raw)


def test_bad_for_duration_names_the_field(raw: dict[str, Any]) -> None:
    _gate(raw, "latency_p95")["critical"]["for"] = "10 minutes"
    with pytest.raises(ThresholdsError, match=r"gates\[latency_p95\]\.critical\.for.*'10 minutes'"):
        parse_thresholds(raw)


def test_unknown_severity_is_refused(raw: dict[str, Any]) -> None:
    _gate(raw, "error_rate")["warning"]["severity"] = "page"
    with pytest.raises(ThresholdsError, match=r"warning\.severity.*'page'"):
        parse_thresholds(raw)


def test_rollback_action_without_the_trigger_flag_is_refused(raw: dict[str, Any]) -> None:
    _gate(raw, "error_rate")["rollback_trigger"] = False
    with pytest.raises(ThresholdsError, match=r"rollback_trigger=False.*critical.action='rollback'"):
        parse_thresholds(raw)


def test_duplicate_gate_keys_are_refused(raw: dict[str, Any]) -> None:
    raw["gates"].append(copy.deepcopy(_gate(raw, "error_rate")))
    with pytest.raises(ThresholdsError, match="duplicate gate key 'error_rate'"):
        parse_thresholds(raw)


def test_zero_minimum_request_rate_is_refused(raw: dict[str, Any]) -> None:
    raw["service"]["min_request_rate"] = 0
    with pytest.raises(ThresholdsError, match=r"min_request_rate.*0"):
        parse_thresholds(raw)


def test_blocked_ratio_hold_not_longer_than_the_window_is_refused(raw: dict[str, Any]) -> None:
    raw["signals"]["blocked_ratio"]["for"] = "5m"
    with pytest.raises(ThresholdsError, match=r"blocked_ratio\.for \(5m\) must exceed service\.window \(5m\)"):
        parse_thresholds(raw)


def test_missing_and_unknown_signals_are_listed(raw: dict[str, Any]) -> None:
    raw["signals"]["spnd"] = raw["signals"].pop("spend")
    with pytest.raises(ThresholdsError, match=r"unknown keys \['spnd'\], missing keys \['spend'\]"):
        parse_thresholds(raw)


def test_bad_label_matcher_is_quoted(raw: dict[str, Any]) -> None:
    _gate(raw, "error_rate")["measure"]["numerator"] = ["outcome=error"]
    with pytest.raises(ThresholdsError, match=r"numerator.*outcome=error"):
        parse_thresholds(raw)


def test_malformed_yaml_file_names_the_file(tmp_path) -> None:
    path = tmp_path / "thresholds.yml"
    path.write_text("gates: [unclosed", encoding="utf-8")
    with pytest.raises(ThresholdsError, match="thresholds.yml: not valid YAML"):
        load_thresholds(path)


def test_a_ratio_gate_split_by_a_label_is_refused(raw: dict[str, Any]) -> None:
    _gate(raw, "error_rate")["measure"]["by"] = ["endpoint"]
    with pytest.raises(ThresholdsError, match=r"error_rate\]\.measure\.by.*\['endpoint'\]"):
        parse_thresholds(raw)


def test_loaded_signals_cannot_be_edited() -> None:
    with pytest.raises(TypeError):
        load_thresholds().signals["spend"] = None  # type: ignore[index]


def test_links_are_absolute_under_the_base_url() -> None:
    thresholds = load_thresholds()
    assert thresholds.runbook_link("error-rate") == "https://ops.babyshield.invalid/runbooks/babyshield-chat#error-rate"
    assert thresholds.links.dashboard_url == "https://ops.babyshield.invalid/grafana/d/babyshield-chat/babyshield-chat"


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("docs/runbook.md", "must be absolute"),
        ("/runbooks", "must be absolute"),
        ("ops.example.com", "must be absolute"),
        ("ftp://ops.example.com", "must be absolute"),
        ("http://localhost:3000", "'localhost' is the reader's own machine"),
        ("https://grafana.localhost", "'grafana.localhost' is the reader's own machine"),
        ("http://127.0.0.1:3000", "'127.0.0.1' is the reader's own machine"),
        ("http://[::1]:3000", "'::1' is the reader's own machine"),
        ("http://0.0.0.0", "'0.0.0.0' is the reader's own machine"),
        ("https://ops.example.com/?team=chat", "no query or fragment"),
        ("", "expected an absolute URL"),
        (None, "expected an absolute URL"),
    ],
)
def test_a_relative_or_local_links_base_url_is_refused(raw: dict[str, Any], base_url: object, problem: str) -> None:
    raw["links"]["base_url"] = base_url
    with pytest.raises(ThresholdsError, match=rf"links\.base_url: .*{re.escape(problem)}"):
        parse_thresholds(raw)


@pytest.mark.parametrize("path", ["https://elsewhere.example/runbook", "", "run book", "runbook#section"])
def test_a_link_path_must_be_a_plain_path_under_the_base(raw: dict[str, Any], path: str) -> None:
    raw["links"]["runbook"] = path
    with pytest.raises(ThresholdsError, match=r"links\.runbook: expected a path under links\.base_url"):
        parse_thresholds(raw)


def test_a_base_url_with_a_path_keeps_it_and_one_slash_joins(raw: dict[str, Any]) -> None:
    raw["links"] |= {"base_url": "https://ops.example.com/chat/", "dashboard": "/grafana/d/x/y"}
    assert parse_thresholds(raw).links.dashboard_url == "https://ops.example.com/chat/grafana/d/x/y"


def test_a_ratio_may_count_every_series_below_the_line_but_never_above_it(raw: dict[str, Any]) -> None:
    _gate(raw, "fallback_rate")["measure"]["denominator"] = []
    assert parse_thresholds(raw).gate("fallback_rate").measure.denominator == ()
    _gate(raw, "fallback_rate")["measure"]["numerator"] = []
    with pytest.raises(ThresholdsError, match=r"fallback_rate\]\.measure: a ratio needs numerator matchers"):
        parse_thresholds(raw)


@pytest.mark.parametrize("min_rate", [0, -1, "often"])
def test_a_measures_own_minimum_rate_must_be_a_positive_number(raw: dict[str, Any], min_rate: object) -> None:
    _gate(raw, "fallback_rate")["measure"]["min_rate"] = min_rate
    with pytest.raises(ThresholdsError, match=r"fallback_rate\]\.measure\.min_rate"):
        parse_thresholds(raw)


def test_the_synthesis_p95_leaves_out_synthesis_that_never_reached_the_llm() -> None:
    # circuit_open and spend_cap end in microseconds; an LLM outage must not look fast.
    (matcher,) = load_thresholds().gate("synth_latency_p95").measure.matchers
    assert matcher == 'outcome!~"circuit_open|spend_cap"'
    assert {"circuit_open", "spend_cap"} <= set(SYNTH_OUTCOMES)
