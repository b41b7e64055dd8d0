"""The rollout guard at work: read the flag and Prometheus, decide, apply, report.

`RolloutGuard` is the I/O around the pure `guard.decide`: it reads the flag
and its history from PostgreSQL, asks Prometheus one instant value per gate
(plus, for rollback triggers, the lowest value over the trigger's `for`), and
writes the decision: a change of the override with its audit row and NOTIFY,
or, for a hold, an audit row alone. Every decision lands in `flag_audit` with
the numbers behind it. The CLI verbs and `GET /api/v1/admin/rollout` use it.

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
from babyshield_chat.config import FlagSettings
from babyshield_chat.flags import overrides
from babyshield_chat.flags.evaluation import FlagState
from babyshield_chat.rollout.guard import PROMOTE_ACTION, Decision, GateReading, Observation, RolloutState, decide, step_back_target
from babyshield_chat.flags.overrides import AuditEntry, Change
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
    def __init__(
        self,
        policy: RolloutPolicy,
        env: FlagSettings,
        prometheus: PrometheusClient | None,
        *,
        clock: Clock = utc_now,
        environment: str | None = None,
    ) -> None:
        self.policy = policy
        self.env = env
        self.prometheus = prometheus
        self.clock = clock
        # The `env` label of the series to judge (BS_ENV): one Prometheus may watch several environments.
        self.environment = environment

    # --- reading ---------------------------------------------------------------

    async def observe(self) -> Observation:
        if self.prometheus is None:
            missing = "no Prometheus URL configured (--prometheus-url or BS_ROLLOUT_PROMETHEUS_URL)"
            return Observation(tuple(GateReading(g, None, None, missing) for g in self.policy.gates), None, missing)
        client, env = self.prometheus, self.environment
        traffic_query = self.policy.thresholds.traffic_query_in(env)
        queries: list[str] = [traffic_query]
        for gate in self.policy.gates:
            queries.append(gate.query_in(env))
            if gate.rollback_trigger:
                queries.append(sustained_query(gate, self.policy.sustain(gate), env))
        samples = dict(zip(queries, await asyncio.gather(*(client.query(q) for q in queries))))
        readings = []
        for gate in self.policy.gates:
            now: Sample = samples[gate.query_in(env)]
            sustained = (
                samples[sustained_query(gate, self.policy.sustain(gate), env)].value if gate.rollback_trigger else None
            )
            readings.append(GateReading(gate, now.value, sustained, now.problem))
        traffic = samples[traffic_query]
        return Observation(tuple(readings), traffic.value, traffic.problem)

    async def read_state(self, conn: asyncpg.Connection) -> tuple[FlagState, RolloutState]:
        flag = overrides.effective_state(self.env, await overrides.read_override(conn))
        since = await overrides.last_change_at(conn)
        stable = await overrides.last_stable_pct(conn, flag.rollout_pct, PROMOTE_ACTION)
        return flag, RolloutState(flag.enabled, flag.rollout_pct, since, stable)

    async def evaluate(self, conn: asyncpg.Connection) -> Decision:
        """The decision the guard would take now; writes nothing."""
        (_, state), observation = await asyncio.gather(self.read_state(conn), self.observe())
        return decide(self.policy, state, observation, self.clock())

    async def status(self, conn: asyncpg.Connection, *, history: int = DEFAULT_HISTORY) -> RolloutStatus:
        flag, state = await self.read_state(conn)
        decision = decide(self.policy, state, await self.observe(), self.clock())
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


def status_json(status: RolloutStatus) -> dict[str, Any]:
    """`RolloutStatus` as plain JSON data (the admin endpoint's body, `status --json`)."""
    decision = status.decision
    soak_left = decision.soak_left
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
        ],
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


def _seconds(value: dt.timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
