"""How often each pager fires: the CloudWatch alarm and the Prometheus rule on the same simulated traffic.

In AWS the CloudWatch alarms are the only pager, so they must be as sensitive
as the Prometheus rules they mirror (spec section 6). This module measures
both on one stream of simulated traffic and prints the table of
docs/alerting.md (``python -m babyshield_chat.devtools.alerting.sensitivity``):
for each ratio rollback trigger CloudWatch alarms on, at 10, 60 and 300 chat
requests a minute,

- the share of runs in which a true rate just over the critical threshold
  (``FAULT_FACTOR`` times it) pages within an hour, and the median minutes
  from the fault to the page;
- the share of runs in which a healthy service (at the gate's target) is paged
  falsely within an hour.

Traffic: Poisson arrivals, each request independently an error (or an
open-circuit answer) with the scenario's probability, counted in 15-second
slots; a ``WARMUP_MIN`` healthy prologue fills every window before the hour.

The CloudWatch side runs the generated template's alarm through the project's
simulator (:mod:`.cloudwatch_alarms`), fed the per-minute sums the metric
filters publish. The Prometheus side is computed here, as Prometheus 2 does it:
each counter scraped every ``SCRAPE_SEC``, ``rate()`` extrapolated over the
rule's window, the recording rule's minimum-traffic guard, and the alert's
``for`` held over evaluations every ``SCRAPE_SEC``. The tests run the same
streams through ``promtool test rules`` with the committed rules and check
that this model fires at exactly the evaluation promtool fires at.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from babyshield_chat.alerting.durations import format_duration
from babyshield_chat.alerting.thresholds import Gate, Thresholds, human_value, load_thresholds
from babyshield_chat.devtools.alerting.cloudformation import CLOUDWATCH_MEASURES, RatioMeasure, build_template
from babyshield_chat.devtools.alerting.cloudwatch_alarms import MetricStream, alarm_states

#: Scrape and rule evaluation interval of infra/prometheus/prometheus.yml.
SCRAPE_SEC = 15
RATES_PER_MIN = (10, 60, 300)
#: "Just over the threshold": the fault's true rate, as a multiple of the critical threshold.
FAULT_FACTOR = 1.25
HOUR_MIN = 60
WARMUP_MIN = 10
RUNS = 1000
SEED = 20261127
_SLOTS_PER_MIN = 60 // SCRAPE_SEC


@dataclass(frozen=True)
class Traffic:
    """Per 15-second slot: requests served, and how many of them count in the gate's numerator."""

    requests: tuple[int, ...]
    events: tuple[int, ...]

    @property
    def minutes(self) -> int:
        return len(self.requests) // _SLOTS_PER_MIN

    def per_minute(self, counts: Sequence[int]) -> list[int]:
        return [sum(counts[m * _SLOTS_PER_MIN : (m + 1) * _SLOTS_PER_MIN]) for m in range(self.minutes)]


class _Poisson:
    """Poisson samples by inverting the cumulative distribution (exact, and cheap for the rates here)."""

    def __init__(self, mean: float) -> None:
        self.cumulative: list[float] = []
        term, total, k = math.exp(-mean), 0.0, 0
        while total < 1 - 1e-12 and (k <= mean or term > 0):
            total += term
            self.cumulative.append(total)
            k += 1
            term *= mean / k

    def sample(self, rng: random.Random) -> int:
        return min(bisect.bisect_right(self.cumulative, rng.random()), len(self.cumulative) - 1)


def simulate(rng: random.Random, per_min: float, phases: Sequence[tuple[int, float]]) -> Traffic:
    """Poisson traffic at ``per_min``; ``phases`` are (minutes, probability that a request is an event)."""
    requests, events = [], []
    for minutes, probability in phases:
        # Thinning: events and the other requests are independent Poisson streams.
        hits = _Poisson(per_min * probability / _SLOTS_PER_MIN)
        misses = _Poisson(per_min * (1 - probability) / _SLOTS_PER_MIN)
        for _ in range(minutes * _SLOTS_PER_MIN):
            hit, miss = hits.sample(rng), misses.sample(rng)
            requests.append(hit + miss)
            events.append(hit)
    return Traffic(tuple(requests), tuple(events))


