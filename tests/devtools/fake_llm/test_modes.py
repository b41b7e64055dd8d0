"""Behaviour of the fake LLM's mode values and their validation."""

from __future__ import annotations

import random

import pytest

from babyshield_chat.devtools.fake_llm.modes import FAULTS, FakeMode, Latency


def test_the_default_mode_injects_nothing() -> None:
    mode = FakeMode()
    assert mode.fault == "none" and mode.error_rate == 0.0
    assert mode.latency.sample_sec(random.Random(1)) == 0.0


def test_updates_replace_only_the_fields_given() -> None:
    mode = FakeMode().updated({"fault": "hang", "error_rate": 0.25})
    mode = mode.updated({"latency": {"distribution": "fixed", "ms": 120}})
    assert (mode.fault, mode.error_rate, mode.latency) == ("hang", 0.25, Latency(ms=120))


def test_every_documented_fault_is_accepted() -> None:
    assert set(FAULTS) == {"none", "server_error", "rate_limited", "hang", "garbage", "truncated", "invent_evidence",
                           "contradict"}
    for fault in FAULTS:
        assert FakeMode().updated({"fault": fault}).fault == fault


def test_a_bare_number_is_a_fixed_latency_in_ms() -> None:
    assert Latency.from_json(250) == Latency(distribution="fixed", ms=250)


def test_uniform_latency_stays_within_its_bounds() -> None:
    latency = Latency.from_json({"distribution": "uniform", "min_ms": 100, "max_ms": 300})
    rng = random.Random(3)
    samples = [latency.sample_sec(rng) for _ in range(200)]
    assert all(0.1 <= s <= 0.3 for s in samples)
    assert max(samples) - min(samples) > 0.1


def test_normal_latency_centres_on_its_mean_and_is_never_negative() -> None:
    latency = Latency.from_json({"distribution": "normal", "mean_ms": 50, "stddev_ms": 40})
    rng = random.Random(5)
    samples = [latency.sample_sec(rng) for _ in range(2000)]
    assert all(s >= 0 for s in samples)
    assert 0.04 < sum(samples) / len(samples) < 0.06


def test_mode_round_trips_through_its_json() -> None:
    changes = {
        "fault": "rate_limited",
        "latency": {"distribution": "normal", "mean_ms": 300.0, "stddev_ms": 50.0},
        "error_rate": 0.1,
        "retry_after_s": 2.0,
        "seed": 7,
    }
    assert FakeMode().updated(changes).to_json() == changes


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"fault": "explode"}, "'explode'"),
        ({"error_rate": 1.5}, "1.5"),
        ({"error_rate": -0.1}, "-0.1"),
        ({"retry_after_s": "soon"}, "'soon'"),
        ({"latency": {"distribution": "pareto"}}, "'pareto'"),
        ({"latency": {"distribution": "fixed", "min_ms": 5}}, "min_ms"),
        ({"latency": {"distribution": "uniform", "min_ms": 500, "max_ms": 100}}, "500.0"),
        ({"latency": "slow"}, "'slow'"),
        ({"seed": "abc"}, "'abc'"),
        ({"speed": 3}, "speed"),
        (["fault"], "['fault']"),
    ],
)
def test_invalid_changes_are_rejected_naming_the_bad_value(changes: object, named: str) -> None:
    with pytest.raises(ValueError) as caught:
        FakeMode().updated(changes)
    assert named in str(caught.value)
