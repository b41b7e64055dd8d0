"""The rollout guard at work: read the flag and Prometheus, decide, apply, report.

`RolloutGuard` is the I/O around the pure `guard.decide`: it reads the flag
and its history from PostgreSQL (the soak's start, the last stable
percentage, a person's hold, the phase's announcement), asks Prometheus one
instant value per gate (plus, for rollback triggers, the lowest value over
the trigger's `for`), the votes cast since the phase began and the LLM spend
rate, and writes the decision: a change of the override with its audit row
and NOTIFY, or, for a hold, an audit row alone (`guard_announce` when it
announces a promotion). Every decision lands in `flag_audit` with the numbers
behind it. The CLI verbs and `GET /api/v1/admin/rollout` use it.

The clock is injected (`clock`), so tests put "now" days after a change
instead of waiting for a soak.

The guard writes the full state (enabled and rollout_pct) into the override,
so after its first act nothing depends on env values; until then the
effective state is computed with the env of whoever runs the guard.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import asyncpg

from babyshield_chat.alerting.thresholds import Gate, format_duration
from babyshield_chat.config import FlagSettings, Settings
from babyshield_chat.flags import overrides
from babyshield_chat.flags.evaluation import FlagState
from babyshield_chat.rollout.guard import (
    ANNOUNCE_ACTION,
    HOLD_ACTION,
    PROMOTE_ACTION,
    RESUME_ACTION,
    Announcement,
    Decision,
    GateReading,
    ManualHold,
    Observation,
    RolloutState,
    clock,
    decide,
    step_back_target,
)
from babyshield_chat.flags.overrides import AuditEntry, Change
from babyshield_chat.rollout.phase_gates import CostReading, FeedbackReading, daily_budget, feedback_queries
from babyshield_chat.rollout.policy import RolloutPolicy
from babyshield_chat.rollout.prometheus import PrometheusClient, Sample

DEFAULT_ACTOR = "rollout-guard"
DEFAULT_HISTORY = 10
MANUAL_ROLLBACK_ACTION = "rollback"
# A trigger counts as sustained only when its window is (nearly) covered with
# samples: a series that appeared a minute ago has not been critical for 10.
SUSTAIN_STEPS = 10
SUSTAIN_MIN_POINTS = 9

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class RolloutStatus:
    """What `rollout status` prints and `GET /api/v1/admin/rollout` returns."""

    flag: FlagState
    decision: Decision
    policy: RolloutPolicy
    history: tuple[AuditEntry, ...]
    prometheus_url: str | None

    @property
    def phase_number(self) -> int | None:
        index = self.policy.phase_index(self.flag.rollout_pct)
        return index + 1 if index is not None else None


def sustained_query(gate: Gate, window: dt.timedelta, env: str | None = None) -> str:
    """PromQL for the lowest value of the gate over `window`, empty unless the window is covered."""
    step = max(window / SUSTAIN_STEPS, dt.timedelta(milliseconds=100))
    inner = f"({gate.query_in(env)})[{format_duration(window)}:{format_duration(step)}]"
    return f"min_over_time({inner}) and on () (count_over_time({inner}) >= {SUSTAIN_MIN_POINTS})"


class RolloutGuard:
    """`daily_budget_usd` is `BS_LLM_DAILY_BUDGET_USD`; `notice` the announcement lead (0: promote unannounced)."""

    def __init__(
        self,
        policy: RolloutPolicy,
        env: FlagSettings,
        prometheus: PrometheusClient | None,
        *,
        clock: Clock = utc_now,
        environment: str | None = None,
        daily_budget_usd: float | None = None,
        notice: dt.timedelta = dt.timedelta(0),
    ) -> None:
        self.policy = policy
        self.env = env
        self.prometheus = prometheus
        self.clock = clock
        # The `env` label of the series to judge (BS_ENV): one Prometheus may watch several environments.
        self.environment = environment
        self.budget = daily_budget(daily_budget_usd, policy.max_daily_cost_usd)
        self.notice = notice

    @classmethod
    def from_settings(cls, policy: RolloutPolicy, settings: Settings, prometheus: PrometheusClient | None) -> RolloutGuard:
        """The guard as the CLI and the admin API run it: its environment, env flag values, the LLM budget, the notice.

        Promotions wait for a notice only when there is someone to notify (`BS_ROLLOUT_NOTIFY_URL`).
        """
        rollout = settings.rollout
        notice = dt.timedelta(seconds=rollout.notify_lead_sec) if rollout.notify_url else dt.timedelta(0)
        return cls(policy, settings.flags, prometheus, environment=settings.env,
                   daily_budget_usd=settings.llm.daily_budget_usd, notice=notice)

    # --- reading ---------------------------------------------------------------

    async def observe(self, since: dt.datetime | None, now: dt.datetime) -> Observation:
        """Every gate now, and the phase's votes (since `since`) and the spend rate."""
        thresholds = self.policy.thresholds
        if self.prometheus is None:
            missing = "no Prometheus URL configured (--prometheus-url or BS_ROLLOUT_PROMETHEUS_URL)"
            return Observation(tuple(GateReading(g, None, None, missing) for g in self.policy.gates), None,
                               FeedbackReading(thresholds.feedback, None, None, None, missing),
                               CostReading(None, self.budget, missing), missing)
        client, env = self.prometheus, self.environment
        traffic_query, cost_query = thresholds.traffic_query_in(env), thresholds.cost.query_in(env)
        queries: list[str] = [traffic_query, cost_query]
        for gate in self.policy.gates:
            queries.append(gate.query_in(env))
            if gate.rollback_trigger:
                queries.append(sustained_query(gate, self.policy.sustain(gate), env))
        votes_queries = feedback_queries(thresholds.job, now - since, env) if since is not None else ()
        queries += votes_queries
        samples = dict(zip(queries, await asyncio.gather(*(client.query(q) for q in queries))))
        readings = []
        for gate in self.policy.gates:
            sample: Sample = samples[gate.query_in(env)]
            sustained = (
                samples[sustained_query(gate, self.policy.sustain(gate), env)].value if gate.rollback_trigger else None
            )
            readings.append(GateReading(gate, sample.value, sustained, sample.problem))
        if votes_queries:
            votes, unhelpful, unsafe = (samples[q] for q in votes_queries)
            feedback = FeedbackReading(thresholds.feedback, votes.value, unhelpful.value, unsafe.value,
                                       votes.problem or unhelpful.problem)
        else:
            feedback = FeedbackReading(thresholds.feedback, None, None, None,
                                       "phase start unknown: no recorded change of the flag")
        traffic, cost = samples[traffic_query], samples[cost_query]
        return Observation(tuple(readings), traffic.value, feedback, CostReading(cost.value, self.budget, cost.problem),
                           traffic.problem)

    async def read_state(self, conn: asyncpg.Connection) -> tuple[FlagState, RolloutState]:
        flag = overrides.effective_state(self.env, await overrides.read_override(conn))
        since = await overrides.last_change_at(conn)
        stable = await overrides.last_stable_pct(conn, flag.rollout_pct, PROMOTE_ACTION)
        told = await overrides.latest_audit(conn, (ANNOUNCE_ACTION,), after=since) if since is not None else None
        return flag, RolloutState(flag.enabled, flag.rollout_pct, since, stable, await self.held(conn),
                                  _announcement(told))

    async def held(self, conn: asyncpg.Connection) -> ManualHold | None:
        """A person's hold in force (the newest of hold and resume is a hold), or None."""
        entry = await overrides.latest_audit(conn, (HOLD_ACTION, RESUME_ACTION))
        return ManualHold(entry.actor, entry.reason, entry.at) if entry and entry.action == HOLD_ACTION else None

    async def evaluate(self, conn: asyncpg.Connection) -> Decision:
        """The decision the guard would take now; writes nothing."""
        _, state = await self.read_state(conn)
        now = self.clock()
        return decide(self.policy, state, await self.observe(state.since, now), now, notice=self.notice)

    async def status(self, conn: asyncpg.Connection, *, history: int = DEFAULT_HISTORY) -> RolloutStatus:
        flag, state = await self.read_state(conn)
        now = self.clock()
        decision = decide(self.policy, state, await self.observe(state.since, now), now, notice=self.notice)
        entries = await overrides.list_audit(conn, limit=history)
        url = self.prometheus.base_url if self.prometheus is not None else None
        return RolloutStatus(flag, decision, self.policy, tuple(entries), url)

    # --- writing -------------------------------------------------------------

    async def apply(self, conn: asyncpg.Connection, decision: Decision, *, actor: str = DEFAULT_ACTOR,
                    request_reason: str | None = None) -> int:
        """Record the decision (and change the flag when it says so); return the audit id.

        The change is conditional on the flag still being what the decision
        was made from, so two guards (or a guard and a person) never stack
        two step-backs; the loser gets `OverrideConflict`. `request_reason`
        is why a person asked for this evaluation (the admin API's advance);
        the audit reason keeps the guard's own summary first.
        """
        details = decision.details()
        reason = decision.summary if request_reason is None else f"{decision.summary} (asked: {request_reason})"
        if not decision.changes_flag:
            return await overrides.record_decision(conn, self.env, actor=actor, action=decision.audit_action,
                                                   reason=reason, details=details)
        expect = FlagState(decision.state.enabled, decision.state.rollout_pct)
        change = await overrides.set_override(
            conn, self.env, enabled=decision.target_enabled, rollout_pct=decision.target_pct, actor=actor,
            reason=reason, action=decision.audit_action, details=details, expect=expect,
        )
        return change.audit_id

    async def hold(self, conn: asyncpg.Connection, *, actor: str, reason: str) -> int:
        """A person pins the percentage: the guard promotes nothing until `resume` (triggers still act)."""
        held = await self.held(conn)
        if held is not None:
            raise ValueError(f"the rollout is already held by {held.actor} since {clock(held.at)}: {held.reason}")
        return await overrides.record_decision(conn, self.env, actor=actor, action=HOLD_ACTION, reason=reason,
                                               details={})

    async def resume(self, conn: asyncpg.Connection, *, actor: str, reason: str) -> int:
        """End a person's hold: the guard may promote again (after announcing it, with a notice period)."""
        if await self.held(conn) is None:
            raise ValueError("the rollout is not held; there is nothing to resume")
        return await overrides.record_decision(conn, self.env, actor=actor, action=RESUME_ACTION, reason=reason,
                                               details={})

    async def manual_rollback(self, conn: asyncpg.Connection, *, actor: str, reason: str,
                              dry_run: bool = False) -> tuple[float, float, Change | None]:
        """A person's step back, same target as the guard's: (from, to, change or None when dry)."""
        _, state = await self.read_state(conn)
        if state.rollout_pct <= 0:
            raise ValueError("the rollout is already at 0%; there is nothing to roll back")
        target = step_back_target(state)
        if dry_run:
            return state.rollout_pct, target, None
        change = await overrides.set_override(
            conn, self.env, rollout_pct=target, actor=actor, reason=reason, action=MANUAL_ROLLBACK_ACTION,
            details={"from": state.rollout_pct, "to": target, "last_stable_pct": state.last_stable_pct},
            expect=FlagState(state.enabled, state.rollout_pct),
        )
        return state.rollout_pct, target, change


