"""Prometheus recording and alerting rules for the canary, built from thresholds.yml.

:func:`render_rules` writes ``infra/prometheus/chat.rules.yml`` at real time
scale, and a time-compressed copy (``for: 5s``, ``[30s]`` windows) for tests
that drive a live Prometheus through a whole rollback in seconds. Recording
rule names never change with the scale, so the rollout guard's queries work
against both.

Every ratio and p95 is guarded twice against empty traffic: the denominator is
``clamp_min``-ed away from zero and the result is kept only where the
traffic reaches ``min_request_rate``. A quiet night therefore yields no value
(never 0/0 = NaN, never a 100% error rate from one failed request), and the
alerts, which compare the recorded value, cannot fire on it.

Every aggregation keeps the ``env`` label (``sum by (env, ...)``, matching
``on (env, ...)``): one Prometheus scraping staging and production computes
each environment's rates apart, and each alert says which one it is about.
Series without ``env`` (a single-environment Prometheus) form one group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from babyshield_chat.alerting.durations import format_duration
from babyshield_chat.devtools.alerting.generated import dump_yaml, number
from babyshield_chat.alerting.thresholds import (
    TRAFFIC_RECORD,
    Gate,
    Measure,
    Signal,
    Thresholds,
    ThresholdsError,
    Tier,
    human_value,
)

GROUP_NAME = "babyshield-chat"
#: The label every record and alert keeps: the deployment environment of the scraped target.
ENV_LABEL = "env"
ALL_REQUESTS_RECORD = "chat:requests_all:rate5m"
BLOCKED_RATIO_RECORD = "chat:blocked_ratio:rate5m"
EXPECTED_BLOCKED_RECORD = "chat:expected_blocked_ratio"
DB_POOL_RECORD = "chat:db_pool_utilisation:ratio"
LLM_RATE_LIMITED_RECORD = "chat:llm_rate_limited_ratio:rate5m"
SPEND_RECORD = "chat:llm_cost_usd:increase24h"

_IN_USE = 'state="in_use"'
_POOL_MAX = 'state="max"'
# Keeps a denominator off zero; far below any real request rate.
_EPSILON = "1e-9"


@dataclass(frozen=True)
class _Clock:
    """Scales windows and hold durations for the time-compressed variant."""

    scale: float
    window_floor: timedelta

    def window(self, value: timedelta) -> str:
        # rate() needs at least two samples in its window, hence the floor.
        return format_duration(max(value * self.scale, self.window_floor))

    def hold(self, value: timedelta) -> str:
        return format_duration(value * self.scale)


def render_rules(
    thresholds: Thresholds,
    *,
    time_scale: float = 1.0,
    window_floor: timedelta = timedelta(0),
) -> str:
    """The rules file as YAML text.

    ``time_scale`` multiplies every ``for`` and every range window (1/60 turns
    ``for: 5m`` into ``for: 5s``); ``window_floor`` keeps scaled windows long
    enough to hold two scrapes (e.g. 30s with a 1s scrape interval).
    """
    if not 0 < time_scale <= 1:
        raise ThresholdsError(f"time_scale must be in (0, 1], got {time_scale!r}")
    if window_floor < timedelta(0):
        raise ThresholdsError(f"window_floor must not be negative, got {window_floor!r}")
    return dump_yaml(build_rules(thresholds, _Clock(time_scale, window_floor)))


def build_rules(thresholds: Thresholds, clock: _Clock | None = None) -> dict[str, Any]:
    """The rules document as plain data (one group: records first, then alerts).

    A single group matters: rules of one group run in order at one timestamp,
    so each alert sees the value recorded in the same evaluation.
    """
    clock = clock or _Clock(1.0, timedelta(0))
    builder = _Builder(thresholds, clock)
    rules = builder.records() + builder.gate_alerts() + builder.signal_alerts()
    return {"groups": [{"name": GROUP_NAME, "rules": rules}]}


class _Builder:
    def __init__(self, thresholds: Thresholds, clock: _Clock) -> None:
        self.t = thresholds
        self.w = clock.window(thresholds.window)
        self.clock = clock
        self.min_rate = number(thresholds.min_request_rate)

    # -- selectors and expressions -------------------------------------------------

    def sel(self, metric: str, matchers: tuple[str, ...] = ()) -> str:
        return f"{metric}{{{','.join((f'job={_quote(self.t.job)}',) + matchers)}}}"

    def rate(self, metric: str, matchers: tuple[str, ...] = (), by: tuple[str, ...] = ()) -> str:
        return f"sum by ({_labels(by)}) (rate({self.sel(metric, matchers)}[{self.w}]))"

    def guarded_ratio(
        self, metric: str, numerator: tuple[str, ...], denominator: tuple[str, ...], min_rate: str | None = None
    ) -> str:
        # `or den * 0`: a counter label (outcome="error") appears only after
        # its first increment; a healthy environment must read 0%, not "no
        # data" (and vector(0) would carry no env to divide by).
        den = self.rate(metric, denominator)
        return (
            f"(\n  ({self.rate(metric, numerator)} or {den} * 0)\n  /\n  clamp_min({den}, {_EPSILON})\n)\n"
            f"and on ({ENV_LABEL})\n({den} >= {min_rate or self.min_rate})\n"
        )

    def guarded_p95(self, measure: Measure, min_rate: str) -> str:
        by = measure.by
        buckets = self.rate(f"{measure.metric}_bucket", measure.matchers, by + ("le",))
        count = self.rate(f"{measure.metric}_count", measure.matchers, by)
        return f"histogram_quantile(0.95, {buckets})\nand on ({_labels(by)})\n({count} >= {min_rate})\n"

    # -- recording rules ----------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        rules = [
            _record(TRAFFIC_RECORD, self.rate("chat_requests_total", ('outcome!="blocked"',))),
            _record(ALL_REQUESTS_RECORD, self.rate("chat_requests_total")),
        ]
        for gate in self.t.gates:
            m = gate.measure
            min_rate = number(m.min_rate) if m.min_rate is not None else self.min_rate
            expr = (
                self.guarded_ratio(m.metric, m.numerator, m.denominator, min_rate)
                if m.kind == "ratio"
                else self.guarded_p95(m, min_rate)
            )
            rules.append(_record(gate.record, expr))
        rules += [
            _record(BLOCKED_RATIO_RECORD, self.guarded_ratio("chat_requests_total", ('outcome="blocked"',), ())),
            # The switch off means every request must be blocked: 1 - 0 × ratio.
            _record(
                EXPECTED_BLOCKED_RECORD,
                f"1 - max by ({ENV_LABEL}) ({self.sel('chat_flag_enabled')})"
                f" * max by ({ENV_LABEL}) ({self.sel('chat_flag_rollout_ratio')})",
            ),
            # Per instance: each task has its own pool; clamp_min keeps a pool
            # that reports max=0 (not started yet) from dividing by zero.
            _record(
                DB_POOL_RECORD,
                f"sum without (state) ({self.sel('chat_db_pool_connections', (_IN_USE,))})\n/\n"
                f"sum without (state) (clamp_min({self.sel('chat_db_pool_connections', (_POOL_MAX,))}, 1))\n",
            ),
            _record(
                LLM_RATE_LIMITED_RECORD,
                self.guarded_ratio("chat_llm_requests_total", ('outcome="rate_limited"',), ()),
            ),
            _record(
                SPEND_RECORD,
                f"sum by ({ENV_LABEL}) (increase({self.sel('chat_llm_cost_usd_total')}"
                f"[{self.clock.window(_required_window(self.t.signal('spend')))}]))",
            ),
        ]
        return rules

    # -- alerts -------------------------------------------------------------------

    def gate_alerts(self) -> list[dict[str, Any]]:
        alerts = []
        for gate in self.t.gates:
            for tier_name, tier, alert in (
                ("warning", gate.warning_tier, gate.warning_alert),
                ("critical", gate.critical_tier, gate.critical_alert),
            ):
                alerts.append(self.gate_alert(gate, tier_name, tier, alert))
        return alerts

    def gate_alert(self, gate: Gate, tier_name: str, tier: Tier, alert: str) -> dict[str, Any]:
        value = "{{ $value | humanizePercentage }}" if gate.unit == "ratio" else "{{ $value | humanizeDuration }}"
        where = "".join(f" for {label} {{{{ $labels.{label} }}}}" for label in gate.measure.by)
        trigger = gate.rollback_trigger and tier_name == "critical"
        labels = {"severity": tier.severity, "action": tier.action, "gate": gate.key}
        if trigger:
            labels["rollback_trigger"] = "true"
        limit = human_value(gate.unit, tier.threshold)
        # The duration said is the one this file holds for (seconds when time-compressed).
        held = self.clock.hold(tier.duration)
        summary = f"{gate.name}{where} is {value}, above {limit} for {held}"
        description = (
            f"{tier_name.capitalize()}: {gate.name} has stayed above {limit} for {held} "
            f"(target {human_value(gate.unit, gate.target)})."
        )
        if trigger:
            description += " Rollback trigger: the rollout guard acts on it."
        return {
            "alert": alert,
            "expr": f"{gate.record} > {number(tier.threshold)}",
            "for": self.clock.hold(tier.duration),
            "labels": labels,
            "annotations": self.annotations(summary, description, gate.runbook_anchor),
        }

    def signal_alerts(self) -> list[dict[str, Any]]:
        t, s = self.t, self.t.signal
        pool = _required(s("db_pool"))
        limited = _required(s("llm_rate_limited"))
        spend_window = format_duration(_required_window(s("spend")))
        return [
            self.signal_alert(
                s("no_traffic"),
                # Blocked requests count as traffic: they prove clients reach the chat. A gate that
                # blocks everyone is the blocked-ratio alert's to report, and after the kill switch
                # (switch off: no alert here) the blocked requests must not page a second time.
                expr=(
                    f"(max by ({ENV_LABEL}) ({self.sel('chat_flag_rollout_ratio')}) > 0)\n"
                    f"and on ({ENV_LABEL}) (max by ({ENV_LABEL}) ({self.sel('chat_flag_enabled')}) == 1)\n"
                    f"unless on ({ENV_LABEL}) ({ALL_REQUESTS_RECORD} > 0)\n"
                ),
                summary="No chat request at all while the rollout is {{ $value | humanizePercentage }}",
                description=(
                    "Switch on and rollout above 0, but no chat request arrived, blocked or served: "
                    "clients cannot reach the chat."
                ),
            ),
            self.signal_alert(
                s("blocked_ratio"),
                expr=f"abs({BLOCKED_RATIO_RECORD} - {EXPECTED_BLOCKED_RECORD}) > {number(t.blocked_ratio_tolerance)}",
                summary="Blocked share differs from 1 - rollout by {{ $value | humanizePercentage }}",
                description=(
                    f"The blocked share of chat requests is more than {human_value('ratio', t.blocked_ratio_tolerance)} "
                    "away from 1 - rollout (100% with the switch off): the gate is not applying the rollout."
                ),
            ),
            self.signal_alert(
                s("db_pool"),
                expr=f"{DB_POOL_RECORD} >= {number(pool)}",
                summary="DB pool of {{ $labels.instance }} is {{ $value | humanizePercentage }} in use",
                description=(
                    f"An instance uses at least {human_value('ratio', pool)} of its PostgreSQL pool; "
                    "requests will soon wait for connections."
                ),
            ),
            self.signal_alert(
                s("llm_rate_limited"),
                expr=f"{LLM_RATE_LIMITED_RECORD} > {number(limited)}",
                summary="{{ $value | humanizePercentage }} of LLM calls are rate limited",
                description=(
                    f"More than {human_value('ratio', limited)} of LLM calls answer 429 and fall back; "
                    "raise the provider quota."
                ),
            ),
            self.signal_alert(
                s("spend"),
                expr=f"{SPEND_RECORD} > {number(t.spend_budget_usd)}",
                summary=f'LLM spend is {{{{ $value | printf "%.2f" }}}} USD over {spend_window}',
                description=(
                    f"Estimated LLM spend over {spend_window} is above the budget of {number(t.spend_budget_usd)} USD."
                ),
            ),
            self.signal_alert(
                s("metrics_absent"),
                # Per environment: every target of one environment down pages even while another
                # environment is healthy; no target at all (absent) pages too.
                expr=(
                    f"count by ({ENV_LABEL}) (up{{job={_quote(t.job)}}})\n"
                    f"unless on ({ENV_LABEL}) count by ({ENV_LABEL}) (up{{job={_quote(t.job)}}} == 1)\n"
                    f"or absent(up{{job={_quote(t.job)}}})\n"
                ),
                summary=f"No healthy scrape of job {t.job}",
                description="Prometheus has no successful scrape of the service; every other chat alert is blind.",
            ),
        ]

    def signal_alert(self, signal: Signal, *, expr: str, summary: str, description: str) -> dict[str, Any]:
        return {
            "alert": signal.alert,
            "expr": expr,
            "for": self.clock.hold(signal.duration),
            "labels": {"severity": signal.severity, "action": signal.action, "gate": signal.key},
            "annotations": self.annotations(summary, description, signal.runbook_anchor),
        }

    def annotations(self, summary: str, description: str, anchor: str) -> dict[str, str]:
        return {
            # The environment first: staging and production page through the same rules.
            "summary": ENV_PREFIX + summary,
            "description": description,
            "runbook_url": self.t.runbook_link(anchor),
            # The dashboard opens on the environment that paged.
            "dashboard": f"{self.t.links.dashboard_url}?var-{ENV_LABEL}={{{{ $labels.{ENV_LABEL} }}}}",
        }


#: "[production] " before each alert's summary; nothing when the series carry no env.
ENV_PREFIX = f"{{{{ with $labels.{ENV_LABEL} }}}}[{{{{ . }}}}] {{{{ end }}}}"


def _labels(by: tuple[str, ...]) -> str:
    return ", ".join((ENV_LABEL, *by))


def _record(name: str, expr: str) -> dict[str, str]:
    return {"record": name, "expr": expr}


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _required(signal: Signal) -> float:
    if signal.threshold is None:
        raise ThresholdsError(f"signals.{signal.key} needs a threshold, got None")
    return signal.threshold


def _required_window(signal: Signal) -> timedelta:
    if signal.window is None:
        raise ThresholdsError(f"signals.{signal.key} needs a window, got None")
    return signal.window
