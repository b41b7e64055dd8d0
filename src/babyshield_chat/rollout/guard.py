"""The rollout guard's decision: promote, hold, or roll back, from numbers already read.

Pure: `decide(policy, state, observation, now)` does no I/O and reads no
clock, so every rule below is tested without Prometheus, PostgreSQL or
waiting days. `rollout/runner.py` gathers the inputs and applies the result.

The rules, in order (spec section 7):

1. The kill switch is off: hold. Only a person turns it back on.
2. A rollback trigger (thresholds.yml `rollback_trigger: true`) whose value
   stayed above its critical threshold for the critical tier's `for`: act.
   The policy maps each trigger to `kill_switch` (enabled=false; the error
   rate) or `step_back` (back to the last percentage that soaked green, or
   half the current one when there is none; latency and circuit rate). A
   kill switch wins over a step back.
3. Already at the last phase, or at 0%: nothing to promote; hold.
4. Promote to the next phase only when the soak time at this percentage has
   passed AND every gate is green AND served traffic is at least the policy's
   minimum AND parents' votes over the phase are green (at least the
   minimum number of them) AND the daily LLM cost projected at the next
   percentage is within the budget (`phase_gates.py`) AND no person holds
   the rollout (`rollout hold`). Anything else holds, and the decision lists
   every reason: a warning, a critical value not yet sustained, missing or
   NaN data (never green), too little traffic, too few or unhappy votes, the
   projected cost with its figures, a person's hold, soak time left, an
   unknown soak start.
5. With a notice period (`BS_ROLLOUT_NOTIFY_URL` set, lead time
   `BS_ROLLOUT_NOTIFY_LEAD_SEC` above 0), a promotion is announced first and
   happens no sooner than the notice after its announcement: when nothing
   but the soak is left and it ends within the notice, or when nothing is
   left at all, the decision is a hold that carries an `Announcement` (due
   a notice from now, which is no sooner than the soak's end). A later
   decision promotes once the announcement is due and everything is still
   green; an announcement not acted on within a notice after it was due
   lapses and is made again, so nobody is surprised by an old one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from babyshield_chat.alerting.thresholds import Gate, GateStatus, format_duration, human_value
from babyshield_chat.rollout.phase_gates import CostProjection, CostReading, FeedbackReading
from babyshield_chat.rollout.policy import PCT_TOLERANCE, RolloutPolicy
from babyshield_chat.vocabulary import GuardAction

AUDIT_PREFIX = "guard_"
PROMOTE_ACTION = AUDIT_PREFIX + "promote"
ANNOUNCE_ACTION = AUDIT_PREFIX + "announce"
# A person's hold and its end (`babyshield-chat rollout hold|resume`), as audit actions.
HOLD_ACTION = "hold"
RESUME_ACTION = "resume"
HOLD_COMMAND = 'babyshield-chat rollout hold --reason "..."'
RESUME_COMMAND = 'babyshield-chat rollout resume --reason "..."'
# Percentages are rounded to this many decimals when halved: 0.1 → 0.05 → 0.025.
PCT_DECIMALS = 4


@dataclasses.dataclass(frozen=True)
class GateReading:
    """One gate's numbers: the instant value, and the lowest value over its trigger window."""

    gate: Gate
    value: float | None
    sustained: float | None = None
    problem: str | None = None

    @property
    def status(self) -> GateStatus:
        return self.gate.status(self.value)

    @property
    def triggered(self) -> bool:
        """Critical all along the trigger's `for` window (its lowest value is) and still critical now.

        The second condition matters when a burst has just ended: the window
        still holds the burst while the service has already recovered.
        """
        if not self.gate.rollback_trigger or self.sustained is None or self.value is None:
            return False
        return self.sustained > self.gate.critical and self.value > self.gate.critical


@dataclasses.dataclass(frozen=True)
class Observation:
    readings: tuple[GateReading, ...]
    traffic: float | None
    feedback: FeedbackReading
    cost: CostReading
    traffic_problem: str | None = None


