"""The guard's notices: a Slack-compatible body that says what happened, why, and what to run to stop it."""

import datetime as dt

from babyshield_chat.rollout.guard import GateReading, ManualHold, Observation, RolloutState, decide
from babyshield_chat.rollout.notices import decision_notice, escape, manual_notice
from babyshield_chat.rollout.phase_gates import Budget, CostReading, FeedbackReading
from babyshield_chat.rollout.policy import load_policy

POLICY = load_policy()
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
GREEN = {"error_rate": 0.001, "latency_p95": 1.2, "circuit_rate": 0.0, "fallback_rate": 0.01,
         "tool_latency_p95": 0.3, "synth_latency_p95": 1.0}


def observation(cost=20.0, votes=(40.0, 2.0, 0.0), **values):
    values = {**GREEN, **values}
    return Observation(tuple(GateReading(g, values[g.key], values[g.key]) for g in POLICY.gates), 2.0,
                       FeedbackReading(POLICY.thresholds.feedback, *votes),
                       CostReading(cost, Budget(50.0, "BS_LLM_DAILY_BUDGET_USD")))


def state(pct=0.25, hours_ago=49.0, **extra):
    return RolloutState(True, pct, NOW - dt.timedelta(hours=hours_ago), **extra)


def fields(notice):
    [section] = [b for b in notice["blocks"] if "fields" in b]
    return {f["text"].split("\n")[0].strip("*"): f["text"].split("\n", 1)[1] for f in section["fields"]}


def test_a_promotion_names_both_percentages_the_votes_and_the_cost():
    notice = decision_notice(decide(POLICY, state(), observation(), NOW), environment="production",
                             actor="rollout-guard", audit_id=42)
    assert notice["text"].startswith("[production] Rollout promoted: 25% → 50%: soaked 48h at 25%; every gate green")
    assert notice["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Rollout promoted: 25% → 50%"}}
    assert fields(notice) == {
        "From": "on, 25%", "To": "on, 50%", "Feedback": "5% of 40 votes unhelpful in this phase",
        "Cost": "projected $40.00/day at 50% (measured $20.00/day at 25%, × 2) within the budget $50.00/day "
                "(BS_LLM_DAILY_BUDGET_USD)",
        "Traffic": "2 req/s", "Decided by": "rollout-guard"}
    assert "audit #42" in notice["blocks"][-1]["elements"][0]["text"]


def test_a_hold_on_cost_carries_the_figures_in_the_text():
    notice = decision_notice(decide(POLICY, state(), observation(cost=36.0), NOW), environment="staging",
                             actor="rollout-guard", audit_id=7)
    assert notice["text"] == ("[staging] Rollout held at 25%: cost: projected $72.00/day at 50% (measured "
                              "$36.00/day at 25%, × 2) above the budget $50.00/day (BS_LLM_DAILY_BUDGET_USD)")


def test_an_announcement_says_when_and_gives_the_command_that_holds_it():
    decision = decide(POLICY, state(), observation(), NOW, notice=dt.timedelta(minutes=15))
    notice = decision_notice(decision, environment="production", actor="rollout-guard", audit_id=9)
    assert notice["blocks"][0]["text"]["text"] == "Promotion announced: 25% → 50% at 12:15:00 UTC"
    assert fields(notice)["Due"] == "12:15:00 UTC (in 15 min)"
    assert fields(notice)["To hold it"] == '`babyshield-chat rollout hold --reason "..."`'
    assert notice["text"].endswith('To hold it: `babyshield-chat rollout hold --reason "..."`')


def test_a_kill_switch_and_a_step_back_say_so_in_the_headline():
    killed = decide(POLICY, state(hours_ago=1), observation(error_rate=0.05), NOW)
    notice = decision_notice(killed, environment="production", actor="rollout-guard", audit_id=1)
    assert notice["blocks"][0]["text"]["text"] == "Kill switch: chat turned off (rollout was 25%)"
    assert fields(notice)["To"] == "off, 25%"
    stepped = decide(POLICY, state(0.5, hours_ago=1, last_stable_pct=0.25), observation(latency_p95=3.5), NOW)
    assert decision_notice(stepped, environment="production", actor="rollout-guard", audit_id=2)["blocks"][0][
        "text"]["text"] == "Rollout stepped back: 50% → 25%"


def test_a_persons_hold_and_resume_are_notices_too():
    held = manual_notice("hold", rollout_pct=0.25, actor="dana", reason="app release first", environment="production",
                         at=NOW, audit_id=5)
    assert held["text"] == ('[production] Rollout held by dana at 25%: app release first. The guard promotes nothing '
                            'until `babyshield-chat rollout resume --reason "..."`; rollback triggers still act.')
    resumed = manual_notice("resume", rollout_pct=0.25, actor="dana", reason="released", environment="production",
                            at=NOW, audit_id=6)
    assert resumed["blocks"][0]["text"]["text"] == "Rollout resumed by dana at 25%"


def test_text_that_slack_reads_as_markup_is_escaped():
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    held = manual_notice("hold", rollout_pct=0.1, actor="dana", reason="<!channel> & more", environment="prod",
                         at=NOW, audit_id=1)
    assert "<!channel>" not in str(held) and "&lt;!channel&gt; &amp; more" in held["text"]


def test_a_long_list_of_reasons_stays_within_slacks_limits():
    held = ManualHold("dana", "x" * 5000, NOW)
    decision = decide(POLICY, state(held=held), observation(), NOW)
    notice = decision_notice(decision, environment="prod", actor="rollout-guard", audit_id=None)
    section = notice["blocks"][1]["text"]["text"]
    assert len(section) <= 3000 and section.endswith("…")
    assert all(len(f["text"]) <= 2000 for f in notice["blocks"][2]["fields"])
    assert "audit" not in notice["blocks"][-1]["elements"][0]["text"]
