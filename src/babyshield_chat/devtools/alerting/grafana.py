"""The provisioned Grafana dashboard, built from thresholds.yml.

One panel per checklist gate draws the same recording rule the alert compares,
with the gate's warning and critical thresholds as Grafana threshold steps, so
the line an on-call sees cross the red band is the line that paged them. The
other rows show what explains a gate moving: traffic and the rollout, the LLM's
tokens and cost, the circuit breakers and the database pool. Parents' votes
have a row of their own: the unhelpful share (the feedback gate, with its
thresholds), the reasons, and unsafe votes by intent; the LLM row adds the
spend rate the rollout guard's cost gate projects from.
"""

from __future__ import annotations

from typing import Any

from babyshield_chat.alerting.durations import format_duration
from babyshield_chat.devtools.alerting.rules import (
    ALL_REQUESTS_RECORD,
    BLOCKED_RATIO_RECORD,
    DB_POOL_RECORD,
    EXPECTED_BLOCKED_RECORD,
    SPEND_RECORD,
)
from babyshield_chat.alerting.thresholds import TRAFFIC_RECORD, Gate, Thresholds, human_value

DASHBOARD_UID = "babyshield-chat"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
_WIDTH, _HEIGHT, _COLUMNS = 8, 8, 3
_COLOURS = {"ok": "green", "warning": "orange", "critical": "red"}


def build_dashboard(thresholds: Thresholds) -> dict[str, Any]:
    """The dashboard JSON model (Grafana 10 schema)."""
    layout = _Layout()
    panels: list[dict[str, Any]] = [layout.row("Checklist gates (Key Metrics Targets)")]
    panels += [layout.place(_gate_panel(gate, thresholds)) for gate in thresholds.gates]
    panels.append(layout.row("Parents' feedback"))
    panels += [layout.place(p) for p in _feedback_panels(thresholds)]
    panels.append(layout.row("Traffic and rollout"))
    panels += [layout.place(p) for p in _traffic_panels(thresholds)]
    panels.append(layout.row("LLM usage"))
    panels += [layout.place(p) for p in _llm_panels(thresholds)]
    panels.append(layout.row("Dependencies"))
    panels += [layout.place(p) for p in _dependency_panels(thresholds)]
    return {
        "uid": DASHBOARD_UID,
        "title": "BabyShield Chat",
        "description": "Canary gates of BabyShield Chat. Generated from thresholds.yml; do not edit in Grafana.",
        "tags": ["babyshield", "chat", "canary"],
        "timezone": "utc",
        "schemaVersion": 38,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


class _Layout:
    """Assigns ids and grid positions: rows of three panels under each row header."""

    def __init__(self) -> None:
        self.next_id = 1
        self.y = 0
        self.column = 0

    def _take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def row(self, title: str) -> dict[str, Any]:
        if self.column:
            self.y += _HEIGHT
            self.column = 0
        panel = {
            "type": "row",
            "id": self._take_id(),
            "title": title,
            "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            "panels": [],
        }
        self.y += 1
        return panel

    def place(self, panel: dict[str, Any]) -> dict[str, Any]:
        panel["id"] = self._take_id()
        panel["gridPos"] = {"h": _HEIGHT, "w": _WIDTH, "x": self.column * _WIDTH, "y": self.y}
        self.column += 1
        if self.column == _COLUMNS:
            self.column = 0
            self.y += _HEIGHT
        return panel


def _target(expr: str, legend: str, ref: str = "A") -> dict[str, Any]:
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref}


def _timeseries(
    title: str,
    targets: list[dict[str, Any]],
    unit: str,
    description: str = "",
    steps: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    custom: dict[str, Any] = {"drawStyle": "line", "lineWidth": 2, "fillOpacity": 10, "spanNulls": False}
    if steps is not None:
        custom["thresholdsStyle"] = {"mode": "line+area"}
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "custom": custom,
                "thresholds": {"mode": "absolute", "steps": steps or [{"color": "green", "value": None}]},
            },
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
    }


