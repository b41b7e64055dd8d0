"""RolloutGuard's I/O shell: what it asks Prometheus, and how it writes decisions."""

import dataclasses
import datetime as dt

import pytest

from babyshield_chat.config import FlagSettings, load_settings
from babyshield_chat.flags import overrides
from babyshield_chat.rollout.guard import Announcement
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


async def test_a_persons_hold_is_read_back_until_resumed_and_cannot_be_doubled(conn):
    await overrides.set_override(conn, ENV, rollout_pct=0.1, actor="sre", reason="canary")
    guard = RolloutGuard(POLICY, ENV, None, clock=lambda: NOW)
    await guard.hold(conn, actor="dana", reason="app release first")
    _, state = await guard.read_state(conn)
    assert (state.held.actor, state.held.reason) == ("dana", "app release first")
    with pytest.raises(ValueError, match="already held by dana"):
        await guard.hold(conn, actor="erin", reason="me too")
    decision = await guard.evaluate(conn)
    assert "held" in decision.hold_keys
    await guard.resume(conn, actor="dana", reason="released")
    assert (await guard.read_state(conn))[1].held is None
    with pytest.raises(ValueError, match="not held"):
        await guard.resume(conn, actor="dana", reason="again")
    actions = [e.action for e in await overrides.list_audit(conn)]
    assert actions == ["resume", "hold", "set"]  # evaluating records nothing; applying would


async def test_an_announcement_is_recorded_and_belongs_to_its_phase_only(conn):
    await overrides.set_override(conn, ENV, rollout_pct=0.1, actor="sre", reason="canary")
    guard = RolloutGuard(POLICY, ENV, None, clock=lambda: NOW)
    decision = await guard.evaluate(conn)
    told = Announcement(0.25, NOW + dt.timedelta(minutes=15), NOW)
    announcing = dataclasses.replace(decision, announcement=told)
    await guard.apply(conn, announcing)
    [entry] = await overrides.list_audit(conn, limit=1)
    assert entry.action == "guard_announce" and entry.details["announcement"]["target_pct"] == 0.25
    assert (await guard.read_state(conn))[1].announcement == told
    await overrides.set_override(conn, ENV, rollout_pct=0.25, actor="sre", reason="by hand")
    assert (await guard.read_state(conn))[1].announcement is None


async def test_status_shows_the_votes_the_cost_projection_the_hold_and_the_announcement(conn):
    await overrides.set_override(conn, ENV, rollout_pct=0.1, actor="sre", reason="canary")
    guard = RolloutGuard(POLICY, ENV, None, clock=lambda: NOW, daily_budget_usd=50.0)
    await guard.hold(conn, actor="dana", reason="waiting")
    status = status_json(await guard.status(conn))
    feedback_row = status["gates"][-1]
    assert (feedback_row["key"], feedback_row["state"], feedback_row["rollback_trigger"]) == (
        "unhelpful_ratio", "no_data", False)
    assert status["feedback"]["min_votes"] == 20 and status["feedback"]["votes"] is None
    assert status["cost"] | {"summary": None} == {
        "from_pct": 0.1, "to_pct": 0.25, "measured_usd_per_day": None, "projected_usd_per_day": None,
        "budget_usd_per_day": 50.0, "budget_source": "BS_LLM_DAILY_BUDGET_USD", "over_budget": False,
        "problem": "no Prometheus URL configured (--prometheus-url or BS_ROLLOUT_PROMETHEUS_URL)", "summary": None}
    assert (status["held"]["actor"], status["announcement"]) == ("dana", None)


def test_promotions_wait_for_a_notice_only_when_someone_is_notified():
    quiet = RolloutGuard.from_settings(POLICY, load_settings({"BS_ROLLOUT_NOTIFY_LEAD_SEC": "60"}), None)
    told = RolloutGuard.from_settings(POLICY, load_settings({"BS_ROLLOUT_NOTIFY_URL": "https://hooks.example.com/x",
                                                             "BS_LLM_DAILY_BUDGET_USD": "80"}), None)
    assert (quiet.notice, told.notice) == (dt.timedelta(0), dt.timedelta(minutes=15))
    assert (quiet.budget, told.budget.usd_per_day) == (None, 80.0)
