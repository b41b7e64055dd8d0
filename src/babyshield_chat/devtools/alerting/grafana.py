"""The provisioned Grafana dashboard, built from thresholds.yml.

One panel per checklist gate draws the same recording rule the alert compares,
with the gate's warning and critical thresholds as Grafana threshold steps, so
the line an on-call sees cross the red band is the line that paged them; a
second query splits the gate per instance. The other rows show what explains a
gate moving: traffic and the rollout, fallbacks by reason, retries, the
circuit breakers, the LLM's tokens and cost, and the database pool.

Two template variables scope every query: `env` (one Prometheus may watch
staging and production; alerts link here with `var-env` set) and `instance`.
Recorded series are fleet-wide per environment, so they take `env` only; raw
series take both. Flag changes (`chat_flag_changes_total`) and new versions
(`chat_build_info`) are annotations across every panel (spec section 11).
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
#: Matchers of the template variables: recorded series carry env, raw series env and instance.
ENV_MATCHER = 'env=~"$env"'
INSTANCE_MATCHER = 'instance=~"$instance"'
#: Grafana's value of a variable set to "All": every value, and no label at all.
ALL_VALUE = ".*"
# A version counts as new on the dashboard for this long after its first scrape.
_NEW_VERSION_WINDOW = "5m"
_WIDTH, _HEIGHT, _COLUMNS = 8, 8, 3
_COLOURS = {"ok": "green", "warning": "orange", "critical": "red"}


def build_dashboard(thresholds: Thresholds) -> dict[str, Any]:
    """The dashboard JSON model (Grafana 10 schema)."""
    layout = _Layout()
    panels: list[dict[str, Any]] = [layout.row("Checklist gates (Key Metrics Targets)")]
    panels += [layout.place(_gate_panel(gate, thresholds)) for gate in thresholds.gates]
    panels.append(layout.row("Traffic and rollout"))
    panels += [layout.place(p) for p in _traffic_panels(thresholds)]
    panels.append(layout.row("Resilience"))
    panels += [layout.place(p) for p in _resilience_panels(thresholds)]
    panels.append(layout.row("LLM usage"))
    panels += [layout.place(p) for p in _llm_panels(thresholds)]
    panels.append(layout.row("Database"))
    panels += [layout.place(p) for p in _database_panels(thresholds)]
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
        "templating": {"list": _variables(thresholds)},
        "annotations": {"list": _annotations(thresholds)},
        "links": [
            {"title": "Runbook", "type": "link", "url": thresholds.links.runbook_url, "targetBlank": True, "icon": "doc"}
        ],
        "panels": panels,
    }


def _variables(t: Thresholds) -> list[dict[str, Any]]:
    # Read from `up`: it exists for every scraped target, requests or not.
    env = f'label_values(up{{job="{t.job}"}}, env)'
    instance = f'label_values(up{{job="{t.job}", {ENV_MATCHER}}}, instance)'
    return [
        # One environment at a time: thresholds are judged per environment, as the alerts are.
        _variable("env", "Environment", env, multi=False),
        _variable("instance", "Instance", instance, multi=True),
    ]


def _variable(name: str, label: str, query: str, *, multi: bool) -> dict[str, Any]:
    variable: dict[str, Any] = {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-values"},
        "refresh": 2,  # on time range change: a new task's instance appears without a reload
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
    }
    if multi:
        variable["allValue"] = ALL_VALUE
        variable["current"] = {"text": "All", "value": "$__all"}
    return variable


def _annotations(t: Thresholds) -> list[dict[str, Any]]:
    flag_changes = (
        f"sum by (env, source) (increase(chat_flag_changes_total{{{_raw(t, instance=False)}}}[1m])) > 0"
    )
    build = f"chat_build_info{{{_raw(t, instance=False)}}}"
    new_versions = (
        f"count by (env, version) ({build}) unless on (env, version) "
        f"count by (env, version) ({build} offset {_NEW_VERSION_WINDOW})"
    )
    return [
        _annotation("Flag changes", flag_changes, "orange", "Flag change", "Chat flag now from {{source}}"),
        _annotation("Versions", new_versions, "blue", "Version {{version}}", "Instances started running {{version}}"),
    ]


def _annotation(name: str, expr: str, colour: str, title: str, text: str) -> dict[str, Any]:
    return {
        "name": name,
        "datasource": DATASOURCE,
        "enable": True,
        "iconColor": colour,
        "expr": expr,
        "step": "1m",
        "titleFormat": title,
        "textFormat": text,
        "tagKeys": "env",
        "useValueForTime": False,
    }


def _raw(t: Thresholds, *matchers: str, instance: bool = True) -> str:
    """Label matchers of a raw series: the job, the template variables, then `matchers`."""
    scope = (f'job="{t.job}"', ENV_MATCHER) + ((INSTANCE_MATCHER,) if instance else ())
    return ",".join(scope + matchers)


def _recorded(record: str) -> str:
    return f"{record}{{{ENV_MATCHER}}}"


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
    split = " ".join(f"{{{{{label}}}}}" for label in gate.measure.by)
    unit = "percentunit" if gate.unit == "ratio" else "s"
    trigger = " Rollback trigger." if gate.rollback_trigger else ""
    description = (
        f"{gate.record}. Target below {human_value(gate.unit, gate.target)}, warning above "
        f"{human_value(gate.unit, gate.warning)} for {format_duration(gate.for_warning)}, critical above "
        f"{human_value(gate.unit, gate.critical)} for "
        f"{format_duration(gate.for_critical)}.{trigger} "
        f"Empty while traffic is below the minimum request rate. Dashed: each instance alone (not alerted on)."
    )
    targets = [
        _target(_recorded(gate.record), split or gate.name, "A"),
        _target(_per_instance(gate, thresholds), f"{{{{instance}}}} {split}".rstrip(), "B"),
    ]
    panel = _timeseries(gate.name, targets, unit, description, threshold_steps(gate.warning, gate.critical))
    panel["fieldConfig"]["overrides"] = [
        {
            "matcher": {"id": "byFrameRefID", "options": "B"},
            "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [6, 4]}},
                           {"id": "custom.lineWidth", "value": 1}],
        }
    ]
    panel["links"] = [
        {"title": "Runbook", "url": thresholds.runbook_link(gate.runbook_anchor), "targetBlank": True}
    ]
    return panel


def _per_instance(gate: Gate, t: Thresholds) -> str:
    """The gate's measure on each selected instance: what the record computes, split by instance."""
    m, window = gate.measure, _window(t)
    by = ", ".join(("instance", *m.by))
    if m.kind == "ratio":
        num = f"sum by ({by}) (rate({m.metric}{{{_raw(t, *m.numerator)}}}[{window}]))"
        den = f"sum by ({by}) (rate({m.metric}{{{_raw(t, *m.denominator)}}}[{window}]))"
        return f"{num} / clamp_min({den}, 1e-9)"
    buckets = f"sum by ({by}, le) (rate({m.metric}_bucket{{{_raw(t, *m.matchers)}}}[{window}]))"
    return f"histogram_quantile(0.95, {buckets})"


