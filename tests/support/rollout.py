"""Driving the rollout guard in end-to-end tests: a time-compressed policy, a backdated rollout, a watch loop.

The guard's soak clock reads the flag's audit row, so `start_rollout`
backdates it instead of waiting a day; `drill_policy_yaml` scales the
guard's trigger windows by the same factor as the Prometheus rules under
test; `run_until_it_acts` evaluates and applies, as `rollout watch` does,
until a decision changes the flag.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from babyshield_chat.config import FlagSettings
from babyshield_chat.flags import overrides
from babyshield_chat.rollout.guard import Decision
from babyshield_chat.rollout.policy import DEFAULT_POLICY_PATH
from babyshield_chat.rollout.runner import RolloutGuard

from tests.support.prometheus import SETTLE_TIMEOUT_SEC


def drill_policy_yaml(time_scale: float, min_request_rate: float) -> str:
    """The shipped policy with its trigger windows scaled and its traffic minimum replaced."""
    shipped = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    return (shipped.replace("time_scale: 1.0", f"time_scale: {time_scale!r}")
            .replace("min_request_rate: 0.5", f"min_request_rate: {min_request_rate!r}"))


async def start_rollout(conn: asyncpg.Connection, env: FlagSettings, pct: float, *, hours_ago: float) -> None:
    """The flag at `pct`, set `hours_ago` (the audit row is backdated: the soak clock reads it)."""
    await overrides.set_override(conn, env, enabled=True, rollout_pct=pct, actor="sre", reason="canary")
    await conn.execute("UPDATE flag_audit SET at = now() - make_interval(hours => $1)", float(hours_ago))


async def run_until_it_acts(guard: RolloutGuard, conn: asyncpg.Connection,
                            timeout: float = SETTLE_TIMEOUT_SEC) -> Decision:
    """Evaluate and apply, as `watch` does, until a decision changes the flag."""
    deadline = time.monotonic() + timeout
    while True:
        decision = await guard.evaluate(conn)
        await guard.apply(conn, decision)
        if decision.changes_flag:
            return decision
        assert time.monotonic() < deadline, f"the guard never acted; last: {decision.summary}"
        await asyncio.sleep(0.5)