# -- Prometheus ----------------------------------------------------------------------------------


def extrapolated_rate(cumulative: Sequence[int], at_slot: int, window_slots: int) -> float | None:
    """``rate(counter[window])`` at the end of slot ``at_slot`` (Prometheus 2's extrapolatedRate).

    ``cumulative[i]`` is the counter scraped at ``i * SCRAPE_SEC`` (``cumulative[0]`` at the start).
    The range holds the samples in [t - window, t], both ends included.
    """
    first = max(0, at_slot - window_slots)
    count = at_slot - first + 1
    if count < 2:
        return None
    range_sec = window_slots * SCRAPE_SEC
    increase = cumulative[at_slot] - cumulative[first]
    sampled = (at_slot - first) * SCRAPE_SEC
    average = sampled / (count - 1)
    to_start = (first - (at_slot - window_slots)) * SCRAPE_SEC
    to_end = 0.0
    if increase > 0 and cumulative[first] >= 0:
        to_start = min(to_start, sampled * cumulative[first] / increase)
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    return increase * (interval / sampled) / range_sec


@dataclass(frozen=True)
class PrometheusRule:
    """A ratio gate's recording rule and critical alert, as chat.rules.yml states them."""

    threshold: float
    window: timedelta
    hold: timedelta
    min_rate: float

    @classmethod
    def critical(cls, thresholds: Thresholds, gate: Gate) -> PrometheusRule:
        min_rate = gate.measure.min_rate if gate.measure.min_rate is not None else thresholds.min_request_rate
        return cls(gate.critical, thresholds.window, gate.for_critical, min_rate)

    def firing(self, traffic: Traffic) -> list[bool]:
        """Whether the alert fires at each evaluation (the end of every slot)."""
        events = _cumulative(traffic.events)
        others = _cumulative([r - e for r, e in zip(traffic.requests, traffic.events)])
        window = int(self.window.total_seconds()) // SCRAPE_SEC
        hold = self.hold.total_seconds()
        active_since: float | None = None
        states = []
        for slot in range(1, len(events)):
            # The denominator is a sum of series, each extrapolated on its own, like sum(rate(...)).
            num = extrapolated_rate(events, slot, window)
            other = extrapolated_rate(others, slot, window)
            now = slot * SCRAPE_SEC
            breaching = False
            if num is not None and other is not None:
                den = num + other
                breaching = den >= self.min_rate and num / max(den, 1e-9) > self.threshold
            active_since = (active_since if active_since is not None else now) if breaching else None
            states.append(active_since is not None and now - active_since >= hold)
        return states


def _cumulative(counts: Sequence[int]) -> list[int]:
    total, out = 0, [0]
    for count in counts:
        total += count
        out.append(total)
    return out


# -- CloudWatch ----------------------------------------------------------------------------------


def cloudwatch_states(alarm: Mapping[str, Any], measure: RatioMeasure, traffic: Traffic) -> list[str]:
    """The alarm's state after each minute, from the sums the metric filters publish.

    For the Sum statistic the ratio alarms use, one value per minute equal to
    the minute's count is what N lines publishing 1 (and the rest 0) add up to;
    a minute always has lines (each instance's flag lines), so it is never empty.
    """
    per_minute = {
        measure.numerator: traffic.per_minute(traffic.events),
        measure.denominator: traffic.per_minute(traffic.requests),
    }
    stream = MetricStream({name: tuple((float(v),) for v in values) for name, values in per_minute.items()},
                          traffic.minutes)
    return alarm_states(alarm, stream)


# -- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One pager at one traffic level: pages in a faulty hour, minutes to page, false pages in a healthy one."""

    paged: float
    median_minutes: float | None
    false_paged: float


@dataclass(frozen=True)
class Row:
    gate: Gate
    per_min: int
    fault_rate: float
    healthy_rate: float
    prometheus: Cell
    cloudwatch: Cell


