"""rules.py: the Prometheus rules say what thresholds.yml says, at any time scale."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from babyshield_chat.devtools.alerting.rules import render_rules
from babyshield_chat.alerting.thresholds import Measure, ThresholdsError, load_thresholds, parse_duration

_DURATION = re.compile(r"\[(\d+(?:ms|s|m|h))\]")


def _rules(text: str) -> list[dict[str, Any]]:
    (group,) = yaml.safe_load(text)["groups"]
    return group["rules"]


def _alerts(text: str) -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for r in _rules(text) if "alert" in r}


@pytest.fixture(scope="module")
def committed(repo_root: Path) -> str:
    return (repo_root / "infra/prometheus/chat.rules.yml").read_text(encoding="utf-8")


def test_committed_rules_alert_at_each_gate_tier_threshold_and_duration(committed: str) -> None:
    alerts = _alerts(committed)
    for gate in load_thresholds().gates:
        for name, tier in ((gate.warning_alert, gate.warning_tier), (gate.critical_alert, gate.critical_tier)):
            rule = alerts[name]
            record, op, value = rule["expr"].split()
            assert (record, op, float(value)) == (gate.record, ">", tier.threshold), name
            assert parse_duration(rule["for"]) == tier.duration, name
            assert (rule["labels"]["severity"], rule["labels"]["action"]) == (tier.severity, tier.action), name


def test_rollback_triggers_fire_on_the_checklist_numbers(committed: str) -> None:
    alerts = _alerts(committed)
    triggers = {
        name: (rule["expr"], rule["for"]) for name, rule in alerts.items() if rule["labels"].get("rollback_trigger")
    }
    assert triggers == {
        "ChatErrorRateCritical": ("chat:error_ratio:rate5m > 0.02", "5m"),
        "ChatLatencyP95Critical": ("chat:request_duration_seconds:p95_5m > 2.8", "10m"),
        "ChatCircuitOpenRateCritical": ("chat:circuit_open_ratio:rate5m > 0.01", "10m"),
    }
    assert {alerts[name]["labels"]["action"] for name in triggers} == {"rollback"}


def test_signal_alerts_use_the_budget_tolerance_and_pool_limit_of_thresholds(committed: str) -> None:
    thresholds, alerts = load_thresholds(), _alerts(committed)
    assert alerts["ChatLlmSpendAboveBudget"]["expr"].endswith(f"> {thresholds.spend_budget_usd:g}")
    assert alerts["ChatBlockedRatioInconsistent"]["expr"].endswith(f"> {thresholds.blocked_ratio_tolerance:g}")
    assert alerts["ChatDbPoolExhaustion"]["expr"].endswith(f">= {thresholds.signal('db_pool').threshold:g}")
    for key, signal in thresholds.signals.items():
        assert parse_duration(alerts[signal.alert]["for"]) == signal.duration, key


def test_every_ratio_and_p95_record_requires_the_minimum_request_rate(committed: str) -> None:
    min_rate = load_thresholds().min_request_rate
    guarded = [
        r for r in _rules(committed) if "record" in r and ("/" in r["expr"] or "histogram_quantile" in r["expr"])
    ]
    pool = [r for r in guarded if r["record"] == "chat:db_pool_utilisation:ratio"]
    assert len(guarded) >= 8
    for rule in guarded:
        if rule in pool:
            assert "clamp_min" in rule["expr"]  # a gauge ratio: no traffic to require
            continue
        assert f">= {min_rate:g})" in rule["expr"], rule["record"]
        assert "and on (" in rule["expr"], rule["record"]


def test_every_alert_links_its_runbook_section_and_the_dashboard_of_its_env_absolutely(committed: str) -> None:
    thresholds = load_thresholds()
    anchors = {g.alert + tier: g.runbook_anchor for g in thresholds.gates for tier in ("Warning", "Critical")}
    anchors |= {s.alert: s.runbook_anchor for s in thresholds.signals.values()}
    base = thresholds.links.base_url
    assert base.startswith("https://")
    for name, rule in _alerts(committed).items():
        notes = rule["annotations"]
        assert notes["runbook_url"] == f"{base}/runbooks/babyshield-chat#{anchors[name]}", name
        assert notes["dashboard"] == f"{base}/grafana/d/babyshield-chat/babyshield-chat?var-env={{{{ $labels.env }}}}"
        assert notes["summary"].startswith("{{ with $labels.env }}[{{ . }}] {{ end }}") and notes["description"]


def test_no_aggregation_drops_the_env_label(committed: str) -> None:
    # One Prometheus watching staging and production must compute each apart.
    for rule in _rules(committed):
        expr = rule["expr"]
        for match in re.finditer(r"\b(sum|max|min|count|avg)\b\s*(by|without)?\s*(\([^()]*\))?\s*\(", expr):
            kind, grouping, labels = match.groups()
            keeps_env = (grouping == "by" and "env" in labels) or (grouping == "without" and "env" not in labels)
            assert keeps_env, f"{rule.get('record', rule.get('alert'))}: {match.group(0)!r} drops env"
        assert "on ()" not in expr and "vector(" not in expr, rule.get("record", rule.get("alert"))


def test_a_measure_can_count_every_series_and_set_its_own_minimum_rate() -> None:
    # What a later gate (e.g. the share of unhelpful votes) needs from one thresholds entry.
    thresholds = load_thresholds()
    gate = dataclasses.replace(
        thresholds.gate("fallback_rate"),
        key="unhelpful_rate", alert="ChatUnhelpfulRate", record="chat:unhelpful_ratio:rate5m",
        measure=Measure(kind="ratio", metric="chat_feedback_total", numerator=('helpful="false"',), min_rate=0.01),
    )
    rules = _rules(render_rules(dataclasses.replace(thresholds, gates=(*thresholds.gates, gate))))
    [record] = [r for r in rules if r.get("record") == "chat:unhelpful_ratio:rate5m"]
    assert 'chat_feedback_total{job="babyshield-chat",helpful="false"}' in record["expr"]
    assert 'rate(chat_feedback_total{job="babyshield-chat"}[5m])) >= 0.01)' in record["expr"]
    assert {r.get("alert") for r in rules} >= {"ChatUnhelpfulRateWarning", "ChatUnhelpfulRateCritical"}


def test_time_compressed_rules_scale_every_for_and_window_but_keep_the_names(committed: str) -> None:
    fast = render_rules(load_thresholds(), time_scale=1 / 60, window_floor=timedelta(seconds=30))
    slow_rules, fast_rules = _rules(committed), _rules(fast)
    assert [r.get("record", r.get("alert")) for r in fast_rules] == [
        r.get("record", r.get("alert")) for r in slow_rules
    ]
    fast_alerts = _alerts(fast)
    assert fast_alerts["ChatErrorRateCritical"]["for"] == "5s"
    assert fast_alerts["ChatLatencyP95Critical"]["for"] == "10s"
    assert fast_alerts["ChatCircuitOpenRateCritical"]["for"] == "10s"
    windows = {w for r in fast_rules for w in _DURATION.findall(r["expr"])}
    assert windows == {"30s", "24m"}  # 5m → 5s, floored to 30s; the 24h spend window → 24m
    for slow, quick in zip(slow_rules, fast_rules):
        assert _DURATION.sub("[W]", slow["expr"]) == _DURATION.sub("[W]", quick["expr"])


def test_real_time_scale_is_the_committed_file(committed: str) -> None:
    assert render_rules(load_thresholds(), time_scale=1.0) == committed


@pytest.mark.parametrize("scale", [0, -1, 2])
def test_time_scale_outside_zero_to_one_is_refused(scale: float) -> None:
    with pytest.raises(ThresholdsError, match=f"time_scale must be in \\(0, 1\\], got {scale}"):
        render_rules(load_thresholds(), time_scale=scale)


def test_rules_select_the_configured_job_only() -> None:
    thresholds = dataclasses.replace(load_thresholds(), job="chat-canary")
    text = render_rules(thresholds)
    selectors = re.findall(r"\{([^}]*)\}", "".join(r["expr"] for r in _rules(text)))
    assert selectors and all('job="chat-canary"' in s for s in selectors)
    assert 'babyshield-chat"' not in "".join(r["expr"] for r in _rules(text))


def test_a_lower_minimum_rate_reaches_every_guard() -> None:
    # The end-to-end test lowers it to drive a live Prometheus with little traffic.
    default = render_rules(load_thresholds())
    lowered = render_rules(dataclasses.replace(load_thresholds(), min_request_rate=0.02))
    assert default.count(">= 0.1)") == lowered.count(">= 0.02)") >= 8
    assert ">= 0.1)" not in lowered