@dataclasses.dataclass(frozen=True)
class ManualHold:
    """A person's `rollout hold`: no promotion until `rollout resume` (rollback triggers still act)."""

    actor: str
    reason: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Announcement:
    """A promotion told ahead: to `target_pct`, not before `due_at`; `at` is when it was told."""

    target_pct: float
    due_at: dt.datetime
    at: dt.datetime

    def details(self) -> dict[str, Any]:
        return {"target_pct": self.target_pct, "due_at": self.due_at.isoformat(), "at": self.at.isoformat()}


@dataclasses.dataclass(frozen=True)
class RolloutState:
    """The flag as the guard found it, with the history it needs."""

    enabled: bool
    rollout_pct: float
    since: dt.datetime | None  # the last change of enabled or rollout_pct: the start of the soak
    last_stable_pct: float | None = None  # the last percentage promoted from (it soaked green)
    held: ManualHold | None = None
    announcement: Announcement | None = None  # the newest one of this phase


@dataclasses.dataclass(frozen=True)
class Decision:
    action: GuardAction
    reasons: tuple[str, ...]
    state: RolloutState
    observation: Observation
    target_enabled: bool
    target_pct: float
    soak_required: dt.timedelta
    soak_elapsed: dt.timedelta | None
    at: dt.datetime
    min_request_rate: float
    # What held it, one key per reason (a gate's key, "traffic", "soak", "cost", "held", "announced"...).
    hold_keys: tuple[str, ...] = ()
    cost: CostProjection | None = None  # None with nothing to promote to
    announcement: Announcement | None = None  # a promotion this decision announces

    @property
    def changes_flag(self) -> bool:
        return (self.target_enabled, self.target_pct) != (self.state.enabled, self.state.rollout_pct)

    @property
    def soak_left(self) -> dt.timedelta | None:
        if self.soak_elapsed is None:
            return None
        return max(self.soak_required - self.soak_elapsed, dt.timedelta(0))

    @property
    def audit_action(self) -> str:
        return ANNOUNCE_ACTION if self.announcement is not None else AUDIT_PREFIX + self.action

    @property
    def summary(self) -> str:
        head = {
            "promote": f"promote {pct(self.state.rollout_pct)} → {pct(self.target_pct)}",
            "hold": f"hold at {pct(self.state.rollout_pct)}",
            "kill_switch": "kill switch: chat disabled",
            "step_back": f"step back {pct(self.state.rollout_pct)} → {pct(self.target_pct)}",
        }[self.action]
        return f"{head}: {'; '.join(self.reasons)}"

    def details(self) -> dict[str, Any]:
        """The metric values behind the decision, for the audit row."""
        held = self.state.held
        return {
            "decision": self.action,
            "from": {"enabled": self.state.enabled, "rollout_pct": self.state.rollout_pct},
            "to": {"enabled": self.target_enabled, "rollout_pct": self.target_pct},
            "reasons": list(self.reasons),
            "gates": [
                {"key": r.gate.key, "value": r.value, "sustained": r.sustained, "warning": r.gate.warning,
                 "critical": r.gate.critical, "status": r.status.value, "rollback_trigger": r.gate.rollback_trigger,
                 "triggered": r.triggered, "problem": r.problem}
                for r in self.observation.readings
            ],
            "traffic": {"value": self.observation.traffic, "minimum": self.min_request_rate,
                        "problem": self.observation.traffic_problem},
            "feedback": self.observation.feedback.details(),
            "cost": self.cost.details() if self.cost is not None else None,
            "held": {"actor": held.actor, "reason": held.reason, "at": held.at.isoformat()} if held else None,
            "announcement": self.announcement.details() if self.announcement is not None else None,
            "soak": {"required_sec": self.soak_required.total_seconds(),
                     "elapsed_sec": self.soak_elapsed.total_seconds() if self.soak_elapsed is not None else None},
            "at": self.at.isoformat(),
        }


