"""The bucket function and the decision order of spec section 3."""

import pytest

from babyshield_chat.flags.evaluation import FlagState, bucket, decide

IDS = [f"user-{n}" for n in range(100_000)]


@pytest.mark.parametrize(
    ("identity", "expected"),
    [("user-1", 64584), ("user-2", 7113), ("alice@example.com", 69312), ("42", 61175), ("device-ABC", 17945)],
)
def test_bucket_matches_the_spec_vectors(identity, expected):
    assert bucket(identity) == expected


def test_disabled_wins_over_everything():
    state = FlagState(enabled=False, rollout_pct=1.0, allowlist=frozenset({"a"}))
    assert decide(state, "a").reason == "disabled"


def test_denylist_wins_over_allowlist():
    state = FlagState(enabled=True, rollout_pct=1.0, allowlist=frozenset({"a"}), denylist=frozenset({"a"}))
    decision = decide(state, "a")
    assert (decision.enabled, decision.reason) == (False, "denylisted")


def test_allowlist_includes_at_zero_percent():
    decision = decide(FlagState(enabled=True, rollout_pct=0.0, allowlist=frozenset({"tester"})), "tester")
    assert (decision.enabled, decision.reason) == (True, "allowlisted")


@pytest.mark.parametrize(("pct", "expected"), [(0.0, False), (0.5, False), (0.999, False), (1.0, True)])
def test_no_identity_is_excluded_unless_full_rollout(pct, expected):
    decision = decide(FlagState(enabled=True, rollout_pct=pct), None)
    assert (decision.enabled, decision.reason) == (expected, "no_identity")


def test_ten_percent_includes_user_2_and_excludes_user_1():
    state = FlagState(enabled=True, rollout_pct=0.10)
    assert decide(state, "user-2").reason == "rollout_included"
    assert decide(state, "user-1").reason == "rollout_excluded"


def test_raising_the_percentage_never_excludes_an_included_user():
    buckets = [bucket(i) for i in IDS]
    previous: set[int] = set()
    for pct in (0.0, 0.01, 0.10, 0.25, 0.333, 0.50, 0.75, 0.999, 1.0):
        threshold = FlagState(enabled=True, rollout_pct=pct).threshold
        included = {n for n, b in enumerate(buckets) if b < threshold}
        assert previous <= included, f"raising to {pct} dropped users"
        previous = included


@pytest.mark.parametrize("pct", [0.10, 0.25, 0.50])
def test_observed_share_is_within_half_a_point_of_the_percentage(pct):
    state = FlagState(enabled=True, rollout_pct=pct)
    share = sum(decide(state, i).enabled for i in IDS) / len(IDS)
    assert abs(share - pct) <= 0.005
