"""The guard's decision rules, with the packaged policy and thresholds and an injected "now"."""

import datetime as dt

import pytest

from babyshield_chat.rollout.guard import (
    Announcement,
    GateReading,
    ManualHold,
    Observation,
    RolloutState,
    decide,
    step_back_target,
)
from babyshield_chat.rollout.phase_gates import Budget, CostReading, FeedbackReading
from babyshield_chat.rollout.policy import load_policy

POLICY = load_policy()
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
GREEN = {"error_rate": 0.001, "latency_p95": 1.2, "circuit_rate": 0.0, "fallback_rate": 0.01,
         "tool_latency_p95": 0.3, "synth_latency_p95": 1.0}
# 2 of 40 votes unhelpful; $10 a day against a $50 budget.
GOOD_VOTES = (40.0, 2.0, 0.0)
BUDGET = Budget(50.0, "BS_LLM_DAILY_BUDGET_USD")
NOTICE = dt.timedelta(minutes=15)


def observe(traffic=2.0, sustained=None, votes=GOOD_VOTES, cost=10.0, budget=BUDGET, **values):
    values = {**GREEN, **values}
    sustained = sustained or {}
    return Observation(tuple(GateReading(g, values[g.key], sustained.get(g.key)) for g in POLICY.gates), traffic,
                       FeedbackReading(POLICY.thresholds.feedback, *votes), CostReading(cost, budget))


def state(pct=0.10, hours_ago=25.0, enabled=True, stable=None, held=None, announcement=None):
    since = NOW - dt.timedelta(hours=hours_ago) if hours_ago is not None else None
    return RolloutState(enabled, pct, since, stable, held, announcement)


@pytest.mark.parametrize(("pct", "hours", "target"), [(0.10, 24.01, 0.25), (0.25, 48.5, 0.50), (0.50, 73, 1.0)])
def test_promotes_after_the_phase_soak_with_green_gates_and_enough_traffic(pct, hours, target):
    decision = decide(POLICY, state(pct, hours), observe(), NOW)
    assert (decision.action, decision.target_enabled, decision.target_pct) == ("promote", True, target)


def test_holds_until_the_soak_has_passed_and_says_how_long_is_left():
    decision = decide(POLICY, state(0.25, hours_ago=45), observe(), NOW)
    assert decision.action == "hold" and decision.target_pct == 0.25
    assert decision.soak_left == dt.timedelta(hours=3)
    assert "soak: 3h left of 48h at 25%" in decision.reasons


def test_holds_when_the_soak_start_is_unknown():
    decision = decide(POLICY, state(hours_ago=None), observe(), NOW)
    assert decision.action == "hold" and decision.soak_left is None
    assert any("soak start unknown" in r for r in decision.reasons)


def test_holds_on_a_warning_and_names_the_gate_and_threshold():
    decision = decide(POLICY, state(), observe(fallback_rate=0.07), NOW)
    assert decision.action == "hold"
    assert decision.reasons == ("fallback_rate: 7% above warning 5%",)


@pytest.mark.parametrize("missing", ["error_rate", "tool_latency_p95"])
def test_missing_data_is_never_green(missing):
    decision = decide(POLICY, state(), observe(**{missing: None}), NOW)
    assert decision.action == "hold"
    assert any(r.startswith(f"{missing}: no data") for r in decision.reasons)


def test_nan_is_missing_data_not_a_pass():
    decision = decide(POLICY, state(), observe(error_rate=float("nan")), NOW)
    assert decision.action == "hold" and any("error_rate: no data" in r for r in decision.reasons)


@pytest.mark.parametrize(("traffic", "reason"), [(0.2, "traffic: 0.2 req/s below the minimum 0.5"),
                                                 (None, "traffic: no data (no value)")])
def test_holds_on_too_little_or_unknown_traffic(traffic, reason):
    decision = decide(POLICY, state(), observe(traffic=traffic), NOW)
    assert decision.action == "hold" and reason in decision.reasons


def test_a_hold_lists_every_reason_at_once():
    decision = decide(POLICY, state(hours_ago=1), observe(traffic=0.1, latency_p95=2.6), NOW)
    assert len(decision.reasons) == 3