def decide(policy: RolloutPolicy, state: RolloutState, observation: Observation, now: dt.datetime, *,
           notice: dt.timedelta = dt.timedelta(0)) -> Decision:
    """The guard's decision; `notice` > 0 makes a promotion wait for its announcement (rule 5)."""
    soak_required = policy.soak_at(state.rollout_pct)
    soak_elapsed = now - state.since if state.since is not None else None
    next_pct = policy.next_pct(state.rollout_pct)
    cost = (CostProjection(observation.cost, state.rollout_pct, next_pct)
            if next_pct is not None and state.rollout_pct > PCT_TOLERANCE else None)

    def decision(action: GuardAction, reasons: list[tuple[str, str]], enabled: bool, pct: float,
                 announcement: Announcement | None = None) -> Decision:
        keys = tuple(key for key, _ in reasons) if action == "hold" else ()
        return Decision(action, tuple(text for _, text in reasons), state, observation, enabled, pct, soak_required,
                        soak_elapsed, now, policy.min_request_rate, keys, cost, announcement)

    if not state.enabled:
        return decision("hold", [("disabled", "the kill switch is off; only a person turns it back on "
                                              "(rollout enable)")], False, state.rollout_pct)

    triggered = [r for r in observation.readings if r.triggered]
    if triggered:
        kills = [r for r in triggered if policy.on_rollback_trigger.get(r.gate.key) == "kill_switch"]
        reasons = [(r.gate.key, _trigger_reason(policy, r)) for r in (kills or triggered)]
        if kills:
            return decision("kill_switch", reasons, False, state.rollout_pct)
        target = step_back_target(state)
        reasons.append(("target", f"back to {pct(target)} ("
                        + ("the last percentage that soaked green" if state.last_stable_pct is not None
                           and state.last_stable_pct < state.rollout_pct - PCT_TOLERANCE else
                           "half: no earlier percentage soaked green") + ")"))
        return decision("step_back", reasons, True, target)

    if next_pct is None:
        return decision("hold", [("complete", f"fully rolled out at {pct(state.rollout_pct)}; nothing to promote")],
                        True, state.rollout_pct)
    if cost is None:
        return decision("hold", [("zero", f"the rollout is at 0%; start it with "
                                          f"`rollout set {policy.phases[0].rollout_pct:g}`")], True, state.rollout_pct)

    blockers = _gate_blockers(observation) + _traffic_blockers(policy, observation)
    feedback = observation.feedback.blocker()
    if feedback is not None:
        blockers.append((observation.feedback.gate.key, feedback))
    over_budget = cost.blocker()
    if over_budget is not None:
        blockers.append(("cost", over_budget))
    if state.held is not None:
        held = state.held
        blockers.append(("held", f"held by {held.actor} since {clock(held.at)}: {held.reason} "
                                  f"(`{RESUME_COMMAND}` lets the guard promote again)"))
    soak_left = None
    if soak_elapsed is None:
        blockers.append(("soak", "soak start unknown: no recorded change of the flag (set it through the admin API "
                                 "or CLI)"))
    elif soak_elapsed < soak_required:
        soak_left = soak_required - soak_elapsed
        blockers.append(("soak", f"soak: {format_duration(whole_seconds(soak_left))} left of "
                                 f"{format_duration(soak_required)} at {pct(state.rollout_pct)}"))
    only_soak = all(key == "soak" for key, _ in blockers) and soak_elapsed is not None
    if not only_soak or (blockers and (notice <= dt.timedelta(0) or soak_left is None or soak_left > notice)):
        return decision("hold", blockers, True, state.rollout_pct)

    if notice > dt.timedelta(0):
        told = state.announcement
        if told is None or abs(told.target_pct - next_pct) > PCT_TOLERANCE or now > told.due_at + notice:
            due = now + notice  # the soak, if any is left, ends within the notice
            announcement = Announcement(next_pct, due, now)
            return decision("hold", blockers + [("announced", (
                f"promotion to {pct(next_pct)} announced for {clock(due)} (in "
                f"{format_duration(whole_seconds(due - now))}); `{HOLD_COMMAND}` keeps it at "
                f"{pct(state.rollout_pct)}"))], True, state.rollout_pct, announcement)
        if now < told.due_at:
            return decision("hold", blockers + [("announced", (
                f"promotion to {pct(next_pct)} announced at {clock(told.at)}, due {clock(told.due_at)} (in "
                f"{format_duration(whole_seconds(told.due_at - now))})"))], True, state.rollout_pct)
    if blockers:  # an announcement is due no sooner than the soak's end; never promote inside a soak
        return decision("hold", blockers, True, state.rollout_pct)

    traffic = observation.traffic or 0.0
    reasons = [
        ("soak", f"soaked {format_duration(soak_required)} at {pct(state.rollout_pct)}"),
        ("gates", "every gate green"),
        ("traffic", f"traffic {traffic:.3g} req/s ≥ {policy.min_request_rate:g}"),
        ("feedback", f"feedback: {observation.feedback.describe()} (warning "
                     f"{human_value('ratio', observation.feedback.gate.warning)})"),
        ("cost", cost.summary()),
    ]
    if notice > dt.timedelta(0) and state.announcement is not None:
        reasons.append(("announced", f"announced at {clock(state.announcement.at)}"))
    return decision("promote", reasons, True, next_pct)


