"""The rollout policy: the packaged default, and clear errors for a broken file."""

import datetime as dt

import pytest
import yaml

from babyshield_chat.alerting.thresholds import load_thresholds
from babyshield_chat.rollout.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy

THRESHOLDS = load_thresholds()


def policy_with(**changes):
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    raw.update(changes)
    return parse_policy(raw, THRESHOLDS)


def test_the_packaged_policy_is_the_specs_canary():
    policy = load_policy()
    assert [p.rollout_pct for p in policy.phases] == [0.10, 0.25, 0.50, 1.0]
    assert [p.soak for p in policy.phases] == [dt.timedelta(hours=24), dt.timedelta(hours=48),
                                               dt.timedelta(hours=72), None]
    assert policy.describe_phases() == "10% → 25% → 50% → 100%"


def test_gates_come_from_the_thresholds_definition():
    policy = load_policy()
    assert policy.gates == THRESHOLDS.gates
    assert set(policy.on_rollback_trigger) == {g.key for g in THRESHOLDS.gates if g.rollback_trigger}


def test_time_scale_shortens_how_long_a_trigger_must_be_sustained():
    policy = policy_with(time_scale=1 / 60)
    assert policy.sustain(THRESHOLDS.gate("error_rate")) == dt.timedelta(seconds=5)


def test_the_cost_budget_is_optional_and_read_when_given():
    assert load_policy().max_daily_cost_usd is None
    assert policy_with(max_daily_cost_usd=40).max_daily_cost_usd == 40.0


def test_a_policy_file_is_read(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace("soak: 24h", "soak: 2h"))
    assert load_policy(path).phases[0].soak == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phases": [{"rollout_pct": 0.5, "soak": "1h"}, {"rollout_pct": 0.25, "soak": "1h"}, {"rollout_pct": 1.0}]},
         "must be above the previous phase's 0.5, got 0.25"),
        ({"phases": [{"rollout_pct": 10, "soak": "1h"}, {"rollout_pct": 1.0}]}, "(0.1 means 10%), got 10.0"),
        ({"phases": [{"rollout_pct": 0.1, "soak": "1h"}, {"rollout_pct": 0.5}]}, "last phase must be 1.0"),
        ({"phases": [{"rollout_pct": 0.1}, {"rollout_pct": 1.0}]}, "soak is required"),
        ({"phases": [{"rollout_pct": 0.1, "soak": "one day"}, {"rollout_pct": 1.0}]}, "got 'one day'"),
        ({"phases": [{"rollout_pct": 0.1, "soak": "1h"}, {"rollout_pct": 1.0, "soak": "1h"}]}, "has no soak"),
        ({"min_request_rate": 0}, "min_request_rate must be greater than 0, got 0"),
        ({"min_request_rate": "lots"}, "expected a number, got 'lots'"),
        ({"time_scale": 2}, "time_scale must be in (0, 1]"),
        ({"on_rollback_trigger": {"error_rate": "kill_switch"}}, "must name exactly the rollback triggers"),
        ({"on_rollback_trigger": {"error_rate": "panic", "latency_p95": "step_back", "circuit_rate": "step_back"}},
         "on_rollback_trigger.error_rate: expected one of ['kill_switch', 'step_back'], got 'panic'"),
        ({"soak": "24h"}, "unknown keys ['soak']"),
        ({"max_daily_cost_usd": 0}, "max_daily_cost_usd must be greater than 0, got 0"),
        ({"max_daily_cost_usd": "50 USD"}, "max_daily_cost_usd: expected a number, got '50 USD'"),
    ],
)
def test_a_broken_policy_is_refused_with_the_field_and_the_value(changes, message):
    with pytest.raises(PolicyError) as caught:
        policy_with(**changes)
    assert message in str(caught.value)


def test_a_missing_or_unparsable_file_names_the_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("phases: [")
    with pytest.raises(PolicyError, match="broken.yml: not valid YAML"):
        load_policy(broken)