def test_a_sustained_error_rate_trips_the_kill_switch():
    decision = decide(POLICY, state(0.25), observe(error_rate=0.05, sustained={"error_rate": 0.03}), NOW)
    assert (decision.action, decision.target_enabled, decision.target_pct) == ("kill_switch", False, 0.25)
    assert "error_rate above critical 2% for 5m" in decision.reasons[0]


def test_a_critical_value_not_yet_sustained_holds_instead_of_acting():
    decision = decide(POLICY, state(0.25), observe(error_rate=0.05, sustained={"error_rate": 0.015}), NOW)
    assert decision.action == "hold"
    assert "error_rate: 5% above critical 2% (not yet sustained)" in decision.reasons


@pytest.mark.parametrize("gate", ["latency_p95", "circuit_rate"])
def test_latency_or_circuit_trigger_steps_back_to_the_last_stable_percentage(gate):
    value = 3.5 if gate == "latency_p95" else 0.05
    decision = decide(POLICY, state(0.50, stable=0.25), observe(sustained={gate: value}, **{gate: value}), NOW)
    assert (decision.action, decision.target_enabled, decision.target_pct) == ("step_back", True, 0.25)


def test_without_a_stable_percentage_a_step_back_halves():
    decision = decide(POLICY, state(0.10), observe(latency_p95=3.1, sustained={"latency_p95": 2.9}), NOW)
    assert (decision.action, decision.target_pct) == ("step_back", 0.05)
    assert step_back_target(state(0.05)) == 0.025


def test_a_stable_percentage_at_or_above_the_current_one_is_not_a_step_back():
    assert step_back_target(state(0.25, stable=0.25)) == 0.125


def test_the_kill_switch_wins_over_a_step_back():
    decision = decide(POLICY, state(0.5, stable=0.25),
                      observe(sustained={"error_rate": 0.1, "latency_p95": 4.0}, error_rate=0.1, latency_p95=4.0), NOW)
    assert decision.action == "kill_switch" and decision.target_enabled is False


def test_a_burst_that_has_just_ended_does_not_trigger():
    decision = decide(POLICY, state(0.25), observe(error_rate=0.004, sustained={"error_rate": 0.03}), NOW)
    assert decision.action == "hold"


def test_a_non_trigger_gate_never_rolls_back_even_when_critical():
    decision = decide(POLICY, state(), observe(fallback_rate=0.5, sustained={"fallback_rate": 0.5}), NOW)
    assert decision.action == "hold"


def test_a_disabled_flag_is_left_for_a_person_to_re_enable():
    decision = decide(POLICY, state(enabled=False), observe(), NOW)
    assert (decision.action, decision.target_enabled) == ("hold", False)
    assert "kill switch is off" in decision.reasons[0]


def test_full_rollout_and_zero_percent_have_nothing_to_promote():
    assert "fully rolled out" in decide(POLICY, state(1.0, 500), observe(), NOW).reasons[0]
    assert "rollout set 0.1" in decide(POLICY, state(0.0, 500), observe(), NOW).reasons[0]


def test_an_off_phase_percentage_promotes_to_the_next_phase_after_the_first_soak():
    decision = decide(POLICY, state(0.05, hours_ago=24.5), observe(), NOW)
    assert (decision.action, decision.target_pct) == ("promote", 0.10)


def test_details_carry_the_metric_values_behind_the_decision():
    decision = decide(POLICY, state(0.25), observe(error_rate=0.05, sustained={"error_rate": 0.03}), NOW)
    details = decision.details()
    error_rate = next(g for g in details["gates"] if g["key"] == "error_rate")
    assert error_rate == {"key": "error_rate", "value": 0.05, "sustained": 0.03, "warning": 0.01, "critical": 0.02,
                          "status": "critical", "rollback_trigger": True, "triggered": True, "problem": None}
    assert details["traffic"] == {"value": 2.0, "minimum": 0.5, "problem": None}
    assert details["from"] == {"enabled": True, "rollout_pct": 0.25}
    assert details["to"] == {"enabled": False, "rollout_pct": 0.25}


