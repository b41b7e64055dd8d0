"""sensitivity.py: the pager table of docs/alerting.md is what the simulator measures, and its Prometheus is promtool's.

The Prometheus side of the table is a model; here it meets the real thing:
the same random streams go through ``promtool test rules`` with the committed
rules, and the model must fire at exactly the evaluations promtool fires at.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
import yaml

from babyshield_chat.alerting.thresholds import load_thresholds
from babyshield_chat.devtools.alerting.cloudformation import CLOUDWATCH_MEASURES, build_template
from babyshield_chat.devtools.alerting.cloudwatch_alarms import alarm_states, publish
from babyshield_chat.devtools.alerting.sensitivity import (
    SCRAPE_SEC,
    PrometheusRule,
    Traffic,
    cloudwatch_states,
    extrapolated_rate,
    main,
    render_table,
    sensitivity_rows,
    simulate,
)

from tests.support.log_lines import chat_line, flag_line

THRESHOLDS = load_thresholds()
SERIES = 'chat_requests_total{{job="babyshield-chat",env="production",endpoint="conversation",{labels}}}'
# How each gate's numerator and the other served requests are labelled (spec section 5).
EVENT_LABELS = {
    "error_rate": ('outcome="error",circuit="closed"', 'outcome="ok",circuit="closed"'),
    "circuit_rate": ('outcome="fallback",circuit="open"', 'outcome="ok",circuit="closed"'),
}
STREAM_MINUTES = 30


def _cumulative(counts: tuple[int, ...]) -> str:
    total, values = 0, ["0"]
    for count in counts:
        total += count
        values.append(str(total))
    return " ".join(values)


def _promtool_case(gate_key: str, traffic: Traffic) -> dict:
    """A promtool test: the stream as two counters, and what the model says the alert does."""
    gate = THRESHOLDS.gate(gate_key)
    events, others = EVENT_LABELS[gate_key]
    firing = PrometheusRule.critical(THRESHOLDS, gate).firing(traffic)
    end = len(traffic.requests) * SCRAPE_SEC
    firing_at = [(i + 1) * SCRAPE_SEC for i, on in enumerate(firing) if on]
    selector = f'ALERTS{{alertname="{gate.critical_alert}",alertstate="firing"}}'
    return {
        "interval": f"{SCRAPE_SEC}s",
        "input_series": [
            {"series": SERIES.format(labels=events), "values": _cumulative(traffic.events)},
            {"series": SERIES.format(labels=others),
             "values": _cumulative(tuple(r - e for r, e in zip(traffic.requests, traffic.events)))},
        ],
        "promql_expr_test": [
            {
                "expr": f"min(min_over_time(timestamp({selector})[{end}s:{SCRAPE_SEC}s]))",
                "eval_time": f"{end}s",
                "exp_samples": [{"labels": "{}", "value": firing_at[0]}] if firing_at else [],
            },
            {
                "expr": f"sum(count_over_time({selector}[{end}s]))",
                "eval_time": f"{end}s",
                "exp_samples": [{"labels": "{}", "value": len(firing_at)}] if firing_at else [],
            },
        ],
    }


def _streams(seed: int) -> list[tuple[str, Traffic]]:
    """Streams around each gate's threshold: some fire, some flicker, some stay quiet."""
    rng = random.Random(seed)
    cases = []
    for key in EVENT_LABELS:
        gate = THRESHOLDS.gate(key)
        for per_min, factor in ((10, 1.25), (12, 3.0), (60, 1.25), (60, 0.5), (300, 1.25), (300, 1.1)):
            phases = ((5, gate.target), (STREAM_MINUTES - 5, gate.critical * factor))
            cases.append((key, simulate(rng, per_min, phases)))
    return cases