def _traffic_panels(t: Thresholds) -> list[dict[str, Any]]:
    blocked_tolerance = t.blocked_ratio_tolerance
    return [
        _timeseries(
            "Requests per second",
            [
                _target(_recorded(ALL_REQUESTS_RECORD), "all", "A"),
                _target(_recorded(TRAFFIC_RECORD), "served (all but blocked)", "B"),
                _target(f"sum by (outcome) (rate(chat_requests_total{{{_raw(t)}}}[{_window(t)}]))", "{{outcome}}", "C"),
            ],
            "reqps",
            f"Ratios and p95s need at least {t.min_request_rate:g} served req/s. By outcome: the selected instances.",
        ),
        _timeseries(
            "Blocked rate vs expected",
            [
                _target(_recorded(BLOCKED_RATIO_RECORD), "blocked / all", "A"),
                _target(_recorded(EXPECTED_BLOCKED_RECORD), "expected (1 - rollout)", "B"),
            ],
            "percentunit",
            f"Alert when they differ by more than {blocked_tolerance:g}.",
        ),
        _timeseries(
            "Rollout",
            [
                _target(f"max(chat_flag_rollout_ratio{{{_raw(t)}}})", "rollout ratio", "A"),
                _target(f"max(chat_flag_enabled{{{_raw(t)}}})", "switch on", "B"),
            ],
            "percentunit",
            "Effective global switch and rollout fraction. Flag changes are annotations on every panel.",
        ),
    ]


