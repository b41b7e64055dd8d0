"""`rollout status` as text an on-call engineer reads at 3 a.m.

Plain columns, no colour codes (output goes to terminals, logs and tickets
alike), values in the units of the thresholds ("1.2%", "2.31s"), and every
reason the guard holds spelled out.
"""

from __future__ import annotations

import datetime as dt

from babyshield_chat.alerting.thresholds import format_duration, human_value
from babyshield_chat.rollout.guard import Decision, clock, gate_value, pct, whole_seconds
from babyshield_chat.rollout.runner import RolloutStatus


def render_status(status: RolloutStatus) -> str:
    flag, decision, policy = status.flag, status.decision, status.policy
    lines = ["Chat rollout"]
    lines.append(f"  switch      {'on' if flag.enabled else 'OFF (kill switch)'}   (source: {flag.source})")
    phase = status.phase_number
    where = f"phase {phase} of {len(policy.phases)}" if phase else "before the first phase"
    lines.append(f"  rollout     {pct(flag.rollout_pct)}   ({where}: {policy.describe_phases()})")
    next_pct = policy.next_pct(flag.rollout_pct)
    if next_pct is None:
        lines.append("  next        none: fully rolled out")
    else:
        lines.append(f"  next        {pct(next_pct)} after {format_duration(decision.soak_required)} soak; "
                     f"soak left: {_soak_left(decision)}")
    traffic = decision.observation.traffic
    traffic_text = f"{traffic:.3g} req/s" if traffic is not None else f"no data ({decision.observation.traffic_problem})"
    lines.append(f"  traffic     {traffic_text}   (minimum {policy.min_request_rate:g} req/s)")
    feedback = decision.observation.feedback
    lines.append(f"  feedback    {feedback.describe()}   (warning {human_value('ratio', feedback.gate.warning)}, "
                 f"critical {human_value('ratio', feedback.gate.critical)}, at least {feedback.gate.min_votes} votes)")
    cost = decision.cost.summary().removeprefix("cost: ") if decision.cost else "nothing to project: no next phase"
    lines.append(f"  cost        {cost}")
    if decision.state.held is not None:
        held = decision.state.held
        lines.append(f"  held        by {held.actor} since {clock(held.at)}: {held.reason}")
    lines.append("")
    lines.append(f"Gates (Prometheus: {status.prometheus_url or 'not configured'})")
    rows = [("GATE", "VALUE", "WARNING", "CRITICAL", "STATE", "NOTE")]
    for reading in decision.observation.readings:
        gate = reading.gate
        note = "rollback trigger" if gate.rollback_trigger else ""
        if reading.triggered:
            note = f"TRIGGERED (critical for {format_duration(policy.sustain(gate))})"
        if reading.problem:
            note = reading.problem
        rows.append((gate.key, gate_value(gate, reading.value), human_value(gate.unit, gate.warning),
                     human_value(gate.unit, gate.critical), reading.status.value.upper().replace("_", " "), note))
    value = f"{feedback.value * 100:.3g}%" if feedback.value is not None else "no data"
    rows.append((feedback.gate.key, value, human_value("ratio", feedback.gate.warning),
                 human_value("ratio", feedback.gate.critical), feedback.status.value.upper().replace("_", " "),
                 "parents' votes over this phase"))
    lines += _table(rows)
    lines.append("")
    lines.append(f"Guard verdict: {decision.action.upper().replace('_', ' ')}")
    lines += [f"  - {reason}" for reason in decision.reasons]
    lines.append("")
    lines.append("Last decisions")
    if not status.history:
        lines.append("  (none recorded)")
    else:
        rows = [("AT (UTC)", "ACTOR", "ACTION", "CHANGE", "REASON")]
        for entry in status.history:
            rows.append((entry.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), entry.actor, entry.action,
                         _change(entry.old, entry.new), entry.reason))
        lines += _table(rows)
    return "\n".join(lines) + "\n"


def render_decision(decision: Decision, *, dry_run: bool) -> str:
    prefix = "[dry run] would " if dry_run else ""
    return f"{prefix}{decision.summary}"


def _soak_left(decision: Decision) -> str:
    left = decision.soak_left
    if left is None:
        return "unknown (no recorded change of the flag)"
    if left <= dt.timedelta(0):
        return "none (soak done)"
    return format_duration(whole_seconds(left))


def _change(old: object, new: object) -> str:
    def short(state: object) -> str:
        if not isinstance(state, dict):
            return "?"
        switch = "on" if state.get("enabled") else "off"
        return f"{switch} {pct(float(state.get('rollout_pct') or 0))}"

    before, after = short(old), short(new)
    return "unchanged" if before == after else f"{before} → {after}"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