def threshold_steps(warning: float, critical: float) -> list[dict[str, Any]]:
    """Green below warning, orange from warning, red from critical."""
    return [
        {"color": _COLOURS["ok"], "value": None},
        {"color": _COLOURS["warning"], "value": warning},
        {"color": _COLOURS["critical"], "value": critical},
    ]


def _gate_panel(gate: Gate, thresholds: Thresholds) -> dict[str, Any]:
    legend = " ".join(f"{{{{{label}}}}}" for label in gate.measure.by) or gate.name
    unit = "percentunit" if gate.unit == "ratio" else "s"
    trigger = " Rollback trigger." if gate.rollback_trigger else ""
    description = (
        f"{gate.record}. Target below {human_value(gate.unit, gate.target)}, warning above "
        f"{human_value(gate.unit, gate.warning)} for {format_duration(gate.for_warning)}, critical above "
        f"{human_value(gate.unit, gate.critical)} for "
        f"{format_duration(gate.for_critical)}.{trigger} "
        f"Empty while traffic is below the minimum request rate."
    )
    panel = _timeseries(
        gate.name, [_target(gate.record, legend)], unit, description, threshold_steps(gate.warning, gate.critical)
    )
    panel["links"] = [{"title": "Runbook", "url": thresholds.runbook_link(gate.runbook_anchor)}]
    return panel


def _traffic_panels(t: Thresholds) -> list[dict[str, Any]]:
    job = f'job="{t.job}"'
    blocked_tolerance = t.blocked_ratio_tolerance
    return [
        _timeseries(
            "Requests per second",
            [
                _target(ALL_REQUESTS_RECORD, "all", "A"),
                _target(TRAFFIC_RECORD, "served (all but blocked)", "B"),
                _target(f"sum by (outcome) (rate(chat_requests_total{{{job}}}[{_window(t)}]))", "{{outcome}}", "C"),
            ],
            "reqps",
            f"Ratios and p95s need at least {t.min_request_rate:g} served req/s.",
        ),
        _timeseries(
            "Blocked rate vs expected",
            [
                _target(BLOCKED_RATIO_RECORD, "blocked / all", "A"),
                _target(EXPECTED_BLOCKED_RECORD, "expected (1 - rollout)", "B"),
            ],
            "percentunit",
            f"Alert when they differ by more than {blocked_tolerance:g}.",
        ),
        _timeseries(
            "Rollout",
            [
                _target(f"max(chat_flag_rollout_ratio{{{job}}})", "rollout ratio", "A"),
                _target(f"max(chat_flag_enabled{{{job}}})", "switch on", "B"),
            ],
            "percentunit",
            "Effective global switch and rollout fraction.",
        ),
    ]


def _llm_panels(t: Thresholds) -> list[dict[str, Any]]:
    job = f'job="{t.job}"'
    window = _window(t)
    return [
        _timeseries(
            "LLM tokens per second",
            [
                _target(
                    f"sum by (model, direction) (rate(chat_llm_tokens_total{{{job}}}[{window}]))",
                    "{{model}} {{direction}}",
                ),
            ],
            "short",
        ),
        _timeseries(
            "LLM spend (USD)",
            [
                _target(SPEND_RECORD, "last 24h", "A"),
                _target(f"sum by (model) (increase(chat_llm_cost_usd_total{{{job}}}[1h]))", "{{model}} per hour", "B"),
            ],
            "currencyUSD",
            f"Budget {t.spend_budget_usd:g} USD per day.",
            threshold_steps(t.spend_budget_usd * 0.8, t.spend_budget_usd),
        ),
        _timeseries(
            "LLM spend rate (USD per day)",
            [_target(t.cost.record, f"at the rate of the last {format_duration(t.cost.window)}")],
            "currencyUSD",
            "What the rollout guard's cost gate projects from: before promoting from p to q it multiplies this by "
            f"q / p and holds above the daily budget. Spend alert at {t.spend_budget_usd:g} USD per day.",
            threshold_steps(t.spend_budget_usd * 0.8, t.spend_budget_usd),
        ),
        _timeseries(
            "LLM calls by outcome",
            [
                _target(f"sum by (outcome) (rate(chat_llm_requests_total{{{job}}}[{window}]))", "{{outcome}}"),
            ],
            "reqps",
            "rate_limited answers turn into fallbacks.",
        ),
    ]