def _announcement(entry: AuditEntry | None) -> Announcement | None:
    told = (entry.details or {}).get("announcement") if entry is not None else None
    if not isinstance(told, dict):
        return None
    return Announcement(float(told["target_pct"]), dt.datetime.fromisoformat(told["due_at"]),
                        dt.datetime.fromisoformat(told["at"]))


def status_json(status: RolloutStatus) -> dict[str, Any]:
    """`RolloutStatus` as plain JSON data (the admin endpoint's body, `status --json`)."""
    decision = status.decision
    soak_left = decision.soak_left
    feedback = decision.observation.feedback
    held, told = decision.state.held, decision.announcement or decision.state.announcement
    return {
        "flag": {"enabled": status.flag.enabled, "rollout_pct": status.flag.rollout_pct, "source": status.flag.source},
        "phases": [p.rollout_pct for p in status.policy.phases],
        "phase": status.phase_number,
        "next_pct": status.policy.next_pct(status.flag.rollout_pct),
        "soak": {
            "required_sec": decision.soak_required.total_seconds(),
            "elapsed_sec": _seconds(decision.soak_elapsed),
            "left_sec": _seconds(soak_left),
            "since": decision.state.since.isoformat() if decision.state.since else None,
        },
        "traffic": {"value": _finite(decision.observation.traffic), "minimum": status.policy.min_request_rate,
                    "problem": decision.observation.traffic_problem},
        "gates": [
            {"key": r.gate.key, "name": r.gate.name, "unit": r.gate.unit, "value": _finite(r.value),
             "sustained": _finite(r.sustained), "warning": r.gate.warning, "critical": r.gate.critical,
             "state": r.status.value, "rollback_trigger": r.gate.rollback_trigger, "triggered": r.triggered,
             "problem": r.problem}
            for r in decision.observation.readings
        ] + [
            # Parents' votes over the phase, as one more gate (never a rollback trigger).
            {"key": feedback.gate.key, "name": f"{feedback.gate.name} (this phase)", "unit": "ratio",
             "value": _finite(feedback.value), "sustained": None, "warning": feedback.gate.warning,
             "critical": feedback.gate.critical, "state": feedback.status.value, "rollback_trigger": False,
             "triggered": False, "problem": None if feedback.value is not None else feedback.describe()},
        ],
        "feedback": {"votes": _finite(feedback.votes), "unhelpful": _finite(feedback.unhelpful),
                     "unsafe": _finite(feedback.unsafe), "min_votes": feedback.gate.min_votes,
                     "value": _finite(feedback.value), "state": feedback.status.value, "summary": feedback.describe()},
        "cost": _cost_json(decision),
        "held": {"actor": held.actor, "reason": held.reason, "at": held.at.isoformat()} if held else None,
        "announcement": told.details() if told else None,
        "verdict": verdict_json(decision),
        "prometheus_url": status.prometheus_url,
        "last_decisions": [
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "old": e.old,
             "new": e.new, "reason": e.reason}
            for e in status.history
        ],
    }


def verdict_json(decision: Decision) -> dict[str, Any]:
    """What the guard decided (or would decide), as plain JSON data."""
    return {"action": decision.action, "target_enabled": decision.target_enabled,
            "target_pct": decision.target_pct, "reasons": list(decision.reasons)}


def _cost_json(decision: Decision) -> dict[str, Any] | None:
    cost = decision.cost
    if cost is None:
        return None
    budget = cost.reading.budget
    return {"from_pct": cost.from_pct, "to_pct": cost.to_pct, "measured_usd_per_day": _finite(cost.reading.usd_per_day),
            "projected_usd_per_day": _finite(cost.projected),
            "budget_usd_per_day": budget.usd_per_day if budget else None,
            "budget_source": budget.source if budget else None, "over_budget": cost.over_budget,
            "problem": cost.reading.problem, "summary": cost.summary()}


def _seconds(value: dt.timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
