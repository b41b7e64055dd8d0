"""The feedback and cost gates as values: their PromQL, their figures in words, the budget chosen."""

import datetime as dt

import pytest

from babyshield_chat.alerting.thresholds import GateStatus, load_thresholds
from babyshield_chat.rollout.phase_gates import (
    Budget,
    CostProjection,
    CostReading,
    FeedbackReading,
    daily_budget,
    feedback_queries,
)

FEEDBACK = load_thresholds().feedback


def test_votes_are_counted_over_the_whole_phase_in_seconds():
    votes, unhelpful, unsafe = feedback_queries("babyshield-chat", dt.timedelta(hours=25, seconds=3.7))
    assert votes == 'sum(increase(chat_feedback_total{job="babyshield-chat"}[90003s]))'
    assert unhelpful == 'sum(increase(chat_feedback_total{job="babyshield-chat",helpful="false"}[90003s]))'
    assert unsafe == 'sum(increase(chat_feedback_total{job="babyshield-chat",reason="unsafe"}[90003s]))'
    assert feedback_queries("j", dt.timedelta(0))[0].endswith("[1s]))")


def test_a_guard_of_one_environment_counts_that_environments_votes_only():
    votes, unhelpful, _ = feedback_queries("babyshield-chat", dt.timedelta(hours=1), "production")
    assert votes == 'sum(increase(chat_feedback_total{job="babyshield-chat",env=~"production|"}[3600s]))'
    assert unhelpful == ('sum(increase(chat_feedback_total{job="babyshield-chat",env=~"production|",'
                         'helpful="false"}[3600s]))')


def test_extrapolated_vote_counts_read_as_whole_votes():
    reading = FeedbackReading(FEEDBACK, 41.3, 12.39, 0.4)
    assert reading.describe() == "30% of 41 votes unhelpful in this phase"
    assert reading.status is GateStatus.CRITICAL


def test_details_keep_the_raw_counts_and_thresholds():
    assert FeedbackReading(FEEDBACK, 40.0, 2.0, 1.0).details() == {
        "key": "unhelpful_ratio", "votes": 40.0, "unhelpful": 2.0, "unsafe": 1.0, "value": 0.05, "min_votes": 20,
        "warning": 0.15, "critical": 0.25, "status": "ok", "problem": None}


@pytest.mark.parametrize(("env", "policy", "expected"), [
    (None, None, None),
    (50.0, None, Budget(50.0, "BS_LLM_DAILY_BUDGET_USD")),
    (None, 40.0, Budget(40.0, "the policy's max_daily_cost_usd")),
    (50.0, 40.0, Budget(40.0, "the policy's max_daily_cost_usd")),
    (30.0, 40.0, Budget(30.0, "BS_LLM_DAILY_BUDGET_USD")),
])
def test_the_budget_is_the_lower_of_the_env_cap_and_the_policy(env, policy, expected):
    assert daily_budget(env, policy) == expected


def test_the_projection_multiplies_the_measured_rate_by_the_step():
    projection = CostProjection(CostReading(12.5, Budget(100.0, "BS_LLM_DAILY_BUDGET_USD")), 0.5, 1.0)
    assert (projection.factor, projection.projected, projection.over_budget) == (2.0, 25.0, False)
    assert projection.blocker() is None
    assert projection.summary() == ("cost: projected $25.00/day at 100% (measured $12.50/day at 50%, × 2) within "
                                    "the budget $100.00/day (BS_LLM_DAILY_BUDGET_USD)")


def test_exactly_the_budget_is_within_it():
    assert not CostProjection(CostReading(25.0, Budget(50.0, "x")), 0.25, 0.5).over_budget
    assert CostProjection(CostReading(25.01, Budget(50.0, "x")), 0.25, 0.5).over_budget


def test_no_measured_rate_says_why():
    projection = CostProjection(CostReading(None, None, "Prometheus is not reachable"), 0.1, 0.25)
    assert projection.summary() == ("cost: no data (Prometheus is not reachable); no budget set "
                                    "(BS_LLM_DAILY_BUDGET_USD or the policy's max_daily_cost_usd)")
    assert projection.blocker() is None  # nothing to compare with: not a hold