def _first(flags: Sequence[bool], start: int, per_minute: int) -> float | None:
    """Minutes from evaluation ``start`` (the fault's start) to the first one after it that pages."""
    for index in range(start + 1, len(flags)):
        if flags[index]:
            return (index - start) / per_minute
    return None


def measure_row(thresholds: Thresholds, gate: Gate, per_min: int, runs: int, rng: random.Random) -> Row:
    template = build_template(thresholds)
    alarm = template["Resources"][f"{gate.critical_alert}Alarm"]["Properties"]
    measure = CLOUDWATCH_MEASURES[gate.key]
    assert isinstance(measure, RatioMeasure)
    rule = PrometheusRule.critical(thresholds, gate)
    fault, healthy = gate.critical * FAULT_FACTOR, gate.target
    results: dict[str, dict[str, list[float | None]]] = {"prometheus": {}, "cloudwatch": {}}
    for scenario, rate in (("fault", fault), ("healthy", healthy)):
        for side in results.values():
            side[scenario] = []
        for _ in range(runs):
            traffic = simulate(rng, per_min, ((WARMUP_MIN, healthy), (HOUR_MIN, rate)))
            # firing[i] is the evaluation at (i + 1) slots, alarms[m] the state after minute m: both
            # lists end with the hour, and the index given is the evaluation when the warm-up ends.
            firing = rule.firing(traffic)
            results["prometheus"][scenario].append(_first(firing, WARMUP_MIN * _SLOTS_PER_MIN - 1, _SLOTS_PER_MIN))
            alarms = [state == "ALARM" for state in cloudwatch_states(alarm, measure, traffic)]
            results["cloudwatch"][scenario].append(_first(alarms, WARMUP_MIN - 1, 1))
    cells = {side: _cell(outcomes["fault"], outcomes["healthy"]) for side, outcomes in results.items()}
    return Row(gate, per_min, fault, healthy, cells["prometheus"], cells["cloudwatch"])


def _cell(fault: list[float | None], healthy: list[float | None]) -> Cell:
    delays = [d for d in fault if d is not None]
    return Cell(
        paged=len(delays) / len(fault),
        median_minutes=statistics.median(delays) if delays else None,
        false_paged=sum(d is not None for d in healthy) / len(healthy),
    )


def sensitivity_rows(thresholds: Thresholds, *, runs: int = RUNS, seed: int = SEED) -> list[Row]:
    """Every CloudWatch-alarmed ratio rollback trigger at every traffic level, one seeded stream of runs."""
    rng = random.Random(seed)
    gates = [g for g in thresholds.gates if g.rollback_trigger and isinstance(CLOUDWATCH_MEASURES.get(g.key),
                                                                              RatioMeasure)]
    return [measure_row(thresholds, gate, per_min, runs, rng) for gate in gates for per_min in RATES_PER_MIN]


def render_table(rows: Sequence[Row]) -> str:
    """The markdown table of docs/alerting.md."""
    lines = [
        "| gate (critical) | requests/min | true rate | paged within 1 h: Prometheus / CloudWatch "
        "| median minutes to page | healthy rate | false page within 1 h: Prometheus / CloudWatch |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        gate = row.gate
        limit = f"> {human_value(gate.unit, gate.critical)} for {format_duration(gate.for_critical)}"
        lines.append(
            f"| {gate.name} {limit} | {row.per_min} | {human_value(gate.unit, row.fault_rate)} "
            f"| {_percent(row.prometheus.paged)} / {_percent(row.cloudwatch.paged)} "
            f"| {_minutes(row.prometheus.median_minutes)} / {_minutes(row.cloudwatch.median_minutes)} "
            f"| {human_value(gate.unit, row.healthy_rate)} "
            f"| {_percent(row.prometheus.false_paged)} / {_percent(row.cloudwatch.false_paged)} |"
        )
    return "\n".join(lines) + "\n"


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m babyshield_chat.devtools.alerting.sensitivity", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=RUNS, help=f"simulated hours per cell (default {RUNS})")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (the documented table uses the default)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    print(render_table(sensitivity_rows(load_thresholds(), runs=args.runs, seed=args.seed)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
