"""Fixtures for the age check's tests: a fixed today and children of a given age."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from babyshield_chat.chat.model import Product, ToolResult
from babyshield_chat.chat.tools.age import check_age

TODAY = dt.date(2026, 3, 15)


def born_months_ago(months: int) -> dt.date:
    """A birthdate that makes the child exactly `months` old on TODAY."""
    year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - months, 12)
    return dt.date(year, month + 1, 10)


@pytest.fixture
def age_result() -> Callable[[Product | None, int | None], ToolResult]:
    """Run the age check for a child of N months (None: no birthdate in the profile)."""

    def run(product: Product | None, months: int | None) -> ToolResult:
        return check_age(product, born_months_ago(months) if months is not None else None, TODAY)

    return run


@pytest.fixture
def age_statuses(age_result) -> Callable[[Product | None, int | None], dict[str, str]]:
    """The age check's statuses by check name, for a child of N months."""

    def run(product: Product | None, months: int | None) -> dict[str, str]:
        return {c.name: c.status for c in age_result(product, months).checks}

    return run