def _resilience_panels(t: Thresholds) -> list[dict[str, Any]]:
    window = _window(t)
    breakers = _timeseries(
        "Circuit breakers",
        [
            _target(f"max by (breaker) (chat_circuit_state{{{_raw(t)}}})", "{{breaker}}"),
        ],
        "none",
        "0 closed, 1 half-open, 2 open.",
        [{"color": "green", "value": None}, {"color": "orange", "value": 1}, {"color": "red", "value": 2}],
    )
    breakers["fieldConfig"]["defaults"]["mappings"] = [
        {"type": "value", "options": {"0": {"text": "closed"}, "1": {"text": "half-open"}, "2": {"text": "open"}}}
    ]
    return [
        _timeseries(
            "Fallbacks by reason",
            [_target(f"sum by (reason) (rate(chat_fallbacks_total{{{_raw(t)}}}[{window}]))", "{{reason}}")],
            "reqps",
            "Answers the fallback writer wrote, by why: timeout, circuit_open, provider_error, rate_limited, "
            "invalid_output, budget_exhausted, spend_cap.",
        ),
        _timeseries(
            "Retries by dependency",
            [_target(f"sum by (dependency) (rate(chat_retries_total{{{_raw(t)}}}[{window}]))", "{{dependency}}")],
            "ops",
            "chat_retries_total: transient failures retried (LLM, database, tools). Rising retries come before "
            "timeouts and open circuits.",
        ),
        breakers,
    ]


def _llm_panels(t: Thresholds) -> list[dict[str, Any]]:
    window = _window(t)
    return [
        _timeseries(
            "LLM tokens per second",
            [
                _target(
                    f"sum by (model, direction) (rate(chat_llm_tokens_total{{{_raw(t)}}}[{window}]))",
                    "{{model}} {{direction}}",
                ),
            ],
            "short",
        ),
        _timeseries(
            "LLM spend (USD)",
            [
                _target(_recorded(SPEND_RECORD), "last 24h (all instances)", "A"),
                _target(f"sum by (model) (increase(chat_llm_cost_usd_total{{{_raw(t)}}}[1h]))", "{{model}} per hour", "B"),
            ],
            "currencyUSD",
            f"Budget {t.spend_budget_usd:g} USD per day.",
            threshold_steps(t.spend_budget_usd * 0.8, t.spend_budget_usd),
        ),
        _timeseries(
            "LLM calls by outcome",
            [
                _target(f"sum by (outcome) (rate(chat_llm_requests_total{{{_raw(t)}}}[{window}]))", "{{outcome}}"),
            ],
            "reqps",
            "rate_limited answers turn into fallbacks.",
        ),
    ]


def _database_panels(t: Thresholds) -> list[dict[str, Any]]:
    pool = t.signal("db_pool").threshold
    assert pool is not None  # the loader requires it
    return [
        _timeseries(
            "DB pool utilisation",
            [
                # The record is per instance, so the instance variable applies to it too.
                _target(f"{DB_POOL_RECORD}{{{ENV_MATCHER},{INSTANCE_MATCHER}}}", "{{instance}}"),
            ],
            "percentunit",
            "in_use / max per instance.",
            threshold_steps(pool, 1.0),
        ),
        _timeseries(
            "DB pool connections and in-flight requests",
            [
                _target(f"sum by (state) (chat_db_pool_connections{{{_raw(t)}}})", "pool {{state}}", "A"),
                _target(f"sum(chat_inflight_requests{{{_raw(t)}}})", "in flight", "B"),
            ],
            "short",
        ),
    ]


def _window(t: Thresholds) -> str:
    return format_duration(t.window)