def clock(at: dt.datetime) -> str:
    """A moment as on-call reads it in a notification: '14:05:00 UTC'."""
    return at.astimezone(dt.UTC).strftime("%H:%M:%S UTC")


def whole_seconds(value: dt.timedelta) -> dt.timedelta:
    """A positive duration cut to whole seconds (at least 1 s) for people to read."""
    return dt.timedelta(seconds=max(int(value.total_seconds()), 1))


def step_back_target(state: RolloutState) -> float:
    """The last percentage that soaked green below the current one, else half the current one."""
    stable = state.last_stable_pct
    if stable is not None and stable < state.rollout_pct - PCT_TOLERANCE:
        return stable
    return round(state.rollout_pct / 2, PCT_DECIMALS)


def _gate_blockers(observation: Observation) -> list[tuple[str, str]]:
    blockers = []
    for reading in observation.readings:
        gate, status = reading.gate, reading.status
        if status is GateStatus.NO_DATA:
            blockers.append((gate.key, f"{gate.key}: no data ({reading.problem or 'no value'})"))
        elif status is GateStatus.CRITICAL:
            held = " (not yet sustained)" if gate.rollback_trigger else ""
            blockers.append((gate.key, f"{gate.key}: {gate_value(gate, reading.value)} above critical "
                                       f"{human_value(gate.unit, gate.critical)}{held}"))
        elif status is GateStatus.WARNING:
            blockers.append((gate.key, f"{gate.key}: {gate_value(gate, reading.value)} above warning "
                                       f"{human_value(gate.unit, gate.warning)}"))
    return blockers


def _traffic_blockers(policy: RolloutPolicy, observation: Observation) -> list[tuple[str, str]]:
    if observation.traffic is None:
        return [("traffic", f"traffic: no data ({observation.traffic_problem or 'no value'})")]
    if observation.traffic < policy.min_request_rate:
        return [("traffic", f"traffic: {observation.traffic:.3g} req/s below the minimum {policy.min_request_rate:g}")]
    return []


def _trigger_reason(policy: RolloutPolicy, reading: GateReading) -> str:
    gate = reading.gate
    return (f"{gate.key} above critical {human_value(gate.unit, gate.critical)} for "
            f"{format_duration(policy.sustain(gate))} (now {gate_value(gate, reading.value)}, "
            f"lowest {gate_value(gate, reading.sustained)})")


def gate_value(gate: Gate, value: float | None) -> str:
    """A gate's reading in its unit, for people: "1.2%", "2.31s", "no data"."""
    if value is None:
        return "no data"
    return f"{value * 100:.3g}%" if gate.unit == "ratio" else f"{value:.3g}s"


def pct(value: float) -> str:
    """A rollout fraction as a percentage: 0.25 → "25%"."""
    return f"{value * 100:g}%"
