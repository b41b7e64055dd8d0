"""RolloutGuard's I/O shell: what it asks Prometheus, and how it writes decisions."""

import datetime as dt

import pytest

from babyshield_chat.config import FlagSettings
from babyshield_chat.flags import overrides
from babyshield_chat.rollout.policy import load_policy
from babyshield_chat.rollout.runner import RolloutGuard, status_json, sustained_query

POLICY = load_policy()
ENV = FlagSettings(enabled=True, rollout_pct=0.0)
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_a_trigger_is_sustained_only_over_a_covered_window():
    query = sustained_query(POLICY.thresholds.gate("error_rate"), dt.timedelta(minutes=5))
    assert query == ("min_over_time((chat:error_ratio:rate5m)[5m:30s]) and on () "
                     "(count_over_time((chat:error_ratio:rate5m)[5m:30s]) >= 9)")


def test_a_guard_of_one_environment_sustains_that_environments_series_only():
    query = sustained_query(POLICY.thresholds.gate("error_rate"), dt.timedelta(minutes=5), "production")
    inner = '(max(chat:error_ratio:rate5m{env=~"production|"}))[5m:30s]'
    assert query == f"min_over_time({inner}) and on () (count_over_time({inner}) >= 9)"


async def test_a_decision_taken_on_a_flag_that_moved_since_is_not_applied(conn):
    await overrides.set_override(conn, ENV, rollout_pct=0.5, actor="sre", reason="phase 3")
    guard = RolloutGuard(POLICY, ENV, None, clock=lambda: NOW)
    decision = await guard.evaluate(conn)
    await overrides.set_override(conn, ENV, enabled=False, actor="sre", reason="incident")
    stale = type(decision)(**{**decision.__dict__, "action": "step_back", "target_pct": 0.25})
    with pytest.raises(overrides.OverrideConflict):
        await guard.apply(conn, stale)
    assert (await overrides.read_override(conn)).enabled is False


async def test_without_prometheus_the_status_says_so_and_holds(conn):
    await overrides.set_override(conn, ENV, rollout_pct=0.1, actor="sre", reason="canary")
    status = status_json(await RolloutGuard(POLICY, ENV, None, clock=lambda: NOW).status(conn))
    assert status["prometheus_url"] is None and status["verdict"]["action"] == "hold"
    assert {g["state"] for g in status["gates"]} == {"no_data"}
    assert status["last_decisions"][0]["reason"] == "canary"
