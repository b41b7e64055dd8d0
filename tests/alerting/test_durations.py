"""durations.py: Prometheus durations parse, print back, and refuse anything else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from babyshield_chat.alerting.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("1h30m", 5400), ("24h", 86400), ("500ms", 0.5)])
def test_durations_parse_and_print_back_the_same(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds
    assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize("bad", ["5", "m", "0s", "5m1h", "-5m", "", 5, None])
def test_bad_durations_are_refused_quoting_the_value(bad: object) -> None:
    with pytest.raises(DurationError, match=re.escape(repr(bad))):
        parse_duration(bad, "x.for")


def test_a_scaled_duration_prints_in_the_largest_units_that_fit() -> None:
    assert format_duration(timedelta(minutes=5) / 60) == "5s"
    assert format_duration(timedelta(hours=24) / 60) == "24m"
    assert format_duration(timedelta(seconds=90)) == "1m30s"


def test_a_duration_scaled_to_nothing_is_refused() -> None:
    with pytest.raises(DurationError, match="must be positive"):
        format_duration(timedelta(0))
