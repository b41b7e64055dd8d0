"""Tests for child age arithmetic and wording."""

from __future__ import annotations

import datetime as dt

import pytest

from babyshield_chat.chat.tools.child_age import child_age_months, format_age


@pytest.mark.parametrize(
    ("birthdate", "today", "months"),
    [
        (dt.date(2025, 3, 15), dt.date(2026, 3, 15), 12),
        (dt.date(2025, 3, 16), dt.date(2026, 3, 15), 11),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28), 0),
        (dt.date(2026, 3, 15), dt.date(2026, 3, 15), 0),
        (dt.date(2026, 6, 1), dt.date(2026, 3, 15), -2),
    ],
)
def test_child_age_counts_whole_months(birthdate, today, months) -> None:
    assert child_age_months(birthdate, today) == months


@pytest.mark.parametrize(
    ("months", "language", "text"),
    [
        (1, "en", "1 month"),
        (18, "en", "18 months"),
        (36, "en", "3 years"),
        (30, "en", "2 years 6 months"),
        (30, "es", "2 años y 6 meses"),
        (13 * 12 + 1, "es", "13 años y 1 mes"),
    ],
)
def test_format_age_reads_naturally(months, language, text) -> None:
    assert format_age(months, language) == text