def _feedback_panels(t: Thresholds) -> list[dict[str, Any]]:
    f, job = t.feedback, f'job="{t.job}"'
    window = format_duration(f.window)
    unhelpful = _timeseries(
        f.name,
        [_target(f.record, "unhelpful share of the votes")],
        "percentunit",
        f"{f.record}: votes saying the answer did not help, over {window}. Target below "
        f"{human_value('ratio', f.target)}, warning above {human_value('ratio', f.warning)} for "
        f"{format_duration(f.warning_tier.duration)}, critical above {human_value('ratio', f.critical)} for "
        f"{format_duration(f.critical_tier.duration)}. Empty below {f.min_votes} votes in {window}: no data, never "
        "green. The rollout guard judges the same share over the whole phase.",
        threshold_steps(f.warning, f.critical),
    )
    unhelpful["links"] = [{"title": "Runbook", "url": t.runbook_link(f.runbook_anchor)}]
    unsafe = _timeseries(
        "Unsafe votes by intent",
        [_target(f'sum by (intent) (increase(chat_feedback_total{{{job},reason="unsafe"}}[{window}]))', "{{intent}}")],
        "short",
        f"Votes with reason unsafe over {window}; any one fires {f.unsafe.alert}.",
        [{"color": "green", "value": None}, {"color": "red", "value": 1}],
    )
    unsafe["links"] = [{"title": "Runbook", "url": t.runbook_link(f.unsafe.runbook_anchor)}]
    return [
        unhelpful,
        _timeseries(
            "Votes by reason",
            [
                _target(f.votes_record, "all votes", "A"),
                _target(f'sum by (reason) (increase(chat_feedback_total{{{job},helpful="false"}}[{window}]))',
                        "unhelpful: {{reason}}", "B"),
            ],
            "short",
            f"Votes over {window}; the share needs at least {f.min_votes}.",
        ),
        unsafe,
    ]


def _dependency_panels(t: Thresholds) -> list[dict[str, Any]]:
    job = f'job="{t.job}"'
    breakers = _timeseries(
        "Circuit breakers",
        [
            _target(f"max by (breaker) (chat_circuit_state{{{job}}})", "{{breaker}}"),
        ],
        "none",
        "0 closed, 1 half-open, 2 open.",
        [{"color": "green", "value": None}, {"color": "orange", "value": 1}, {"color": "red", "value": 2}],
    )
    breakers["fieldConfig"]["defaults"]["mappings"] = [
        {"type": "value", "options": {"0": {"text": "closed"}, "1": {"text": "half-open"}, "2": {"text": "open"}}}
    ]
    pool = t.signal("db_pool").threshold
    assert pool is not None  # the loader requires it
    return [
        breakers,
        _timeseries(
            "DB pool utilisation",
            [
                _target(DB_POOL_RECORD, "{{instance}}"),
            ],
            "percentunit",
            "in_use / max per instance.",
            threshold_steps(pool, 1.0),
        ),
        _timeseries(
            "DB pool connections and in-flight requests",
            [
                _target(f"sum by (state) (chat_db_pool_connections{{{job}}})", "pool {{state}}", "A"),
                _target(f"sum(chat_inflight_requests{{{job}}})", "in flight", "B"),
            ],
            "short",
        ),
    ]


def _window(t: Thresholds) -> str:
    return format_duration(t.window)