# --- parents' feedback over the phase ---------------------------------------------------------


@pytest.mark.parametrize(("votes", "reason"), [
    ((40.0, 12.0, 0.0), "unhelpful_ratio: 30% of 40 votes unhelpful in this phase, above critical 25%"),
    ((40.0, 7.0, 1.0), "unhelpful_ratio: 17.5% of 40 votes unhelpful in this phase; 1 unsafe, above warning 15%"),
    ((19.0, 0.0, 0.0), "unhelpful_ratio: no data: 19 votes in this phase, 20 needed"),
    ((0.0, 0.0, 0.0), "unhelpful_ratio: no data: 0 votes in this phase, 20 needed"),
])
def test_unhappy_or_too_few_votes_hold_and_say_the_figures(votes, reason):
    decision = decide(POLICY, state(), observe(votes=votes), NOW)
    assert decision.action == "hold" and decision.reasons == (reason,)
    assert decision.hold_keys == ("unhelpful_ratio",)


def test_votes_that_could_not_be_read_are_no_data_never_green():
    observation = observe()
    observation = Observation(observation.readings, 2.0, FeedbackReading(POLICY.thresholds.feedback, None, None, None,
                                                                         "Prometheus did not answer within 5 s"), observation.cost)
    decision = decide(POLICY, state(), observation, NOW)
    assert decision.reasons == ("unhelpful_ratio: no data (Prometheus did not answer within 5 s)",)


def test_a_promotion_says_how_the_votes_and_the_cost_looked():
    decision = decide(POLICY, state(0.25, 49), observe(cost=20.0), NOW)
    assert decision.action == "promote"
    assert "feedback: 5% of 40 votes unhelpful in this phase (warning 15%)" in decision.reasons
    assert ("cost: projected $40.00/day at 50% (measured $20.00/day at 25%, × 2) within the budget $50.00/day "
            "(BS_LLM_DAILY_BUDGET_USD)") in decision.reasons


# --- the cost of the next phase -----------------------------------------------------------------


def test_a_projected_cost_above_the_budget_holds_with_every_figure():
    decision = decide(POLICY, state(0.25, 49), observe(cost=36.0), NOW)
    assert decision.action == "hold"
    assert decision.reasons == ("cost: projected $72.00/day at 50% (measured $36.00/day at 25%, × 2) above the "
                                "budget $50.00/day (BS_LLM_DAILY_BUDGET_USD)",)
    assert decision.details()["cost"] == {
        "measured_usd_per_day": 36.0, "from_pct": 0.25, "to_pct": 0.5, "projected_usd_per_day": 72.0,
        "budget_usd_per_day": 50.0, "budget_source": "BS_LLM_DAILY_BUDGET_USD", "over_budget": True, "problem": None}


def test_the_projection_scales_by_the_next_phase_over_this_one():
    assert decide(POLICY, state(0.10), observe(cost=20.0), NOW).action == "promote"  # $50 at 25%: not above
    decision = decide(POLICY, state(0.10), observe(cost=20.1), NOW)
    assert decision.action == "hold" and "projected $50.25/day at 25%" in decision.reasons[0]
    assert "× 2.5" in decision.reasons[0]


def test_without_a_budget_the_projection_is_shown_and_does_not_hold():
    decision = decide(POLICY, state(0.25, 49), observe(cost=1000.0, budget=None), NOW)
    assert decision.action == "promote"
    assert any(r.startswith("cost: projected $2,000.00/day at 50%") and "no budget set" in r for r in decision.reasons)


def test_a_budget_without_a_measured_rate_is_no_data_and_holds():
    observation = observe()
    observation = Observation(observation.readings, 2.0, observation.feedback,
                              CostReading(None, BUDGET, "no data (empty result)"))
    decision = decide(POLICY, state(0.25, 49), observation, NOW)
    assert decision.reasons == ("cost: no data (no data (empty result))",)