def test_the_prometheus_model_fires_at_exactly_the_evaluations_promtool_fires_at(
    promtool: str, repo_root: Path, tmp_path: Path
) -> None:
    cases = _streams(seed=7)
    tests = [_promtool_case(key, traffic) | {"name": f"{key} stream {i}"} for i, (key, traffic) in enumerate(cases)]
    fired = [t for t in tests if t["promql_expr_test"][0]["exp_samples"]]
    assert 3 <= len(fired) < len(tests), "the streams must both fire and stay quiet to prove anything"
    path = tmp_path / "model_test.yml"
    path.write_text(yaml.safe_dump({
        "rule_files": [str(repo_root / "infra/prometheus/chat.rules.yml")],
        "evaluation_interval": f"{SCRAPE_SEC}s",
        "tests": tests,
    }))
    result = subprocess.run([promtool, "test", "rules", str(path)], check=False, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_cloudwatch_shortcut_publishes_what_the_log_lines_would(tmp_path: Path) -> None:
    # The table feeds the alarm per-minute sums; the metric filters on real lines must give the same states.
    template = build_template(THRESHOLDS)
    gate = THRESHOLDS.gate("error_rate")
    alarm = template["Resources"][f"{gate.critical_alert}Alarm"]["Properties"]
    traffic = simulate(random.Random(3), 40, ((5, 0.005), (20, 0.05)))
    minutes = []
    for m in range(traffic.minutes):
        requests = traffic.per_minute(traffic.requests)[m]
        errors = traffic.per_minute(traffic.events)[m]
        minutes.append([chat_line("error", status_code=500)] * errors + [chat_line()] * (requests - errors)
                       + [chat_line("blocked", status_code=403)] * 20 + [flag_line(True, 0.1)] * 2)
    from_lines = alarm_states(alarm, publish(template, minutes))
    assert from_lines == cloudwatch_states(alarm, CLOUDWATCH_MEASURES[gate.key], traffic)
    assert "ALARM" in from_lines and from_lines[0] == "OK"


def test_rate_is_the_increase_over_the_window_once_the_window_is_full() -> None:
    cumulative = [3 * i for i in range(41)]  # 3 requests every 15 s: 0.2 per second
    assert extrapolated_rate(cumulative, 40, 20) == pytest.approx(0.2)


def test_rate_extrapolates_a_young_series_as_prometheus_does() -> None:
    # Two samples 15 s apart, 30 requests in between, window 300 s. A counter first seen at 0 is not
    # extrapolated back beyond its zero: 30 requests over 300 s.
    assert extrapolated_rate([0, 30], 1, 20) == pytest.approx(30 / 300)
    # First seen at 100, its zero lies 50 s back, beyond 1.1 intervals: half an interval is added.
    assert extrapolated_rate([100, 130], 1, 20) == pytest.approx(30 * (15 + 7.5) / 15 / 300)
    assert extrapolated_rate([0], 0, 20) is None


def test_simulated_traffic_has_the_requested_rate_and_share() -> None:
    traffic = simulate(random.Random(1), 300, ((60, 0.02),))
    requests, events = sum(traffic.requests), sum(traffic.events)
    assert traffic.minutes == 60
    assert requests == pytest.approx(300 * 60, rel=0.02)
    assert events / requests == pytest.approx(0.02, rel=0.1)


def test_the_scrape_interval_is_prometheus_yml_s(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "infra/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    assert config["global"]["scrape_interval"] == config["global"]["evaluation_interval"] == f"{SCRAPE_SEC}s"


def test_the_documented_table_is_what_the_simulator_measures(repo_root: Path) -> None:
    table = render_table(sensitivity_rows(THRESHOLDS))
    assert table in (repo_root / "docs/alerting.md").read_text(encoding="utf-8"), (
        "docs/alerting.md is stale: paste `python -m babyshield_chat.devtools.alerting.sensitivity`:\n" + table
    )


def test_cloudwatch_pages_on_a_real_fault_at_least_as_often_as_prometheus() -> None:
    # Spec section 6: in AWS the alarms are the only pager, so they must not be the duller one.
    for row in sensitivity_rows(THRESHOLDS, runs=200, seed=11):
        assert row.cloudwatch.paged >= row.prometheus.paged - 0.05, (row.gate.key, row.per_min)
        if row.per_min >= 60:
            assert row.cloudwatch.paged >= 0.95 and row.cloudwatch.false_paged <= 0.01, (row.gate.key, row.per_min)


def test_the_command_prints_the_table_and_refuses_zero_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--runs", "2", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| gate (critical) |") and "Error rate > 2% for 5m" in out
    with pytest.raises(SystemExit) as exit_info:
        main(["--runs", "0"])
    assert exit_info.value.code == 2
    assert "--runs must be at least 1, got 0" in capsys.readouterr().err