def test_a_kill_switch_still_acts_whatever_the_votes_and_the_cost():
    decision = decide(POLICY, state(0.25), observe(votes=(0.0, 0.0, 0.0), cost=None, error_rate=0.05,
                                                   sustained={"error_rate": 0.03}), NOW)
    assert decision.action == "kill_switch"


# --- a person's hold ----------------------------------------------------------------------------


def test_a_persons_hold_stops_a_promotion_and_says_who_and_how_to_resume():
    held = ManualHold("dana", "waiting for the app release", NOW - dt.timedelta(hours=2))
    decision = decide(POLICY, state(held=held), observe(), NOW)
    assert decision.action == "hold" and decision.hold_keys == ("held",)
    assert decision.reasons[0] == ("held by dana since 10:00:00 UTC: waiting for the app release "
                                   '(`babyshield-chat rollout resume --reason "..."` lets the guard promote again)')


def test_a_hold_never_stops_a_rollback_trigger():
    held = ManualHold("dana", "waiting", NOW)
    decision = decide(POLICY, state(0.5, stable=0.25, held=held),
                      observe(latency_p95=3.5, sustained={"latency_p95": 3.1}), NOW)
    assert (decision.action, decision.target_pct) == ("step_back", 0.25)


# --- announcing a promotion before it happens ---------------------------------------------------


def test_with_a_notice_period_a_promotion_is_announced_first_and_held_until_due():
    decision = decide(POLICY, state(), observe(), NOW, notice=NOTICE)
    assert decision.action == "hold" and not decision.changes_flag
    assert decision.announcement == Announcement(0.25, NOW + NOTICE, NOW)
    assert decision.audit_action == "guard_announce"
    assert decision.reasons[-1] == ('promotion to 25% announced for 12:15:00 UTC (in 15m); '
                                    '`babyshield-chat rollout hold --reason "..."` keeps it at 10%')


def test_the_announcement_comes_a_notice_before_the_soak_ends_and_not_earlier():
    early = decide(POLICY, state(hours_ago=23.7), observe(), NOW, notice=NOTICE)  # 18 min of soak left
    assert early.announcement is None and early.hold_keys == ("soak",)
    told = decide(POLICY, state(hours_ago=23.8), observe(), NOW, notice=NOTICE)  # 12 min left
    assert told.announcement == Announcement(0.25, NOW + NOTICE, NOW)
    assert told.hold_keys == ("soak", "announced")


def test_an_announced_promotion_happens_once_due_and_not_before():
    told = Announcement(0.25, NOW + NOTICE, NOW)
    waiting = decide(POLICY, state(announcement=told), observe(), NOW + dt.timedelta(minutes=10), notice=NOTICE)
    assert waiting.action == "hold" and waiting.announcement is None
    assert waiting.reasons[-1] == "promotion to 25% announced at 12:00:00 UTC, due 12:15:00 UTC (in 5m)"
    done = decide(POLICY, state(announcement=told), observe(), NOW + dt.timedelta(minutes=15), notice=NOTICE)
    assert (done.action, done.target_pct) == ("promote", 0.25)
    assert "announced at 12:00:00 UTC" in done.reasons


def test_a_gate_going_red_after_the_announcement_still_holds():
    told = Announcement(0.25, NOW + NOTICE, NOW)
    decision = decide(POLICY, state(announcement=told), observe(votes=(40.0, 12.0, 0.0)),
                      NOW + dt.timedelta(minutes=16), notice=NOTICE)
    assert decision.action == "hold" and decision.announcement is None


def test_an_announcement_not_acted_on_lapses_and_is_made_again():
    old = Announcement(0.25, NOW - dt.timedelta(hours=1), NOW - dt.timedelta(hours=1, minutes=15))
    decision = decide(POLICY, state(announcement=old), observe(), NOW, notice=NOTICE)
    assert decision.action == "hold" and decision.announcement == Announcement(0.25, NOW + NOTICE, NOW)


def test_an_announcement_for_another_percentage_does_not_count():
    other = Announcement(0.5, NOW, NOW - NOTICE)
    decision = decide(POLICY, state(announcement=other), observe(), NOW, notice=NOTICE)
    assert decision.announcement == Announcement(0.25, NOW + NOTICE, NOW)
